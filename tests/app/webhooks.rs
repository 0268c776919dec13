//! Webhooks from outside: a real HTTP receiver (an actix server on a port
//! of its own) gets each event once, in order, signed; a receiver that is
//! down gets everything when it returns; two workers racing deliver each
//! event once; hooks to private addresses are refused without the
//! setting; only community managers reach the pages.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{invitation_events, invitations, webhook_deliveries as d, webhooks};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

backend_tests!(
    each_event_arrives_once_in_order_and_signed,
    a_receiver_that_was_down_gets_every_event_in_order,
    a_managed_communitys_events_reach_the_hook_above,
    test_event_redeliver_and_the_deliveries_log,
    two_workers_at_once_deliver_each_event_once,
    a_slow_receiver_holds_up_only_its_own_hook,
    private_addresses_are_refused_without_the_setting,
    only_community_managers_reach_webhooks,
    an_invitation_that_runs_out_is_expired_and_told,
);

const PW: &str = "correct horse battery";
const SECRET: &str = "a-shared-secret-of-some-length";

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: serde_json::Value,
    pub raw: String,
}

/// The invitees' usernames of `got`'s invitation events, in order.
fn invitees(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| {
            r.body["invitation"]["username"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A test receiver: records every POST and answers with `answer`.
pub(crate) struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU16>,
    /// How long it takes to answer, in ms.
    delay_ms: Arc<AtomicU64>,
    /// POSTs begun (a request is in `got` only once answered).
    begun: Arc<AtomicUsize>,
    pub server: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn on(listener: std::net::TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let got: Arc<Mutex<Vec<Received>>> = Default::default();
        let answer = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let begun = Arc::new(AtomicUsize::new(0));
        let (g, a, w, n) = (got.clone(), answer.clone(), delay_ms.clone(), begun.clone());
        let server = actix_web::HttpServer::new(move || {
            let (g, a, w, n) = (g.clone(), a.clone(), w.clone(), n.clone());
            actix_web::App::new().default_service(actix_web::web::to(
                move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                    let (g, a, w) = (g.clone(), a.clone(), w.clone());
                    n.fetch_add(1, Ordering::SeqCst);
                    async move {
                        let wait = w.load(Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                        let h = |n: &str| {
                            req.headers()
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string()
                        };
                        let raw = String::from_utf8_lossy(&body).to_string();
                        g.lock().unwrap().push(Received {
                            event: h("X-Guildhall-Event"),
                            delivery: h("X-Guildhall-Delivery"),
                            signature: h("X-Guildhall-Signature"),
                            body: serde_json::from_str(&raw).unwrap_or_default(),
                            raw,
                        });
                        let code = actix_web::http::StatusCode::from_u16(a.load(Ordering::SeqCst))
                            .unwrap();
                        actix_web::HttpResponse::build(code).body("ok")
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            answer,
            delay_ms,
            begun,
            server: handle,
        }
    }

    pub async fn start() -> Self {
        Self::on(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).await
    }

    /// Takes `ms` to answer from now on.
    pub fn take(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn begun(&self) -> usize {
        self.begun.load(Ordering::SeqCst)
    }

    fn events(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.event.clone())
            .collect()
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        assert!(
            eventually(20, || self.got.lock().unwrap().len() >= n).await,
            "the receiver got {:?}, waiting for {n}",
            self.events()
        );
        self.all()
    }
}

/// Checks `X-Guildhall-Signature` as a receiver would, with its own HMAC.
pub(crate) fn signed_with(r: &Received, secret: &str) -> bool {
    let Some((t, v1)) = r
        .signature
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", r.raw).as_bytes());
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    want == v1
}

/// alice manages the invite-only group `crew`; bob and carol are users.
async fn world(app: &TestApp) -> (reqwest::Client, reqwest::Client, i64, reqwest::Client) {
    let (_, alice) = app.logged_in("alice", PW).await;
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    let (_, carol) = app.logged_in("carol", PW).await;
    let p = app.new_group(&alice, "Crew", "crew", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    (alice, bob, bob_id, carol)
}

/// Adds a hook to `slug` through its form (every event, as the form
/// offers); returns the page the form answered.
async fn add_hook(app: &TestApp, c: &reqwest::Client, slug: &str, url: &str) -> Page {
    let path = format!("/groups/{slug}/webhooks");
    app.submit_with(c, &path, &path, &[("url", url), ("secret", SECRET)])
        .await
}

async fn invite(app: &TestApp, c: &reqwest::Client, slug: &str, to: &str) -> Page {
    let member = app.builtin_role("GroupMember").to_string();
    let p = app
        .send_invite(
            c,
            slug,
            &[
                ("send_to", to),
                ("role_id", &member),
                ("message", ""),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    p
}

fn invitation_of(app: &TestApp, user: &str) -> i64 {
    let user_id = app.user_by_username(user).id;
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(user_id))
            .order(invitations::id.desc())
            .select(invitations::id)
            .first(c)
            .unwrap()
    })
}

fn delivery_states(app: &TestApp) -> Vec<(String, String, i32)> {
    app.db(|c| {
        d::table
            .order(d::id)
            .select((d::event, d::state, d::attempts))
            .load(c)
            .unwrap()
    })
}

async fn each_event_arrives_once_in_order_and_signed(b: Backend) {
    let app = spawn_app(b).await;
    let rx = Receiver::start().await;
    let (alice, bob, bob_id, carol) = world(&app).await;
    let made = add_hook(&app, &alice, "crew", &rx.url).await;
    assert_eq!(made.status, 303, "{}", made.body);
    // The secret typed is the one shown, once.
    let shown = app.get_with(&alice, "/groups/crew/webhooks").await;
    assert_eq!(attrs(&shown.body, "#made-secret", "value"), vec![SECRET]);
    let again = app.get_with(&alice, "/groups/crew/webhooks").await;
    assert!(attrs(&again.body, "#made-secret", "value").is_empty());

    invite(&app, &alice, "crew", "bob").await;
    let id = invitation_of(&app, "bob");
    assert_eq!(
        press(&app, &bob, &format!("/invitations/{id}/accept"))
            .await
            .status,
        303
    );
    invite(&app, &alice, "crew", "carol").await;
    let carol_inv = invitation_of(&app, "carol");
    assert_eq!(
        press(&app, &carol, &format!("/invitations/{carol_inv}/decline"))
            .await
            .status,
        303
    );
    let removed = app
        .confirm_with(
            &alice,
            "/groups/crew/members",
            &format!("/groups/crew/members/{bob_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    invite(&app, &alice, "crew", "bob").await;
    let again_id = invitation_of(&app, "bob");
    let cancel = format!("/groups/crew/invitations/{again_id}/cancel");
    assert_eq!(press(&app, &alice, &cancel).await.status, 303);

    let want = [
        "invitation.created",
        "invitation.accepted",
        "membership.added",
        "invitation.created",
        "invitation.declined",
        "membership.removed",
        "invitation.created",
        "invitation.cancelled",
    ];
    let got = rx.wait_for(want.len()).await;
    // Nothing more comes (no event twice).
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(rx.events(), want);
    for r in &got {
        assert!(signed_with(r, SECRET), "bad signature on {}", r.event);
        assert!(!signed_with(r, "another secret"));
        assert_eq!(r.body["event"], r.event.as_str());
        assert_eq!(r.body["community"]["slug"], "crew");
    }
    let keys: std::collections::HashSet<_> = got.iter().map(|r| r.delivery.clone()).collect();
    assert_eq!(keys.len(), got.len(), "each delivery has its own key");
    assert_eq!(got[0].body["invitation"]["username"], "bob");
    assert_eq!(got[0].body["invitation"]["role"], "GroupMember");
    assert_eq!(got[0].body["invitation"]["invited_by"], "alice");
    assert_eq!(got[1].body["invitation"]["status"], "accepted");
    assert_eq!(got[2].body["member"]["username"], "bob");
    assert_eq!(got[5].body["actor"]["username"], "alice");
    assert_eq!(got[7].body["invitation"]["id"], again_id);
    // The log says each was delivered on its first attempt.
    assert!(
        eventually(5, || delivery_states(&app)
            .iter()
            .all(|(_, s, a)| s == "delivered" && *a == 1))
        .await,
        "{:?}",
        delivery_states(&app)
    );
    rx.server.stop(false).await;
}

async fn a_receiver_that_was_down_gets_every_event_in_order(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, _, _, _) = world(&app).await;
    // A port with nobody listening: the receiver is down.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    assert_eq!(add_hook(&app, &alice, "crew", &url).await.status, 303);
    invite(&app, &alice, "crew", "bob, carol").await;
    let (_, dave) = app.logged_in("dave", PW).await;
    drop(dave);
    invite(&app, &alice, "crew", "dave").await;
    // The first is retried; the others wait behind it, untried.
    assert!(
        eventually(10, || delivery_states(&app)
            .first()
            .is_some_and(|(_, _, a)| *a >= 3))
        .await
    );
    let states = delivery_states(&app);
    assert_eq!(states.len(), 3, "{states:?}");
    assert!(
        states[1..]
            .iter()
            .all(|(_, s, a)| s == "pending" && *a == 0)
    );
    let page = app.get_with(&alice, "/groups/crew/webhooks").await;
    assert!(page.main_text().contains("pending"), "{}", page.main_text());
    // It comes back on the same port: everything arrives, in order, once.
    let rx = Receiver::on(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap()).await;
    let got = rx.wait_for(3).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(rx.all().len(), 3);
    assert_eq!(invitees(&got), vec!["bob", "carol", "dave"]);
    assert!(got.iter().all(|r| signed_with(r, SECRET)));
    assert!(
        eventually(5, || delivery_states(&app)
            .iter()
            .all(|(_, s, _)| s == "delivered"))
        .await
    );
    rx.server.stop(false).await;
}

async fn a_managed_communitys_events_reach_the_hook_above(b: Backend) {
    let app = spawn_app(b).await;
    let rx = Receiver::start().await;
    let (alice, _, bob_id, _) = world(&app).await;
    for (name, slug) in [("Managed One", "m1"), ("Managed Two", "m2")] {
        let p = crate::communities::create_managed(&app, &alice, "crew", name, slug).await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    // The hook is on the main community; a second hook on m2 only.
    assert_eq!(add_hook(&app, &alice, "crew", &rx.url).await.status, 303);
    let rx2 = Receiver::start().await;
    assert_eq!(add_hook(&app, &alice, "m2", &rx2.url).await.status, 303);
    // One press invites bob to both managed communities at once.
    let member = app.builtin_role("GroupMember").to_string();
    let (m1, m2) = (
        app.group_id("m1").to_string(),
        app.group_id("m2").to_string(),
    );
    let p = app
        .send_invite(
            &alice,
            "crew",
            &[
                ("send_to", "bob"),
                ("role_id", &member),
                ("scope", "chosen"),
                ("community", &m1),
                ("community", &m2),
                ("message", ""),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let got = rx.wait_for(2).await;
    let slugs: Vec<_> = got
        .iter()
        .map(|r| r.body["community"]["slug"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(slugs, vec!["m1", "m2"]);
    assert!(
        got.iter()
            .all(|r| r.event == "invitation.created" && r.body["invitation"]["user_id"] == bob_id)
    );
    let got2 = rx2.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(rx2.all().len(), 1, "m2's own hook hears only m2");
    assert_eq!(got2[0].body["community"]["slug"], "m2");
    rx.server.stop(false).await;
    rx2.server.stop(false).await;
}

fn hook_id(app: &TestApp) -> i64 {
    app.db(|c| {
        webhooks::table
            .order(webhooks::id.desc())
            .select(webhooks::id)
            .first(c)
            .unwrap()
    })
}

/// Presses "Send test event" on the hook's page at `path`.
async fn send_test_event(app: &TestApp, c: &reqwest::Client, path: &str) {
    let p = app.submit_with(c, path, &format!("{path}/test"), &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
}

async fn test_event_redeliver_and_the_deliveries_log(b: Backend) {
    let app = spawn_app(b).await;
    let rx = Receiver::start().await;
    let (alice, _, _, _) = world(&app).await;
    assert_eq!(add_hook(&app, &alice, "crew", &rx.url).await.status, 303);
    let id = hook_id(&app);
    let path = format!("/groups/crew/webhooks/{id}");
    send_test_event(&app, &alice, &path).await;
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].event, "ping");
    assert!(signed_with(&got[0], SECRET));
    assert!(eventually(5, || delivery_states(&app)[0].1 == "delivered").await);
    let page = app.get_with(&alice, &path).await;
    let row = texts(&page.body, "table.deliveries tbody tr");
    assert_eq!(row.len(), 1);
    assert!(
        row[0].contains("delivered") && row[0].contains("HTTP 200"),
        "{row:?}"
    );
    // Redeliver: the same payload and key again.
    let delivery: i64 = app.db(|c| d::table.select(d::id).first(c).unwrap());
    let again = format!("{path}/deliveries/{delivery}/redeliver");
    assert_eq!(
        app.submit_with(&alice, &path, &again, &[]).await.status,
        303
    );
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].delivery, got[0].delivery);
    assert_eq!(got[1].raw, got[0].raw);
    // A receiver that refuses the request (a 4xx) is logged, not retried.
    rx.answer.store(404, Ordering::SeqCst);
    send_test_event(&app, &alice, &path).await;
    assert!(
        eventually(10, || delivery_states(&app).len() == 3
            && delivery_states(&app)[2].1 == "failed")
        .await
    );
    assert_eq!(delivery_states(&app)[2].2, 1, "one attempt");
    let page = app.get_with(&alice, &path).await;
    let rows = texts(&page.body, "table.deliveries tbody tr");
    assert!(rows[0].contains("The receiver answered 404"), "{rows:?}");
    // A redirect is not followed (nor retried).
    rx.answer.store(302, Ordering::SeqCst);
    let before = rx.all().len();
    send_test_event(&app, &alice, &path).await;
    assert!(
        eventually(10, || delivery_states(&app).len() == 4
            && delivery_states(&app)[3].1 == "failed")
        .await
    );
    let error: Option<String> = app.db(|c| {
        d::table
            .select(d::error)
            .order(d::id.desc())
            .first(c)
            .unwrap()
    });
    assert!(
        error
            .as_deref()
            .unwrap_or_default()
            .contains("not followed"),
        "{error:?}"
    );
    assert_eq!(rx.all().len(), before + 1, "one request, nothing followed");
    // A receiver that answers 500 is logged with its answer and retried.
    rx.answer.store(500, Ordering::SeqCst);
    send_test_event(&app, &alice, &path).await;
    assert!(eventually(10, || delivery_states(&app).last().unwrap().2 >= 2).await);
    let page = app.get_with(&alice, &path).await;
    let rows = texts(&page.body, "table.deliveries tbody tr");
    assert!(
        rows[0].contains("pending") && rows[0].contains("The receiver answered 500"),
        "{rows:?}"
    );
    // A pending delivery is not copied by a forged "Redeliver".
    let pending: i64 = app.db(|c| d::table.select(d::id).order(d::id.desc()).first(c).unwrap());
    let p = forged_post(
        &app,
        &alice,
        &format!("{path}/deliveries/{pending}/redeliver"),
    )
    .await;
    assert_eq!(p.status, 404);
    assert_eq!(delivery_states(&app).len(), 5);
    // A delivery of another hook is not redelivered through this one.
    let other = Receiver::start().await;
    assert_eq!(add_hook(&app, &alice, "crew", &other.url).await.status, 303);
    let other_id = hook_id(&app);
    let p = forged_post(
        &app,
        &alice,
        &format!("/groups/crew/webhooks/{other_id}/deliveries/{delivery}/redeliver"),
    )
    .await;
    assert_eq!(p.status, 404);
    // Delete asks first, then the hook and its log go.
    let del = format!("{path}/delete");
    let asked = app.submit_with(&alice, &path, &del, &[]).await;
    assert_eq!(asked.status, 200);
    assert_eq!(app.count("webhooks"), 2);
    assert_eq!(app.submit_in(&alice, &asked, &del, &[]).await.status, 303);
    assert_eq!(app.count("webhooks"), 1);
    let left: i64 = app.db(|c| {
        d::table
            .filter(d::hook_id.eq(id))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(left, 0);
    assert_eq!(app.get_with(&alice, &path).await.status, 404);
    rx.server.stop(false).await;
    other.server.stop(false).await;
}

async fn two_workers_at_once_deliver_each_event_once(b: Backend) {
    // No worker of the app's own: two made here race for the same rows.
    let app = spawn_app_with(b, |c| c.run_mail_worker = false).await;
    let rx = Receiver::start().await;
    let (alice, _, _, _) = world(&app).await;
    assert_eq!(add_hook(&app, &alice, "crew", &rx.url).await.status, 303);
    let rx2 = Receiver::start().await;
    assert_eq!(add_hook(&app, &alice, "crew", &rx2.url).await.status, 303);
    let names: Vec<String> = (0..5).map(|i| format!("user{i}")).collect();
    for n in &names {
        app.create_user(n, PW);
    }
    invite(&app, &alice, "crew", &names.join(", ")).await;
    assert_eq!(delivery_states(&app).len(), 10);
    let worker = || {
        guildhall::webhooks::WebhookWorker::new(
            app.writer().clone(),
            app.clock.clone(),
            true,
            std::time::Duration::from_millis(50),
            5,
            std::time::Duration::from_millis(50),
        )
        .unwrap()
    };
    let (w1, w2) = (worker(), worker());
    for _ in 0..10 {
        let (a, b2) = tokio::join!(w1.round(), w2.round());
        a.unwrap();
        b2.unwrap();
    }
    let (got, got2) = (rx.wait_for(5).await, rx2.wait_for(5).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rx.all().len(), 5);
    assert_eq!(rx2.all().len(), 5);
    for g in [got, got2] {
        assert_eq!(invitees(&g), names);
    }
    rx.server.stop(false).await;
    rx2.server.stop(false).await;
}

async fn a_slow_receiver_holds_up_only_its_own_hook(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, _, _, _) = world(&app).await;
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.delay_ms.store(2000, Ordering::SeqCst);
    assert_eq!(add_hook(&app, &alice, "crew", &slow.url).await.status, 303);
    assert_eq!(add_hook(&app, &alice, "crew", &fast.url).await.status, 303);
    let names: Vec<String> = (0..3).map(|i| format!("user{i}")).collect();
    for n in &names {
        app.create_user(n, PW);
    }
    invite(&app, &alice, "crew", &names.join(", ")).await;
    // The fast hook has all three while the slow one is on its first.
    fast.wait_for(3).await;
    assert!(slow.all().len() <= 1, "{:?}", slow.events());
    // The slow one gets all three too, in order.
    slow.delay_ms.store(0, Ordering::SeqCst);
    let got = slow.wait_for(3).await;
    assert_eq!(invitees(&got), names);
    slow.server.stop(false).await;
    fast.server.stop(false).await;
}

async fn private_addresses_are_refused_without_the_setting(b: Backend) {
    let app = spawn_app_with(b, |c| c.webhook_allow_private = false).await;
    let (alice, _, _, _) = world(&app).await;
    for (url, says) in [
        (
            "http://127.0.0.1:9/hook",
            "127.0.0.1 is not a public address",
        ),
        ("http://localhost:9/hook", "not a public address"),
        ("http://169.254.169.254/latest", "not a public address"),
        ("http://[::1]:9/", "not a public address"),
        ("http://10.0.0.1/", "not a public address"),
        ("file:///etc/passwd", "Enter a URL starting with https://"),
        ("javascript:alert(1)", "Enter a URL starting with https://"),
        ("", "Enter the URL"),
    ] {
        let p = add_hook(&app, &alice, "crew", url).await;
        assert_eq!(p.status, 422, "{url}");
        assert!(p.main_text().contains(says), "{url}: {}", p.main_text());
    }
    let huge = format!("https://example.com/{}", "a".repeat(5000));
    let p = add_hook(&app, &alice, "crew", &huge).await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains("at most 2000 characters"));
    let path = "/groups/crew/webhooks";
    let p = app
        .submit_with(
            &alice,
            path,
            path,
            &[("url", "http://127.0.0.1:9/"), ("secret", "short")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text()
            .contains("Enter a secret of 16 to 200 characters")
    );
    let p = app
        .forge_with(
            &alice,
            path,
            path,
            &[("url", "https://93.184.216.34/"), ("event", "user.deleted")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains("Choose among the events listed"));
    assert_eq!(app.count("webhooks"), 0);

    // A hook made while private addresses were allowed (an IP literal, for
    // which no resolver runs) is refused when each delivery is sent.
    let rx = Receiver::start().await;
    let group = app.group_id("crew");
    app.db(|c| {
        diesel::insert_into(webhooks::table)
            .values((
                webhooks::group_id.eq(group),
                webhooks::url.eq(&rx.url),
                webhooks::secret.eq(SECRET),
                webhooks::events.eq("invitation.created"),
                webhooks::created_at.eq(app.clock.now()),
            ))
            .execute(c)
            .unwrap()
    });
    invite(&app, &alice, "crew", "bob").await;
    assert!(
        eventually(10, || delivery_states(&app)
            .first()
            .is_some_and(|(_, s, _)| s == "failed"))
        .await,
        "{:?}",
        delivery_states(&app)
    );
    let error: Option<String> = app.db(|c| d::table.select(d::error).first(c).unwrap());
    assert!(
        error
            .as_deref()
            .unwrap_or_default()
            .contains("not a public address"),
        "{error:?}"
    );
    assert!(rx.all().is_empty(), "nothing reached the private address");
    rx.server.stop(false).await;
}

async fn only_community_managers_reach_webhooks(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, bob, bob_id, carol) = world(&app).await;
    app.add_member("crew", bob_id, app.builtin_role("GroupMember"));
    let rx = Receiver::start().await;
    assert_eq!(add_hook(&app, &alice, "crew", &rx.url).await.status, 303);
    let id = hook_id(&app);
    // A member: forbidden; someone the group is hidden from: not found.
    for (c, want) in [(&bob, 403), (&carol, 404)] {
        for path in [
            "/groups/crew/webhooks".to_string(),
            format!("/groups/crew/webhooks/{id}"),
        ] {
            assert_eq!(app.get_with(c, &path).await.status, want, "{path}");
        }
        for action in [
            "/groups/crew/webhooks".to_string(),
            format!("/groups/crew/webhooks/{id}/test"),
            format!("/groups/crew/webhooks/{id}/delete"),
        ] {
            let p = app
                .forge_with(
                    c,
                    "/",
                    &action,
                    &[("url", "https://93.184.216.34/"), ("confirmed", "1")],
                )
                .await;
            assert_eq!(p.status, want, "{action}");
        }
    }
    // A hook id of another community through this one: not found.
    let p = app.new_group(&alice, "Other", "other", "invite_only").await;
    assert_eq!(p.status, 303);
    assert_eq!(
        app.get_with(&alice, &format!("/groups/other/webhooks/{id}"))
            .await
            .status,
        404
    );
    // Without the CSRF token: refused.
    let p = app
        .post_with(
            &alice,
            "/groups/crew/webhooks",
            &[("url", "https://93.184.216.34/")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("webhooks"), 1);
    assert_eq!(app.count("webhook_deliveries"), 0);
    rx.server.stop(false).await;
}

async fn an_invitation_that_runs_out_is_expired_and_told(b: Backend) {
    let app = spawn_app(b).await;
    let rx = Receiver::start().await;
    let (alice, _, _, _) = world(&app).await;
    assert_eq!(add_hook(&app, &alice, "crew", &rx.url).await.status, 303);
    invite(&app, &alice, "crew", "bob").await;
    let id = invitation_of(&app, "bob");
    rx.wait_for(1).await;
    app.clock.advance(time::Duration::days(8));
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].event, "invitation.expired");
    assert_eq!(got[1].body["invitation"]["id"], id);
    assert_eq!(got[1].body["invitation"]["status"], "expired");
    // Its history says so, once, however many sweeps ran since.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.state.app.expire_invitations().await.unwrap();
    let history: Vec<String> = app.db(|c| {
        invitation_events::table
            .filter(invitation_events::invitation_id.eq(id))
            .order(invitation_events::id)
            .select(invitation_events::kind)
            .load(c)
            .unwrap()
    });
    assert_eq!(history, vec!["sent", "expired"]);
    // "Extend 7 days" still works on it; when the new date passes, that
    // expiry is told too.
    let detail = format!("/groups/crew/invitations/{id}");
    app.login_with(&alice, "alice", PW).await;
    let p = app
        .submit_with(&alice, &detail, &format!("{detail}/extend"), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    app.clock.advance(time::Duration::days(8));
    let got = rx.wait_for(3).await;
    assert_eq!(got[2].event, "invitation.expired");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(rx.all().len(), 3, "each expiry told once");
    rx.server.stop(false).await;
}
