//! The audit trail is complete for membership and invitation changes: who
//! left or was removed, every invitation sent, resent, renewed, cancelled,
//! revoked, accepted or declined, each with a readable label, on the
//! account's `/account/audit` and the site's `/admin/audit`, filtered by user.

use crate::backend_tests;
use crate::helpers::*;
use crate::wizard::world;
use diesel::prelude::*;
use guildhall::db::schema::invitations;

backend_tests!(audit_lists_membership_and_invitation_changes_by_user);

const PW: &str = "a-long-password-1";

async fn invite(app: &TestApp, client: &reqwest::Client, slug: &str, to: &str, role: &str) {
    let p = app
        .send_invite(
            client,
            slug,
            &[
                ("send_to", to),
                ("role_id", role),
                ("message", ""),
                ("action", "send"),
            ],
        )
        .await;
    assert!(p.status == 200 || p.status == 303, "{}", p.body);
}

/// The newest invitation sent to `email_key`.
fn last_invitation_to(app: &TestApp, email_key: &str) -> i64 {
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq(email_key))
            .order(invitations::id.desc())
            .select(invitations::id)
            .first(c)
            .unwrap()
    })
}

/// bob answers his newest invitation from his inbox.
async fn answer(app: &TestApp, bob: &reqwest::Client, verb: &str) {
    let id = last_invitation_to(app, "bob@example.com");
    let p = app
        .confirm_with(
            bob,
            "/invitations",
            &format!("/invitations/{id}/{verb}"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

fn rows(page: &Page) -> Vec<String> {
    assert_eq!(page.status, 200, "{}", page.body);
    texts(&page.body, ".timeline li")
}

fn has(rows: &[String], expected: &str) -> bool {
    rows.iter().any(|r| r.contains(expected))
}

async fn audit_lists_membership_and_invitation_changes_by_user(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let (member, admin) = (
        app.builtin_role("GroupMember").to_string(),
        app.builtin_role("GroupAdmin").to_string(),
    );
    let bob = new_client();
    app.login_with(&bob, "bob", PW).await;
    let bob_id = app.user_by_username("bob").id.to_string();

    // Invited, accepted, left; invited again, declined; invited as admin,
    // accepted, he invites erin, and alice removes him (erin's invitation is revoked).
    invite(app, &w.alice, "acme-support", "bob", &member).await;
    answer(app, &bob, "accept").await;
    let p = app
        .submit_with(
            &bob,
            "/groups/acme-support",
            "/groups/acme-support/leave",
            &[],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    invite(app, &w.alice, "acme-support", "bob", &member).await;
    answer(app, &bob, "decline").await;
    invite(app, &w.alice, "acme-support", "bob", &admin).await;
    answer(app, &bob, "accept").await;
    invite(app, &bob, "acme-support", "erin@example.com", &member).await;
    let p = app
        .confirm_with(
            &w.alice,
            "/groups/acme-support/members",
            &format!("/groups/acme-support/members/{bob_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        app.db(|c| invitations::table
            .filter(invitations::invitee_email_key.eq("erin@example.com"))
            .select(invitations::status)
            .first::<String>(c)
            .unwrap()),
        "cancelled"
    );

    // alice invites dora by e-mail, resends, generates a new link, cancels.
    invite(app, &w.alice, "acme-support", "dora@example.com", &member).await;
    let dora = last_invitation_to(app, "dora@example.com");
    let list = "/groups/acme-support/invitations";
    for action in ["resend", "renew", "cancel"] {
        // Resend is on the invitation's page; the other two ask first on
        // a page of their own.
        let action = format!("{list}/{dora}/{action}");
        let page = match action.ends_with("/resend") {
            true => format!("{list}/{dora}"),
            false => action.clone(),
        };
        let p = app.submit_with(&w.alice, &page, &action, &[]).await;
        assert_eq!(p.status, 303, "{action}: {}", p.body);
    }

    // bob's history in Acme's audit: every membership and invitation change.
    let bobs = rows(&app.get_with(&w.alice, "/account/audit?user=bob").await);
    for expected in [
        "Invitation sent by alice · about bob Invitation sent to bob@example.com (Acme Support)",
        "Invitation accepted by bob · about bob Invitation accepted by bob@example.com (Acme Support)",
        "Member joined by bob · about bob Joined by invitation (Acme Support)",
        "Member left by bob · about bob Left (Acme Support)",
        "Invitation declined by bob · about bob Invitation declined by bob@example.com (Acme Support)",
        "Member removed by alice · about bob Removed (Acme Support)",
        "Invitation sent by bob Invitation sent to erin@example.com (Acme Support)",
    ] {
        assert!(has(&bobs, expected), "{expected}: {bobs:?}");
    }
    assert!(!bobs.iter().any(|r| r.contains("dora")), "{bobs:?}");
    // alice's actions on dora's invitation, filtered by alice.
    let alices = rows(&app.get_with(&w.alice, "/account/audit?user=alice").await);
    for expected in [
        "Invitation sent by alice Invitation sent to dora@example.com (Acme Support)",
        "Invitation resent by alice Invitation resent to dora@example.com (Acme Support)",
        "New invitation link by alice New invitation link generated for dora@example.com (Acme Support)",
        "Invitation cancelled by alice Invitation to dora@example.com cancelled (Acme Support)",
        "Invitation revoked by alice Invitation to erin@example.com revoked (Acme Support)",
    ] {
        assert!(has(&alices, expected), "{expected}: {alices:?}");
    }
    // The site's audit, filtered by bob, shows the same; another account's
    // super user sees none of it in their account's audit.
    let root = new_client();
    app.login_with(&root, "root", PW).await;
    let site = rows(&app.get_with(&root, "/admin/audit?user=bob").await);
    assert!(
        has(&site, "Member left by bob · about bob Left (Acme Support)"),
        "{site:?}"
    );
    assert!(has(
        &site,
        "Member removed by alice · about bob Removed (Acme Support)"
    ));
    let pete = new_client();
    app.login_with(&pete, "pete", PW).await;
    let theirs = app.get_with(&pete, "/account/audit").await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.body.contains("Acme Support"), "{}", theirs.body);
}
