//! CSRF, security headers, error pages and escaping.

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    a_post_without_csrf_token_is_refused_and_changes_nothing,
    a_token_from_another_session_is_refused,
    a_foreign_origin_is_refused,
    an_opaque_origin_counts_only_when_same_origin,
    pages_carry_security_headers,
    error_pages_are_pages,
    user_input_is_escaped,
    an_unchanged_session_is_not_sent_again,
);

const PW: &str = "correct horse battery";

const SIGNUP: [(&str, &str); 5] = [
    ("username", "eve"),
    ("first_name", "Eve"),
    ("last_name", "Dropper"),
    ("email", "eve@example.com"),
    ("password", PW),
];

async fn a_post_without_csrf_token_is_refused_and_changes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    app.get("/signup").await; // the session has a token, the form leaves it out
    let p = app.post_with(&app.client, "/signup", &SIGNUP).await;
    assert_eq!(p.status, 403);
    assert!(
        p.main_text()
            .contains("This form has expired or did not come from this site")
    );
    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("outbox"), 0);

    // Without any session at all.
    let fresh = new_client();
    let p = app
        .post_with(&fresh, "/login", &[("login", "x"), ("password", "y")])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("rate_limits"), 0);
}

async fn a_token_from_another_session_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let attacker = new_client();
    let their_token = csrf_from(&app.get_with(&attacker, "/signup").await.body);
    app.get("/signup").await;
    let mut form = vec![("csrf_token", their_token.as_str())];
    form.extend_from_slice(&SIGNUP);
    let p = app.post_with(&app.client, "/signup", &form).await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("users"), 0);
}

async fn a_foreign_origin_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let token = csrf_from(&app.get("/signup").await.body);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(&SIGNUP);
    let r = app
        .client
        .post(app.url("/signup"))
        .header("Origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .client
        .post(app.url("/signup"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.count("users"), 0);
    // The same form from this site goes through.
    let p = app.post_with(&app.client, "/signup", &form).await;
    assert_eq!(p.status, 200);
    assert_eq!(app.count("users"), 1);
}

async fn pages_carry_security_headers(b: Backend) {
    let app = spawn_app(b).await;
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    let h = r.headers();
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
    let cookie = h.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // Token pages send no referrer.
    app.create_user("root", PW);
    let r = app
        .client
        .get(app.url(&format!("/verify-email/{}", "A".repeat(43))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");

    let css = app
        .client
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status().as_u16(), 200);
    assert!(
        css.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );

    let health = app.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
}

async fn error_pages_are_pages(b: Backend) {
    let app = spawn_app(b).await;
    let p = app.get("/no/such/page").await;
    assert_eq!(p.status, 404);
    assert_eq!(texts(&p.body, "h1"), vec!["Page not found"]);
    assert!(p.body.contains(r#"<html lang="en">"#));
    // The way on is kept: the main navigation, a skip link, a footer.
    assert_eq!(
        texts(&p.body, "nav.site-nav a"),
        vec!["Dashboard", "Groups", "Invitations"]
    );
    assert_eq!(texts(&p.body, "a.skip-link"), vec!["Skip to content"]);

    app.create_user("bob", PW);
    app.login("bob", PW).await;
    let p = app.get("/admin").await;
    assert_eq!(p.status, 403);
    assert!(
        p.main_text()
            .contains("You do not have access to this feature.")
    );
    let token = csrf_from(&app.get("/").await.body);
    let p = app
        .post_with(
            &app.client,
            "/admin/users/1/approve",
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(p.status, 403);
}

async fn user_input_is_escaped(b: Backend) {
    let app = spawn_app_with(b, |c| c.signup = guildhall::config::SignupMode::Open).await;
    app.create_admin("root", PW);
    let p = app
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", "xss"),
                ("first_name", "<script>alert(1)</script>"),
                ("last_name", "<b>bold</b>"),
                ("email", "xss@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    let link = app.link_in_last_mail_to("xss@example.com");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    app.submit(&path, &path, &[]).await;
    app.login("xss", PW).await;
    let home = app.get("/").await;
    assert!(!home.body.contains("<script>alert(1)</script>"));
    // Shown as text, not run as a script.
    assert_eq!(
        texts(&home.body, "h1"),
        vec!["Welcome, <script>alert(1)</script>"]
    );
    assert!(
        texts(&home.body, "script")
            .iter()
            .all(|s| !s.contains("alert"))
    );
    assert!(texts(&home.body, "b").is_empty());
    let mail = app.outbox().pop().unwrap();
    assert!(
        !mail.html_body.contains("<script>"),
        "HTML mail escapes the name"
    );
}

/// Token pages send `Referrer-Policy: no-referrer`, so a browser posts their
/// form with `Origin: null` (found by the browser test).
async fn an_opaque_origin_counts_only_when_same_origin(b: Backend) {
    let app = spawn_app(b).await;
    let token = csrf_from(&app.get("/signup").await.body);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(&SIGNUP);
    let post = |site: &'static str| {
        app.client
            .post(app.url("/signup"))
            .header("Origin", "null")
            .header("Sec-Fetch-Site", site)
            .form(&form)
            .send()
    };
    assert_eq!(post("cross-site").await.unwrap().status().as_u16(), 403);
    assert_eq!(post("same-site").await.unwrap().status().as_u16(), 403);
    assert_eq!(app.count("users"), 0);
    assert_eq!(post("same-origin").await.unwrap().status().as_u16(), 200);
    assert_eq!(app.count("users"), 1);
}

/// The session cookie is encrypted and sent only when the session changed:
/// not on every page a logged-in user opens, but once a flash was read.
async fn an_unchanged_session_is_not_sent_again(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("ann", PW);
    app.login("ann", PW).await;
    let set_cookie = |r: &reqwest::Response| r.headers().get_all("set-cookie").iter().count();
    let page = app
        .client
        .get(app.url("/invitations"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(set_cookie(&page), 0, "nothing changed");
    // A form leaves a flash: the next page shows it and sends the session
    // without it; the one after sends nothing again.
    let r = app
        .forge_with(
            &app.client,
            "/notifications",
            "/notifications/read-all",
            &[("up_to", "0")],
        )
        .await;
    assert_eq!(r.status, 303);
    let shown = app
        .client
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(set_cookie(&shown), 1, "the flash was taken");
    assert!(shown.text().await.unwrap().contains("class=\"flash"));
    let again = app
        .client
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(set_cookie(&again), 0);
}
