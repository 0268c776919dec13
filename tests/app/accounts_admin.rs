//! Company accounts, super users, Manage Users with Active Login, the
//! segregation of clients and partners, support cases and the audit trail.

use crate::backend_tests;
use crate::helpers::*;
use guildhall::error::FORBIDDEN_TEXT;

const PW: &str = "a-long-password-1";
const SESSION_ENDED: &str = "Your session has ended. Please log in again.";

backend_tests!(
    super_user_manages_active_login,
    refused_account_actions_change_nothing,
    support_cases_stay_in_their_account
);

/// Acme (client) with alice (super user), bob and carol; Parto (partner)
/// with pete; dave, an invited contact of Acme; root, the site admin, logged
/// in on `app.client`. Accounts are made through /admin.
struct World {
    acme: i64,
    parto: i64,
    alice: i64,
    bob: i64,
    carol: i64,
    pete: i64,
    dave: i64,
}

fn account_id(app: &TestApp, name: &str) -> i64 {
    use diesel::prelude::*;
    use guildhall::db::schema::company_accounts as a;
    app.db(|c| {
        a::table
            .filter(a::name_key.eq(name.to_lowercase()))
            .select(a::id)
            .first(c)
            .unwrap()
    })
}

async fn admin_post(app: &TestApp, action: &str, form: &[(&str, &str)]) -> Page {
    let p = app.submit("/admin", action, form).await;
    assert_eq!(p.status, 303, "{action} {form:?}: {}", p.body);
    p
}

async fn world(app: &TestApp) -> World {
    app.create_admin("root", PW);
    let (alice, bob, carol, pete, dave) = (
        app.create_user("alice", PW),
        app.create_user("bob", PW),
        app.create_user("carol", PW),
        app.create_user("pete", PW),
        app.create_user("dave", PW),
    );
    // Dave is a contact with no login yet.
    app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::users;
        diesel::update(users::table.find(dave))
            .set((
                users::status.eq("invited"),
                users::password_hash.eq(None::<String>),
            ))
            .execute(c)
            .unwrap();
    });
    app.login("root", PW).await;
    admin_post(
        app,
        "/admin/accounts",
        &[("name", "Acme"), ("kind", "client")],
    )
    .await;
    admin_post(
        app,
        "/admin/accounts",
        &[("name", "Parto"), ("kind", "partner")],
    )
    .await;
    let (acme, parto) = (account_id(app, "Acme"), account_id(app, "Parto"));
    let (acme_s, parto_s) = (acme.to_string(), parto.to_string());
    for u in ["alice", "bob", "carol", "dave"] {
        admin_post(
            app,
            "/admin/accounts/members",
            &[("username", u), ("account_id", &acme_s)],
        )
        .await;
    }
    admin_post(
        app,
        "/admin/accounts/members",
        &[("username", "pete"), ("account_id", &parto_s)],
    )
    .await;
    admin_post(
        app,
        "/admin/super-users",
        &[("username", "alice"), ("on", "true")],
    )
    .await;
    let admin = app.get("/admin").await;
    assert!(admin.main_text().contains("Acme") && admin.main_text().contains("Parto"));
    let alice_u = app.user_by_username("alice");
    assert!(alice_u.is_super_user && alice_u.account_id == Some(acme));
    assert_eq!(app.user_by_username("pete").account_id, Some(parto));
    World {
        acme,
        parto,
        alice,
        bob,
        carol,
        pete,
        dave,
    }
}

fn status_of(app: &TestApp, id: i64) -> (String, i64) {
    let u = app.db(|c| guildhall::models::user::find(c, id).unwrap());
    (u.status.as_str().to_string(), u.session_epoch)
}

async fn super_user_manages_active_login(b: Backend) {
    let app = spawn_app(b).await;
    let w = world(&app).await;

    let alice = new_client();
    app.login_with(&alice, "alice", PW).await;
    let home = app.get_with(&alice, "/").await;
    assert!(texts(&home.body, "nav a").contains(&"Manage Users".to_string()));
    assert!(texts(&home.body, "nav a").contains(&"Cases".to_string()));

    // Acme's people only; registered users are Community Users, dave gets the
    // (not yet working) invitation button.
    let page = app.get_with(&alice, "/account/users").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for who in [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ] {
        assert!(page.main_text().contains(who), "{who} missing");
    }
    assert!(!page.body.contains("pete@example.com"));
    assert!(page.main_text().contains("Community User"));
    assert!(page.main_text().contains("Invite to Community"));
    let switches = texts(&page.body, "button.switch .visually-hidden");
    assert_eq!(
        switches,
        vec!["Active Login for bob", "Active Login for carol"]
    );
    // The switches say their state: on.
    assert_eq!(
        attrs(&page.body, "button.switch", "aria-pressed"),
        vec!["true"; 2]
    );
    // Search.
    let found = app.get_with(&alice, "/account/users?q=CAR").await;
    assert!(
        found.main_text().contains("carol@example.com") && !found.body.contains("bob@example.com")
    );

    // Bob is logged in elsewhere.
    let bob = new_client();
    app.login_with(&bob, "bob", PW).await;
    assert_eq!(app.get_with(&bob, "/groups").await.status, 200);

    // Turning it off asks first, naming what happens; nothing changes yet.
    let ask = app
        .submit_with(
            &alice,
            "/account/users",
            &format!("/account/users/{}/active-login", w.bob),
            &[("on", "false")],
        )
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(
        texts(&ask.body, "h1"),
        vec!["Turn off Active Login for Bob Tester?"]
    );
    assert!(texts(&ask.body, ".consequence")[0].contains("logged out everywhere at once"));
    assert_eq!(
        attrs(
            &ask.body,
            "form.confirm-actions input[name=confirmed]",
            "value"
        ),
        vec!["1"]
    );
    assert_eq!(status_of(&app, w.bob).0, "active");
    assert_eq!(app.get_with(&bob, "/groups").await.status, 200);
    let off = app
        .submit_in(
            &alice,
            &ask,
            &format!("/account/users/{}/active-login", w.bob),
            &[],
        )
        .await;
    assert_eq!(off.status, 303);
    let flash = app.get_with(&alice, "/account/users").await;
    assert!(
        flash.main_text().contains("Active Login is off"),
        "{}",
        flash.body
    );
    // Hidden unless asked for.
    assert!(!flash.body.contains("bob@example.com"));
    let shown = app
        .get_with(&alice, "/account/users?show_deactivated=on")
        .await;
    assert!(shown.main_text().contains("bob@example.com"));
    assert!(
        texts(&shown.body, "button.switch .visually-hidden")
            .contains(&"Active Login for bob".to_string())
    );
    assert!(shown.body.contains("aria-pressed=\"false\""));
    assert_eq!(status_of(&app, w.bob).0, "deactivated");

    // Bob's next request ends his session; the log-in page says so.
    let next = app.get_with(&bob, "/groups").await;
    assert_eq!(next.status, 303);
    assert!(next.location.as_deref().unwrap().starts_with("/login"));
    let login = app.get_with(&bob, "/login").await;
    assert!(login.main_text().contains(SESSION_ENDED), "{}", login.body);
    // And he cannot log in again.
    let again = new_client();
    let refused = app
        .submit_with(
            &again,
            "/login",
            "/login",
            &[("login", "bob"), ("password", PW)],
        )
        .await;
    assert_ne!(refused.status, 303);
    assert!(
        refused.main_text().contains("deactivated"),
        "{}",
        refused.body
    );

    // Turned on again, he logs in.
    let on = app
        .submit_with(
            &alice,
            "/account/users?show_deactivated=on",
            &format!("/account/users/{}/active-login", w.bob),
            &[("on", "true")],
        )
        .await;
    assert_eq!(on.status, 303);
    app.login_with(&again, "bob", PW).await;
    assert_eq!(app.get_with(&again, "/groups").await.status, 200);

    // Both toggles recorded: on bob's page, the account's and the site's audit.
    let details = app
        .get_with(&alice, &format!("/account/users/{}", w.bob))
        .await;
    assert_eq!(details.status, 200);
    assert!(
        details
            .main_text()
            .contains("Active Login turned off for bob by alice"),
        "{}",
        details.body
    );
    assert!(
        details
            .main_text()
            .contains("Active Login turned on for bob by alice")
    );
    let audit = app.get_with(&alice, "/account/audit?user=bob").await;
    let rows = texts(&audit.body, ".timeline li");
    assert!(
        rows.iter()
            .any(|r| r
                .contains("Active Login off by alice · about bob Active Login turned off for bob")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Active Login turned on for bob"))
    );
    // Acme's audit does not show Parto's events.
    let all = app.get_with(&alice, "/account/audit").await;
    assert!(!all.body.contains("pete"));
    let site = app.get("/admin/audit?user=bob").await;
    assert_eq!(site.status, 200);
    assert!(site.main_text().contains("Active Login turned off for bob"));
    let _ = (w.acme, w.parto, w.alice, w.carol, w.pete, w.dave);
}

async fn refused_account_actions_change_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let w = world(&app).await;
    let audits = app.count("audit_events");

    // A regular user of Acme, and a user with no account: 403.
    let carol = new_client();
    app.login_with(&carol, "carol", PW).await;
    for path in [
        "/account/users",
        "/account/audit",
        &format!("/account/users/{}", w.bob),
    ] {
        let p = app.get_with(&carol, path).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.main_text().contains(FORBIDDEN_TEXT));
    }
    let nobody = new_client();
    app.create_user("nora", PW);
    app.login_with(&nobody, "nora", PW).await;
    assert_eq!(app.get_with(&nobody, "/account/users").await.status, 403);
    // Carol cannot toggle bob either.
    let p = app
        .post_with(
            &carol,
            &format!("/account/users/{}/active-login", w.bob),
            &[
                (
                    "csrf_token",
                    &csrf_from(&app.get_with(&carol, "/").await.body),
                ),
                ("on", "false"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);

    let alice = new_client();
    app.login_with(&alice, "alice", PW).await;
    // A Parto user by id: not found, nothing changed.
    let before = status_of(&app, w.pete);
    let p = app
        .forge_with(
            &alice,
            "/account/users",
            &format!("/account/users/{}/active-login", w.pete),
            &[("on", "false"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(
        app.get_with(&alice, &format!("/account/users/{}", w.pete))
            .await
            .status,
        404
    );
    assert_eq!(status_of(&app, w.pete), before);

    // Herself, the account's last super user: refused.
    let before = status_of(&app, w.alice);
    let p = app
        .forge_with(
            &alice,
            "/account/users",
            &format!("/account/users/{}/active-login", w.alice),
            &[("on", "false"), ("confirmed", "1")],
        )
        .await;
    assert_eq!(p.status, 303);
    let page = app.get_with(&alice, "/account/users").await;
    assert!(
        page.main_text()
            .contains("You cannot turn off your own Active Login.")
    );
    assert_eq!(status_of(&app, w.alice), before);
    // An unregistered contact has no Active Login.
    let before = status_of(&app, w.dave);
    app.forge_with(
        &alice,
        "/account/users",
        &format!("/account/users/{}/active-login", w.dave),
        &[("on", "false"), ("confirmed", "1")],
    )
    .await;
    assert_eq!(status_of(&app, w.dave), before);
    assert_eq!(app.count("audit_events"), audits);

    // A partner joining an Acme client group (open): refused, nothing written.
    let made = app
        .submit(
            "/groups/new",
            "/groups",
            &[
                ("name", "Acme Support"),
                ("slug", "acme-support"),
                ("description", ""),
                ("join_method", "open"),
                ("audience", "client"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    admin_post(
        &app,
        "/admin/groups/account",
        &[
            ("slug", "acme-support"),
            ("account_id", &w.acme.to_string()),
        ],
    )
    .await;
    let (members, audits) = (app.count("memberships"), app.count("audit_events"));
    let pete = new_client();
    app.login_with(&pete, "pete", PW).await;
    let p = app
        .submit_with(
            &pete,
            "/groups/acme-support",
            "/groups/acme-support/join",
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    let shown = app.get_with(&pete, "/groups/acme-support").await;
    assert!(
        shown
            .main_text()
            .contains("Partners cannot be added to client groups"),
        "{}",
        shown.body
    );
    assert_eq!(app.count("memberships"), members);
    assert_eq!(app.count("audit_events"), audits);
    // A client of Acme may join it; that is recorded.
    app.submit_with(
        &carol,
        "/groups/acme-support",
        "/groups/acme-support/join",
        &[],
    )
    .await;
    assert_eq!(app.count("memberships"), members + 1);
    // Someone with no account may not join a group bound to an account.
    app.submit_with(
        &nobody,
        "/groups/acme-support",
        "/groups/acme-support/join",
        &[],
    )
    .await;
    assert_eq!(app.count("memberships"), members + 1);
    let _ = (w.parto, w.carol);
}

async fn support_cases_stay_in_their_account(b: Backend) {
    let app = spawn_app(b).await;
    let w = world(&app).await;
    let (alice, bob, carol, pete) = (new_client(), new_client(), new_client(), new_client());
    for (c, n) in [
        (&alice, "alice"),
        (&bob, "bob"),
        (&carol, "carol"),
        (&pete, "pete"),
    ] {
        app.login_with(c, n, PW).await;
    }

    // Validation keeps the input.
    let bad = app
        .submit_with(
            &carol,
            "/cases/new",
            "/cases",
            &[("title", "x"), ("description", "Kept")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.main_text().contains("Kept"));
    assert_eq!(app.count("cases"), 0);

    let raise = |c: &reqwest::Client, title: &str| {
        let c = c.clone();
        let title = title.to_string();
        let app = &app;
        async move {
            let p = app
                .submit_with(
                    &c,
                    "/cases/new",
                    "/cases",
                    &[("title", &title), ("description", "Help, please.")],
                )
                .await;
            assert_eq!(p.status, 303, "{}", p.body);
            p.location
                .unwrap()
                .trim_start_matches("/cases/")
                .parse::<i64>()
                .unwrap()
        }
    };
    let carols = raise(&carol, "Printer on fire").await;
    let petes = raise(&pete, "Partner portal down").await;

    // Carol sees hers; bob (same account, not super) sees neither; alice
    // (super user) sees every Acme case, never Parto's.
    assert!(
        app.get_with(&carol, "/cases")
            .await
            .main_text()
            .contains("Printer on fire")
    );
    let bobs_list = app.get_with(&bob, "/cases").await.body;
    assert!(!bobs_list.contains("Printer on fire"));
    let alices = app.get_with(&alice, "/cases").await.body;
    assert!(alices.contains("Printer on fire") && !alices.contains("Partner portal down"));
    assert_eq!(
        app.get_with(&alice, &format!("/cases/{carols}"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get_with(&bob, &format!("/cases/{carols}")).await.status,
        404
    );
    assert_eq!(
        app.get_with(&alice, &format!("/cases/{petes}"))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get_with(&pete, &format!("/cases/{carols}"))
            .await
            .status,
        404
    );

    // Comments: alice on carol's case; pete on it is refused (404), nothing written.
    let p = app
        .submit_with(
            &alice,
            &format!("/cases/{carols}"),
            &format!("/cases/{carols}/comments"),
            &[("body", "On it.")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(
        app.get_with(&carol, &format!("/cases/{carols}"))
            .await
            .main_text()
            .contains("On it.")
    );
    let p = app
        .forge_with(
            &pete,
            "/cases",
            &format!("/cases/{carols}/comments"),
            &[("body", "Sneaky")],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(app.count("case_comments"), 1);

    // No account: the message, on the page and for the POST; nothing written.
    let nora = new_client();
    app.create_user("nora", PW);
    app.login_with(&nora, "nora", PW).await;
    let page = app.get_with(&nora, "/cases/new").await;
    assert!(
        page.main_text()
            .contains("You are not a member of an Account")
    );
    assert!(!texts(&page.body, "nav a").contains(&"Cases".to_string()));
    let cases = app.count("cases");
    let p = app
        .forge_with(
            &nora,
            "/cases/new",
            "/cases",
            &[("title", "Let me in"), ("description", "Please")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains("You are not a member of an Account"));
    assert_eq!(app.count("cases"), cases);

    // Deactivated: the service refuses with the same message.
    turn_off_active_login(&app, &alice, w.bob).await;
    let spec = guildhall::services::cases::CaseInput {
        title: "Still here".into(),
        description: "Yes".into(),
    }
    .parse()
    .ok()
    .unwrap();
    let now = app.clock.now();
    let r = app.db(|c| guildhall::services::cases::raise(c, w.bob, &spec, now).unwrap());
    assert_eq!(
        r.map_err(|d| d.message()),
        Err("You are not a member of an Account")
    );
    assert_eq!(app.count("cases"), cases);
    let _ = (w.acme, w.parto, w.dave);
}

/// Turns off `user`'s Active Login as a super user does without JavaScript:
/// the switch, then "Turn off" on the page that asks first.
async fn turn_off_active_login(app: &TestApp, client: &reqwest::Client, user: i64) -> Page {
    let action = format!("/account/users/{user}/active-login");
    let ask = app
        .submit_with(client, "/account/users", &action, &[("on", "false")])
        .await;
    assert_eq!(ask.status, 200, "it asks first");
    app.submit_in(client, &ask, &action, &[]).await
}
