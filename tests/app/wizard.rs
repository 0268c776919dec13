//! The Add user wizard (`/account/users/new`) and a contact's invitation
//! actions: alice, super user of the client account Acme, adds carol
//! through the three steps; carol registers from the mailed link and lands
//! in the chosen groups as a user of Acme. Refused cases change nothing.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{invitations, memberships, users};
use guildhall::error::FORBIDDEN_TEXT;
use guildhall::services::company_accounts::{self, AccountInput};
use guildhall::services::groups::{self, GroupInput};
use guildhall::services::manage_users::{EMAIL_IN_USE, NO_GROUP, NOT_OFFERED, STILL_PENDING};

backend_tests!(
    super_user_adds_a_contact_who_registers_and_joins,
    contact_invitation_resend_and_renew,
    refused_wizard_and_contact_actions_change_nothing,
    contact_whose_invitation_was_cancelled_is_invited_to_community_again,
    contact_whose_invitation_expired_is_invited_again,
    refused_invite_to_community_changes_nothing
);

const PW: &str = "a-long-password-1";

/// Acme (client): alice (super user), bob. Parto (partner): pete (super
/// user). Groups alice administers: Acme Support (client, bound to Acme),
/// Acme Lounge (client) and Partner Hub (partner: not for Acme's people);
/// Bob's Club is bob's (alice may not invite there).
pub(crate) struct World {
    pub app: TestApp,
    pub alice: reqwest::Client,
    pub groups: [i64; 4],
}

pub(crate) async fn world(b: Backend) -> World {
    let app = spawn_app(b).await;
    let root = app.create_admin("root", PW);
    let (alice, bob) = (app.create_user("alice", PW), app.create_user("bob", PW));
    app.create_user("pete", PW);
    let now = app.clock.now();
    app.db(|c| {
        let account = |c: &mut guildhall::db::DbConn, name: &str, kind: &str| {
            let spec = AccountInput {
                name: name.into(),
                kind: kind.into(),
            }
            .parse()
            .ok()
            .unwrap();
            company_accounts::create_account(c, root, &spec, now)
                .unwrap()
                .unwrap()
        };
        let (acme, parto) = (account(c, "Acme", "client"), account(c, "Parto", "partner"));
        for (u, a) in [("alice", acme), ("bob", acme), ("pete", parto)] {
            company_accounts::attach_user(c, root, u, Some(a), now)
                .unwrap()
                .unwrap();
        }
        for u in ["alice", "pete"] {
            company_accounts::set_super_user(c, root, u, true, now)
                .unwrap()
                .unwrap();
        }
        for (owner, name, slug, audience) in [
            (alice, "Acme Support", "acme-support", "client"),
            (alice, "Acme Lounge", "acme-lounge", "client"),
            (alice, "Partner Hub", "partner-hub", "partner"),
            (bob, "Bob's Club", "bobs-club", "client"),
        ] {
            let spec = GroupInput {
                name: name.into(),
                slug: slug.into(),
                description: String::new(),
                join_method: "invite_only".into(),
                audience: audience.into(),
            }
            .parse()
            .ok()
            .unwrap();
            groups::create_group(c, owner, &spec, now).unwrap().unwrap();
        }
        company_accounts::attach_group(c, root, "acme-support", Some(acme), now)
            .unwrap()
            .unwrap();
    });
    let client = new_client();
    app.login_with(&client, "alice", PW).await;
    let groups = [
        app.group_id("acme-support"),
        app.group_id("acme-lounge"),
        app.group_id("partner-hub"),
        app.group_id("bobs-club"),
    ];
    World {
        app,
        alice: client,
        groups,
    }
}

pub(crate) const CAROL: [(&str, &str); 5] = [
    ("first_name", "Carol"),
    ("last_name", "Contact"),
    ("email", "carol@example.com"),
    ("country_code", "+44"),
    ("phone", "20 7946 0000"),
];

const NEW: &str = "/account/users/new";

/// One wizard step as alice sends it from the real pages: from
/// /account/users/new through the steps before `extra`'s "step" (carol's
/// details, then those of `extra`'s groups that are offered), then the
/// button `extra`'s "action" names on that page's form, sent with
/// `details`, `extra`'s groups and search set on it (a tampered form when
/// they are not what the page holds).
pub(crate) async fn step(w: &World, details: &[(&str, &str)], extra: &[(&str, &str)]) -> Page {
    use crate::forms::with_button;
    let given = |k: &str| extra.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let (step, action) = (given("step").unwrap(), given("action").unwrap());
    let groups: Vec<&str> = extra
        .iter()
        .filter(|(n, _)| *n == "group")
        .map(|(_, v)| *v)
        .collect();
    let app = &w.app;
    let mut page = app.get_with(&w.alice, NEW).await;
    if step != "details" {
        let f = with_button(&page.body, NEW, "Next: groups").with(&CAROL);
        page = app.send(&w.alice, &f).await;
        assert_eq!(page.status, 200, "{}", page.main_text());
    }
    if step == "overview" {
        let offered = attrs(&page.body, "input[name=group][type=checkbox]", "value");
        let mut ticked: Vec<&str> = groups
            .iter()
            .copied()
            .filter(|g| offered.iter().any(|o| o == g))
            .collect();
        if ticked.is_empty() {
            ticked.push(&offered[0]);
        }
        let mut f = with_button(&page.body, NEW, "Next: overview");
        for g in ticked {
            f = f.add("group", g);
        }
        page = app.send(&w.alice, &f).await;
        assert_eq!(page.status, 200, "{}", page.main_text());
    }
    let label = match (step, action) {
        (_, "back") => "Back",
        ("details", "next") => "Next: groups",
        ("groups", "next") => "Next: overview",
        ("groups", "search") => "Search",
        ("overview", "add") => "Add",
        other => panic!("the wizard has no such button: {other:?}"),
    };
    let mut f = with_button(&page.body, NEW, label).with(details);
    if step != "details" {
        f = f.clear("group");
        for g in &groups {
            f = f.add("group", g);
        }
    }
    if let Some(q) = given("q") {
        f.set("q", q);
    }
    app.send(&w.alice, &f).await
}

/// What a refusal must leave untouched.
pub(crate) fn counts(app: &TestApp) -> [i64; 5] {
    [
        app.count("users"),
        app.count("invitations"),
        app.count("invitation_events"),
        app.count("outbox"),
        app.count("audit_events"),
    ]
}

fn carol(app: &TestApp) -> guildhall::models::User {
    app.db(|c| {
        users::table
            .filter(users::email_key.eq("carol@example.com"))
            .select(guildhall::models::User::as_select())
            .first(c)
            .unwrap()
    })
}

/// Walks the wizard to **Add** for carol into Acme Support and Acme Lounge.
pub(crate) async fn add_carol(w: &World) -> i64 {
    let (support, lounge) = (w.groups[0].to_string(), w.groups[1].to_string());
    let p = step(
        w,
        &CAROL,
        &[
            ("step", "overview"),
            ("group", &support),
            ("group", &lounge),
            ("action", "add"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    carol(&w.app).id
}

fn path_of(app: &TestApp, link: &str) -> String {
    link.trim_start_matches(&app.address).to_string()
}

/// carol signs up from `link` (a /join/ path) and accepts; returns her client.
async fn carol_registers_and_accepts(app: &TestApp, path: &str) -> reqwest::Client {
    let carol_c = new_client();
    let page = app.get_with(&carol_c, path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = path.trim_start_matches("/join/").to_string();
    let signup = app
        .get_with(&carol_c, &format!("/signup?invitation={token}"))
        .await;
    // The form starts with what the super user entered for her.
    for (field, value) in [
        ("first_name", "Carol"),
        ("last_name", "Contact"),
        ("phone", "20 7946 0000"),
    ] {
        assert_eq!(
            attrs(&signup.body, &format!("input#{field}"), "value"),
            vec![value],
            "{field}"
        );
    }
    let p = app
        .submit_in(
            &carol_c,
            &signup,
            "/signup",
            &[("username", "carol"), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some(path));
    let p = app
        .submit_with(&carol_c, path, &format!("{path}/accept"), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    carol_c
}

fn group_ids_of(app: &TestApp, user: i64) -> Vec<i64> {
    app.db(|c| {
        memberships::table
            .filter(memberships::user_id.eq(user))
            .order(memberships::group_id)
            .select(memberships::group_id)
            .load(c)
            .unwrap()
    })
}

async fn super_user_adds_a_contact_who_registers_and_joins(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let users_page = app.get_with(&w.alice, "/account/users").await;
    assert!(users_page.body.contains(r#"href="/account/users/new""#));
    let p = app.get_with(&w.alice, "/account/users/new").await;
    assert_eq!(p.status, 200);
    assert_eq!(texts(&p.body, "h1"), vec!["Add user".to_string()]);
    for label in ["First name", "Last name", "E-mail", "Country code", "Phone"] {
        assert!(p.main_text().contains(label), "{label}");
    }
    let before = counts(app);

    // Step 1: an address in use is refused beside the field, input kept.
    let mut taken = CAROL;
    taken[2] = ("email", "BOB@example.com");
    let p = step(&w, &taken, &[("step", "details"), ("action", "next")]).await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains(EMAIL_IN_USE), "{}", p.body);
    assert!(p.body.contains(r#"id="email-error""#));
    assert!(p.body.contains(r#"value="Carol""#) && p.body.contains(r#"value="20 7946 0000""#));
    let mut bad_phone = CAROL;
    bad_phone[4] = ("phone", "call me maybe");
    let p = step(&w, &bad_phone, &[("step", "details"), ("action", "next")]).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains(r#"id="phone-error""#), "{}", p.body);

    // Step 2: the groups alice may invite an Acme contact into, and only those.
    let p = step(&w, &CAROL, &[("step", "details"), ("action", "next")]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains(r#"type="hidden" name="email" value="carol@example.com""#)
    );
    assert!(p.main_text().contains("Acme Support") && p.main_text().contains("Acme Lounge"));
    assert!(!p.body.contains("Partner Hub"), "partner group offered");
    assert!(!p.body.contains("Bob&#x27;s Club") && !p.body.contains("Bob's Club"));
    // The search keeps what was chosen, even when it hides it.
    let support = w.groups[0].to_string();
    let p = step(
        &w,
        &CAROL,
        &[
            ("step", "groups"),
            ("q", "lounge"),
            ("group", &support),
            ("action", "search"),
        ],
    )
    .await;
    assert!(p.main_text().contains("Acme Lounge") && !p.body.contains(">Acme Support<"));
    assert!(
        p.body
            .contains(&format!(r#"type="hidden" name="group" value="{support}""#))
    );
    let p = step(&w, &CAROL, &[("step", "groups"), ("action", "next")]).await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains(NO_GROUP), "{}", p.body);
    // A forged group id (the partner group, and bob's) is refused.
    for forged in [w.groups[2], w.groups[3]] {
        let p = step(
            &w,
            &CAROL,
            &[
                ("step", "groups"),
                ("group", &forged.to_string()),
                ("action", "next"),
            ],
        )
        .await;
        assert_eq!(p.status, 422);
        assert!(p.main_text().contains(NOT_OFFERED));
        let p = step(
            &w,
            &CAROL,
            &[
                ("step", "overview"),
                ("group", &support),
                ("group", &forged.to_string()),
                ("action", "add"),
            ],
        )
        .await;
        assert_eq!(p.status, 422);
        assert!(p.main_text().contains(NOT_OFFERED));
    }
    // Tampered details at the last step go back to step 1.
    let mut tampered = CAROL;
    tampered[2] = ("email", "alice@example.com");
    let p = step(
        &w,
        &tampered,
        &[("step", "overview"), ("group", &support), ("action", "add")],
    )
    .await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains(EMAIL_IN_USE));
    assert_eq!(counts(app), before, "refusals wrote nothing");

    // Step 3: the overview, then Add.
    let lounge = w.groups[1].to_string();
    let p = step(
        &w,
        &CAROL,
        &[
            ("step", "groups"),
            ("group", &support),
            ("group", &lounge),
            ("action", "next"),
        ],
    )
    .await;
    assert_eq!(p.status, 200);
    assert!(p.main_text().contains("Step 3 of 3") && p.main_text().contains("Acme Lounge"));
    let id = add_carol(&w).await;
    let c = carol(app);
    assert_eq!(c.status, guildhall::domain::UserStatus::Invited);
    assert_eq!(c.account_id, app.user_by_username("alice").account_id);
    assert!(c.username.is_none() && c.password_hash.is_none() && c.email_verified_at.is_none());
    assert_eq!(c.phone.as_deref(), Some("20 7946 0000"));
    let after = counts(app);
    assert_eq!(
        [
            after[0] - before[0],
            after[1] - before[1],
            after[2] - before[2],
            after[3] - before[3],
            after[4] - before[4]
        ],
        [1, 2, 2, 1, 3],
        "one contact, two invitations and their 'sent' events, one mail, \
         three audit events (contact added, two invitations sent)"
    );
    let mail = app.outbox().into_iter().last().unwrap();
    assert_eq!(mail.recipient, "carol@example.com");
    assert!(
        mail.text_body.contains("Acme Support and Acme Lounge"),
        "{}",
        mail.text_body
    );
    let path = path_of(app, &app.link_in_last_mail_to("carol@example.com"));
    assert!(path.starts_with("/join/"));

    // Manage Users offers Invite to Community; her page the invitation actions.
    let users_page = app.get_with(&w.alice, "/account/users").await;
    assert!(users_page.main_text().contains("Invite to Community"));
    let detail = app
        .get_with(&w.alice, &format!("/account/users/{id}"))
        .await;
    for t in [
        "Resend Invitation",
        "Generate New Invitation",
        "Invitation link",
    ] {
        assert!(detail.main_text().contains(t), "{t}");
    }
    // Copy Invitation Link needs the script, which shows it; without it the
    // link stays in its read-only field.
    assert!(
        detail
            .body
            .contains(r#"data-copy="invitation-link" hidden>Copy Invitation Link"#)
    );
    assert!(
        detail
            .body
            .contains(&format!("value=\"{}{path}\"", app.address))
    );

    // carol registers from the link: the contact row becomes her account.
    let link_page = app.get_with(&new_client(), &path).await;
    assert!(
        link_page
            .main_text()
            .contains("Acme Support and Acme Lounge")
    );
    carol_registers_and_accepts(app, &path).await;
    let c = carol(app);
    assert_eq!(c.id, id, "the contact row became the user");
    assert!(c.is_active() && c.email_verified_at.is_some());
    assert_eq!(c.username.as_deref(), Some("carol"));
    assert_eq!(c.account_id, app.user_by_username("alice").account_id);
    assert_eq!(group_ids_of(app, id), vec![w.groups[0], w.groups[1]]);
    let statuses: Vec<String> = app.db(|conn| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(id))
            .select(invitations::status)
            .load(conn)
            .unwrap()
    });
    assert_eq!(statuses, vec!["accepted", "accepted"]);
    let users_page = app.get_with(&w.alice, "/account/users").await;
    assert!(!users_page.body.contains("Invite to Community"));
}

async fn contact_invitation_resend_and_renew(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let id = add_carol(&w).await;
    let first = app.link_in_last_mail_to("carol@example.com");
    let page = format!("/account/users/{id}");
    let mails = app.outbox().len();
    let p = app
        .submit_with(&w.alice, &page, &format!("{page}/invitation/resend"), &[])
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(app.outbox().len(), mails + 1);
    let again = app.outbox().into_iter().last().unwrap();
    assert!(again.text_body.contains("Acme Support and Acme Lounge"));
    assert_eq!(app.link_in_last_mail_to("carol@example.com"), first);

    let p = app
        .submit_with(&w.alice, &page, &format!("{page}/invitation/renew"), &[])
        .await;
    assert_eq!(p.status, 303);
    let shown = app.get_with(&w.alice, &page).await;
    assert!(
        shown
            .main_text()
            .contains("A new invitation link was generated")
    );
    assert!(!shown.body.contains(&first), "the page shows the new link");
    let old = app.get_with(&new_client(), &path_of(app, &first)).await;
    assert_eq!(old.status, 410);
    assert!(old.main_text().contains("no longer valid"));
    // Resending now mails the new link, which works and answers the batch.
    app.submit_with(&w.alice, &page, &format!("{page}/invitation/resend"), &[])
        .await;
    let fresh = app.link_in_last_mail_to("carol@example.com");
    assert_ne!(fresh, first);
    carol_registers_and_accepts(app, &path_of(app, &fresh)).await;
    assert_eq!(group_ids_of(app, id), vec![w.groups[0], w.groups[1]]);
    // Registered: no invitation actions any more.
    let shown = app.get_with(&w.alice, &page).await;
    assert!(!shown.body.contains("Resend Invitation"));
}

async fn refused_wizard_and_contact_actions_change_nothing(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let id = add_carol(&w).await;
    let before = counts(app);
    let page = format!("/account/users/{id}");

    // A regular user of Acme: the wizard and the actions are forbidden.
    let bob = new_client();
    app.login_with(&bob, "bob", PW).await;
    let p = app.get_with(&bob, "/account/users/new").await;
    assert_eq!(p.status, 403);
    assert!(p.main_text().contains(FORBIDDEN_TEXT));
    // Forged: bob has no wizard to send, nor contact actions.
    let support = w.groups[0].to_string();
    let mut dora: Vec<(&str, &str)> = CAROL.to_vec();
    dora[2] = ("email", "dora@example.com");
    let mut form = dora.clone();
    form.extend_from_slice(&[("step", "overview"), ("group", &support), ("action", "add")]);
    let p = app.forge_with(&bob, "/", NEW, &form).await;
    assert_eq!(p.status, 403);
    for action in ["resend", "renew"] {
        let p = app
            .forge_with(&bob, "/", &format!("{page}/invitation/{action}"), &[])
            .await;
        assert_eq!(p.status, 403, "bob {action}");
    }

    // The super user of another account: carol is not found.
    let pete = new_client();
    app.login_with(&pete, "pete", PW).await;
    assert_eq!(app.get_with(&pete, &page).await.status, 404);
    for action in ["resend", "renew"] {
        let p = app
            .forge_with(&pete, "/", &format!("{page}/invitation/{action}"), &[])
            .await;
        assert_eq!(p.status, 404, "pete {action}");
    }
    // pete's wizard offers no Acme group, and refuses one forged into the form.
    let first = app.get_with(&pete, NEW).await;
    let details = crate::forms::with_button(&first.body, NEW, "Next: groups").with(&dora);
    let p = app.send(&pete, &details).await;
    assert_eq!(p.status, 200, "{}", p.main_text());
    assert!(!p.body.contains("Acme Support"));
    let p = app.forge_with(&pete, NEW, NEW, &form).await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains(NOT_OFFERED));
    // Forged without a CSRF token: nothing happens either.
    let p = app
        .post_with(&w.alice, &format!("{page}/invitation/renew"), &[])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(counts(app), before, "refusals wrote nothing");
}

/// The ids of a contact's invitations, oldest first.
fn invitation_ids_of(app: &TestApp, user: i64) -> Vec<i64> {
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(user))
            .order(invitations::id)
            .select(invitations::id)
            .load(c)
            .unwrap()
    })
}

/// Sends the **Invite to Community** form of `id`'s page as `client`.
pub(crate) async fn invite_to_community(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    fields: &[(&str, &str)],
) -> Page {
    let page = format!("/account/users/{id}");
    app.submit_with(client, &page, &format!("{page}/invite"), fields)
        .await
}

/// The same form forged by someone whose page does not offer it.
async fn forged_invite_to_community(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    fields: &[(&str, &str)],
) -> Page {
    app.forge_with(client, "/", &format!("/account/users/{id}/invite"), fields)
        .await
}

async fn contact_whose_invitation_was_cancelled_is_invited_to_community_again(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let id = add_carol(&w).await;
    let first = app.link_in_last_mail_to("carol@example.com");
    let page = format!("/account/users/{id}");
    // While the invitation is open, there is nothing to invite again.
    let p = app.get_with(&w.alice, &page).await;
    assert!(!p.body.contains(&format!("/account/users/{id}/invite\"")));

    // alice cancels both invitations from the groups' pages.
    for (slug, inv) in ["acme-support", "acme-lounge"]
        .iter()
        .zip(invitation_ids_of(app, id))
    {
        let list = format!("/groups/{slug}/invitations");
        let p = app
            .submit_with(
                &w.alice,
                &format!("{list}/{inv}/cancel"),
                &format!("{list}/{inv}/cancel"),
                &[],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    let p = app.get_with(&w.alice, &page).await;
    assert!(!p.body.contains("Resend Invitation"));
    assert_eq!(
        texts(&p.body, "#invite-heading"),
        vec!["Invite to Community"]
    );
    assert!(
        p.body
            .contains(&format!(r#"action="/account/users/{id}/invite""#))
    );
    assert!(p.body.contains(r#"name="csrf_token""#));
    assert!(p.main_text().contains("valid 7 days"));
    // The wizard's groups: Acme's client groups alice manages, no others.
    assert!(p.body.contains(r#"<label for="q">Search groups</label>"#));
    for g in [w.groups[0], w.groups[1]] {
        assert!(
            p.body.contains(&format!(r#"<label for="group-{g}""#)),
            "{g}"
        );
    }
    assert!(!p.body.contains("Partner Hub") && !p.body.contains("Bob&#x27;s Club"));

    // The search keeps a ticked group it hides.
    let support = w.groups[0].to_string();
    let lounge = w.groups[1].to_string();
    let p = invite_to_community(
        app,
        &w.alice,
        id,
        &[("q", "lounge"), ("group", &support), ("action", "search")],
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(r#"for="group-"#) && p.main_text().contains("Acme Lounge"));
    assert!(!p.body.contains(&format!(r#"for="group-{support}""#)));
    assert!(
        p.body
            .contains(&format!(r#"type="hidden" name="group" value="{support}""#))
    );

    // Invite to Acme Lounge: a new mail with a new link.
    let (mails, invs) = (app.outbox().len(), app.count("invitations"));
    let p = invite_to_community(
        app,
        &w.alice,
        id,
        &[("group", &lounge), ("action", "invite")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some(&*format!("{page}#invitation")));
    assert_eq!(app.outbox().len(), mails + 1);
    assert_eq!(app.count("invitations"), invs + 1);
    let mail = app.outbox().into_iter().last().unwrap();
    assert_eq!(mail.recipient, "carol@example.com");
    assert!(mail.text_body.contains("Acme Lounge"), "{}", mail.text_body);
    let fresh = app.link_in_last_mail_to("carol@example.com");
    assert_ne!(fresh, first);
    // The page now shows the open invitation, and no form.
    let p = app.get_with(&w.alice, &page).await;
    assert!(
        p.main_text()
            .contains("Invited to Community: the invitation e-mail is on its way")
            || p.main_text()
                .contains("the invitation e-mail is on its way")
    );
    assert!(p.main_text().contains("Resend Invitation"));
    assert!(p.body.contains(&format!("value=\"{fresh}\"")));
    assert!(
        !p.body
            .contains(&format!(r#"action="/account/users/{id}/invite""#))
    );
    // A second invitation while this one is open is refused.
    let before = counts(app);
    let p = forged_invite_to_community(
        app,
        &w.alice,
        id,
        &[("group", &support), ("action", "invite")],
    )
    .await;
    assert_eq!(p.status, 303);
    assert_eq!(counts(app), before);
    let p = app.get_with(&w.alice, &page).await;
    assert!(p.main_text().contains(STILL_PENDING), "{}", p.body);

    // The old link answers nothing; the new one registers carol into Acme Lounge.
    let old = app.get_with(&new_client(), &path_of(app, &first)).await;
    assert!(old.main_text().contains("cancelled"), "{}", old.body);
    carol_registers_and_accepts(app, &path_of(app, &fresh)).await;
    let c = carol(app);
    assert_eq!(c.id, id);
    assert!(c.is_active());
    assert_eq!(c.account_id, app.user_by_username("alice").account_id);
    assert_eq!(group_ids_of(app, id), vec![w.groups[1]]);

    // Audited: the account's history of carol tells the whole story.
    let audit = app.get_with(&w.alice, "/account/audit?user=carol").await;
    let rows = texts(&audit.body, ".timeline li");
    for expected in [
        "Invitation sent by alice · about carol Invitation sent to carol@example.com (Acme Support)",
        "Invitation cancelled by alice · about carol Invitation to carol@example.com cancelled (Acme Lounge)",
        "Invited to Community by alice · about carol Contact carol@example.com invited to Community: Acme Lounge",
        "Invitation sent by alice · about carol Invitation sent to carol@example.com (Acme Lounge)",
        "Contact registered by carol · about carol Registered from an invitation as carol",
        "Member joined by carol · about carol Joined by invitation (Acme Lounge)",
        "Invitation accepted by carol · about carol Invitation accepted by carol@example.com (Acme Lounge)",
    ] {
        assert!(
            rows.iter().any(|r| r.contains(expected)),
            "{expected}: {rows:?}"
        );
    }
}

async fn contact_whose_invitation_expired_is_invited_again(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let id = add_carol(&w).await;
    let page = format!("/account/users/{id}");
    app.clock.advance(time::Duration::days(8));
    // A week later her session has ended too.
    app.login_with(&w.alice, "alice", PW).await;
    let p = app.get_with(&w.alice, &page).await;
    assert!(p.main_text().contains("expired"), "{}", p.body);
    assert!(
        p.body
            .contains(&format!(r#"action="/account/users/{id}/invite""#))
    );
    let support = w.groups[0].to_string();
    let mails = app.outbox().len();
    let p = invite_to_community(
        app,
        &w.alice,
        id,
        &[("group", &support), ("action", "invite")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.outbox().len(), mails + 1);
    // Both old invitations are marked expired; one new pending one.
    let statuses: Vec<String> = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(id))
            .order(invitations::id)
            .select(invitations::status)
            .load(c)
            .unwrap()
    });
    assert_eq!(statuses, vec!["expired", "expired", "pending"]);
    let p = app.get_with(&w.alice, &page).await;
    assert!(
        p.main_text().contains("Invited to Acme Support · pending"),
        "{}",
        p.body
    );
    let fresh = app.link_in_last_mail_to("carol@example.com");
    carol_registers_and_accepts(app, &path_of(app, &fresh)).await;
    assert_eq!(group_ids_of(app, id), vec![w.groups[0]]);
}

async fn refused_invite_to_community_changes_nothing(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let id = add_carol(&w).await;
    for inv in invitation_ids_of(app, id) {
        let slug = if inv == invitation_ids_of(app, id)[0] {
            "acme-support"
        } else {
            "acme-lounge"
        };
        app.submit_with(
            &w.alice,
            &format!("/groups/{slug}/invitations/{inv}/cancel"),
            &format!("/groups/{slug}/invitations/{inv}/cancel"),
            &[],
        )
        .await;
    }
    let before = counts(app);
    let before_members = app.count("memberships");
    let page = format!("/account/users/{id}");
    let support = w.groups[0].to_string();

    // No group chosen: the form again, with the message beside the groups.
    let p = invite_to_community(app, &w.alice, id, &[("q", ""), ("action", "invite")]).await;
    assert_eq!(p.status, 422);
    assert!(p.main_text().contains(NO_GROUP) && p.body.contains(r#"id="groups-error""#));
    // A group of the wrong audience (partner), or one alice does not manage.
    for forged in [w.groups[2], w.groups[3]] {
        let forged = forged.to_string();
        let p = forged_invite_to_community(
            app,
            &w.alice,
            id,
            &[
                ("group", &support),
                ("group", &forged),
                ("action", "invite"),
            ],
        )
        .await;
        assert_eq!(p.status, 422, "{forged}");
        assert!(p.main_text().contains(NOT_OFFERED));
        assert!(
            p.body.contains(&format!(
                r#"id="group-{support}" name="group" value="{support}" checked"#
            )),
            "ticked group kept: {}",
            p.body
        );
    }
    // A regular user of Acme: forbidden.
    let bob = new_client();
    app.login_with(&bob, "bob", PW).await;
    let p = forged_invite_to_community(app, &bob, id, &[("group", &support), ("action", "invite")])
        .await;
    assert_eq!(p.status, 403);
    assert!(p.main_text().contains(FORBIDDEN_TEXT));
    // The super user of another account: not found.
    let pete = new_client();
    app.login_with(&pete, "pete", PW).await;
    let p =
        forged_invite_to_community(app, &pete, id, &[("group", &support), ("action", "invite")])
            .await;
    assert_eq!(p.status, 404);
    let p =
        forged_invite_to_community(app, &pete, id, &[("q", "acme"), ("action", "search")]).await;
    assert_eq!(p.status, 404);
    // Forged without a CSRF token.
    let p = app
        .post_with(
            &w.alice,
            &format!("{page}/invite"),
            &[("group", support.as_str()), ("action", "invite")],
        )
        .await;
    assert_eq!(p.status, 403);
    // A registered user (alice herself, bob) is not a contact to invite.
    let bob_id = app.user_by_username("bob").id;
    let p = forged_invite_to_community(
        app,
        &w.alice,
        bob_id,
        &[("group", &support), ("action", "invite")],
    )
    .await;
    assert_eq!(p.status, 303);
    assert_eq!(counts(app), before, "refusals wrote nothing");
    assert_eq!(app.count("memberships"), before_members);
}
