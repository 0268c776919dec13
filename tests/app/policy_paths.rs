//! The invitation policy on the paths tests/app/invitation_policy.rs does
//! not walk: the Add user wizard, Invite to Community, Generate new
//! invitation, Extend 7 days, the invite page's JSON slices and accepting
//! by the e-mailed link. (The invite form by username and address, lists,
//! managed communities, resend and accept from the inbox are in
//! invitation_policy.rs; join links in join_links.rs; suggestions in
//! suggestions.rs.)

use crate::backend_tests;
use crate::helpers::*;
use crate::invitation_policy::save_policy;
use crate::roles::{create_role, role_id};
use crate::wizard::{CAROL, counts, invite_to_community, step, world};
use diesel::prelude::*;
use guildhall::db::schema::{invitations, users};

backend_tests!(
    the_add_user_wizard_refuses_an_address_the_policy_refuses,
    the_add_user_wizard_obeys_admins_only,
    invite_to_community_refuses_an_address_the_policy_refuses,
    generate_new_and_extend_refuse_an_invitation_the_policy_refuses,
    the_json_slices_refuse_an_address_the_policy_refuses,
    accepting_by_link_is_refused_after_the_rule_changed,
);

const PW: &str = "correct horse battery";
const ONLY_ACME: &str =
    "Acme Support's invitation policy: only addresses at acme.test may be invited";

async fn the_add_user_wizard_refuses_an_address_the_policy_refuses(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let p = save_policy(
        app,
        &w.alice,
        "acme-support",
        &[("allowed_domains", "acme.test")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let before = counts(app);
    let support = w.groups[0].to_string();
    let p = step(
        &w,
        &CAROL,
        &[("step", "overview"), ("group", &support), ("action", "add")],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.main_text()
            .contains(&format!("Acme Support: not allowed by {ONLY_ACME}.")),
        "{}",
        p.main_text()
    );
    assert_eq!(counts(app), before, "no contact, no invitation, no mail");
}

async fn the_add_user_wizard_obeys_admins_only(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    // alice manages Acme Lounge's members but is no longer one of its
    // admins (bob is), and Acme Lounge lets only its admins invite.
    let p = create_role(
        app,
        &w.alice,
        "acme-lounge",
        "Inviter",
        &["manage_member", "view_members", "post_messages"],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = save_policy(
        app,
        &w.alice,
        "acme-lounge",
        &[("who_may_invite", "admins")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let bob = app.user_by_username("bob").id;
    app.add_member("acme-lounge", bob, app.builtin_role("GroupAdmin"));
    let (alice, inviter, lounge_id) = (
        app.user_by_username("alice").id,
        role_id(app, Some("acme-lounge"), "Inviter"),
        w.groups[1],
    );
    app.db(|c| {
        use guildhall::db::schema::memberships as m;
        diesel::update(
            m::table
                .filter(m::group_id.eq(lounge_id))
                .filter(m::user_id.eq(alice)),
        )
        .set(m::role_id.eq(inviter))
        .execute(c)
        .unwrap()
    });
    let before = counts(app);
    let lounge = lounge_id.to_string();
    let p = step(
        &w,
        &CAROL,
        &[("step", "overview"), ("group", &lounge), ("action", "add")],
    )
    .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.main_text().contains(
            "Acme Lounge: not allowed by Acme Lounge's invitation policy: only its admins may invite."
        ),
        "{}",
        p.main_text()
    );
    assert_eq!(counts(app), before);
}

async fn invite_to_community_refuses_an_address_the_policy_refuses(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    // carol is added to Acme Lounge; her invitation is cancelled.
    let lounge = w.groups[1].to_string();
    let p = step(
        &w,
        &CAROL,
        &[("step", "overview"), ("group", &lounge), ("action", "add")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let carol: (i64, i64) = app.db(|c| {
        let id = users::table
            .filter(users::email_key.eq("carol@example.com"))
            .select(users::id)
            .first(c)
            .unwrap();
        let inv = invitations::table
            .filter(invitations::invitee_user_id.eq(id))
            .select(invitations::id)
            .first(c)
            .unwrap();
        (id, inv)
    });
    let cancel = format!("/groups/acme-lounge/invitations/{}/cancel", carol.1);
    let p = app.submit_with(&w.alice, &cancel, &cancel, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Acme Support takes only acme.test now: Invite to Community there is refused.
    let p = save_policy(
        app,
        &w.alice,
        "acme-support",
        &[("allowed_domains", "acme.test")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let before = counts(app);
    let support = w.groups[0].to_string();
    let p = invite_to_community(
        app,
        &w.alice,
        carol.0,
        &[("group", &support), ("action", "invite")],
    )
    .await;
    let shown = if p.status == 303 {
        app.get_with(&w.alice, p.location.as_deref().unwrap())
            .await
            .main_text()
    } else {
        assert_eq!(p.status, 422, "{}", p.body);
        p.main_text()
    };
    assert!(
        shown.contains(&format!("Acme Support: not allowed by {ONLY_ACME}.")),
        "{shown}"
    );
    assert_eq!(counts(app), before, "nothing sent");
}

/// alice's Big, with an invitation to x@other.org made before Big takes
/// only example.com; returns (alice, the invitation's id).
async fn big_with_an_invitation_made_before(app: &TestApp) -> (reqwest::Client, i64) {
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303);
    let lines = crate::email_invitations::invite(app, &alice, "big", "x@other.org", "").await;
    assert_eq!(lines, vec!["x@other.org: invited by e-mail"]);
    let p = save_policy(app, &alice, "big", &[("allowed_domains", "example.com")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let id = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq("x@other.org"))
            .select(invitations::id)
            .first(c)
            .unwrap()
    });
    (alice, id)
}

const REFUSED: &str = "Not allowed by Big's invitation policy: only addresses at example.com may be invited: nothing was sent. Cancel the invitation instead.";

async fn generate_new_and_extend_refuse_an_invitation_the_policy_refuses(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, id) = big_with_an_invitation_made_before(&app).await;
    let state = |app: &TestApp| -> (String, time::PrimitiveDateTime) {
        app.db(|c| {
            invitations::table
                .find(id)
                .select((invitations::token_hash, invitations::expires_at))
                .first(c)
                .unwrap()
        })
    };
    let before = state(&app);
    let detail = format!("/groups/big/invitations/{id}");
    // Generate new invitation (through its confirmation).
    let renew = format!("{detail}/renew");
    let p = app
        .submit_with(&alice, &renew, &renew, &[("back", "detail")])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = app.get_with(&alice, &detail).await;
    assert!(page.main_text().contains(REFUSED), "{}", page.main_text());
    // Extend 7 days, from the same page.
    let p = app
        .submit_in(&alice, &page, &format!("{detail}/extend"), &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = app.get_with(&alice, &detail).await;
    assert!(page.main_text().contains(REFUSED), "{}", page.main_text());
    assert_eq!(state(&app), before, "the link and its expiry are unchanged");
}

async fn the_json_slices_refuse_an_address_the_policy_refuses(b: Backend) {
    let app = spawn_app(b).await;
    let (alice, _) = big_with_an_invitation_made_before(&app).await;
    let page = app.get_with(&alice, "/groups/big/invite").await;
    let token = csrf_from(&page.body);
    let role = app.builtin_role("GroupMember").to_string();
    let r = alice
        .post(app.url("/groups/big/invite"))
        .header("Origin", &app.address)
        .header("Accept", "application/json")
        .form(&[
            ("csrf_token", token.as_str()),
            ("send_to", "y@other.org, z@example.com"),
            ("role_id", &role),
            ("action", "send"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    let lines = answer["lines"].as_array().expect("one line per entry");
    assert_eq!(lines[0]["entry"], "y@other.org");
    assert_eq!(lines[0]["ok"], false);
    assert_eq!(
        lines[0]["outcome"],
        "not allowed: Big's invitation policy: only addresses at example.com may be invited"
    );
    assert_eq!(lines[1]["ok"], true);
    let to_other: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq("y@other.org"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(to_other, 0);
}

async fn accepting_by_link_is_refused_after_the_rule_changed(b: Backend) {
    let app = spawn_app(b).await;
    let (_, id) = big_with_an_invitation_made_before(&app).await;
    let link = app.link_in_last_mail_to("x@other.org");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    // x signs up with the invited address (confirmed by the link) and accepts.
    let (xid, x) = app.logged_in("x", PW).await;
    app.db(|c| {
        diesel::update(users::table.find(xid))
            .set((
                users::email.eq("x@other.org"),
                users::email_key.eq("x@other.org"),
            ))
            .execute(c)
            .unwrap()
    });
    let page = app.get_with(&x, &path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let accept = crate::forms::with_button(&page.body, &path, "Accept");
    let p = app.send(&x, &accept).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let back = app.get_with(&x, p.location.as_deref().unwrap()).await;
    assert!(
        back.main_text()
            .contains("This invitation is no longer allowed by Big's invitation policy."),
        "{}",
        back.main_text()
    );
    let status: String = app.db(|c| {
        invitations::table
            .find(id)
            .select(invitations::status)
            .first(c)
            .unwrap()
    });
    assert_eq!(status, "pending");
    assert_eq!(app.count("memberships"), 1, "only alice");
}
