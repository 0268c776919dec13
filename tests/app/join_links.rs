//! Multi-use join links: a 3-use link lets three in and refuses the
//! fourth; the people it must refuse (unconfirmed address, deactivated,
//! removed from the group, another domain, the invitation policy); "Disable
//! link" and expiry at once; only admins see and change links; ten people
//! at once on a 3-use link make three members; a deleted account gives no
//! use back.

use crate::backend_tests;
use crate::helpers::*;
use crate::invitation_policy::save_policy;
use diesel::prelude::*;
use guildhall::db::schema::{join_links, memberships, users};

backend_tests!(
    a_three_use_link_lets_three_in_then_refuses_the_fourth,
    a_link_refuses_whom_an_invitation_would,
    disable_and_expiry_stop_a_link_at_once_and_only_admins_manage_links,
    ten_people_at_once_on_a_three_use_link_make_three_members,
    the_link_form_refuses_bad_input_and_keeps_it,
);

const PW: &str = "correct horse battery";

async fn big(app: &TestApp) -> reqwest::Client {
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    alice
}

/// Makes a link on the admins' page; returns its path (/links/…).
async fn make_link(
    app: &TestApp,
    alice: &reqwest::Client,
    uses: &str,
    days: &str,
    domain: &str,
) -> String {
    let p = app
        .submit_with(
            alice,
            "/groups/big/links",
            "/groups/big/links",
            &[
                ("max_uses", uses),
                ("days", days),
                ("allowed_domain", domain),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = app.get_with(alice, "/groups/big/links").await;
    let urls = attrs(&page.body, "input.link-field", "value");
    let url = urls.first().expect("the new link is listed first");
    url.strip_prefix(&app.address).unwrap().to_string()
}

/// Presses "Join Big" on the link's page as `c`.
async fn join(app: &TestApp, c: &reqwest::Client, link: &str) -> Page {
    let page = app.get_with(c, link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    app.submit_in(c, &page, link, &[]).await
}

fn is_member(app: &TestApp, slug: &str, user: i64) -> bool {
    let gid = app.group_id(slug);
    app.db(|c| {
        memberships::table
            .filter(memberships::group_id.eq(gid))
            .filter(memberships::user_id.eq(user))
            .count()
            .get_result::<i64>(c)
            .unwrap()
            > 0
    })
}

fn uses_of(app: &TestApp) -> Vec<i32> {
    app.db(|c| {
        join_links::table
            .order(join_links::id)
            .select(join_links::uses)
            .load(c)
            .unwrap()
    })
}

/// The flash on the page a refused press returns to.
async fn refusal(app: &TestApp, c: &reqwest::Client, p: &Page) -> String {
    assert_eq!(p.status, 303, "{}", p.body);
    let back = app.get_with(c, p.location.as_deref().unwrap()).await;
    texts(&back.body, ".flash").join(" ")
}

async fn a_three_use_link_lets_three_in_then_refuses_the_fourth(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big(&app).await;
    let link = make_link(&app, &alice, "3", "7", "").await;
    // A visitor sees what it is, and is asked to log in first.
    let p = app.get(&link).await;
    assert_eq!(p.status, 200);
    assert!(
        p.main_text()
            .contains("This link lets you join Big as GroupMember")
    );
    assert_eq!(
        attrs(&p.body, "main a.button", "href")[0],
        format!("/login?next={link}")
    );
    let mut ids = Vec::new();
    for name in ["m1", "m2", "m3"] {
        let (id, c) = app.logged_in(name, PW).await;
        let p = join(&app, &c, &link).await;
        assert_eq!(p.location.as_deref(), Some("/groups/big"));
        let home = app.get_with(&c, "/groups/big").await;
        assert!(
            home.main_text().contains("Welcome to Big."),
            "{}",
            home.main_text()
        );
        assert!(is_member(&app, "big", id));
        ids.push(id);
    }
    // The fourth finds it used up.
    let (m4, c4) = app.logged_in("m4", PW).await;
    let p = app.get_with(&c4, &link).await;
    assert_eq!(p.status, 410);
    assert!(
        p.main_text()
            .contains("This link is used up: it no longer works.")
    );
    let p = app.forge_with(&c4, "/", &link, &[]).await;
    assert_eq!(
        refusal(&app, &c4, &p).await,
        "This link is used up: it no longer works."
    );
    assert!(!is_member(&app, "big", m4));
    // The admins' page lists the uses.
    let page = app.get_with(&alice, "/groups/big/links").await;
    assert!(
        page.main_text().contains("3 of 3 uses"),
        "{}",
        page.main_text()
    );
    let used = texts(&page.body, "details.uses li");
    assert_eq!(used.len(), 3);
    assert!(used[0].starts_with("M3 Tester"), "{used:?}");
    // A member leaving and coming back by the same link: once per person.
    // An account deleted (by an operator) gives no use back.
    let gone = ids[0];
    app.db(|c| {
        use guildhall::db::schema::{audit_events, notifications, sessions};
        diesel::delete(audit_events::table.filter(audit_events::actor_id.eq(gone)))
            .execute(c)
            .unwrap();
        diesel::delete(audit_events::table.filter(audit_events::subject_user_id.eq(gone)))
            .execute(c)
            .unwrap();
        diesel::delete(memberships::table.filter(memberships::user_id.eq(gone)))
            .execute(c)
            .unwrap();
        diesel::delete(sessions::table.filter(sessions::user_id.eq(gone)))
            .execute(c)
            .unwrap();
        diesel::delete(notifications::table.filter(notifications::user_id.eq(gone)))
            .execute(c)
            .unwrap();
        diesel::delete(users::table.find(gone)).execute(c).unwrap();
    });
    assert_eq!(uses_of(&app), vec![3]);
    assert_eq!(app.get_with(&c4, &link).await.status, 410);
    let page = app.get_with(&alice, "/groups/big/links").await;
    assert_eq!(
        texts(&page.body, "details.uses li").len(),
        3,
        "the use stays listed"
    );
}

async fn a_link_refuses_whom_an_invitation_would(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big(&app).await;
    let link = make_link(&app, &alice, "50", "7", "").await;
    let press = |c: reqwest::Client| {
        let app = &app;
        let link = link.clone();
        async move {
            let p = app.forge_with(&c, "/", &link, &[]).await;
            refusal(app, &c, &p).await
        }
    };
    // An address not confirmed yet.
    let (u1, c1) = app.logged_in("unconfirmed", PW).await;
    app.db(|c| {
        diesel::update(users::table.find(u1))
            .set(users::email_verified_at.eq(None::<time::PrimitiveDateTime>))
            .execute(c)
            .unwrap()
    });
    assert_eq!(
        press(c1).await,
        "Confirm your e-mail address first (see the mail we sent you): this link works for a confirmed address."
    );
    assert!(!is_member(&app, "big", u1));
    // Removed by an admin: not back by a link.
    let (bob, bob_c) = app.logged_in("bob", PW).await;
    assert_eq!(join(&app, &bob_c, &link).await.status, 303);
    assert!(is_member(&app, "big", bob));
    let p = press_remove(&app, &alice, bob).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(!is_member(&app, "big", bob));
    let second = make_link(&app, &alice, "5", "7", "").await;
    let p = app.forge_with(&bob_c, "/", &second, &[]).await;
    assert_eq!(
        refusal(&app, &bob_c, &p).await,
        "You were removed from this group: ask one of its admins to invite you again."
    );
    assert!(!is_member(&app, "big", bob));
    // Deactivated: the session ends, the press joins nobody.
    let (carol, carol_c) = app.logged_in("carol", PW).await;
    let page = app.get_with(&carol_c, &link).await;
    let now = app.clock.now();
    app.db(|c| guildhall::services::manage_users::deactivate(c, carol, now))
        .unwrap();
    let p = app.submit_in(&carol_c, &page, &link, &[]).await;
    assert_eq!(p.status, 303);
    assert!(
        p.location.as_deref().unwrap().starts_with("/login"),
        "{:?}",
        p.location
    );
    assert!(!is_member(&app, "big", carol));
    // A link for one domain (and its subdomains) only.
    let eng = make_link(&app, &alice, "5", "7", "eng.example.com").await;
    let (dave, dave_c) = app.logged_in("dave", PW).await;
    let p = app.forge_with(&dave_c, "/", &eng, &[]).await;
    assert_eq!(
        refusal(&app, &dave_c, &p).await,
        "This link is for addresses at another domain: ask one of the group's admins for an invitation."
    );
    assert!(!is_member(&app, "big", dave));
    let (erin, erin_c) = app.logged_in("erin", PW).await;
    app.db(|c| {
        diesel::update(users::table.find(erin))
            .set((
                users::email.eq("erin@dev.eng.example.com"),
                users::email_key.eq("erin@dev.eng.example.com"),
            ))
            .execute(c)
            .unwrap()
    });
    assert_eq!(join(&app, &erin_c, &eng).await.status, 303);
    assert!(is_member(&app, "big", erin));
    // The community's policy: a blocked domain refuses at use; invitations
    // off refuses making a link, and using one made before.
    let p = save_policy(&app, &alice, "big", &[("blocked_domains", "example.com")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (fred, fred_c) = app.logged_in("fred", PW).await;
    let p = app.forge_with(&fred_c, "/", &link, &[]).await;
    assert_eq!(
        refusal(&app, &fred_c, &p).await,
        "Not allowed by Big's invitation policy: addresses at example.com may not be invited."
    );
    assert!(!is_member(&app, "big", fred));
    let p = save_policy(
        &app,
        &alice,
        "big",
        &[("blocked_domains", ""), ("invitations_off", "on")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = app.forge_with(&fred_c, "/", &link, &[]).await;
    assert_eq!(
        refusal(&app, &fred_c, &p).await,
        "Not allowed by Big's invitation policy: invitations are off."
    );
    let p = app
        .submit_with(&alice, "/groups/big/links", "/groups/big/links", &[])
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        texts(&p.body, "#allowed_domain-error"),
        vec!["Not allowed by Big's invitation policy: invitations are off."]
    );
}

/// alice removes `user` from Big on its members page (with its confirmation).
async fn press_remove(app: &TestApp, alice: &reqwest::Client, user: i64) -> Page {
    let path = format!("/groups/big/members/{user}/remove");
    app.confirm_with(alice, "/groups/big/members", &path, &[])
        .await
}

async fn disable_and_expiry_stop_a_link_at_once_and_only_admins_manage_links(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big(&app).await;
    let link = make_link(&app, &alice, "5", "3", "").await;
    let (bob, bob_c) = app.logged_in("bob", PW).await;
    app.add_member("big", bob, app.builtin_role("GroupMember"));
    // A member who does not manage members: no page, no disabling.
    assert_eq!(app.get_with(&bob_c, "/groups/big/links").await.status, 403);
    let id: i64 = app.db(|c| join_links::table.select(join_links::id).first(c).unwrap());
    let disable = format!("/groups/big/links/{id}/disable");
    let p = app.forge_with(&bob_c, "/groups/big", &disable, &[]).await;
    assert_eq!(p.status, 403);
    let p = app
        .forge_with(
            &bob_c,
            "/groups/big",
            "/groups/big/links",
            &[("max_uses", "5"), ("days", "3")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("join_links"), 1);
    // "Disable link": refused at once, page and press.
    let page = app.get_with(&alice, "/groups/big/links").await;
    let p = app.submit_in(&alice, &page, &disable, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = app.get_with(&alice, "/groups/big/links").await;
    assert!(
        page.main_text()
            .contains("The link is disabled: it no longer works.")
    );
    assert!(attrs(&page.body, "input.link-field", "value").is_empty());
    let (carol, carol_c) = app.logged_in("carol", PW).await;
    let p = app.get_with(&carol_c, &link).await;
    assert_eq!(p.status, 410);
    assert!(p.main_text().contains("This link is disabled"));
    let p = app.forge_with(&carol_c, "/", &link, &[]).await;
    assert_eq!(
        refusal(&app, &carol_c, &p).await,
        "This link is disabled: it no longer works."
    );
    assert!(!is_member(&app, "big", carol));
    // Past its days: expired.
    let other = make_link(&app, &alice, "5", "3", "").await;
    app.clock
        .advance(time::Duration::days(3) + time::Duration::minutes(1));
    let (dave, dave_c) = app.logged_in("dave", PW).await;
    assert_eq!(app.get_with(&dave_c, &other).await.status, 410);
    let p = app.forge_with(&dave_c, "/", &other, &[]).await;
    assert_eq!(
        refusal(&app, &dave_c, &p).await,
        "This link is expired: it no longer works."
    );
    assert!(!is_member(&app, "big", dave));
    // Another group's link id: not found; a made-up token: not found.
    app.login_with(&alice, "alice", PW).await;
    let p = app.new_group(&alice, "Other", "other", "invite_only").await;
    assert_eq!(p.status, 303);
    let p = app
        .forge_with(
            &alice,
            "/groups/other/links",
            &format!("/groups/other/links/{id}/disable"),
            &[],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(
        app.get_with(&dave_c, "/links/not-a-real-token")
            .await
            .status,
        404
    );
}

async fn ten_people_at_once_on_a_three_use_link_make_three_members(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big(&app).await;
    let link = make_link(&app, &alice, "3", "7", "").await;
    let mut requests = Vec::new();
    let mut ids = Vec::new();
    for i in 0..10 {
        let name = format!("p{i}");
        let id = app.create_user(&name, PW);
        let c = client_with_jar().0;
        app.login_with(&c, &name, PW).await;
        requests.push(app.prepared_post_with(&c, &link, &link, &[]).await);
        ids.push(id);
    }
    let pages = at_once(requests).await;
    assert!(pages.iter().all(|p| p.status == 303));
    let joined = pages
        .iter()
        .filter(|p| p.location.as_deref() == Some("/groups/big"))
        .count();
    assert_eq!(joined, 3);
    assert_eq!(
        ids.iter().filter(|&&id| is_member(&app, "big", id)).count(),
        3
    );
    assert_eq!(uses_of(&app), vec![3]);
    assert_eq!(app.count("join_link_uses"), 3);
}

async fn the_link_form_refuses_bad_input_and_keeps_it(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big(&app).await;
    let errors = |p: &Page| {
        assert_eq!(p.status, 422, "{}", p.body);
        texts(&p.body, ".field-error")
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let alice = &alice;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
            app.submit_with(alice, "/groups/big/links", "/groups/big/links", &f)
                .await
        }
    };
    let p = send(vec![("max_uses", "0".into()), ("days", "31".into())]).await;
    assert_eq!(
        errors(&p),
        vec![
            "Enter a number of uses from 1 to 1000.",
            "Enter a number of days from 1 to 30."
        ]
    );
    let p = send(vec![(
        "allowed_domain",
        "a.example.com b.example.com".into(),
    )])
    .await;
    assert_eq!(errors(&p), vec!["Enter one domain, or none."]);
    let p = send(vec![("allowed_domain", "exa mple".into())]).await;
    assert_eq!(errors(&p).len(), 1);
    let p = send(vec![("max_uses", "9".repeat(100_000))]).await;
    assert_eq!(errors(&p), vec!["Enter a number of uses from 1 to 1000."]);
    // A role from another group, or above one's own: refused like an unknown one.
    let p = send(vec![("role_id", "999999".into())]).await;
    assert_eq!(errors(&p), vec!["Choose one of the roles you may give."]);
    let p = app
        .forge_with(
            &alice,
            "/groups/big/links",
            "/groups/big/links",
            &[
                ("allowed_domain", "a\u{0}b.com"),
                ("max_uses", "3"),
                ("days", "3"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(app.count("join_links"), 0, "nothing stored");
}
