//! Hostile input on both backends: NUL and other control bytes, invalid
//! UTF-8, bidi overrides and 100 KB values are refused with a clear 4xx,
//! never a 500, and nothing of them is stored or echoed.

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(hostile_input_is_refused_and_never_stored);

const PW: &str = "correct horse battery";

/// POSTs `body` (already form-encoded, so bytes can be anything) with the
/// client's CSRF token from `form_page`.
async fn raw_post(
    app: &TestApp,
    c: &reqwest::Client,
    form_page: &str,
    action: &str,
    body: &str,
) -> Page {
    let token = csrf_from(&app.get_with(c, form_page).await.body);
    let r = c
        .post(app.url(action))
        .header("Origin", &app.address)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={}&{body}", urlencode(&token)))
        .send()
        .await
        .expect("POST");
    page_of(r).await
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn page_of(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap_or("(not text)").to_string());
    let body = r.text().await.unwrap_or_default();
    Page {
        status,
        location,
        body,
    }
}

async fn hostile_input_is_refused_and_never_stored(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let visitor = new_client();
    // alice's log-in left its address's window (her hit given back).
    let windows = app.count("rate_limits");

    // A visitor's log-in with a NUL byte: 422 with why, nothing counted.
    let p = raw_post(&app, &visitor, "/login", "/login", "login=a%00b&password=x").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(texts(&p.body, "main").concat().contains("cannot be used"));
    assert_eq!(app.count("rate_limits"), windows);

    // Invalid UTF-8 and an escape sequence in a form.
    for bad in ["name=%FF%FE", "name=%C3%28", "name=%1B%5B31mred"] {
        let body = format!("{bad}&slug=evil&description=&join_method=open&audience=internal");
        let p = raw_post(&app, &alice, "/groups/new", "/groups", &body).await;
        assert_eq!(p.status, 422, "{bad}: {}", p.body);
    }
    assert_eq!(app.count("groups"), 0);

    // Paths and queries.
    for path in [
        "/groups/%00",
        "/groups/a%00b/members",
        "/join/%FF",
        "/messages/%0A",
    ] {
        let p = app.get_with(&alice, path).await;
        assert_eq!(p.status, 404, "{path}");
    }
    let p = app.get_with(&alice, "/api/users?q=%00").await;
    assert_eq!(p.status, 422);
    assert!(p.body.starts_with('{'), "JSON for the API: {}", p.body);

    // A 60 KB token (about the most a URL can carry) is not found, and not
    // echoed into a header.
    let p = app
        .get_with(&visitor, &format!("/join/{}", "A".repeat(60_000)))
        .await;
    assert_eq!(p.status, 404);
    assert!(p.location.is_none_or(|l| l.len() < 1000));
    assert!(p.body.len() < 50_000, "the token is not echoed in the page");
    // A visitor sent to log in from a page with a 60 KB query returns to
    // the page, not to the query: it is not echoed into `Location:`.
    let p = app
        .get_with(&visitor, &format!("/invitations?q={}", "a".repeat(60_000)))
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/login?next=%2Finvitations"));

    // A 100 KB login name: refused as invalid without a lookup; nothing kept.
    let long = "A".repeat(100_000);
    let p = app
        .submit_with(
            &visitor,
            "/login",
            "/login",
            &[("login", &long), ("password", "x")],
        )
        .await;
    assert_eq!(p.status, 401);
    assert_eq!(app.count("rate_limits"), windows, "nothing stored for it");
    let longest: i64 = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::rate_limits;
        rate_limits::table
            .select(rate_limits::scope_key)
            .load::<String>(c)
            .unwrap()
            .iter()
            .map(|k| k.len() as i64)
            .max()
            .unwrap()
    });
    assert!(
        longest < 100,
        "keys are hashes, not what was typed: {longest}"
    );

    // Bidi overrides in a group's name: shown beside the field, not stored.
    let p = app
        .submit_with(
            &alice,
            "/groups/new",
            "/groups",
            &[
                ("name", "Admins\u{202E}gnp.exe"),
                ("slug", "bidi"),
                ("description", ""),
                ("join_method", "open"),
                ("audience", "internal"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        texts(&p.body, "#name-error"),
        ["The name contains characters that cannot be used."]
    );
    assert_eq!(app.count("groups"), 0);

    // The server is still up and well.
    assert_eq!(app.get("/healthz").await.status, 200);
}
