//! "Suggest someone": members who may not invite suggest, those who manage
//! members approve (the invitation goes out from them, over real SMTP,
//! crediting the suggester) or decline; the policy, the daily quota, the
//! one-pending rule and 14 days' expiry; a suggest-only member's forged
//! approval refused.

use crate::backend_tests;
use crate::helpers::*;
use crate::invitation_policy::save_policy;
use crate::mail::{SmtpServer, free_port, header};
use diesel::prelude::*;
use guildhall::db::schema::{invitation_events, invitations, notifications, suggestions, users};

backend_tests!(
    a_suggestion_approved_is_mailed_and_credits_the_suggester,
    a_suggest_only_member_cannot_approve_or_decline,
    suggestions_obey_the_policy_the_quota_and_one_pending_per_person,
    declined_and_lapsed_suggestions_are_told_and_can_be_made_again,
    one_person_suggested_twenty_times_at_once_is_one_suggestion,
    two_approvals_at_once_send_one_invitation,
);

const PW: &str = "correct horse battery";

/// alice runs `big` (invite-only), which lets any member suggest; carol is
/// a plain member. Returns (alice, carol).
async fn big_with_carol(app: &TestApp) -> (reqwest::Client, reqwest::Client) {
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = save_policy(app, &alice, "big", &[("who_may_invite", "members")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("big", carol_id, app.builtin_role("GroupMember"));
    (alice, carol)
}

async fn suggest(app: &TestApp, c: &reqwest::Client, who: &str, reason: &str) -> Page {
    app.submit_with(
        c,
        "/groups/big/suggestions",
        "/groups/big/suggestions",
        &[("invitee", who), ("reason", reason)],
    )
    .await
}

/// (id, status) of every suggestion, oldest first.
fn suggestion_rows(app: &TestApp) -> Vec<(i64, String)> {
    app.db(|c| {
        suggestions::table
            .order(suggestions::id)
            .select((suggestions::id, suggestions::status))
            .load(c)
            .unwrap()
    })
}

fn notes_of(app: &TestApp, username: &str) -> Vec<String> {
    app.db(|c| {
        notifications::table
            .inner_join(users::table.on(users::id.eq(notifications::user_id)))
            .filter(users::username.eq(username))
            .order(notifications::id)
            .select(notifications::text)
            .load(c)
            .unwrap()
    })
}

fn invitations_to(app: &TestApp, email: &str) -> Vec<(i64, String)> {
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq(email))
            .select((invitations::id, invitations::status))
            .load(c)
            .unwrap()
    })
}

async fn a_suggestion_approved_is_mailed_and_credits_the_suggester(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let (alice, carol) = big_with_carol(&app).await;

    // carol finds "Suggest someone" on the group's page.
    let home = app.get_with(&carol, "/groups/big").await;
    assert_eq!(
        attrs(
            &home.body,
            "a.button[href='/groups/big/suggestions']",
            "href"
        )
        .len(),
        1
    );
    assert!(!home.body.contains("/groups/big/invite\""));
    let p = suggest(
        &app,
        &carol,
        "dave@example.com",
        "Dave runs our Rust meetup.",
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = app.get_with(&carol, "/groups/big/suggestions").await;
    assert!(
        page.main_text()
            .contains("Your suggestion is sent: those who manage the members will decide."),
        "{}",
        page.main_text()
    );
    assert_eq!(
        texts(&page.body, ".my-suggestions li strong"),
        vec!["dave@example.com"]
    );
    assert!(invitations_to(&app, "dave@example.com").is_empty());
    // alice hears of it, and sees it with the reason.
    assert_eq!(
        notes_of(&app, "alice"),
        vec!["Carol Tester suggests inviting dave@example.com to Big."]
    );
    // Her Invitations page leads there (and to the join links).
    let invitations = app.get_with(&alice, "/groups/big/invitations").await;
    for href in ["/groups/big/suggestions", "/groups/big/links"] {
        assert_eq!(
            attrs(&invitations.body, &format!("main a[href='{href}']"), "href").len(),
            1,
            "{href}"
        );
    }
    let list = app.get_with(&alice, "/groups/big/suggestions").await;
    assert_eq!(texts(&list.body, "td.invitee"), vec!["dave@example.com"]);
    assert_eq!(
        texts(&list.body, "td.reason"),
        vec!["Dave runs our Rust meetup."]
    );
    // Approve on its row.
    let id = suggestion_rows(&app)[0].0;
    let approve = crate::forms::with_button_valued(
        &list.body,
        "/groups/big/suggestions",
        "Approve",
        &id.to_string(),
    );
    let p = app.send(&alice, &approve).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let list = app.get_with(&alice, "/groups/big/suggestions").await;
    assert!(
        list.main_text().contains("1 invitation sent."),
        "{}",
        list.main_text()
    );
    assert!(list.main_text().contains("No suggestions are waiting."));
    assert_eq!(suggestion_rows(&app), vec![(id, "approved".to_string())]);
    // The invitation is alice's, and its history credits carol.
    let invs = invitations_to(&app, "dave@example.com");
    assert_eq!(invs.len(), 1);
    let (inv_id, status) = &invs[0];
    assert_eq!(status, "pending");
    let (inviter, events): (i64, Vec<(String, Option<i64>)>) = app.db(|c| {
        let inviter = invitations::table
            .find(inv_id)
            .select(invitations::inviter_id)
            .first(c)
            .unwrap();
        let events = invitation_events::table
            .filter(invitation_events::invitation_id.eq(inv_id))
            .order(invitation_events::id)
            .select((invitation_events::kind, invitation_events::actor_id))
            .load(c)
            .unwrap();
        (inviter, events)
    });
    let (alice_id, carol_id) = (
        app.user_by_username("alice").id,
        app.user_by_username("carol").id,
    );
    assert_eq!(inviter, alice_id);
    assert_eq!(
        events,
        vec![
            ("sent".to_string(), Some(alice_id)),
            ("suggested".to_string(), Some(carol_id))
        ]
    );
    let detail = app
        .get_with(&alice, &format!("/groups/big/invitations/{inv_id}"))
        .await;
    assert!(
        detail.main_text().contains("Suggested by carol"),
        "{}",
        detail.main_text()
    );
    // carol is told; dave gets the invitation mail over SMTP.
    assert_eq!(
        notes_of(&app, "carol").last().map(String::as_str),
        Some("Your suggestion was approved: dave@example.com is invited to Big.")
    );
    assert!(
        eventually(15, || smtp.messages().iter().any(
            |m| header(m, "Subject") == Some("Alice Tester invited you to Big")
        ))
        .await,
        "the invitation mail did not arrive"
    );
}

async fn a_suggest_only_member_cannot_approve_or_decline(b: Backend) {
    let app = spawn_app(b).await;
    let (_, carol) = big_with_carol(&app).await;
    let p = suggest(&app, &carol, "dave@example.com", "Good person.").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let id = suggestion_rows(&app)[0].0.to_string();
    // Her page offers no decision.
    let page = app.get_with(&carol, "/groups/big/suggestions").await;
    assert!(!page.body.contains("/suggestions/decide"));
    for field in ["approve", "decline"] {
        let p = app
            .forge_with(
                &carol,
                "/groups/big/suggestions",
                "/groups/big/suggestions/decide",
                &[(field, id.as_str())],
            )
            .await;
        assert_eq!(p.status, 403, "{field}: {}", p.body);
    }
    assert_eq!(suggestion_rows(&app)[0].1, "pending");
    assert!(invitations_to(&app, "dave@example.com").is_empty());
    // Someone outside the group sees neither the page nor the form.
    let (_, eve) = app.logged_in("eve", PW).await;
    assert_eq!(
        app.get_with(&eve, "/groups/big/suggestions").await.status,
        404
    );
}

async fn suggestions_obey_the_policy_the_quota_and_one_pending_per_person(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303);
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("big", carol_id, app.builtin_role("GroupMember"));
    // Default rules: members do not suggest; the page says so, no form.
    let page = app.get_with(&carol, "/groups/big/suggestions").await;
    assert!(
        page.main_text()
            .contains("This group does not take suggestions"),
        "{}",
        page.main_text()
    );
    assert!(
        crate::forms::forms(&page.body, "/groups/big/suggestions")
            .iter()
            .all(|f| f.action != "/groups/big/suggestions")
    );
    let home = app.get_with(&carol, "/groups/big").await;
    assert!(!home.body.contains("Suggest someone"));
    let p = app
        .forge_with(
            &carol,
            "/groups/big",
            "/groups/big/suggestions",
            &[("invitee", "dave@example.com"), ("reason", "x")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(suggestion_rows(&app).is_empty());

    let p = save_policy(
        &app,
        &alice,
        "big",
        &[
            ("who_may_invite", "members"),
            ("allowed_domains", "example.com"),
        ],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (bob_id, _) = app.logged_in("bob", PW).await;
    app.add_member("big", bob_id, app.builtin_role("GroupMember"));
    let refused = |p: &Page| {
        assert_eq!(p.status, 422, "{}", p.body);
        texts(&p.body, "#invitee-error, #reason-error").join(" ")
    };
    let p = suggest(&app, &carol, "dave@other.org", "x").await;
    assert_eq!(
        refused(&p),
        "Not allowed by Big's invitation policy: only addresses at example.com may be invited."
    );
    assert_eq!(
        refused(&suggest(&app, &carol, "bob", "x").await),
        "They are a member already."
    );
    assert_eq!(
        refused(&suggest(&app, &carol, "nobody", "x").await),
        "There is no user with this username."
    );
    assert_eq!(
        refused(&suggest(&app, &carol, "dave@example.com", "  ").await),
        "Say why they should be invited."
    );
    assert_eq!(
        refused(&suggest(&app, &carol, "a@example.com, b@example.com", "x").await),
        "Suggest one person at a time."
    );
    let long = "x".repeat(501);
    assert_eq!(
        refused(&suggest(&app, &carol, "dave@example.com", &long).await),
        "A reason has at most 500 characters."
    );
    // What was typed stays in the form.
    let p = suggest(&app, &carol, "dave@other.org", "Keep me").await;
    assert_eq!(p.status, 422);
    let kept = crate::forms::posting_to(
        &p.body,
        "/groups/big/suggestions",
        "/groups/big/suggestions",
    );
    assert_eq!(kept.field("Reason"), "reason");
    assert!(
        kept.fields()
            .contains(&("reason".to_string(), "Keep me".to_string())),
        "{:?}",
        kept.fields()
    );
    // Hostile input: a NUL byte never reaches the form; 100 KB is refused
    // by it, beside the field.
    let p = app
        .forge_with(
            &carol,
            "/groups/big/suggestions",
            "/groups/big/suggestions",
            &[("invitee", "a\u{0}b@example.com"), ("reason", "x")],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.main_text().contains("cannot be used"),
        "{}",
        p.main_text()
    );
    let huge = "a".repeat(100_000);
    assert_eq!(
        refused(&suggest(&app, &carol, &huge, "x").await),
        "Enter a username or an e-mail address."
    );
    assert_eq!(
        refused(&suggest(&app, &carol, "dave@example.com", &huge).await),
        "A reason has at most 500 characters."
    );
    assert!(suggestion_rows(&app).is_empty(), "a refusal stored nothing");

    // Once per person while it waits.
    assert_eq!(
        suggest(&app, &carol, "dave@example.com", "x").await.status,
        303
    );
    assert_eq!(
        refused(&suggest(&app, &bob_client(&app).await, "DAVE@example.com", "y").await),
        "Someone suggested them already: those who manage the members will decide."
    );
    // An invitation already out: nothing to suggest.
    crate::email_invitations::invite(&app, &alice, "big", "erin@example.com", "").await;
    assert_eq!(
        refused(&suggest(&app, &carol, "erin@example.com", "x").await),
        "They are invited already."
    );
    // 20 a day: carol made one; 19 more pass, the 21st is refused.
    for i in 0..19 {
        let p = suggest(&app, &carol, &format!("p{i}@example.com"), "x").await;
        assert_eq!(p.status, 303, "{i}: {}", p.body);
    }
    assert_eq!(
        refused(&suggest(&app, &carol, "p99@example.com", "x").await),
        "You have made as many suggestions as a day allows. Try again tomorrow."
    );
    assert_eq!(suggestion_rows(&app).len(), 20);
}

async fn bob_client(app: &TestApp) -> reqwest::Client {
    let c = client_with_jar().0;
    app.login_with(&c, "bob", PW).await;
    c
}

async fn declined_and_lapsed_suggestions_are_told_and_can_be_made_again(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, carol) = big_with_carol(&app).await;
    for who in ["dave@example.com", "erin@example.com", "fred@example.com"] {
        assert_eq!(suggest(&app, &carol, who, "x").await.status, 303);
    }
    // Decline two together.
    let rows = suggestion_rows(&app);
    let list = app.get_with(&alice, "/groups/big/suggestions").await;
    let press = crate::forms::with_button(&list.body, "/groups/big/suggestions", "Decline")
        .add("ids", &rows[0].0.to_string())
        .add("ids", &rows[1].0.to_string());
    assert!(
        press
            .fields()
            .contains(&("do".to_string(), "decline".to_string()))
    );
    let p = app.send(&alice, &press).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let list = app.get_with(&alice, "/groups/big/suggestions").await;
    assert!(
        list.main_text().contains("2 suggestions declined."),
        "{}",
        list.main_text()
    );
    assert_eq!(texts(&list.body, "td.invitee"), vec!["fred@example.com"]);
    assert!(
        notes_of(&app, "carol").contains(
            &"Your suggestion to invite dave@example.com to Big was declined.".to_string()
        )
    );
    // Declined: may be suggested again.
    assert_eq!(
        suggest(&app, &carol, "dave@example.com", "again")
            .await
            .status,
        303
    );
    // 14 days: fred's lapses, shows expired, and cannot be approved.
    app.clock.advance(time::Duration::days(14));
    app.login_with(&alice, "alice", PW).await;
    app.login_with(&carol, "carol", PW).await;
    let page = app.get_with(&carol, "/groups/big/suggestions").await;
    assert!(
        texts(&page.body, ".my-suggestions li")
            .iter()
            .any(|l| l.starts_with("fred@example.com: expired")),
        "{:?}",
        texts(&page.body, ".my-suggestions li")
    );
    let fred = rows[2].0.to_string();
    let p = app
        .forge_with(
            &alice,
            "/groups/big/suggestions",
            "/groups/big/suggestions/decide",
            &[("approve", fred.as_str())],
        )
        .await;
    assert_eq!(p.status, 303);
    let list = app.get_with(&alice, "/groups/big/suggestions").await;
    assert!(
        list.main_text()
            .contains("1 suggestion was decided already or past 14 days: left as it was."),
        "{}",
        list.main_text()
    );
    assert!(invitations_to(&app, "fred@example.com").is_empty());
    assert_eq!(
        suggest(&app, &carol, "fred@example.com", "once more")
            .await
            .status,
        303
    );
    // Another group's suggestion id: not found.
    let p = app.new_group(&alice, "Other", "other", "invite_only").await;
    assert_eq!(p.status, 303);
    let p = app
        .forge_with(
            &alice,
            "/groups/other/suggestions",
            "/groups/other/suggestions/decide",
            &[("decline", fred.as_str())],
        )
        .await;
    assert_eq!(p.status, 404, "{}", p.body);
}

async fn one_person_suggested_twenty_times_at_once_is_one_suggestion(b: Backend) {
    let app = spawn_app(b).await;
    let (_, _) = big_with_carol(&app).await;
    // Twenty members, each with a prepared "Suggest someone" for dave.
    let mut requests = Vec::new();
    for i in 0..20 {
        let name = format!("m{i}");
        let id = app.create_user(&name, PW);
        app.add_member("big", id, app.builtin_role("GroupMember"));
        let c = client_with_jar().0;
        app.login_with(&c, &name, PW).await;
        requests.push(
            app.prepared_post_with(
                &c,
                "/groups/big/suggestions",
                "/groups/big/suggestions",
                &[("invitee", "dave@example.com"), ("reason", "at once")],
            )
            .await,
        );
    }
    let pages = at_once(requests).await;
    let ok = pages.iter().filter(|p| p.status == 303).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(pages.iter().all(|p| p.status == 303 || p.status == 422));
    assert_eq!(suggestion_rows(&app).len(), 1);
}

async fn two_approvals_at_once_send_one_invitation(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, carol) = big_with_carol(&app).await;
    let (zed_id, zed) = app.logged_in("zed", PW).await;
    app.add_member("big", zed_id, app.builtin_role("GroupAdmin"));
    assert_eq!(
        suggest(&app, &carol, "dave@example.com", "x").await.status,
        303
    );
    let id = suggestion_rows(&app)[0].0.to_string();
    let mut requests = Vec::new();
    for c in [&alice, &zed, &alice, &zed] {
        requests.push(
            app.prepared_post_with(
                c,
                "/groups/big/suggestions",
                "/groups/big/suggestions/decide",
                &[("approve", id.as_str())],
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
    assert_eq!(invitations_to(&app, "dave@example.com").len(), 1);
    assert_eq!(suggestion_rows(&app)[0].1, "approved");
}
