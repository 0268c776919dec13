//! Invitations by username: the invite form, what the invitee gets, the
//! inbox, answering once, the group's invitations tab, and every refusal.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{
    invitation_events, invitations, memberships, messages, notifications, roles,
};

backend_tests!(
    invite_by_username_then_accept_and_decline,
    each_entry_gets_its_own_outcome,
    only_group_admins_invite,
    no_role_above_the_inviters_own_and_no_foreign_role,
    cancel_only_through_the_invitations_own_group,
    nobody_answers_someone_elses_invitation,
    an_invitation_is_answered_once_even_by_fifty_requests,
    closed_and_expired_invitations_offer_nothing,
    invite_page_previews_the_mail_and_messages_are_text,
    partners_are_never_invited_into_client_groups,
    the_inbox_header_counts_what_the_inbox_lists,
);

const PW: &str = "correct horse battery";

struct World {
    app: TestApp,
    alice: reqwest::Client,
    bob: reqwest::Client,
    carol: reqwest::Client,
    bob_id: i64,
    carol_id: i64,
}

async fn create_group(app: &TestApp, c: &reqwest::Client, slug: &str) {
    let p = app
        .new_group(c, &format!("Group {slug}"), slug, "invite_only")
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

/// alice administers the invite-only group `crew`; bob and carol are users.
async fn world(b: Backend) -> World {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    create_group(&app, &alice, "crew").await;
    World {
        app,
        alice,
        bob,
        carol,
        bob_id,
        carol_id,
    }
}

async fn invite(
    app: &TestApp,
    c: &reqwest::Client,
    slug: &str,
    to: &str,
    role: i64,
    message: &str,
) -> Page {
    let role = role.to_string();
    app.send_invite(
        c,
        slug,
        &[
            ("send_to", to),
            ("role_id", &role),
            ("message", message),
            ("action", "send"),
        ],
    )
    .await
}

/// (invitee user id, status) of every invitation, by id.
fn invitation_states(app: &TestApp) -> Vec<(Option<i64>, String)> {
    app.db(|c| {
        invitations::table
            .order(invitations::id)
            .select((invitations::invitee_user_id, invitations::status))
            .load(c)
            .unwrap()
    })
}

fn invitation_id_for(app: &TestApp, user_id: i64) -> i64 {
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(user_id))
            .order(invitations::id.desc())
            .select(invitations::id)
            .first(c)
            .unwrap()
    })
}

fn membership_count(app: &TestApp, user_id: i64) -> i64 {
    app.db(|c| {
        memberships::table
            .filter(memberships::user_id.eq(user_id))
            .count()
            .get_result(c)
            .unwrap()
    })
}

async fn invite_by_username_then_accept_and_decline(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    let p = invite(
        app,
        &w.alice,
        "crew",
        "bob, carol\nnobody",
        member,
        "Welcome aboard",
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(
        texts(&p.body, ".invite-results li"),
        vec!["nobody: no such user", "bob: invited", "carol: invited"]
    );
    assert_eq!(invitation_states(app).len(), 2);
    // Each invitee got a private message, a notification and a mail.
    let (msgs, notes): (i64, i64) = app.db(|c| {
        (
            messages::table
                .filter(messages::kind.eq("invitation"))
                .count()
                .get_result(c)
                .unwrap(),
            notifications::table
                .filter(notifications::kind.eq("invitation"))
                .count()
                .get_result(c)
                .unwrap(),
        )
    });
    assert_eq!((msgs, notes), (2, 2));
    let mails: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|m| m.kind == "invitation")
        .collect();
    assert_eq!(mails.len(), 2);
    // Each invitation names the mail that announced it (the detail page's
    // "Last mail"), and each private message the invitation it is about.
    let named: Vec<(String, Option<i64>)> = app.db(|c| {
        invitations::table
            .order(invitations::id)
            .select((invitations::invitee_email, invitations::last_mail_id))
            .load(c)
            .unwrap()
    });
    let refs: Vec<i64> = app.db(|c| {
        invitations::table
            .inner_join(messages::table.on(messages::ref_id.eq(invitations::id.nullable())))
            .filter(messages::kind.eq("invitation"))
            .select(invitations::id)
            .load(c)
            .unwrap()
    });
    for (email, mail_id) in &named {
        let mail = mails.iter().find(|m| Some(m.id) == *mail_id);
        assert_eq!(mail.map(|m| m.recipient.as_str()), Some(email.as_str()));
    }
    assert_eq!(refs.len(), 2, "one message per invitation: {refs:?}");
    assert!(mails[0].text_body.contains("Welcome aboard"));
    assert!(
        mails[0]
            .text_body
            .contains(&format!("{}/invitations", app.address))
    );

    // bob sees the badge, his inbox, and accepts.
    let home = app.get_with(&w.bob, "/").await;
    assert_eq!(texts(&home.body, "[data-count=invitations]"), vec!["1"]);
    // Counted once: not again on the bell (tests/app/notifications_clear.rs).
    assert_eq!(texts(&home.body, "[data-count=notifications]"), vec!["0"]);
    let inbox = app.get_with(&w.bob, "/invitations").await;
    assert!(
        inbox.main_text().contains("Welcome aboard") && inbox.main_text().contains("Group crew")
    );
    let id = invitation_id_for(app, w.bob_id);
    let p = press(app, &w.bob, &format!("/invitations/{id}/accept")).await;
    assert_eq!(p.location.as_deref(), Some("/invitations"));
    assert!(
        app.get_with(&w.bob, "/invitations")
            .await
            .main_text()
            .contains("Welcome to Group crew!")
    );
    let (role, invited_by): (String, Option<i64>) = app.db(|c| {
        memberships::table
            .inner_join(roles::table)
            .filter(memberships::user_id.eq(w.bob_id))
            .select((roles::name, memberships::invited_by))
            .first(c)
            .unwrap()
    });
    assert_eq!(role, "GroupMember");
    assert_eq!(invited_by, Some(app.user_by_username("alice").id));
    let members = app.get_with(&w.alice, "/groups/crew/members").await;
    assert!(texts(&members.body, "td.member .username").contains(&"@bob".to_string()));

    // carol declines from the message's buttons: asked first, with who
    // hears of it; nothing is answered until she confirms.
    let cid = invitation_id_for(app, w.carol_id);
    let ask = app
        .submit_with(
            &w.carol,
            "/invitations",
            &format!("/invitations/{cid}/decline"),
            &[],
        )
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(
        texts(&ask.body, "h1"),
        vec!["Decline the invitation to Group crew?"]
    );
    assert_eq!(
        texts(&ask.body, ".consequence"),
        vec![
            "Alice Tester will be told you declined. To join Group crew later, you will need a new invitation."
        ]
    );
    assert_eq!(invitation_states(app)[1].1, "pending");
    // Someone else's invitation (forged: not on bob's page): no
    // confirmation page, the usual 404.
    let p = app
        .forge_with(&w.bob, "/", &format!("/invitations/{cid}/decline"), &[])
        .await;
    assert_eq!(p.status, 404);
    press(app, &w.carol, &format!("/invitations/{cid}/decline")).await;
    assert_eq!(membership_count(app, w.carol_id), 0);
    assert_eq!(
        invitation_states(app),
        vec![
            (Some(w.bob_id), "accepted".into()),
            (Some(w.carol_id), "declined".into())
        ]
    );
    let (accepted, tabs) = invitation_tab(app, &w.alice, "crew", "accepted").await;
    assert_eq!(accepted, vec!["bob"]);
    assert_eq!(
        tabs,
        vec![
            "Pending 0",
            "Accepted 1",
            "Declined 1",
            "Expired 0",
            "Cancelled 0"
        ]
    );
    let (declined, _) = invitation_tab(app, &w.alice, "crew", "declined").await;
    assert_eq!(declined, vec!["carol"]);
    // The inviter heard of both answers.
    let alice_home = app.get_with(&w.alice, "/notifications").await;
    assert!(alice_home.main_text().contains("accepted your invitation"));
    assert!(alice_home.main_text().contains("declined your invitation"));
    let events: Vec<String> = app.db(|c| {
        invitation_events::table
            .order(invitation_events::id)
            .select(invitation_events::kind)
            .load(c)
            .unwrap()
    });
    assert_eq!(events, vec!["sent", "sent", "accepted", "declined"]);
}

async fn each_entry_gets_its_own_outcome(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    invite(app, &w.alice, "crew", "bob", member, "").await;
    let id = invitation_id_for(app, w.bob_id);
    press(app, &w.bob, &format!("/invitations/{id}/accept")).await;
    let dave = app.create_user("dave", PW);
    let now = app.clock.now();
    app.db(|c| guildhall::services::manage_users::deactivate(c, dave, now))
        .unwrap();
    invite(app, &w.alice, "crew", "carol", member, "").await;
    let before = invitation_states(app);
    // An entry that cannot be anybody is the typist's to fix: the form
    // says which, keeps what was typed, and sends nothing.
    let typed = "bob; carol dave alice b@d@x carol@example.com";
    let p = invite(app, &w.alice, "crew", typed, member, "Welcome").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        texts(&p.body, "#send_to-error"),
        vec![
            "1 entry is neither a username nor an e-mail address: \u{201c}b@d@x\u{201d}. Correct or remove it."
        ]
    );
    assert_eq!(texts(&p.body, "textarea#send_to"), vec![typed]);
    assert_eq!(texts(&p.body, "textarea#message"), vec!["Welcome"]);
    assert_eq!(invitation_states(app), before, "nothing sent");

    let p = invite(
        app,
        &w.alice,
        "crew",
        "bob; carol dave alice carol@example.com",
        member,
        "",
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(texts(&p.body, "h1"), vec!["No invitations sent"]);
    assert_eq!(
        texts(&p.body, ".invite-summary"),
        vec!["0 invited · 2 already invited · 2 already members · 1 account not active"]
    );
    assert_eq!(
        texts(&p.body, ".invite-results li"),
        vec![
            "bob: already a member",
            "carol: already invited",
            "dave: account not active",
            "alice: already a member",
            "carol@example.com: already invited",
        ]
    );
    assert_eq!(
        invitation_states(app),
        before,
        "nothing written for refused entries"
    );
}

async fn only_group_admins_invite(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    invite(app, &w.alice, "crew", "bob", member, "").await;
    let id = invitation_id_for(app, w.bob_id);
    press(app, &w.bob, &format!("/invitations/{id}/accept")).await;
    // bob is a plain member now: no invite page, no invitations tab, no POST.
    assert_eq!(
        app.get_with(&w.bob, "/groups/crew/invite").await.status,
        403
    );
    assert_eq!(
        app.get_with(&w.bob, "/groups/crew/invitations")
            .await
            .status,
        403
    );
    let before = app.count("invitations");
    // Forged: bob has no invite form for crew.
    let token = csrf_from(&app.get_with(&w.bob, "/").await.body);
    let admin = app.builtin_role("GroupAdmin").to_string();
    let p = app
        .post_with(
            &w.bob,
            "/groups/crew/invite",
            &[
                ("csrf_token", &token),
                ("send_to", "carol"),
                ("role_id", &admin),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(
        p.main_text()
            .contains("You do not have access to this feature.")
    );
    assert_eq!(app.count("invitations"), before);
    // carol, not a member of an invite-only group, does not even see it.
    assert_eq!(
        app.get_with(&w.carol, "/groups/crew/invite").await.status,
        404
    );
    let home = app.get_with(&w.bob, "/groups/crew").await;
    assert!(
        !home.body.contains("/groups/crew/invite\""),
        "no Invite members for plain members"
    );
}

async fn no_role_above_the_inviters_own_and_no_foreign_role(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let crew = app.group_id("crew");
    create_group(app, &w.alice, "other").await;
    let other = app.group_id("other");
    let now = app.clock.now();
    // A custom role "Member manager" in crew (invite, see members — not manage the group),
    // and a role defined in another group.
    let (manager_role, foreign_role): (i64, i64) = app.db(|c| {
        let mut add = |gid: i64, name: &str, perms: &str| -> i64 {
            diesel::insert_into(roles::table)
                .values((
                    roles::group_id.eq(Some(gid)),
                    roles::name.eq(name),
                    roles::name_key.eq(format!("{gid}:{}", name.to_lowercase())),
                    roles::permissions.eq(perms),
                    roles::builtin.eq(false),
                    roles::created_at.eq(now),
                ))
                .returning(roles::id)
                .get_result(c)
                .unwrap()
        };
        (
            add(
                crew,
                "Member manager",
                "manage_member,view_members,post_messages",
            ),
            add(other, "Elsewhere", "view_members"),
        )
    });
    app.db(|c| {
        guildhall::services::groups::add_member(c, crew, w.bob_id, manager_role, None, now)
            .unwrap();
    });
    let before = app.count("invitations");
    let admin = app.builtin_role("GroupAdmin");
    let p = invite(app, &w.bob, "crew", "carol", admin, "").await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, ".field-error")
            .contains(&"Choose one of the roles you may give.".to_string())
    );
    assert!(
        !texts(&p.body, "#role_id option").contains(&"GroupAdmin".to_string()),
        "not offered either"
    );
    let p = invite(app, &w.alice, "crew", "carol", foreign_role, "").await;
    assert_eq!(p.status, 422);
    assert_eq!(app.count("invitations"), before);
    // Within their own powers the member manager invites.
    let member = app.builtin_role("GroupMember");
    let p = invite(app, &w.bob, "crew", "carol", member, "").await;
    assert_eq!(texts(&p.body, ".invite-results li"), vec!["carol: invited"]);
}

async fn cancel_only_through_the_invitations_own_group(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    create_group(app, &w.alice, "other").await;
    let member = app.builtin_role("GroupMember");
    invite(app, &w.alice, "crew", "bob", member, "").await;
    let id = invitation_id_for(app, w.bob_id);
    let p = forged_post(
        app,
        &w.alice,
        &format!("/groups/other/invitations/{id}/cancel"),
    )
    .await;
    assert_eq!(p.status, 404);
    assert_eq!(
        invitation_states(app),
        vec![(Some(w.bob_id), "pending".into())]
    );
    // bob cannot cancel it either.
    let p = forged_post(
        app,
        &w.bob,
        &format!("/groups/crew/invitations/{id}/cancel"),
    )
    .await;
    assert_eq!(p.status, 404);
    let p = press(
        app,
        &w.alice,
        &format!("/groups/crew/invitations/{id}/cancel"),
    )
    .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        invitation_states(app),
        vec![(Some(w.bob_id), "cancelled".into())]
    );
    let (cancelled, tabs) = invitation_tab(app, &w.alice, "crew", "cancelled").await;
    assert_eq!(cancelled, vec!["bob"]);
    assert_eq!(
        tabs,
        vec![
            "Pending 0",
            "Accepted 0",
            "Declined 0",
            "Expired 0",
            "Cancelled 1"
        ]
    );
    assert!(
        app.get_with(&w.bob, "/invitations")
            .await
            .main_text()
            .contains("no pending invitations")
    );
}

async fn nobody_answers_someone_elses_invitation(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    invite(app, &w.alice, "crew", "bob", member, "").await;
    let id = invitation_id_for(app, w.bob_id);
    for path in [
        format!("/invitations/{id}/accept"),
        format!("/invitations/{id}/decline"),
    ] {
        assert_eq!(forged_post(app, &w.carol, &path).await.status, 404);
    }
    assert_eq!(membership_count(app, w.carol_id), 0);
    assert_eq!(
        invitation_states(app),
        vec![(Some(w.bob_id), "pending".into())]
    );
}

async fn an_invitation_is_answered_once_even_by_fifty_requests(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    invite(app, &w.alice, "crew", "bob", member, "").await;
    let id = invitation_id_for(app, w.bob_id);
    let token = csrf_from(&app.get_with(&w.bob, "/").await.body);
    let path = format!("/invitations/{id}/accept");
    let form = [("csrf_token", token.as_str())];
    let requests = (0..50).map(|_| app.post_with(&w.bob, &path, &form));
    let pages = futures_util::future::join_all(requests).await;
    assert!(
        pages.iter().all(|p| p.status == 303),
        "every request answered without error"
    );
    assert_eq!(membership_count(app, w.bob_id), 1);
    let accepted: i64 = app.db(|c| {
        invitation_events::table
            .filter(invitation_events::kind.eq("accepted"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(accepted, 1);
    // A later click (a page left open) says so and changes nothing.
    forged_post(app, &w.bob, &path).await;
    let page = app.get_with(&w.bob, "/invitations").await;
    assert!(
        page.main_text()
            .contains("is accepted: there is nothing to answer"),
        "{}",
        page.body
    );
    assert_eq!(membership_count(app, w.bob_id), 1);
}

async fn closed_and_expired_invitations_offer_nothing(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    // Declined, then accept: nothing.
    invite(app, &w.alice, "crew", "carol", member, "").await;
    let cid = invitation_id_for(app, w.carol_id);
    press(app, &w.carol, &format!("/invitations/{cid}/decline")).await;
    forged_post(app, &w.carol, &format!("/invitations/{cid}/accept")).await;
    assert_eq!(membership_count(app, w.carol_id), 0);

    // Past seven days: expired everywhere, nothing to accept, a new one may be sent.
    invite(app, &w.alice, "crew", "bob", member, "").await;
    let id = invitation_id_for(app, w.bob_id);
    app.clock
        .advance(time::Duration::days(7) + time::Duration::minutes(1));
    // Sessions idle that long have ended: log in again.
    app.login_with(&w.bob, "bob", PW).await;
    app.login_with(&w.alice, "alice", PW).await;
    let inbox = app.get_with(&w.bob, "/invitations").await;
    assert!(inbox.main_text().contains("no pending invitations"));
    assert_eq!(texts(&inbox.body, "[data-count=invitations]").len(), 0);
    forged_post(app, &w.bob, &format!("/invitations/{id}/accept")).await;
    assert!(
        app.get_with(&w.bob, "/invitations")
            .await
            .main_text()
            .contains("is expired")
    );
    assert_eq!(membership_count(app, w.bob_id), 0);
    // Past its date but never closed in the database: listed as expired.
    let (expired, _) = invitation_tab(app, &w.alice, "crew", "expired").await;
    assert!(expired.contains(&"bob".to_string()), "{expired:?}");
    let (pending, _) = invitation_tab(app, &w.alice, "crew", "pending").await;
    assert!(!pending.contains(&"bob".to_string()), "{pending:?}");
    let p = invite(app, &w.alice, "crew", "bob", member, "").await;
    assert_eq!(texts(&p.body, ".invite-results li"), vec!["bob: invited"]);
    assert_eq!(
        invitation_states(app)
            .iter()
            .filter(|(u, _)| *u == Some(w.bob_id))
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>(),
        vec!["expired", "pending"]
    );
}

async fn invite_page_previews_the_mail_and_messages_are_text(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let page = app.get_with(&w.alice, "/groups/crew/invite").await;
    assert_eq!(page.status, 200);
    assert_eq!(texts(&page.body, "h1"), vec!["Invite members"]);
    assert!(texts(&page.body, "summary").contains(&"Preview the e-mail".to_string()));
    for label in ["Send to", "Role", "Message (optional)"] {
        assert!(
            texts(&page.body, "label").contains(&label.to_string()),
            "label {label}"
        );
    }
    let member = app.builtin_role("GroupMember").to_string();
    let evil = "Hi <script>alert(1)</script>";
    let write = |f: crate::forms::Form| {
        f.fill("Send to", "bob")
            .fill("Role", &member)
            .fill("Message (optional)", evil)
    };
    let preview = write(crate::forms::with_button(
        &page.body,
        "/groups/crew/invite",
        "Update preview",
    ));
    let p = app.send(&w.alice, &preview).await;
    assert_eq!(p.status, 200);
    let preview = texts(&p.body, ".mail-preview").join("");
    assert!(preview.contains(evil), "{preview}");
    assert!(preview.contains("invited you to join Group crew"));
    assert_eq!(app.count("invitations"), 0, "a preview sends nothing");
    let send = write(crate::forms::with_button(
        &p.body,
        "/groups/crew/invite",
        "Send Invitation",
    ));
    let p = app.send(&w.alice, &send).await;
    let p = app
        .get_with(&w.alice, p.location.as_deref().expect("to the result"))
        .await;
    assert_eq!(texts(&p.body, ".invite-results li"), vec!["bob: invited"]);
    for path in ["/invitations", "/messages"] {
        let page = app.get_with(&w.bob, path).await;
        assert!(
            texts(&page.body, "script")
                .iter()
                .all(|s| !s.contains("alert")),
            "{path}"
        );
    }
    let inbox = app.get_with(&w.bob, "/invitations").await;
    assert!(texts(&inbox.body, "blockquote").contains(&evil.to_string()));
}

async fn partners_are_never_invited_into_client_groups(b: Backend) {
    use guildhall::models::company_account::{self, NewCompanyAccount};
    let w = world(b).await;
    let app = &w.app;
    // A client group "acme-support"; bob works for partner Parto.
    let p = app
        .submit_with(
            &w.alice,
            "/groups/new",
            "/groups",
            &[
                ("name", "Acme support"),
                ("slug", "acme-support"),
                ("description", ""),
                ("join_method", "invite_only"),
                ("audience", "client"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let now = app.clock.now();
    app.db(|c| {
        let parto = company_account::insert(
            c,
            &NewCompanyAccount {
                name: "Parto",
                name_key: "parto".into(),
                kind: "partner",
                created_at: now,
            },
        )
        .unwrap();
        guildhall::models::user::set_account(c, w.bob_id, Some(parto), now).unwrap();
    });
    let before = app.count("invitations");
    let member = app.builtin_role("GroupMember");
    for entry in ["bob", "bob@example.com"] {
        let p = invite(app, &w.alice, "acme-support", entry, member, "").await;
        assert_eq!(
            texts(&p.body, ".invite-results li"),
            vec![format!(
                "{entry}: not allowed: Partners cannot be added to client groups"
            )]
        );
    }
    assert_eq!(app.count("invitations"), before);
    assert_eq!(app.count("outbox"), 0);
}

/// The inbox takes its header badge from the invitations it lists instead
/// of counting them again: the same number as on every other page,
/// expired ones left out of both.
async fn the_inbox_header_counts_what_the_inbox_lists(b: Backend) {
    let w = world(b).await;
    let app = &w.app;
    let member = app.builtin_role("GroupMember");
    for slug in ["crew-two", "crew-three"] {
        create_group(app, &w.alice, slug).await;
    }
    for slug in ["crew", "crew-two", "crew-three"] {
        invite(app, &w.alice, slug, "bob", member, "").await;
    }
    // One of the three is past its date (not yet marked expired).
    let expired = invitation_id_for(app, w.bob_id);
    let past = app.clock.now() - time::Duration::minutes(1);
    app.db(|c| {
        diesel::update(invitations::table.find(expired))
            .set(invitations::expires_at.eq(past))
            .execute(c)
            .unwrap()
    });
    let home = app.get_with(&w.bob, "/").await;
    let inbox = app.get_with(&w.bob, "/invitations").await;
    assert_eq!(texts(&home.body, "[data-count=invitations]"), vec!["2"]);
    assert_eq!(texts(&inbox.body, "[data-count=invitations]"), vec!["2"]);
    assert_eq!(
        texts(&inbox.body, ".invitation h2"),
        vec!["Group crew-two", "Group crew"]
    );
    // The other counts of the header are still counted on the inbox; an
    // invitation's own notification and message light neither (it counts
    // once, above), so both are 0.
    assert_eq!(
        texts(&inbox.body, "[data-count=notifications]"),
        texts(&home.body, "[data-count=notifications]")
    );
    assert_eq!(texts(&inbox.body, "[data-count=notifications]"), vec!["0"]);
    assert_eq!(texts(&inbox.body, "[data-count=messages]"), vec!["0"]);
}
