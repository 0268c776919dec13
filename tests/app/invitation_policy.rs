//! A community's invitation policy: domains allowed and blocked, disposable
//! addresses, invitations off; a managed community narrowing the rules of
//! the one above and refused when it would widen them; every path that
//! makes, resends or accepts an invitation obeying them.

use crate::backend_tests;
use crate::communities::create_managed;
use crate::helpers::*;
use crate::roles::{create_role, role_id};
use diesel::prelude::*;
use guildhall::db::schema::{invitation_policies, invitations, memberships, users};

backend_tests!(
    a_managed_community_narrows_the_rules_above_and_may_not_widen_them,
    addresses_the_rules_refuse_are_not_invited_by_address_or_username,
    an_invitation_made_before_invitations_off_is_refused_at_accept,
    a_rule_made_later_stops_resend_and_cancels_what_breaks_it,
    only_those_who_manage_the_community_see_or_change_its_policy,
    where_only_admins_invite_a_manager_is_refused,
    twenty_first_saves_at_once_leave_one_policy,
);

const PW: &str = "correct horse battery";

/// alice runs `big` (invite-only) with the managed community `eng`.
pub(crate) async fn big_and_eng(app: &TestApp) -> reqwest::Client {
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = create_managed(app, &alice, "big", "Eng", "eng").await;
    assert_eq!(p.status, 303, "{}", p.body);
    alice
}

pub(crate) async fn save_policy(
    app: &TestApp,
    c: &reqwest::Client,
    slug: &str,
    fields: &[(&str, &str)],
) -> Page {
    let path = format!("/groups/{slug}/policy");
    app.submit_with(c, &path, &path, fields).await
}

fn allowed_of(app: &TestApp, slug: &str) -> Option<String> {
    let gid = app.group_id(slug);
    app.db(|c| {
        invitation_policies::table
            .find(gid)
            .select(invitation_policies::allowed_domains)
            .first(c)
            .optional()
            .unwrap()
    })
}

/// The invite form's result lines for `to`, as GroupMember, no message.
async fn invite(app: &TestApp, c: &reqwest::Client, slug: &str, to: &str) -> Vec<String> {
    crate::email_invitations::invite(app, c, slug, to, "").await
}

fn pending_to(app: &TestApp, email: &str) -> i64 {
    let key = email.to_lowercase();
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq(&key))
            .filter(invitations::status.eq("pending"))
            .count()
            .get_result(c)
            .unwrap()
    })
}

async fn a_managed_community_narrows_the_rules_above_and_may_not_widen_them(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let p = save_policy(
        &app,
        &alice,
        "big",
        &[
            ("allowed_domains", "Example.com"),
            ("include_subdomains", "on"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(allowed_of(&app, "big").as_deref(), Some("example.com"));
    let p = save_policy(
        &app,
        &alice,
        "eng",
        &[("allowed_domains", "@eng.example.com")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Eng shows Big's rules, read-only, above its own.
    let page = app.get_with(&alice, "/groups/eng/policy").await;
    let above = texts(&page.body, "main section:first-of-type li");
    assert_eq!(above.len(), 1, "{above:?}");
    assert!(above[0].starts_with("Big:"), "{above:?}");
    assert!(above[0].contains("Only addresses at example.com and their subdomains."));
    // Widening is refused with the rule above named; nothing is written.
    let p = save_policy(&app, &alice, "eng", &[("allowed_domains", "other.org")]).await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text()
            .contains("Big allows only addresses at example.com: other.org would widen it."),
        "{}",
        p.main_text()
    );
    assert_eq!(allowed_of(&app, "eng").as_deref(), Some("eng.example.com"));
    // So is a domain that is not one, whole.
    let p = save_policy(
        &app,
        &alice,
        "big",
        &[("allowed_domains", "example.com\nnot a domain")],
    )
    .await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text().contains("“not” is not a domain"),
        "{}",
        p.main_text()
    );
    let p = save_policy(
        &app,
        &alice,
        "big",
        &[("allowed_domains", "exa\u{0}mple.com")],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(allowed_of(&app, "big").as_deref(), Some("example.com"));
}

async fn addresses_the_rules_refuse_are_not_invited_by_address_or_username(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    save_policy(
        &app,
        &alice,
        "big",
        &[
            ("allowed_domains", "example.com"),
            ("include_subdomains", "on"),
            ("blocked_domains", "spam.example.com"),
            ("block_disposable", "on"),
        ],
    )
    .await;
    save_policy(
        &app,
        &alice,
        "eng",
        &[("allowed_domains", "eng.example.com")],
    )
    .await;
    // A registered user whose address is elsewhere, invited by username.
    app.create_user("olga", PW);
    app.db(|c| {
        diesel::update(users::table.filter(users::username.eq("olga")))
            .set((
                users::email.eq("olga@other.org"),
                users::email_key.eq("olga@other.org"),
            ))
            .execute(c)
            .unwrap()
    });
    let lines = invite(
        &app,
        &alice,
        "big",
        "x@other.org\nolga\nann@example.com\nbo@eng.example.com\ncy@spam.example.com\nz@mailinator.com",
    )
    .await;
    // Refusals are listed first.
    let only = "not allowed: Big's invitation policy: only addresses at example.com may be invited";
    assert_eq!(
        lines,
        vec![
            format!("x@other.org: {only}"),
            format!("olga: {only}"),
            "cy@spam.example.com: not allowed: Big's invitation policy: addresses at spam.example.com may not be invited".to_string(),
            format!("z@mailinator.com: {only}"),
            "ann@example.com: invited by e-mail".to_string(),
            "bo@eng.example.com: invited by e-mail".to_string(),
        ]
    );
    assert_eq!(
        pending_to(&app, "x@other.org") + pending_to(&app, "olga@other.org"),
        0
    );
    // Into Eng, Eng's narrower rule refuses what Big's allows.
    let lines = invite(&app, &alice, "eng", "dee@example.com\nbo@eng.example.com").await;
    assert_eq!(
        lines,
        vec![
            "dee@example.com: not allowed: Eng's invitation policy: only addresses at eng.example.com may be invited".to_string(),
            "bo@eng.example.com: invited by e-mail".to_string(),
        ]
    );
    assert_eq!(pending_to(&app, "dee@example.com"), 0);
    // Disposable addresses: refused even where the domain is allowed.
    save_policy(
        &app,
        &alice,
        "big",
        &[("allowed_domains", ""), ("block_disposable", "on")],
    )
    .await;
    let lines = invite(&app, &alice, "big", "z@eu.mailinator.com\nq@other.org").await;
    assert_eq!(
        lines,
        vec![
            "z@eu.mailinator.com: not allowed: Big's invitation policy: disposable addresses may not be invited".to_string(),
            "q@other.org: invited by e-mail".to_string(),
        ]
    );
}

async fn an_invitation_made_before_invitations_off_is_refused_at_accept(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    assert_eq!(
        invite(&app, &alice, "eng", "bob").await,
        vec!["bob: invited"]
    );
    let p = save_policy(&app, &alice, "big", &[("invitations_off", "on")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let id: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(bob_id))
            .select(invitations::id)
            .first(c)
            .unwrap()
    });
    let p = press(&app, &bob, &format!("/invitations/{id}/accept")).await;
    assert_eq!(p.status, 303);
    let inbox = app.get_with(&bob, "/invitations").await;
    assert!(
        inbox
            .main_text()
            .contains("This invitation is no longer allowed by Big's invitation policy."),
        "{}",
        inbox.main_text()
    );
    let member: i64 = app.db(|c| {
        memberships::table
            .filter(memberships::user_id.eq(bob_id))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(member, 0, "a refused accept adds no membership");
    assert_eq!(pending_to(&app, "bob@example.com"), 1, "it stays pending");
    // The invite pages say so instead of offering a form (Eng's too)...
    for slug in ["big", "eng"] {
        let page = app
            .get_with(&alice, &format!("/groups/{slug}/invite"))
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.main_text().contains(
                "now: Big's invitation policy: invitations are off. Someone who manages Big can turn invitations on again"
            ),
            "{}",
            page.main_text()
        );
        assert!(
            crate::forms::forms(&page.body, "/groups/big/invite")
                .iter()
                .all(|f| !f.action.ends_with("/invite"))
        );
    }
    // ...and a forged (or stale) form is refused entry by entry, the rule named.
    let role = app.builtin_role("GroupMember").to_string();
    let p = app
        .forge_with(
            &alice,
            "/groups/big",
            "/groups/big/invite",
            &[
                ("send_to", "new@example.com"),
                ("role_id", &role),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let result = app.get_with(&alice, p.location.as_deref().unwrap()).await;
    assert_eq!(
        texts(&result.body, ".invite-results li"),
        vec!["new@example.com: not allowed: Big's invitation policy: invitations are off"]
    );
    assert_eq!(pending_to(&app, "new@example.com"), 0);
}

async fn a_rule_made_later_stops_resend_and_cancels_what_breaks_it(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    invite(&app, &alice, "big", "x@other.org\nann@example.com").await;
    invite(&app, &alice, "eng", "y@other.org").await;
    save_policy(&app, &alice, "big", &[("allowed_domains", "example.com")]).await;
    // The page lists the two that break the rule now, the managed one's too.
    let page = app.get_with(&alice, "/groups/big/policy").await;
    let listed = texts(&page.body, "main section:last-of-type li");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed[0].starts_with("x@other.org to Big: Big's invitation policy"),
        "{listed:?}"
    );
    assert!(listed[1].starts_with("y@other.org to Eng"), "{listed:?}");
    // Resend refuses it: the link could not be accepted.
    let id: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq("x@other.org"))
            .select(invitations::id)
            .first(c)
            .unwrap()
    });
    let mails = app.outbox().len();
    let detail = format!("/groups/big/invitations/{id}");
    let p = app
        .submit_with(&alice, &detail, &format!("{detail}/resend"), &[])
        .await;
    assert_eq!(p.status, 303);
    let shown = app.get_with(&alice, p.location.as_deref().unwrap()).await;
    assert!(
        shown
            .main_text()
            .contains("Not allowed by Big's invitation policy"),
        "{}",
        shown.main_text()
    );
    assert_eq!(app.outbox().len(), mails, "nothing mailed");
    // "Cancel these 2 invitations" cancels exactly those.
    let ask = app
        .submit_in(&alice, &page, "/groups/big/policy/cancel", &[])
        .await;
    assert_eq!(ask.status, 200, "a confirmation first");
    assert_eq!(pending_to(&app, "x@other.org"), 1, "nothing cancelled yet");
    assert_eq!(
        texts(&ask.body, "main li"),
        vec!["x@other.org to Big", "y@other.org to Eng"]
    );
    let p = app
        .submit_in(&alice, &ask, "/groups/big/policy/cancel", &[])
        .await;
    assert_eq!(p.status, 303);
    let shown = app.get_with(&alice, "/groups/big/policy").await;
    assert!(
        shown.main_text().contains("2 invitations are cancelled."),
        "{}",
        shown.main_text()
    );
    assert!(
        shown
            .main_text()
            .contains("None: every pending invitation follows the rules.")
    );
    assert_eq!(
        pending_to(&app, "x@other.org") + pending_to(&app, "y@other.org"),
        0
    );
    assert_eq!(pending_to(&app, "ann@example.com"), 1);
}

async fn only_those_who_manage_the_community_see_or_change_its_policy(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let (_, bob) = app.logged_in("bob", PW).await;
    invite(&app, &alice, "big", "bob").await;
    let id: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq("bob@example.com"))
            .select(invitations::id)
            .first(c)
            .unwrap()
    });
    press(&app, &bob, &format!("/invitations/{id}/accept")).await;
    // A member: no page, and a forged save changes nothing.
    assert_eq!(app.get_with(&bob, "/groups/big/policy").await.status, 403);
    let p = forged_post(&app, &bob, "/groups/big/policy").await;
    assert_eq!(p.status, 403);
    let p = forged_post(&app, &bob, "/groups/big/policy/cancel").await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("invitation_policies"), 0);
    // An outsider does not learn the group exists.
    let (_, carol) = app.logged_in("carol", PW).await;
    assert_eq!(app.get_with(&carol, "/groups/big/policy").await.status, 404);
    // The settings page links to it for alice.
    let settings = app.get_with(&alice, "/groups/big/settings").await;
    assert!(texts(&settings.body, "main a").contains(&"Invitation policy".to_string()));
}

async fn where_only_admins_invite_a_manager_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let p = create_role(
        &app,
        &alice,
        "big",
        "Inviter",
        &["manage_member", "view_members", "post_messages"],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let inviter = role_id(&app, Some("big"), "Inviter").to_string();
    let (_, bob) = app.logged_in("bob", PW).await;
    app.send_invite(
        &alice,
        "big",
        &[
            ("send_to", "bob"),
            ("role_id", &inviter),
            ("message", ""),
            ("action", "send"),
        ],
    )
    .await;
    let id: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq("bob@example.com"))
            .select(invitations::id)
            .first(c)
            .unwrap()
    });
    press(&app, &bob, &format!("/invitations/{id}/accept")).await;
    assert_eq!(
        invite(&app, &bob, "big", "z@example.com").await,
        vec!["z@example.com: invited by e-mail"]
    );
    let p = save_policy(&app, &alice, "big", &[("who_may_invite", "admins")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        invite(&app, &bob, "big", "y@example.com").await,
        vec!["y@example.com: not allowed: Big's invitation policy: only its admins may invite"]
    );
    assert_eq!(pending_to(&app, "y@example.com"), 0);
    // Alice (an admin) still invites; Eng may not let managers invite again.
    assert_eq!(
        invite(&app, &alice, "big", "y@example.com").await,
        vec!["y@example.com: invited by e-mail"]
    );
    let p = save_policy(&app, &alice, "eng", &[("who_may_invite", "managers")]).await;
    assert_eq!(p.status, 422);
    assert!(
        p.main_text().contains(
            "In Big only admins may invite: a managed community cannot let more people invite."
        ),
        "{}",
        p.main_text()
    );
}

async fn twenty_first_saves_at_once_leave_one_policy(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let mut requests = Vec::new();
    for i in 0..20 {
        let domain = format!("d{i}.example.com");
        requests.push(
            app.prepared_post_with(
                &alice,
                "/groups/big/policy",
                "/groups/big/policy",
                &[("allowed_domains", domain.as_str())],
            )
            .await,
        );
    }
    let pages = at_once(requests).await;
    assert!(
        pages.iter().all(|p| p.status == 303),
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert_eq!(app.count("invitation_policies"), 1);
    let kept = allowed_of(&app, "big").unwrap();
    assert!(
        kept.starts_with('d') && kept.ends_with(".example.com"),
        "{kept}"
    );
}
