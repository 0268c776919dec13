//! The real server killed with SIGKILL in the middle of its work, both
//! backends:
//! - mid bulk invite: after a restart the list went out whole or not at all
//!   (invitations, their events and their queued mails together), and
//!   sending it again reports "already invited" for what went out, never a
//!   duplicate;
//! - mid community invite (a list into several managed communities at
//!   once), the same;
//! - while super users press **Add** in the Add user wizard: each contact
//!   is there with all their invitations, history, mail and audit line, or
//!   not at all;
//! - while its mail worker delivers: after a restart only the mails that
//!   were in flight go out twice, and the rest within 30 s;
//! - while "Cancel these N invitations" (the invitation policy page)
//!   cancels what a new rule refuses: all of them are cancelled, with their
//!   history, or none;
//! - while a CSV import of 5,000 rows is sent in the background: every
//!   chunk committed has its invitations, events, mails and row outcomes
//!   together, and after a restart the rest is sent, each row exactly once;
//! - while its webhook worker posts a delivery: after the restart that one
//!   is posted again (same `X-Guildhall-Delivery`) once its lease runs
//!   out, and the hook's later events follow, each once, in order;
//! - and a mail server that is down is told in the log once, not per mail.

use crate::backend_tests;
use crate::cli::bin;
use crate::helpers::*;
use crate::mail::{SmtpServer, header};
use diesel::prelude::*;
use guildhall::db::schema::{invitation_events, invitations, outbox};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

backend_tests!(
    a_bulk_invite_killed_mid_way_commits_all_or_nothing,
    a_community_invite_killed_mid_way_commits_all_or_nothing,
    the_add_user_wizard_killed_mid_add_leaves_whole_contacts_or_none,
    the_mail_worker_killed_mid_batch_repeats_at_most_the_mails_in_flight,
    a_mail_server_outage_is_one_line_in_the_log_not_one_per_mail,
    cancelling_what_a_policy_refuses_killed_mid_way_commits_all_or_nothing,
    a_csv_send_killed_mid_way_sends_every_row_once_after_a_restart,
    a_webhook_post_killed_mid_way_is_posted_again_and_the_rest_once,
);

pub(crate) const PW: &str = "a long enough password";
const ENTRIES: usize = 500;

/// A running `guildhall serve`, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// `guildhall serve` on `port` with `env` on top of the defaults; its
    /// output is appended to `dir/serve.log`.
    async fn start_with(
        db: &TestDb,
        dir: &std::path::Path,
        port: u16,
        env: &[(&str, &str)],
    ) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .unwrap();
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
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
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
        get(c, &self.base, path).await
    }
}

/// GET `path` of the server (or balancer) at `base`: (status, body).
pub(crate) async fn get(c: &reqwest::Client, base: &str, path: &str) -> (u16, String) {
    let r = c.get(format!("{base}{path}")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// The form of `page` posted to `action` with its CSRF token, on the server
/// (or balancer) at `base`.
pub(crate) async fn submit(
    c: &reqwest::Client,
    base: &str,
    page: &str,
    action: &str,
    form: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    let (_, body) = get(c, base, page).await;
    send(
        c,
        base,
        &crate::forms::posting_to(&body, page, action).with(form),
    )
    .await
}

/// `form` sent as its page's browser would, to the server at `base`.
pub(crate) async fn send(
    c: &reqwest::Client,
    base: &str,
    form: &crate::forms::Form,
) -> reqwest::Result<reqwest::Response> {
    c.post(format!("{base}{}", form.action))
        .header("Origin", base)
        .form(form.fields())
        .send()
        .await
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (invitations, their "sent" events, their queued mails) for addresses
/// tagged `tag`.
pub(crate) fn written(pool: &guildhall::db::DbPool, tag: &str) -> (i64, i64, i64) {
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

/// Gives group `slug` a webhook that hears every event (its receiver
/// never answers: the deliveries stay to be counted).
fn hook_everything(pool: &guildhall::db::DbPool, slug: &str) {
    add_hook(pool, slug, "http://127.0.0.1:9/never");
}

/// Gives group `slug` a webhook to `url` that hears every event.
fn add_hook(pool: &guildhall::db::DbPool, slug: &str, url: &str) {
    use guildhall::db::schema::{groups, webhooks};
    let mut c = pool.get().unwrap();
    let group: i64 = groups::table
        .filter(groups::slug.eq(slug))
        .select(groups::id)
        .first(&mut c)
        .unwrap();
    let events: Vec<&str> = guildhall::domain::webhook::EVENTS
        .iter()
        .map(|(e, _)| *e)
        .collect();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::group_id.eq(group),
            webhooks::url.eq(url),
            webhooks::secret.eq("crash test secret"),
            webhooks::events.eq(events.join(" ")),
            webhooks::created_at.eq(time::macros::datetime!(2026-12-07 00:00)),
        ))
        .execute(&mut c)
        .unwrap();
}

/// The keys of the deliveries queued, oldest first, and how many are delivered.
fn deliveries(pool: &guildhall::db::DbPool) -> (Vec<String>, usize) {
    use guildhall::db::schema::webhook_deliveries as d;
    let mut c = pool.get().unwrap();
    let rows: Vec<(String, String)> = d::table
        .order(d::id)
        .select((d::delivery_key, d::state))
        .load(&mut c)
        .unwrap();
    let delivered = rows.iter().filter(|(_, s)| s == "delivered").count();
    (rows.into_iter().map(|(k, _)| k).collect(), delivered)
}

/// `invitation.created` deliveries queued for invitations tagged `tag`.
fn hooked(pool: &guildhall::db::DbPool, tag: &str) -> i64 {
    use guildhall::db::schema::webhook_deliveries as d;
    let mut c = pool.get().unwrap();
    d::table
        .filter(d::event.eq("invitation.created"))
        .filter(d::payload.like(format!("%\"email\":\"{tag}-%")))
        .count()
        .get_result(&mut c)
        .unwrap()
}

/// A migrated database with the site admin `ada`, a free port and a pool
/// to count rows with.
struct Site {
    tmp: tempfile::TempDir,
    db: TestDb,
    port: u16,
    pool: guildhall::db::DbPool,
}

impl Site {
    fn new(b: Backend) -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let db = TestDb::create(b, tmp.path());
        crate::cli::migrate(&db, tmp.path());
        assert!(
            crate::cli::create_admin(&db, tmp.path(), PW)
                .status
                .success()
        );
        let port = crate::mail::free_port();
        let pool = guildhall::db::build_pool(&db.url, Some(1)).unwrap();
        Site {
            tmp,
            db,
            port,
            pool,
        }
    }

    async fn serve(&self, env: &[(&str, &str)]) -> Server {
        Server::start_with(&self.db, self.tmp.path(), self.port, env).await
    }
}

/// `ada` logs in through `base` and makes the group `crash-crew`; returns
/// her client and the role the invite form chooses by default.
pub(crate) async fn ada_with_a_group(base: &str) -> (reqwest::Client, String) {
    let ada = new_client();
    let r = submit(
        &ada,
        base,
        "/login",
        "/login",
        &[("login", "ada"), ("password", PW)],
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 303, "ada logs in");
    let r = submit(
        &ada,
        base,
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
    let (_, form) = get(&ada, base, "/groups/crash-crew/invite").await;
    let role = attrs(&form, "#role_id option[selected]", "value")
        .pop()
        .expect("a role chosen by default");
    (ada, role)
}

/// `n` addresses tagged `tag`, one per line.
pub(crate) fn addresses(tag: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{tag}-{i}@example.org"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The invite form of `crash-crew` on `base`, sent with `list`.
pub(crate) async fn invite(
    c: reqwest::Client,
    base: String,
    list: String,
    role: String,
) -> reqwest::Result<reqwest::Response> {
    invite_at(c, base.clone(), base, list, role).await
}

/// The same, sent to the server at `base` of a site whose public address
/// (the Origin its pages come from) is `origin`: a balancer's. A form page
/// that does not load is answered as it came.
pub(crate) async fn invite_at(
    c: reqwest::Client,
    base: String,
    origin: String,
    list: String,
    role: String,
) -> reqwest::Result<reqwest::Response> {
    let page = c
        .get(format!("{base}/groups/crash-crew/invite"))
        .send()
        .await?;
    if page.status() != 200 {
        // No form to send: that answer is the outcome.
        return Ok(page);
    }
    let path = "/groups/crash-crew/invite";
    let f = crate::forms::posting_to(&page.text().await?, path, path).with(&[
        ("send_to", &list),
        ("role_id", &role),
        ("action", "send"),
    ]);
    c.post(format!("{base}{}", f.action))
        .header("Origin", origin)
        .form(f.fields())
        .send()
        .await
}

async fn a_bulk_invite_killed_mid_way_commits_all_or_nothing(b: Backend) {
    let site = Site::new(b);
    let pool = &site.pool;
    let mut server = site.serve(&[]).await;
    let (ada, role) = ada_with_a_group(&server.base).await;
    hook_everything(pool, "crash-crew");
    let send = |server: &Server, tag: &str| {
        invite(
            ada.clone(),
            server.base.clone(),
            addresses(tag, ENTRIES),
            role.clone(),
        )
    };

    // How long a whole list takes here, uninterrupted: the kills below fall
    // inside that time.
    let started = Instant::now();
    let r = send(&server, "whole").await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        written(pool, "whole"),
        (ENTRIES as i64, ENTRIES as i64, ENTRIES as i64)
    );
    eprintln!("crash ({b:?}): {ENTRIES} invitations in {took:?}");

    let mut outcomes = Vec::new();
    for (round, share) in [0.2, 0.5, 0.8].into_iter().enumerate() {
        let tag = format!("kill{round}");
        let request = send(&server, &tag);
        let answered;
        (server, answered) = killed_during(&site, server, took.mul_f64(share), request).await;
        let (n, events, mails) = written(pool, &tag);
        assert!(
            n == 0 || n == ENTRIES as i64,
            "killed at {share} of the list: {n} of {ENTRIES} invitations were left"
        );
        assert_eq!((events, mails), (n, n), "events and mails go with them");
        assert_eq!(hooked(pool, &tag), n, "and the webhook's deliveries");
        outcomes.push((n, answered));

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
            written(pool, &tag),
            (ENTRIES as i64, ENTRIES as i64, ENTRIES as i64)
        );
    }
    eprintln!("crash ({b:?}): (invitations left, answered) per kill: {outcomes:?}");
    server.kill();
}

/// Sends `request`, kills `server` with SIGKILL `after` that and starts it
/// again: the new server, and whether the request was answered.
async fn killed_during(
    site: &Site,
    server: Server,
    after: Duration,
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
) -> (Server, bool) {
    let request = tokio::spawn(request);
    tokio::time::sleep(after).await;
    server.kill();
    let answered = request.await.unwrap().is_ok();
    (site.serve(&[]).await, answered)
}

/// The mails of `smtp` to addresses tagged `tag`: (all, distinct
/// Message-IDs).
pub(crate) fn arrived(smtp: &SmtpServer, tag: &str) -> (usize, usize) {
    let prefix = format!("{tag}-");
    let mut ids: Vec<String> = smtp
        .messages()
        .iter()
        .filter(|m| header(m, "To").is_some_and(|to| to.starts_with(&prefix)))
        .filter_map(|m| header(m, "Message-ID").map(str::to_string))
        .collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    (all, ids.len())
}

/// Queued mails to addresses tagged `tag` that are not marked sent.
fn unsent(pool: &guildhall::db::DbPool, tag: &str) -> i64 {
    let mut c = pool.get().unwrap();
    outbox::table
        .filter(outbox::recipient.like(format!("{tag}-%@example.org")))
        .filter(outbox::status.ne(guildhall::models::outbox::Status::Sent))
        .count()
        .get_result(&mut c)
        .unwrap()
}

/// Mails the worker sends at once (`mail::worker`'s `PARALLEL_SENDS`): the
/// most a crash can leave delivered but not recorded.
const IN_FLIGHT: usize = 8;
const MAILS: usize = 300;

async fn the_mail_worker_killed_mid_batch_repeats_at_most_the_mails_in_flight(b: Backend) {
    let site = Site::new(b);
    let smtp_port = crate::mail::free_port();
    // 40 ms a mail, eight at once: the 300 take about 1.5 s.
    let smtp = SmtpServer::start_slow(smtp_port, site.tmp.path(), 40);
    let url = format!("smtp://127.0.0.1:{smtp_port}");
    let env = [("GUILDHALL_SMTP_URL", url.as_str())];
    let server = site.serve(&env).await;
    let (ada, role) = ada_with_a_group(&server.base).await;
    let r = invite(ada, server.base.clone(), addresses("mail", MAILS), role)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);

    // Killed in the middle of delivering, past its first batch of 50.
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived(&smtp, "mail").0 < 60 {
        assert!(Instant::now() < deadline, "no mail is being delivered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let at_kill = arrived(&smtp, "mail").0;

    let restarted = Instant::now();
    let server = site.serve(&env).await;
    let deadline = restarted + Duration::from_secs(90);
    while arrived(&smtp, "mail").1 < MAILS {
        assert!(
            Instant::now() < deadline,
            "{} of {MAILS} mails arrived in 90 s after the restart",
            arrived(&smtp, "mail").1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_in = restarted.elapsed();
    let total = settled(60, || arrived(&smtp, "mail").0).await;
    let twice = total - MAILS;
    eprintln!(
        "crash ({b:?}): mail worker killed after {at_kill} of {MAILS} mails; \
         all in {all_in:?} after the restart; {twice} sent twice"
    );
    assert!(
        all_in <= Duration::from_secs(30),
        "the rest took {all_in:?} after the restart"
    );
    assert!(
        twice <= IN_FLIGHT,
        "{twice} mails went out twice; at most the {IN_FLIGHT} in flight may"
    );
    assert!(
        eventually(10, || unsent(&site.pool, "mail") == 0).await,
        "every mail is marked sent"
    );
    server.kill();
}

async fn a_mail_server_outage_is_one_line_in_the_log_not_one_per_mail(b: Backend) {
    const N: usize = 40;
    let site = Site::new(b);
    let smtp_port = crate::mail::free_port();
    let url = format!("smtp://127.0.0.1:{smtp_port}");
    let env = [
        ("GUILDHALL_SMTP_URL", url.as_str()),
        ("GUILDHALL_MAIL_RETRY_BASE_MS", "200"),
    ];
    // Nothing listens on the mail server's port yet.
    let server = site.serve(&env).await;
    let (ada, role) = ada_with_a_group(&server.base).await;
    let r = invite(ada, server.base.clone(), addresses("down", N), role)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let tried_twice = || {
        let mut c = site.pool.get().unwrap();
        outbox::table
            .filter(outbox::recipient.like("down-%@example.org"))
            .filter(outbox::attempts.ge(2))
            .count()
            .get_result::<i64>(&mut c)
            .unwrap()
    };
    assert!(
        eventually(30, || tried_twice() == N as i64).await,
        "each mail tried twice while the server is down ({} of {N})",
        tried_twice()
    );
    let smtp = SmtpServer::start(smtp_port, site.tmp.path());
    assert!(
        eventually(60, || arrived(&smtp, "down").1 == N).await,
        "{} of {N} mails arrived once the server was up",
        arrived(&smtp, "down").1
    );
    server.kill();

    let log = std::fs::read_to_string(site.tmp.path().join("serve.log")).unwrap();
    let lines = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(
        lines("mail server unreachable"),
        1,
        "one line when it went down:\n{log}"
    );
    assert_eq!(
        lines("mail server reachable again"),
        1,
        "one when it came back:\n{log}"
    );
    assert_eq!(
        warnings.len(),
        1,
        "{} tries failed, and the log warns once: {warnings:#?}",
        2 * N
    );
}

/// Members of the list into each managed community.
const COMMUNITY_ENTRIES: usize = 150;
const COMMUNITIES: usize = 3;

/// `ada` makes the main community `crash-crew` with managed communities
/// `crash-m0`… and sends `list` into all of them at once.
async fn ada_with_managed_communities(base: &str) -> (reqwest::Client, String) {
    let (ada, role) = ada_with_a_group(base).await;
    for i in 0..COMMUNITIES {
        let r = submit(
            &ada,
            base,
            "/groups/crash-crew/communities/new",
            "/groups/crash-crew/communities",
            &[
                ("name", &format!("Managed {i}")),
                ("slug", &format!("crash-m{i}")),
                ("join_method", "invite_only"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 303, "managed community {i} is made");
    }
    (ada, role)
}

/// The invite form of `crash-crew` sent with `list` into every managed
/// community (ticked as a person would).
async fn invite_communities(
    c: reqwest::Client,
    base: String,
    list: String,
    role: String,
) -> reqwest::Result<reqwest::Response> {
    let path = "/groups/crash-crew/invite";
    let (_, page) = get(&c, &base, path).await;
    let mut f = crate::forms::posting_to(&page, path, path).with(&[
        ("send_to", &list),
        ("role_id", &role),
        ("scope", "chosen"),
        ("action", "send"),
    ]);
    for id in attrs(&page, "input[name=community]", "value") {
        f = f.add("community", &id);
    }
    send(&c, &base, &f).await
}

async fn a_community_invite_killed_mid_way_commits_all_or_nothing(b: Backend) {
    let site = Site::new(b);
    let pool = &site.pool;
    let mut server = site.serve(&[]).await;
    let (ada, role) = ada_with_managed_communities(&server.base).await;
    let send = |server: &Server, tag: &str| {
        invite_communities(
            ada.clone(),
            server.base.clone(),
            addresses(tag, COMMUNITY_ENTRIES),
            role.clone(),
        )
    };
    let whole = (COMMUNITY_ENTRIES * COMMUNITIES) as i64;
    // One invitation per address and community, one mail per address.
    let all = (whole, whole, COMMUNITY_ENTRIES as i64);

    let started = Instant::now();
    let r = send(&server, "cwhole").await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(written(pool, "cwhole"), all);
    eprintln!("crash ({b:?}): {whole} community invitations in {took:?}");

    let mut outcomes = Vec::new();
    for (round, share) in [0.3, 0.6, 0.9].into_iter().enumerate() {
        let tag = format!("ckill{round}");
        let request = send(&server, &tag);
        let answered;
        (server, answered) = killed_during(&site, server, took.mul_f64(share), request).await;
        let left = written(pool, &tag);
        assert!(
            left == (0, 0, 0) || left == all,
            "killed at {share} of the list: (invitations, events, mails) left {left:?} of {all:?}"
        );
        outcomes.push((left.0, answered));
        // Again: the rest goes out, nothing twice.
        let r = send(&server, &tag).await.unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(written(pool, &tag), all);
    }
    eprintln!("crash ({b:?}): (community invitations left, answered) per kill: {outcomes:?}");
    server.kill();
}

/// Groups the super user `sue` of the client account Crash Co administers,
/// each chosen for every contact she adds.
const WIZARD_GROUPS: usize = 30;
const ADDERS: usize = 3;

/// Crash Co with its super user `sue` and her client groups, written
/// before the server starts.
fn sue_with_groups(site: &Site) {
    use guildhall::services::company_accounts::{self, AccountInput};
    use guildhall::services::groups::{self, GroupInput};
    let now = guildhall::clock::Clock::default().now();
    let mut c = site.pool.get().unwrap();
    let ada = guildhall::models::user::find_by_username(&mut c, "ada")
        .unwrap()
        .unwrap()
        .id;
    let sue = insert_user(&mut c, "sue", PW, now);
    let spec = AccountInput {
        name: "Crash Co".into(),
        kind: "client".into(),
    }
    .parse()
    .ok()
    .unwrap();
    let account = company_accounts::create_account(&mut c, ada, &spec, now)
        .unwrap()
        .unwrap();
    company_accounts::attach_user(&mut c, ada, "sue", Some(account), now)
        .unwrap()
        .unwrap();
    company_accounts::set_super_user(&mut c, ada, "sue", true, now)
        .unwrap()
        .unwrap();
    for i in 0..WIZARD_GROUPS {
        let spec = GroupInput {
            name: format!("Crash Group {i}"),
            slug: format!("crash-group-{i}"),
            description: String::new(),
            join_method: "invite_only".into(),
            audience: "client".into(),
        }
        .parse()
        .ok()
        .unwrap();
        groups::create_group(&mut c, sue, &spec, now)
            .unwrap()
            .unwrap();
    }
}

const WIZARD: &str = "/account/users/new";

/// `sue` walks the Add user wizard for `email` through its three pages,
/// choosing every group offered, and presses **Add**.
async fn add_user(c: &reqwest::Client, base: &str, email: &str) -> reqwest::Result<u16> {
    use crate::forms::with_button;
    let page = c
        .get(format!("{base}{WIZARD}"))
        .send()
        .await?
        .text()
        .await?;
    let details = with_button(&page, WIZARD, "Next: groups")
        .fill("First name", "Crash")
        .fill("Last name", "Contact")
        .fill("E-mail", email);
    let page = send(c, base, &details).await?.text().await?;
    let mut groups = with_button(&page, WIZARD, "Next: overview");
    for id in attrs(&page, "input[name=group][type=checkbox]", "value") {
        groups = groups.add("group", &id);
    }
    let page = send(c, base, &groups).await?.text().await?;
    let add = with_button(&page, WIZARD, "Add");
    Ok(send(c, base, &add).await?.status().as_u16())
}

/// For the contact `email`: (contact rows, invitations, "sent" events,
/// queued mails, audit lines about them).
fn contact_rows(pool: &guildhall::db::DbPool, email: &str) -> [i64; 5] {
    use guildhall::db::schema::{audit_events, users};
    let mut c = pool.get().unwrap();
    let ids: Vec<i64> = users::table
        .filter(users::email_key.eq(email))
        .select(users::id)
        .load(&mut c)
        .unwrap();
    let invited = invitations::table.filter(invitations::invitee_email_key.eq(email));
    [
        ids.len() as i64,
        invited.count().get_result(&mut c).unwrap(),
        invitation_events::table
            .inner_join(invitations::table)
            .filter(invitations::invitee_email_key.eq(email))
            .filter(invitation_events::kind.eq("sent"))
            .count()
            .get_result(&mut c)
            .unwrap(),
        outbox::table
            .filter(outbox::recipient.eq(email))
            .count()
            .get_result(&mut c)
            .unwrap(),
        audit_events::table
            .filter(audit_events::subject_user_id.eq_any(&ids))
            .count()
            .get_result(&mut c)
            .unwrap(),
    ]
}

async fn the_add_user_wizard_killed_mid_add_leaves_whole_contacts_or_none(b: Backend) {
    let site = Site::new(b);
    sue_with_groups(&site);
    let mut server = site.serve(&[]).await;
    let g = WIZARD_GROUPS as i64;
    // Audit: the contact added, and each invitation sent.
    let whole = [1, g, g, 1, g + 1];
    let log_in = |base: String| async move {
        let sue = new_client();
        let r = submit(
            &sue,
            &base,
            "/login",
            "/login",
            &[("login", "sue"), ("password", PW)],
        )
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 303, "sue logs in");
        sue
    };

    let sue = log_in(server.base.clone()).await;
    let started = Instant::now();
    assert_eq!(
        add_user(&sue, &server.base, "wwhole-0@example.org")
            .await
            .unwrap(),
        303
    );
    let took = started.elapsed();
    assert_eq!(contact_rows(&site.pool, "wwhole-0@example.org"), whole);
    eprintln!("crash ({b:?}): one contact into {WIZARD_GROUPS} groups in {took:?}");

    // Three super user tabs add contacts one after another; the server is
    // killed while they do, at a different point each round.
    for (round, share) in [0.35, 0.6, 0.85].into_iter().enumerate() {
        let sue = log_in(server.base.clone()).await;
        let adders: Vec<_> = (0..ADDERS)
            .map(|a| {
                let (sue, base) = (sue.clone(), server.base.clone());
                tokio::spawn(async move {
                    let mut added = 0;
                    for i in 0.. {
                        let email = format!("w{round}-{a}-{i}@example.org");
                        match add_user(&sue, &base, &email).await {
                            Ok(303) => added += 1,
                            Ok(status) => panic!("Add answered {status} for {email}"),
                            Err(_) => return (added, i),
                        }
                    }
                    unreachable!()
                })
            })
            .collect();
        tokio::time::sleep(took.mul_f64(4.0 + share)).await;
        server.kill();
        let mut tried = Vec::new();
        for a in adders {
            tried.push(a.await.unwrap());
        }
        server = site.serve(&[]).await;
        for (a, &(_, last)) in tried.iter().enumerate() {
            // Those before the one in flight landed; that one did or not.
            for i in 0..=last {
                let email = format!("w{round}-{a}-{i}@example.org");
                let rows = contact_rows(&site.pool, &email);
                assert!(
                    rows == whole || (i == last && rows == [0; 5]),
                    "{email} after the kill: (contacts, invitations, events, mails, audit) = {rows:?}"
                );
            }
        }
        eprintln!("crash ({b:?}): round {round}: (added, in flight at kill) per tab {tried:?}");
        // A contact whose Add did not land is added again, whole.
        let sue = log_in(server.base.clone()).await;
        for (a, &(_, last)) in tried.iter().enumerate() {
            let email = format!("w{round}-{a}-{last}@example.org");
            if contact_rows(&site.pool, &email) == [0; 5] {
                assert_eq!(add_user(&sue, &server.base, &email).await.unwrap(), 303);
                assert_eq!(contact_rows(&site.pool, &email), whole);
            }
        }
    }
    server.kill();
}

/// (cancelled invitations, their "cancelled" events) for addresses tagged `tag`.
fn cancelled(pool: &guildhall::db::DbPool, tag: &str) -> (i64, i64) {
    let mut c = pool.get().unwrap();
    let pattern = format!("{tag}-%@example.org");
    let n = invitations::table
        .filter(invitations::invitee_email_key.like(&pattern))
        .filter(invitations::status.eq("cancelled"))
        .count()
        .get_result(&mut c)
        .unwrap();
    let events = invitation_events::table
        .inner_join(invitations::table)
        .filter(invitations::invitee_email_key.like(&pattern))
        .filter(invitation_events::kind.eq("cancelled"))
        .count()
        .get_result(&mut c)
        .unwrap();
    (n, events)
}

/// Saves crash-crew's allowed domains.
async fn allow_only(c: &reqwest::Client, base: &str, domains: &str) {
    let page = "/groups/crash-crew/policy";
    let r = submit(c, base, page, page, &[("allowed_domains", domains)])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the policy is saved");
}

/// "Cancel these N invitations" on crash-crew's policy page, confirmed.
async fn cancel_breaking(c: reqwest::Client, base: String) -> reqwest::Result<reqwest::Response> {
    let page = "/groups/crash-crew/policy";
    let action = "/groups/crash-crew/policy/cancel";
    let asks = submit(&c, &base, page, action, &[]).await?;
    let body = asks.text().await?;
    send(&c, &base, &crate::forms::posting_to(&body, action, action)).await
}

async fn cancelling_what_a_policy_refuses_killed_mid_way_commits_all_or_nothing(b: Backend) {
    let site = Site::new(b);
    let pool = &site.pool;
    let mut server = site.serve(&[]).await;
    let (ada, role) = ada_with_a_group(&server.base).await;
    // ENTRIES invitations to example.org, then a rule that refuses them.
    let invite_then_forbid = |base: String, tag: String| {
        let (ada, role) = (ada.clone(), role.clone());
        async move {
            allow_only(&ada, &base, "").await;
            let r = invite(ada.clone(), base.clone(), addresses(&tag, ENTRIES), role)
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 303);
            allow_only(&ada, &base, "example.com").await;
        }
    };
    invite_then_forbid(server.base.clone(), "whole".into()).await;
    let started = Instant::now();
    let r = cancel_breaking(ada.clone(), server.base.clone())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(cancelled(pool, "whole"), (ENTRIES as i64, ENTRIES as i64));
    eprintln!("crash ({b:?}): {ENTRIES} cancelled in {took:?}");

    let mut outcomes = Vec::new();
    for (round, share) in [0.3, 0.6, 0.9].into_iter().enumerate() {
        let tag = format!("cancel{round}");
        invite_then_forbid(server.base.clone(), tag.clone()).await;
        let request = cancel_breaking(ada.clone(), server.base.clone());
        let answered;
        (server, answered) = killed_during(&site, server, took.mul_f64(share), request).await;
        let (n, events) = cancelled(pool, &tag);
        assert!(
            n == 0 || n == ENTRIES as i64,
            "killed at {share}: {n} of {ENTRIES} were cancelled"
        );
        assert_eq!(events, n, "each cancelled one has its history line");
        outcomes.push((n, answered));
        // Pressed again (when the kill came first): all are cancelled,
        // nothing twice.
        if n == 0 {
            let r = cancel_breaking(ada.clone(), server.base.clone())
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 303);
        }
        assert_eq!(cancelled(pool, &tag), (ENTRIES as i64, ENTRIES as i64));
    }
    eprintln!("crash ({b:?}): (cancelled, answered) per kill: {outcomes:?}");
    server.kill();
}

/// (rows done, state) of the one CSV import.
fn import_progress(pool: &guildhall::db::DbPool) -> Option<(i32, String)> {
    use guildhall::db::schema::csv_imports;
    let mut c = pool.get().unwrap();
    csv_imports::table
        .select((csv_imports::rows_done, csv_imports::state))
        .first(&mut c)
        .optional()
        .unwrap()
}

async fn a_csv_send_killed_mid_way_sends_every_row_once_after_a_restart(b: Backend) {
    const ROWS: i64 = 5000;
    let site = Site::new(b);
    let pool = &site.pool;
    // The reminder rounds (which take over abandoned imports) every second.
    let env = [("GUILDHALL_REMINDER_POLL_SECONDS", "1")];
    let server = site.serve(&env).await;
    let (ada, _) = ada_with_a_group(&server.base).await;
    let file = format!("email\n{}\n", addresses("csv", ROWS as usize));
    let (_, page) = server.get(&ada, "/groups/crash-crew/invite/csv").await;
    let r = ada
        .post(format!("{}/groups/crash-crew/invite/csv", server.base))
        .header("Origin", &server.base)
        .header(
            "Content-Type",
            format!(
                "multipart/form-data; boundary={}",
                crate::csv_invites::BOUNDARY
            ),
        )
        .body(crate::csv_invites::multipart(
            Some(&csrf_from(&page)),
            "crash.csv",
            file.as_bytes(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let at = r.headers()["location"].to_str().unwrap().to_string();
    let r = submit(&ada, &server.base, &at, &format!("{at}/send"), &[])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    // Killed half-way through a chunk, some chunks in: the time one
    // chunk of 100 rows takes is measured from the progress first.
    let deadline = Instant::now() + Duration::from_secs(120);
    let reached = |at: i32| async move {
        while import_progress(pool).is_none_or(|(done, _)| done < at) {
            assert!(Instant::now() < deadline, "sending never reached {at}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Instant::now()
    };
    let t300 = reached(300).await;
    let t500 = reached(500).await;
    tokio::time::sleep((t500 - t300) / 4).await;
    server.kill();
    let (done, state) = import_progress(pool).unwrap();
    assert_eq!(
        state, "sending",
        "killed before the last chunk ({done} done)"
    );
    assert!(done < ROWS as i32);
    // What was committed is whole: as many invitations, events and mails
    // as rows done, each row's outcome with them.
    assert_eq!(
        written(pool, "csv"),
        (done as i64, done as i64, done as i64)
    );
    let outcomes = |code: &str| -> i64 {
        use guildhall::db::schema::csv_import_rows;
        let mut c = pool.get().unwrap();
        csv_import_rows::table
            .filter(csv_import_rows::outcome.eq(code))
            .count()
            .get_result(&mut c)
            .unwrap()
    };
    assert_eq!(outcomes("invited_by_email"), done as i64);
    // Restarted: the import is taken over once its lease runs out, and
    // finished, every row once.
    let server = site.serve(&env).await;
    let restarted = Instant::now();
    let deadline = restarted + Duration::from_secs(120);
    while import_progress(pool).is_none_or(|(_, state)| state != "sent") {
        assert!(
            Instant::now() < deadline,
            "never finished: {:?}",
            import_progress(pool)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "crash ({b:?}): CSV killed at {done} of {ROWS} rows; finished {:?} after the restart",
        restarted.elapsed()
    );
    assert_eq!(import_progress(pool).unwrap().0, ROWS as i32);
    assert_eq!(written(pool, "csv"), (ROWS, ROWS, ROWS));
    assert_eq!(outcomes("invited_by_email"), ROWS);
    let (_, page) = server.get(&ada, &at).await;
    assert!(page.contains("5000 of 5000 rows invited"), "{page}");
    server.kill();
}

/// The webhook worker's lease on a claimed delivery.
const HOOK_LEASE: Duration = Duration::from_secs(20);

async fn a_webhook_post_killed_mid_way_is_posted_again_and_the_rest_once(b: Backend) {
    let site = Site::new(b);
    let rx = crate::webhooks::Receiver::start().await;
    // The first post is held past the kill.
    rx.take(10_000);
    let env = [("GUILDHALL_WEBHOOK_ALLOW_PRIVATE", "true")];
    let server = site.serve(&env).await;
    let (ada, role) = ada_with_a_group(&server.base).await;
    add_hook(&site.pool, "crash-crew", &rx.url);
    let r = invite(ada, server.base.clone(), addresses("hook", 3), role)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        eventually(20, || rx.begun() >= 1).await,
        "no delivery was posted"
    );
    server.kill();
    rx.take(0);

    let restarted = Instant::now();
    let server = site.serve(&env).await;
    // Within 30 s of the restart, as for mail.
    let deadline = restarted + HOOK_LEASE + Duration::from_secs(10);
    while deliveries(&site.pool).1 < 3 {
        assert!(
            Instant::now() < deadline,
            "{} of 3 deliveries delivered {:?} after the restart",
            deliveries(&site.pool).1,
            restarted.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_in = restarted.elapsed();
    let (keys, _) = deliveries(&site.pool);
    // Whatever the receiver was still answering at the kill is in by now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got: Vec<String> = rx.all().into_iter().map(|r| r.delivery).collect();
    eprintln!(
        "crash ({b:?}): webhook worker killed mid-post; all delivered {all_in:?} after the restart; \
         the receiver got {} posts for 3 deliveries",
        got.len()
    );
    // Each delivery, in order; only the one in flight at the kill may come twice.
    let mut once = got.clone();
    once.dedup();
    assert_eq!(once, keys, "posts out of order or missing: {got:?}");
    assert!(
        got.len() <= 4,
        "more than the one in flight came twice: {got:?}"
    );
    for k in &keys[1..] {
        assert_eq!(got.iter().filter(|g| *g == k).count(), 1, "{got:?}");
    }
    server.kill();
}
