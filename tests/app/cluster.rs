//! Three `guildhall serve` processes on one PostgreSQL database behind
//! HAProxy, started by `scripts/cluster` with `deploy/haproxy.cfg`, as an
//! operator starts them:
//! - a session made through the balancer works on every server, and
//!   logging out or deactivation ends it on all of them;
//! - 300 e-mail invitations through the balancer arrive once each, with the
//!   three servers' mail workers on;
//! - a rolling restart (`scripts/cluster rolling-restart`: SIGTERM, drain,
//!   start again, one server at a time) under a steady load of reads and
//!   invitations loses no request;
//! - kill -9 of one server in the middle of a bulk invite leaves none or
//!   all of it, and the balancer keeps serving from the other two.

use crate::crash::{PW, ada_with_a_group, addresses, arrived, get, invite, invite_at, written};
use crate::helpers::*;
use crate::mail::SmtpServer;
use reqwest::cookie::CookieStore;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A cluster on its own database, data dir and five consecutive ports:
/// the balancer, three servers, the balancer's status page.
struct Cluster {
    tmp: tempfile::TempDir,
    db: TestDb,
    port: u16,
    pool: guildhall::db::DbPool,
    env: Vec<(String, String)>,
}

impl Cluster {
    /// `scripts/cluster start` with `env` for every server.
    fn start(env: &[(&str, &str)]) -> Cluster {
        let tmp = tempfile::tempdir().unwrap();
        let db = TestDb::create(Backend::Postgres, tmp.path());
        crate::cli::migrate(&db, tmp.path());
        assert!(
            crate::cli::create_admin(&db, tmp.path(), PW)
                .status
                .success()
        );
        let pool = guildhall::db::build_pool(&db.url, Some(2)).unwrap();
        let cluster = Cluster {
            tmp,
            db,
            port: free_ports(5),
            pool,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        cluster.script("start");
        cluster
    }

    /// Runs `scripts/cluster command`; panics with its output if it fails.
    fn script(&self, command: &str) -> Output {
        let out = Command::new("bash")
            .arg("scripts/cluster")
            .arg(command)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("GUILDHALL_BIN", env!("CARGO_BIN_EXE_guildhall"))
            .env("GUILDHALL_CLUSTER_DIR", self.tmp.path().join("cluster"))
            .env("GUILDHALL_CLUSTER_PORT", self.port.to_string())
            .env("GUILDHALL_DATABASE_URL", &self.db.url)
            .env("GUILDHALL_WORKERS", "1")
            .env("GUILDHALL_INVITES_PER_INVITER_PER_DAY", "100000")
            .env("GUILDHALL_INVITES_PER_GROUP_PER_DAY", "100000")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("bash runs scripts/cluster");
        assert!(
            out.status.success(),
            "scripts/cluster {command} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        out
    }

    /// The balancer's address.
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Server `i`'s own address (1 to 3).
    fn server(&self, i: u16) -> String {
        format!("http://127.0.0.1:{}", self.port + i)
    }

    fn pid(&self, name: &str) -> String {
        std::fs::read_to_string(self.tmp.path().join(format!("cluster/{name}.pid")))
            .unwrap()
            .trim()
            .to_string()
    }

    /// The servers' and the balancer's logs, for a failure's message.
    fn logs(&self) -> String {
        ["s1", "s2", "s3", "haproxy"]
            .iter()
            .map(|n| {
                let path = self.tmp.path().join(format!("cluster/{n}.log"));
                let log = std::fs::read_to_string(path).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                format!(
                    "--- {n}.log (last lines, newest first)\n{}",
                    tail.join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.tmp.path().join(format!("cluster/{name}.log"))).unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .args(["scripts/cluster", "stop"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("GUILDHALL_CLUSTER_DIR", self.tmp.path().join("cluster"))
            .env("GUILDHALL_CLUSTER_PORT", self.port.to_string())
            .env("GUILDHALL_DRAIN_SECONDS", "0")
            .output();
    }
}

/// The first of `n` consecutive free loopback ports, below the range Linux
/// hands out for outgoing connections (32768 and up): a port found free
/// there can be taken by another test's next connection (to PostgreSQL,
/// say) before `scripts/cluster` binds it ("Address already in use").
fn free_ports(n: u16) -> u16 {
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let first = 20_000 + (nanos % 12_000) as u16;
        if (0..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", first + i)).is_ok()) {
            return first;
        }
    }
}

/// `user` logs in through the balancer; answers the `Cookie` header her
/// browser now sends.
async fn logged_in(cluster: &Cluster, user: &str) -> (reqwest::Client, String) {
    let (client, jar) = client_with_jar();
    let r = crate::crash::submit(
        &client,
        &cluster.base(),
        "/login",
        "/login",
        &[("login", user), ("password", PW)],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{user} logs in");
    let cookie = jar
        .cookies(&cluster.base().parse().unwrap())
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    (client, cookie)
}

/// `GET /invitations` on server `i` with a copied `Cookie` header: its
/// status and where it redirects.
async fn replayed_on(cluster: &Cluster, i: u16, cookie: &str) -> (u16, String) {
    let r = new_client()
        .get(format!("{}/invitations", cluster.server(i)))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_works_on_every_server_and_ends_on_all() {
    let cluster = Cluster::start(&[]);
    let now = guildhall::clock::Clock::default().now();
    let (bob, carol) = {
        let mut c = cluster.pool.get().unwrap();
        (
            insert_user(&mut c, "bob", PW, now),
            insert_user(&mut c, "carol", PW, now),
        )
    };
    let _ = bob;

    let (bob_client, bob_cookie) = logged_in(&cluster, "bob").await;
    let (_, carol_cookie) = logged_in(&cluster, "carol").await;
    for i in 1..=3 {
        for cookie in [&bob_cookie, &carol_cookie] {
            assert_eq!(
                replayed_on(&cluster, i, cookie).await.0,
                200,
                "a session made through the balancer works on server {i}"
            );
        }
    }

    // Bob logs out through the balancer: his cookie is dead on all three.
    let r = crate::crash::submit(&bob_client, &cluster.base(), "/", "/logout", &[])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    for i in 1..=3 {
        let (status, location) = replayed_on(&cluster, i, &bob_cookie).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/login?next=%2Finvitations"),
            "server {i} after log-out"
        );
    }

    // Carol's Active Login is turned off: every server refuses her.
    let mut c = cluster.pool.get().unwrap();
    assert!(guildhall::services::manage_users::deactivate(&mut c, carol, now).unwrap());
    for i in 1..=3 {
        let (status, location) = replayed_on(&cluster, i, &carol_cookie).await;
        assert_eq!(status, 303, "server {i} after deactivation");
        assert!(location.starts_with("/login"), "{location}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_mails_through_three_workers_arrive_once_each() {
    const MAILS: usize = 300;
    let smtp_port = crate::mail::free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(smtp_port, maildir.path());
    let url = format!("smtp://127.0.0.1:{smtp_port}");
    let cluster = Cluster::start(&[
        ("GUILDHALL_SMTP_URL", &url),
        ("GUILDHALL_MAIL_POLL_MS", "200"),
    ]);
    let (ada, role) = ada_with_a_group(&cluster.base()).await;
    let r = invite(ada, cluster.base(), addresses("once", MAILS), role)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        written(&cluster.pool, "once"),
        (MAILS as i64, MAILS as i64, MAILS as i64)
    );
    assert!(
        eventually(60, || arrived(&smtp, "once").1 == MAILS).await,
        "{} of {MAILS} arrived",
        arrived(&smtp, "once").1
    );
    let total = settled(3, || arrived(&smtp, "once").0).await;
    assert_eq!(total, MAILS, "each mail once, none twice");
}

/// What one client of the steady load saw.
#[derive(Default)]
struct Tally {
    reads: usize,
    /// Addresses it invited, each answered "invited".
    invited: Vec<String>,
    failures: Vec<String>,
}

/// `clients` clients of `ada`'s through the balancer until `stop`: each
/// reads the group's page, and every fourth round (when `invites`) invites
/// one new address tagged `tag`.
fn steady_load(
    base: String,
    ada: reqwest::Client,
    role: String,
    clients: usize,
    invites: Option<&'static str>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Tally>> {
    (0..clients)
        .map(|k| {
            let (base, ada, role, stop) = (base.clone(), ada.clone(), role.clone(), stop.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    match ada.get(format!("{base}/groups/crash-crew")).send().await {
                        Ok(r) if r.status() == 200 => tally.reads += 1,
                        Ok(r) => tally.failures.push(format!("read: {}", r.status())),
                        Err(e) => tally.failures.push(format!("read: {e}")),
                    }
                    let Some(tag) = invites.filter(|_| round % 4 == 0) else {
                        continue;
                    };
                    let address = format!("{tag}-{k}x{round}@example.org");
                    match invite(ada.clone(), base.clone(), address.clone(), role.clone()).await {
                        Ok(r) if r.status() == 303 => tally.invited.push(address),
                        Ok(r) => tally.failures.push(format!("invite: {}", r.status())),
                        Err(e) => tally.failures.push(format!("invite: {e}")),
                    }
                }
                tally
            })
        })
        .collect()
}

async fn tally(tasks: Vec<tokio::task::JoinHandle<Tally>>) -> Tally {
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.unwrap();
        all.reads += t.reads;
        all.invited.extend(t.invited);
        all.failures.extend(t.failures);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_no_request() {
    // Each server stays down 4 s, as while a new version is put in place:
    // longer than the balancer would hide by retrying the same server.
    let cluster = Cluster::start(&[("GUILDHALL_CLUSTER_PAUSE", "4")]);
    let (ada, role) = ada_with_a_group(&cluster.base()).await;
    let before: Vec<String> = ["s1", "s2", "s3"].map(|s| cluster.pid(s)).to_vec();

    let stop = Arc::new(AtomicBool::new(false));
    let load = steady_load(cluster.base(), ada, role, 4, Some("roll"), stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let restart = tokio::task::block_in_place(|| cluster.script("rolling-restart"));
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let seen = tally(load).await;

    let after: Vec<String> = ["s1", "s2", "s3"].map(|s| cluster.pid(s)).to_vec();
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_ne!(b, a, "server {} was restarted", i + 1);
        assert!(
            cluster.log(&format!("s{}", i + 1)).contains("draining"),
            "server {} drained before it stopped",
            i + 1
        );
    }
    eprintln!(
        "cluster: rolling restart in {took:?} under load: {} reads and {} invitations, {} failed\n{}",
        seen.reads,
        seen.invited.len(),
        seen.failures.len(),
        String::from_utf8_lossy(&restart.stderr)
    );
    assert!(
        seen.failures.is_empty(),
        "{} requests lost: {:?}\n{}",
        seen.failures.len(),
        seen.failures,
        cluster.logs()
    );
    assert!(seen.reads > 100 && seen.invited.len() > 25, "the load ran");
    let n = seen.invited.len() as i64;
    assert_eq!(
        written(&cluster.pool, "roll"),
        (n, n, n),
        "every invitation answered is in the database once, with its event and mail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_bulk_invite_leaves_none_or_all_and_the_others_serve() {
    const ENTRIES: usize = 500;
    let cluster = Cluster::start(&[]);
    let (ada, role) = ada_with_a_group(&cluster.base()).await;
    let send = |tag: &str| {
        invite_at(
            ada.clone(),
            cluster.server(1),
            cluster.base(),
            addresses(tag, ENTRIES),
            role.clone(),
        )
    };
    // How long a whole list takes on server 1: the kill falls inside it.
    let started = Instant::now();
    assert_eq!(send("whole").await.unwrap().status().as_u16(), 303);
    let took = started.elapsed();

    let stop = Arc::new(AtomicBool::new(false));
    let load = steady_load(
        cluster.base(),
        ada.clone(),
        role.clone(),
        4,
        None,
        stop.clone(),
    );
    let request = tokio::spawn(send("killed"));
    tokio::time::sleep(took / 2).await;
    let pid = cluster.pid("s1");
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let answered = request.await.unwrap();

    // The balancer goes on from the other two.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for _ in 0..30 {
        let (status, _) = get(&ada, &cluster.base(), "/groups/crash-crew").await;
        assert_eq!(status, 200);
    }
    stop.store(true, Ordering::Relaxed);
    let seen = tally(load).await;
    let (n, events, mails) = written(&cluster.pool, "killed");
    eprintln!(
        "cluster: server 1 killed {:?} into a {took:?} list: {n} of {ENTRIES} invitations left \
         (answered: {}); {} reads through the balancer, {} failed",
        took / 2,
        answered.is_ok(),
        seen.reads,
        seen.failures.len()
    );
    assert!(
        n == 0 || n == ENTRIES as i64,
        "{n} of {ENTRIES} invitations were left"
    );
    assert_eq!((events, mails), (n, n), "events and mails go with them");
    assert!(
        seen.failures.is_empty(),
        "reads through the balancer failed: {:?}",
        seen.failures
    );
    let status = String::from_utf8_lossy(&cluster.script("status").stdout).to_string();
    assert!(
        status.lines().next().unwrap_or("").ends_with("DOWN"),
        "the balancer sees server 1 down:\n{status}"
    );
}
