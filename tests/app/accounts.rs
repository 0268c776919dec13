//! Set-up, sign-up, e-mail verification, approval, log-in and sessions.

use crate::backend_tests;
use crate::helpers::*;
use guildhall::config::SignupMode;

backend_tests!(
    setup_creates_the_first_admin_only_once,
    signup_verify_approve_and_log_in,
    signup_refuses_bad_input_and_keeps_it,
    signup_refuses_taken_names_case_insensitively,
    open_signup_needs_no_approval,
    closed_signup_refuses,
    wrong_password_and_unknown_user_look_the_same,
    failed_logins_are_throttled_per_account_and_per_address,
    next_after_login_stays_on_site,
    deactivated_users_session_ends_at_next_request,
    pages_read_with_the_visitor_end_a_stale_session,
    sessions_expire_when_idle_and_after_the_maximum,
    logout_ends_the_session,
    unconfirmed_user_can_ask_for_a_new_link,
);

const PW: &str = "correct horse battery";

async fn setup_creates_the_first_admin_only_once(b: Backend) {
    let app = spawn_app(b).await;
    let home = app.get("/").await;
    assert!(
        home.body.contains(r#"href="/setup""#),
        "landing points to /setup"
    );

    let p = app
        .submit(
            "/setup",
            "/setup",
            &[
                ("username", "root"),
                ("first_name", "Ada"),
                ("last_name", "Admin"),
                ("email", "ada@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/admin"));
    let admin = app.get("/admin").await;
    assert_eq!(admin.status, 200);
    assert!(admin.main_text().contains("Site administration"));
    let u = app.user_by_username("root");
    assert!(u.is_site_admin && u.is_active() && u.email_verified_at.is_some());

    // Gone once there is an admin, for every visitor, and a late POST writes nothing.
    let other = new_client();
    assert_eq!(app.get_with(&other, "/setup").await.status, 404);
    let login_page = app.get_with(&other, "/login").await;
    let token = csrf_from(&login_page.body);
    let late = app
        .post_with(
            &other,
            "/setup",
            &[
                ("csrf_token", &token),
                ("username", "mallory"),
                ("first_name", "Mal"),
                ("last_name", "Lory"),
                ("email", "mal@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(late.status, 404);
    assert_eq!(app.count("users"), 1);
    assert!(
        !app.get_with(&other, "/")
            .await
            .body
            .contains(r#"href="/setup""#)
    );
}

async fn signup(app: &TestApp, client: &reqwest::Client, username: &str) -> Page {
    let email = format!("{username}@example.com");
    app.submit_with(
        client,
        "/signup",
        "/signup",
        &[
            ("username", username),
            ("first_name", "Bob"),
            ("last_name", "Builder"),
            ("email", &email),
            ("password", PW),
            ("country_code", "+44"),
            ("phone", "020 7946 0958"),
        ],
    )
    .await
}

async fn signup_verify_approve_and_log_in(b: Backend) {
    let app = spawn_app(b).await;
    app.create_admin("root", PW);
    let p = signup(&app, &app.client, "bob").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.main_text().contains("Check your e-mail"));
    let bob = app.user_by_username("bob");
    assert_eq!(bob.status, guildhall::domain::UserStatus::PendingApproval);
    assert_eq!(bob.country_code.as_deref(), Some("+44"));
    assert!(
        bob.password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );

    // Not verified yet.
    let visitor = new_client();
    let p = app
        .submit_with(
            &visitor,
            "/login",
            "/login",
            &[("login", "bob"), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, 401);
    assert!(p.main_text().contains("Confirm your e-mail address first"));

    // The link's page changes nothing; its button does.
    let link = app.link_in_last_mail_to("bob@example.com");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let page = app.get_with(&visitor, &path).await;
    assert_eq!(page.status, 200);
    assert!(page.main_text().contains("Confirm my e-mail address"));
    assert!(app.user_by_username("bob").email_verified_at.is_none());
    let p = app.submit_with(&visitor, &path, &path, &[]).await;
    assert_eq!(p.status, 303);
    assert!(app.user_by_username("bob").email_verified_at.is_some());
    let again = app.get_with(&visitor, &path).await;
    assert!(
        again
            .main_text()
            .contains("This link has been used already")
    );

    // Verified, but waiting for approval.
    let p = app
        .submit_with(
            &visitor,
            "/login",
            "/login",
            &[("login", "bob"), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, 401);
    assert!(p.main_text().contains("waiting for approval"));

    // A non-admin cannot approve; the admin can.
    app.login("root", PW).await;
    let admin_page = app.get("/admin").await;
    assert!(admin_page.main_text().contains("bob@example.com"));
    let action = format!("/admin/users/{}/approve", bob.id);
    let p = app.submit("/admin", &action, &[]).await;
    assert_eq!(p.status, 303);
    assert!(app.user_by_username("bob").is_active());

    // Log in by e-mail address, in another case.
    app.login_with(&visitor, "BOB@Example.com", PW).await;
    let home = app.get_with(&visitor, "/").await;
    assert!(home.main_text().contains("Welcome, Bob"), "{}", home.body);
    let forbidden = app.get_with(&visitor, "/admin").await;
    assert_eq!(forbidden.status, 403);
    assert!(
        forbidden
            .main_text()
            .contains("You do not have access to this feature.")
    );
}

async fn signup_refuses_bad_input_and_keeps_it(b: Backend) {
    let app = spawn_app(b).await;
    let p = app
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", "b o b"),
                ("first_name", "Bobby"),
                ("last_name", ""),
                ("email", "not-an-address"),
                ("password", "short"),
                ("country_code", "UK"),
                ("phone", "12"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    let errors = texts(&p.body, ".field-error");
    for expected in [
        "Use only letters",
        "Enter your last name.",
        "is not a valid e-mail address",
        "at least 10 characters",
        "A country code is",
        "A phone number has",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "missing {expected:?} in {errors:?}"
        );
    }
    assert!(p.body.contains(r#"value="Bobby""#), "input kept");
    assert!(p.body.contains(r#"value="not-an-address""#));
    assert!(!p.body.contains("short"), "the password is never echoed");
    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("outbox"), 0);
}

async fn signup_refuses_taken_names_case_insensitively(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("bob", PW);
    let p = app
        .submit(
            "/signup",
            "/signup",
            &[
                ("username", "BOB"),
                ("first_name", "Other"),
                ("last_name", "Bob"),
                ("email", "Bob@EXAMPLE.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    let errors = texts(&p.body, ".field-error");
    assert!(
        errors.contains(&"This username is already taken.".to_string()),
        "{errors:?}"
    );
    assert!(errors.contains(&"An account with this e-mail address already exists.".to_string()));
    assert_eq!(app.count("users"), 1);
    assert_eq!(app.count("outbox"), 0);
}

async fn open_signup_needs_no_approval(b: Backend) {
    let app = spawn_app_with(b, |c| c.signup = SignupMode::Open).await;
    let p = signup(&app, &app.client, "carol").await;
    assert_eq!(p.status, 200);
    let link = app.link_in_last_mail_to("carol@example.com");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    app.submit(&path, &path, &[]).await;
    app.login("carol", PW).await;
    assert!(app.get("/").await.main_text().contains("Welcome, Bob"));
}

async fn closed_signup_refuses(b: Backend) {
    let app = spawn_app_with(b, |c| c.signup = SignupMode::Closed).await;
    let page = app.get("/signup").await;
    assert!(page.main_text().contains("Sign-up is closed"));
    assert!(!page.body.contains(r#"action="/signup""#));
    let token = csrf_from(&app.get("/login").await.body);
    let p = app
        .post_with(
            &app.client,
            "/signup",
            &[
                ("csrf_token", &token),
                ("username", "dave"),
                ("first_name", "Dave"),
                ("last_name", "D"),
                ("email", "dave@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("users"), 0);
}

async fn wrong_password_and_unknown_user_look_the_same(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("bob", PW);
    let wrong = app
        .submit(
            "/login",
            "/login",
            &[("login", "bob"), ("password", "not the password")],
        )
        .await;
    let unknown = app
        .submit(
            "/login",
            "/login",
            &[("login", "nobody"), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(
        texts(&wrong.body, ".form-error"),
        vec!["Invalid username or password."]
    );
    assert_eq!(
        texts(&wrong.body, ".form-error"),
        texts(&unknown.body, ".form-error")
    );
    assert_eq!(texts(&wrong.body, "h1"), texts(&unknown.body, "h1"));
    // An unverified user with the right password is told what to do, nobody else is.
    assert!(
        app.get("/messages")
            .await
            .location
            .unwrap()
            .starts_with("/login")
    );
}

async fn failed_logins_are_throttled_per_account_and_per_address(b: Backend) {
    let app = spawn_app_with(b, |c| c.login_max_failures_per_ip = 8).await;
    app.create_user("bob", PW);
    app.create_user("carol", PW);
    for _ in 0..5 {
        let p = app
            .submit(
                "/login",
                "/login",
                &[("login", "bob"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(p.status, 401);
    }
    // The sixth try is refused even with the right password.
    let p = app
        .submit("/login", "/login", &[("login", "bob"), ("password", PW)])
        .await;
    assert_eq!(p.status, 429);
    assert!(p.main_text().contains("Too many failed log-in attempts"));
    // The window passes: bob gets in again.
    app.clock.advance(time::Duration::minutes(16));
    app.login("bob", PW).await;

    // Per address: 8 failures over several names block the address.
    let other = new_client();
    for name in ["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"] {
        app.submit_with(
            &other,
            "/login",
            "/login",
            &[("login", name), ("password", "wrong password")],
        )
        .await;
    }
    let p = app
        .submit_with(
            &other,
            "/login",
            "/login",
            &[("login", "carol"), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, 429, "per-address limit");
}

async fn next_after_login_stays_on_site(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("bob", PW);
    let to_login = app.get("/messages").await;
    assert_eq!(
        to_login.location.as_deref(),
        Some("/login?next=%2Fmessages")
    );
    for (next, expected) in [
        ("//evil.example", "/"),
        ("https://evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/messages", "/messages"),
    ] {
        let c = new_client();
        let p = app
            .submit_with(
                &c,
                "/login",
                "/login",
                &[("login", "bob"), ("password", PW), ("next", next)],
            )
            .await;
        assert_eq!(p.status, 303);
        assert_eq!(p.location.as_deref(), Some(expected), "next={next}");
    }
}

async fn deactivated_users_session_ends_at_next_request(b: Backend) {
    let app = spawn_app(b).await;
    let id = app.create_user("bob", PW);
    app.login("bob", PW).await;
    assert_eq!(app.get("/messages").await.status, 200);

    let now = app.clock.now();
    assert!(
        app.db(|c| guildhall::services::manage_users::deactivate(c, id, now))
            .unwrap()
    );

    let p = app.get("/messages").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/login?next=%2Fmessages"));
    let login = app.get("/login?next=%2Fmessages").await;
    assert!(
        login.main_text().contains("Your session has ended"),
        "{}",
        login.body
    );
    let p = app
        .submit("/login", "/login", &[("login", "bob"), ("password", PW)])
        .await;
    assert_eq!(p.status, 401);
    assert!(p.main_text().contains("deactivated"));
}

/// The invitations and members pages read the visitor and their own rows in
/// one go (`CurrentUser::with`): a session ended elsewhere must still end
/// there, before any row is read.
async fn pages_read_with_the_visitor_end_a_stale_session(b: Backend) {
    use diesel::prelude::*;
    use guildhall::db::schema::users;
    let app = spawn_app(b).await;
    let id = app.create_user("bob", PW);
    app.login("bob", PW).await;
    let p = app.new_group(&app.client, "Club", "club", "open").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.get("/invitations").await.status, 200);
    let members = app.get("/groups/club/members").await;
    assert_eq!(members.status, 200);
    assert!(members.main_text().contains("bob"), "{}", members.body);

    // "Log out everywhere" on another server: the session epoch moves on.
    app.db(|c| {
        diesel::update(users::table.find(id))
            .set(users::session_epoch.eq(users::session_epoch + 1))
            .execute(c)
    })
    .unwrap();
    let p = app.get("/groups/club/members").await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.location.as_deref(),
        Some("/login?next=%2Fgroups%2Fclub%2Fmembers")
    );
    assert!(!p.body.contains("bob"));
    let p = app.get("/invitations").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/login?next=%2Finvitations"));
}

async fn sessions_expire_when_idle_and_after_the_maximum(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("bob", PW);
    app.login("bob", PW).await;
    app.clock.advance(time::Duration::hours(23));
    assert_eq!(
        app.get("/messages").await.status,
        200,
        "used within the idle time"
    );
    app.clock.advance(time::Duration::hours(25));
    assert_eq!(app.get("/messages").await.status, 303, "idle too long");

    app.login("bob", PW).await;
    for _ in 0..14 {
        app.clock.advance(time::Duration::hours(23));
        assert_eq!(app.get("/messages").await.status, 200);
    }
    app.clock.advance(time::Duration::hours(23));
    assert_eq!(app.get("/messages").await.status, 303, "past 14 days");
}

async fn logout_ends_the_session(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("bob", PW);
    app.login("bob", PW).await;
    // GET never logs out (a link or an image cannot end a session).
    let get = app.get("/logout").await;
    assert_eq!(get.status, 404);
    assert_eq!(app.get("/messages").await.status, 200);
    let p = app.submit("/", "/logout", &[]).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/login"));
    assert!(
        app.get("/login")
            .await
            .main_text()
            .contains("You are logged out.")
    );
    assert_eq!(app.get("/messages").await.status, 303);
}

async fn unconfirmed_user_can_ask_for_a_new_link(b: Backend) {
    let app = spawn_app(b).await;
    signup(&app, &new_client(), "bob").await;
    assert_eq!(app.count("outbox"), 1);
    // Three new links an hour, then the page says why nothing was sent.
    for n in 2..=4 {
        let sent = resend(&app).await;
        assert!(sent.contains("We sent you a new link"), "{sent}");
        assert_eq!(app.count("outbox"), n);
    }
    let too_many = resend(&app).await;
    assert!(
        texts(&too_many, "main .flash")
            .iter()
            .any(|t| t.starts_with("We have already sent 3 new links in the last hour")),
        "{:?}",
        texts(&too_many, "main .flash")
    );
    assert_eq!(app.count("outbox"), 4);
    app.clock.advance(time::Duration::minutes(61));
    let sent = resend(&app).await;
    assert!(sent.contains("We sent you a new link"));
    assert_eq!(app.count("outbox"), 5);
    // Without the right password first, nothing is offered or sent.
    let stranger = new_client();
    let p = app
        .submit_with(
            &stranger,
            "/login",
            "/login",
            &[("login", "bob"), ("password", "wrong password")],
        )
        .await;
    assert!(!p.body.contains("Send the link again"));
    // Forged: the page offers no resend to a wrong password.
    let token = csrf_from(&p.body);
    app.post_with(&stranger, "/verify-email/resend", &[("csrf_token", &token)])
        .await;
    assert_eq!(app.count("outbox"), 5);
    // The newest link confirms the address.
    let link = app.link_in_last_mail_to("bob@example.com");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    app.submit(&path, &path, &[]).await;
    assert!(app.user_by_username("bob").email_verified_at.is_some());
}

/// Tries to log in as bob (unconfirmed), presses "Send the link again", returns the next page.
async fn resend(app: &TestApp) -> String {
    let p = app
        .submit("/login", "/login", &[("login", "bob"), ("password", PW)])
        .await;
    assert!(p.main_text().contains("Send the link again"), "{}", p.body);
    let r = app
        .submit_in(&app.client, &p, "/verify-email/resend", &[])
        .await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    app.get("/login").await.body
}
