//! Sessions that end (issue 22): server-side session records, log-out on
//! every server, "Where you're logged in" with **Log out** per session and
//! **Log out everywhere else**, the idle and absolute limits.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::sessions;
use reqwest::cookie::{CookieStore, Jar};
use std::sync::Arc;

backend_tests!(
    a_copied_cookie_stops_working_after_logout_on_every_server,
    log_out_everywhere_else_ends_the_other_sessions,
    log_out_of_one_session_ends_only_that_one,
    a_session_of_another_user_cannot_be_ended,
    sessions_end_when_idle_or_too_old_and_are_seen_once_a_minute,
    log_in_stores_only_a_hash_of_the_key,
    a_copied_cookie_stops_working_once_the_login_is_turned_off,
);

const PW: &str = "correct horse battery staple";
const FIREFOX_ON_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_ON_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

/// A cookie-keeping client that says it is `user_agent`, and its jar (to copy
/// its cookies as an attacker would).
fn client_as(user_agent: &str) -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let client = client_builder()
        .cookie_provider(jar.clone())
        .user_agent(user_agent)
        .build()
        .unwrap();
    (client, jar)
}

/// The `Cookie` header `jar` sends to `app`.
fn copy_cookie(app: &TestApp, jar: &Jar) -> String {
    jar.cookies(&app.url("/").parse().unwrap())
        .expect("the client has a session cookie")
        .to_str()
        .unwrap()
        .to_string()
}

/// Another machine replaying a copied `Cookie` header (no jar of its own).
async fn replay_get(app: &TestApp, cookie: &str, path: &str) -> Page {
    let r = new_client()
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    page_of(r).await
}

async fn replay_post(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> Page {
    let r = new_client()
        .post(app.url(path))
        .header("Cookie", cookie)
        .header("Origin", &app.address)
        .form(form)
        .send()
        .await
        .unwrap();
    page_of(r).await
}

async fn page_of(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    Page {
        status,
        location,
        body: r.text().await.unwrap_or_default(),
    }
}

/// `(id, user_id, ended)` of every session row, by id.
fn session_rows(app: &TestApp) -> Vec<(i64, i64, bool)> {
    app.db(|c| {
        sessions::table
            .order(sessions::id)
            .select((
                sessions::id,
                sessions::user_id,
                sessions::ended_at.is_not_null(),
            ))
            .load(c)
            .unwrap()
    })
}

fn last_seen(app: &TestApp, id: i64) -> time::PrimitiveDateTime {
    app.db(|c| {
        sessions::table
            .find(id)
            .select(sessions::last_seen_at)
            .first(c)
            .unwrap()
    })
}

/// The session ids on "Where you're logged in" with each row's text.
fn listed(html: &str) -> Vec<(i64, String)> {
    let ids = attrs(html, "table.sessions tbody tr", "id");
    let rows = texts(html, "table.sessions tbody tr");
    ids.iter()
        .map(|id| id.strip_prefix("session-").unwrap().parse().unwrap())
        .zip(rows)
        .collect()
}

fn group_form<'a>(csrf: &'a str, name: &'a str, slug: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("name", name),
        ("slug", slug),
        ("description", ""),
        ("join_method", "open"),
        ("audience", "internal"),
    ]
}

/// PRODUCT rule 10: log-out ends the session on every server; a copied
/// cookie, replayed on a second server of the same site, stops working.
async fn a_copied_cookie_stops_working_after_logout_on_every_server(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_server(&app).await;
    app.create_user("ann", PW);
    let (ann, jar) = client_as(FIREFOX_ON_WINDOWS);
    app.login_with(&ann, "ann", PW).await;
    let form_page = app.get_with(&ann, "/groups/new").await;
    let csrf = csrf_from(&form_page.body);
    let copied = copy_cookie(&app, &jar);

    // The copy works on the other server while the session lives: the
    // replay itself is sound.
    assert_eq!(
        replay_get(&second, &copied, "/invitations").await.status,
        200
    );
    let p = replay_post(
        &second,
        &copied,
        "/groups",
        &group_form(&csrf, "One", "one"),
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.count("groups"), 1);

    // Ann logs out on the first server.
    let home = app.get_with(&ann, "/").await;
    let out = app.submit_in(&ann, &home, "/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(session_rows(&app).iter().filter(|r| r.2).count(), 1);

    // The copy now logs no one in, on either server.
    for server in [&second, &app] {
        let p = replay_get(server, &copied, "/invitations").await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location.as_deref(), Some("/login?next=%2Finvitations"));
        let p = replay_post(server, &copied, "/groups", &group_form(&csrf, "Two", "two")).await;
        assert_eq!(p.status, 303);
        assert!(
            p.location.as_deref().unwrap_or("").starts_with("/login"),
            "{:?}",
            p.location
        );
    }
    assert_eq!(app.count("groups"), 1, "no group from a logged-out cookie");
    drop(second);
}

async fn log_out_everywhere_else_ends_the_other_sessions(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_server(&app).await;
    app.create_user("ann", PW);
    app.create_user("bob", PW);
    let (here, _) = client_as(FIREFOX_ON_WINDOWS);
    let (phone, _) = client_as(SAFARI_ON_IOS);
    let (other, _) = client_as(SAFARI_ON_IOS);
    let (bob, _) = client_as(SAFARI_ON_IOS);
    app.login_with(&here, "ann", PW).await;
    second.login_with(&phone, "ann", PW).await;
    app.login_with(&other, "ann", PW).await;
    app.login_with(&bob, "bob", PW).await;

    let page = app.get_with(&here, "/account/sessions").await;
    assert_eq!(page.status, 200);
    let rows = listed(&page.body);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[0].1.contains("Firefox on Windows This device"),
        "{rows:?}"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.1.contains("Safari on iOS") && r.1.contains("127.0.0.1"))
            .count(),
        2
    );
    assert_eq!(texts(&page.body, "h1"), ["Where you're logged in"]);

    let p = app
        .submit_in(&here, &page, "/account/sessions/end-others", &[])
        .await;
    assert_eq!(p.location.as_deref(), Some("/account/sessions"));
    let page = app.get_with(&here, "/account/sessions").await;
    assert!(
        page.main_text()
            .contains("You are logged out everywhere else (2 other sessions)."),
        "{}",
        page.body
    );
    assert_eq!(listed(&page.body).len(), 1);
    assert!(
        page.main_text()
            .contains("You are not logged in anywhere else.")
    );

    for (server, c) in [(&second, &phone), (&app, &other)] {
        let p = server.get_with(c, "/invitations").await;
        assert_eq!(p.location.as_deref(), Some("/login?next=%2Finvitations"));
    }
    assert_eq!(app.get_with(&here, "/invitations").await.status, 200);
    assert_eq!(
        app.get_with(&bob, "/invitations").await.status,
        200,
        "bob's own"
    );
    drop(second);
}

async fn log_out_of_one_session_ends_only_that_one(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("ann", PW);
    let (here, here_jar) = client_as(FIREFOX_ON_WINDOWS);
    let (phone, _) = client_as(SAFARI_ON_IOS);
    let (laptop, _) = client_as("Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36");
    for c in [&here, &phone, &laptop] {
        app.login_with(c, "ann", PW).await;
    }
    let page = app.get_with(&here, "/account/sessions").await;
    let rows = listed(&page.body);
    let (phone_id, _) = rows
        .iter()
        .find(|r| r.1.contains("Safari on iOS"))
        .expect("the phone is listed");
    let p = app
        .submit_in(
            &here,
            &page,
            &format!("/account/sessions/{phone_id}/end"),
            &[],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/account/sessions"));
    let page = app.get_with(&here, "/account/sessions").await;
    assert!(page.main_text().contains("That session is logged out."));
    let left: Vec<String> = listed(&page.body).into_iter().map(|r| r.1).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().any(|r| r.contains("Chrome on Linux")));

    assert_eq!(app.get_with(&phone, "/messages").await.status, 303);
    assert_eq!(app.get_with(&laptop, "/messages").await.status, 200);
    assert_eq!(app.get_with(&here, "/messages").await.status, 200);

    // Its own line logs this device out, like the user menu's Log out:
    // a copy of its cookie stops working too.
    let copied = copy_cookie(&app, &here_jar);
    let here_id = listed(&page.body)[0].0;
    let p = app
        .submit_in(
            &here,
            &page,
            &format!("/account/sessions/{here_id}/end"),
            &[],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/login"));
    assert!(
        app.get_with(&here, "/login")
            .await
            .main_text()
            .contains("You are logged out.")
    );
    assert_eq!(app.get_with(&here, "/messages").await.status, 303);
    assert_eq!(replay_get(&app, &copied, "/messages").await.status, 303);
    assert_eq!(app.get_with(&laptop, "/messages").await.status, 200);
}

async fn a_session_of_another_user_cannot_be_ended(b: Backend) {
    let app = spawn_app(b).await;
    let ann_id = app.create_user("ann", PW);
    let bob_id = app.create_user("bob", PW);
    let (ann, _) = client_as(FIREFOX_ON_WINDOWS);
    let (bob, _) = client_as(SAFARI_ON_IOS);
    app.login_with(&ann, "ann", PW).await;
    app.login_with(&bob, "bob", PW).await;
    let rows = session_rows(&app);
    let bobs = rows.iter().find(|r| r.1 == bob_id).unwrap().0;
    let anns = rows.iter().find(|r| r.1 == ann_id).unwrap().0;

    let page = app.get_with(&ann, "/account/sessions").await;
    assert_eq!(
        listed(&page.body).iter().map(|r| r.0).collect::<Vec<_>>(),
        [anns]
    );
    let token = csrf_from(&page.body);
    // Forged: bob's session, and one that does not exist, are not on her page.
    for forged in [bobs, bobs + 1000] {
        let p = app
            .post_with(
                &ann,
                &format!("/account/sessions/{forged}/end"),
                &[("csrf_token", &token)],
            )
            .await;
        assert_eq!(p.status, 404, "session {forged}");
    }
    // "Log out everywhere else" (forged: her page offers it only when she
    // has other sessions) ends only ann's own others (none).
    let p = app
        .forge_with(
            &ann,
            "/account/sessions",
            "/account/sessions/end-others",
            &[],
        )
        .await;
    assert_eq!(p.status, 303);

    assert!(session_rows(&app).iter().all(|r| !r.2), "nothing ended");
    assert_eq!(app.get_with(&bob, "/messages").await.status, 200);
    assert_eq!(app.get_with(&ann, "/messages").await.status, 200);
    // Without a session, the page asks to log in.
    let p = app.get_with(&new_client(), "/account/sessions").await;
    assert_eq!(
        p.location.as_deref(),
        Some("/login?next=%2Faccount%2Fsessions")
    );
}

/// The idle and absolute limits end a session, on every server; its last
/// use is written at most once a minute, and an expired session is no
/// longer listed.
async fn sessions_end_when_idle_or_too_old_and_are_seen_once_a_minute(b: Backend) {
    let app = spawn_app_with(b, |c| {
        c.session_idle = std::time::Duration::from_secs(30 * 60);
        c.session_max = std::time::Duration::from_secs(3 * 3600);
    })
    .await;
    let second = spawn_second_server(&app).await;
    app.create_user("ann", PW);
    let (here, _) = client_as(FIREFOX_ON_WINDOWS);
    let (idle, _) = client_as(SAFARI_ON_IOS);
    app.login_with(&here, "ann", PW).await;
    app.login_with(&idle, "ann", PW).await;
    let ids: Vec<i64> = session_rows(&app).iter().map(|r| r.0).collect();
    let (here_id, idle_id) = (ids[0], ids[1]);
    let (started, idle_started) = (last_seen(&app, here_id), last_seen(&app, idle_id));

    // Used within the minute: nothing written.
    app.clock.advance(time::Duration::seconds(30));
    assert_eq!(app.get_with(&here, "/messages").await.status, 200);
    assert_eq!(last_seen(&app, here_id), started);
    // Past it: written once.
    app.clock.advance(time::Duration::seconds(31));
    assert_eq!(second.get_with(&here, "/messages").await.status, 200);
    let seen = last_seen(&app, here_id);
    assert!(
        seen > started + time::Duration::seconds(60),
        "{seen} vs {started}"
    );
    assert_eq!(app.get_with(&here, "/messages").await.status, 200);
    assert_eq!(last_seen(&app, here_id), seen);

    // `here` stays in use every 20 minutes; `idle` is left alone for 31.
    app.clock.advance(time::Duration::minutes(20));
    assert_eq!(app.get_with(&here, "/messages").await.status, 200);
    app.clock.advance(time::Duration::minutes(11));
    let page = app.get_with(&here, "/account/sessions").await;
    assert_eq!(
        listed(&page.body).iter().map(|r| r.0).collect::<Vec<_>>(),
        [here_id],
        "the idle session is no longer listed"
    );
    let p = second.get_with(&idle, "/messages").await;
    assert_eq!(p.location.as_deref(), Some("/login?next=%2Fmessages"));
    assert_eq!(
        last_seen(&app, idle_id),
        idle_started,
        "an idle session is not revived"
    );

    // Three hours after log-in, however busy, it ends.
    for _ in 0..7 {
        app.clock.advance(time::Duration::minutes(20));
        assert_eq!(app.get_with(&here, "/messages").await.status, 200);
    }
    app.clock.advance(time::Duration::minutes(20));
    let p = second.get_with(&here, "/messages").await;
    assert_eq!(
        p.location.as_deref(),
        Some("/login?next=%2Fmessages"),
        "past 3 h"
    );

    // A new log-in drops the rows past the absolute limit.
    app.clock.advance(time::Duration::minutes(1));
    app.login_with(&here, "ann", PW).await;
    let rows = session_rows(&app);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(last_seen(&app, rows[0].0) > started + time::Duration::hours(3));
    drop(second);
}

/// The cookie's key is not in the database, only its SHA-256 hash.
async fn log_in_stores_only_a_hash_of_the_key(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("ann", PW);
    app.login("ann", PW).await;
    let (hash, ua, address): (String, String, String) = app.db(|c| {
        sessions::table
            .select((
                sessions::key_hash,
                sessions::user_agent,
                sessions::client_address,
            ))
            .first(c)
            .unwrap()
    });
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!((ua.as_str(), address.as_str()), ("", "127.0.0.1"));
    // A long User-Agent is cut.
    let (long, _) = client_as(&"X".repeat(5000));
    app.login_with(&long, "ann", PW).await;
    let lengths: Vec<i64> = app.db(|c| {
        sessions::table
            .order(sessions::id)
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "CAST(LENGTH(user_agent) AS BIGINT)",
            ))
            .load(c)
            .unwrap()
    });
    assert_eq!(lengths, [0, 256]);
}

/// Issue 27 item 4: a cookie saved before "Active Login" is turned off,
/// replayed on the other server, logs no one in and writes nothing.
async fn a_copied_cookie_stops_working_once_the_login_is_turned_off(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_server(&app).await;
    let bob = app.create_user("bob", PW);
    let (client, jar) = client_as(FIREFOX_ON_WINDOWS);
    app.login_with(&client, "bob", PW).await;
    let csrf = csrf_from(&app.get_with(&client, "/groups/new").await.body);
    let copied = copy_cookie(&app, &jar);
    assert_eq!(
        replay_get(&second, &copied, "/invitations").await.status,
        200
    );

    let now = app.clock.now();
    assert!(app.db(|c| guildhall::services::manage_users::deactivate(c, bob, now).unwrap()));

    for server in [&second, &app] {
        let p = replay_get(server, &copied, "/invitations").await;
        assert_eq!(p.status, 303, "{}", p.body);
        let p = replay_post(server, &copied, "/groups", &group_form(&csrf, "Two", "two")).await;
        assert!(
            p.location.as_deref().unwrap_or("").starts_with("/login"),
            "{:?}",
            p.location
        );
    }
    assert_eq!(
        app.count("groups"),
        0,
        "no group from a deactivated login's cookie"
    );
    drop(second);
}
