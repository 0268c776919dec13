//! The real server killed with SIGKILL in the middle of a bulk invite: after
//! a restart the list went out whole or not at all (invitations, their
//! events and their queued mails together), and sending it again reports
//! "already invited" for what went out, never a duplicate. Both backends.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{invitation_events, invitations, outbox};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

backend_tests!(a_bulk_invite_killed_mid_way_commits_all_or_nothing);

const PW: &str = "a long enough password";
const ENTRIES: usize = 500;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_guildhall"))
}

/// `guildhall serve` on `port`, its output dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(db: &TestDb, dir: &std::path::Path, port: u16) -> Self {
        let child = bin()
            .arg("serve")
            .env("GUILDHALL_DATABASE_URL", &db.url)
            .env("GUILDHALL_DATA_DIR", dir)
            .env("GUILDHALL_BIND", format!("127.0.0.1:{port}"))
            .env("GUILDHALL_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("GUILDHALL_WORKERS", "2")
            // Eight lists of 500 from one inviter in a minute.
            .env("GUILDHALL_INVITES_PER_INVITER_PER_DAY", "100000")
            .env("GUILDHALL_INVITES_PER_GROUP_PER_DAY", "100000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start serve");
        let base = format!("http://127.0.0.1:{port}");
        let health = format!("{base}/healthz");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(&health).send().await.is_err() {
            assert!(Instant::now() < deadline, "serve did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { child, base }
    }

    fn kill(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        let _ = self.child.wait();
    }

    async fn get(&self, c: &reqwest::Client, path: &str) -> (u16, String) {
        let r = c.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// The form of `page` posted to `action` with its CSRF token.
    async fn submit(
        &self,
        c: &reqwest::Client,
        page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        let (_, body) = self.get(c, page).await;
        let token = csrf_from(&body);
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        c.post(format!("{}{action}", self.base))
            .header("Origin", &self.base)
            .form(&fields)
            .send()
            .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (invitations, their "sent" events, their queued mails) for addresses
/// tagged `tag`.
fn written(pool: &guildhall::db::DbPool, tag: &str) -> (i64, i64, i64) {
    let mut c = pool.get().unwrap();
    let pattern = format!("{tag}-%@example.org");
    let n = invitations::table
        .filter(invitations::invitee_email_key.like(&pattern))
        .count()
        .get_result(&mut c)
        .unwrap();
    let events = invitation_events::table
        .inner_join(invitations::table)
        .filter(invitations::invitee_email_key.like(&pattern))
        .filter(invitation_events::kind.eq("sent"))
        .count()
        .get_result(&mut c)
        .unwrap();
    let mails = outbox::table
        .filter(outbox::recipient.like(&pattern))
        .count()
        .get_result(&mut c)
        .unwrap();
    (n, events, mails)
}

async fn a_bulk_invite_killed_mid_way_commits_all_or_nothing(b: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::create(b, tmp.path());
    let out = bin()
        .arg("migrate")
        .env("GUILDHALL_DATABASE_URL", &db.url)
        .env("GUILDHALL_DATA_DIR", tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut admin = bin()
        .args([
            "create-admin",
            "--username",
            "ada",
            "--email",
            "ada@example.com",
        ])
        .env("GUILDHALL_DATABASE_URL", &db.url)
        .env("GUILDHALL_DATA_DIR", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(admin.stdin.take().unwrap(), "{PW}").unwrap();
    assert!(admin.wait().unwrap().success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pool = guildhall::db::build_pool(&db.url, Some(1)).unwrap();

    let mut server = Server::start(&db, tmp.path(), port).await;
    let ada = new_client();
    let r = server
        .submit(
            &ada,
            "/login",
            "/login",
            &[("login", "ada"), ("password", PW)],
        )
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "ada logs in");
    let r = server
        .submit(
            &ada,
            "/groups/new",
            "/groups",
            &[
                ("name", "Crash Crew"),
                ("slug", "crash-crew"),
                ("description", ""),
                ("join_method", "invite_only"),
                ("audience", "internal"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the group is made");
    let (_, form) = server.get(&ada, "/groups/crash-crew/invite").await;
    let role = attrs(&form, "#role_id option[selected]", "value")
        .pop()
        .expect("a role chosen by default");
    let list = |tag: &str| -> String {
        (0..ENTRIES)
            .map(|i| format!("{tag}-{i}@example.org"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let send = |server: &Server, tag: &str| {
        let (c, base, list, role) = (ada.clone(), server.base.clone(), list(tag), role.clone());
        async move {
            let (_, body) = {
                let r = c
                    .get(format!("{base}/groups/crash-crew/invite"))
                    .send()
                    .await?;
                (r.status(), r.text().await?)
            };
            let token = csrf_from(&body);
            c.post(format!("{base}/groups/crash-crew/invite"))
                .header("Origin", &base)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("send_to", &list),
                    ("role_id", &role),
                    ("action", "send"),
                ])
                .send()
                .await
        }
    };

    // How long a whole list takes here, uninterrupted: the kills below fall
    // inside that time.
    let started = Instant::now();
    let r = send(&server, "whole").await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        written(&pool, "whole"),
        (ENTRIES as i64, ENTRIES as i64, ENTRIES as i64)
    );
    eprintln!("crash ({b:?}): {ENTRIES} invitations in {took:?}");

    let mut outcomes = Vec::new();
    for (round, share) in [0.2, 0.5, 0.8].into_iter().enumerate() {
        let tag = format!("kill{round}");
        let request = tokio::spawn(send(&server, &tag));
        tokio::time::sleep(took.mul_f64(share)).await;
        server.kill();
        let answered = request.await.unwrap();
        server = Server::start(&db, tmp.path(), port).await;
        let (n, events, mails) = written(&pool, &tag);
        assert!(
            n == 0 || n == ENTRIES as i64,
            "killed at {share} of the list: {n} of {ENTRIES} invitations were left"
        );
        assert_eq!((events, mails), (n, n), "events and mails go with them");
        outcomes.push((n, answered.is_ok()));

        // The same list again: nothing doubled, the rest sent.
        let r = send(&server, &tag).await.unwrap();
        assert_eq!(r.status().as_u16(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let (status, page) = server.get(&ada, &to).await;
        assert_eq!(status, 200);
        let summary = texts(&page, ".invite-summary").join("");
        let expected = if n == 0 {
            format!("{ENTRIES} invited")
        } else {
            format!("0 invited · {ENTRIES} already invited")
        };
        assert_eq!(summary, expected);
        assert_eq!(
            written(&pool, &tag),
            (ENTRIES as i64, ENTRIES as i64, ENTRIES as i64)
        );
    }
    eprintln!("crash ({b:?}): (invitations left, answered) per kill: {outcomes:?}");
    server.kill();
}
