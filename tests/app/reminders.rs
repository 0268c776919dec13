//! Reminders before an invitation expires (at the configured points, with
//! the app's clock, over a real SMTP server; none for what was cancelled,
//! answered, replaced, expired or is refused by the policy now), "Extend 7
//! days" and "Tell me when it is accepted".

use crate::backend_tests;
use crate::helpers::*;
use crate::mail::{SmtpServer, free_port, header};
use diesel::prelude::*;
use guildhall::db::schema::{audit_events, invitations};
use time::Duration;

backend_tests!(
    reminders_arrive_at_the_configured_points_and_state_the_expiry,
    no_reminder_after_cancel_answer_or_a_new_link_and_none_once_expired,
    reminder_rounds_at_once_send_each_reminder_once,
    extend_keeps_the_link_and_shows_in_history_and_audit,
    extend_is_for_group_admins_and_open_invitations_only,
    tell_me_when_accepted_mails_the_inviter,
);

const PW: &str = "correct horse battery";

async fn crew(app: &TestApp) -> reqwest::Client {
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Crew", "crew", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    alice
}

async fn invite(app: &TestApp, c: &reqwest::Client, to: &str) -> Vec<String> {
    crate::email_invitations::invite(app, c, "crew", to, "").await
}

/// (id, expires_at, link nonce) of the latest invitation to `email`.
fn invitation(app: &TestApp, email: &str) -> (i64, time::PrimitiveDateTime, String) {
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq(email))
            .order(invitations::id.desc())
            .select((
                invitations::id,
                invitations::expires_at,
                invitations::link_nonce,
            ))
            .first(c)
            .unwrap()
    })
}

/// The reminder mails queued for `to`.
fn reminders_to(app: &TestApp, to: &str) -> Vec<guildhall::models::outbox::OutboxMail> {
    app.outbox()
        .into_iter()
        .filter(|m| m.recipient == to && m.subject.starts_with("Reminder: "))
        .collect()
}

/// Moves the clock and runs one reminder round to its end (the background
/// rounds may take some of the reminders; together they leave none due).
async fn at(app: &TestApp, by: Duration) {
    app.clock.advance(by);
    app.state.queue_reminders().await.unwrap();
}

fn when(t: time::PrimitiveDateTime) -> String {
    guildhall::services::invitations::format_when(t)
}

async fn reminders_arrive_at_the_configured_points_and_state_the_expiry(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let alice = crew(&app).await;
    app.create_user("bob", PW);
    let lines = invite(&app, &alice, "dave@example.com, bob").await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (dave_id, expires, _) = invitation(&app, "dave@example.com");
    let link = app.link_in_last_mail_to("dave@example.com");
    assert!(eventually(15, || smtp.messages().len() == 2).await);

    // Day 1: nothing yet.
    at(&app, Duration::days(1)).await;
    assert!(reminders_to(&app, "dave@example.com").is_empty());
    // Day 2: one reminder each, with the same link and the exact expiry.
    at(&app, Duration::days(1) + Duration::minutes(1)).await;
    let dave = reminders_to(&app, "dave@example.com");
    assert_eq!(dave.len(), 1);
    assert_eq!(
        dave[0].subject,
        "Reminder: Alice Tester invited you to Crew"
    );
    assert!(
        dave[0].text_body.contains(&format!(
            "The invitation expires on {} (UTC).",
            when(expires)
        )),
        "{}",
        dave[0].text_body
    );
    assert_eq!(link_in(&dave[0].text_body, &app.address), link);
    let bob = reminders_to(&app, "bob@example.com");
    assert_eq!(bob.len(), 1);
    assert!(
        bob[0].text_body.contains("/invitations"),
        "{}",
        bob[0].text_body
    );
    // Delivered over SMTP like any mail.
    assert!(eventually(15, || smtp.messages().len() == 4).await);
    let subjects: Vec<String> = smtp
        .messages()
        .iter()
        .filter_map(|m| header(m, "Subject").map(str::to_string))
        .filter(|s| s.starts_with("Reminder: "))
        .collect();
    assert_eq!(
        subjects.len(),
        2,
        "{:?}",
        smtp.messages()
            .iter()
            .map(|m| m.split("\n\n").next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    );
    // Day 3 and 4: nothing more; day 5: the second reminder.
    at(&app, Duration::days(1)).await;
    at(&app, Duration::days(1)).await;
    assert_eq!(reminders_to(&app, "dave@example.com").len(), 1);
    at(&app, Duration::days(1)).await;
    assert_eq!(reminders_to(&app, "dave@example.com").len(), 2);
    // The history says so, with nobody as the actor (days went by: the
    // session ended, so alice logs in again).
    app.login_with(&alice, "alice", PW).await;
    let detail = app
        .get_with(&alice, &format!("/groups/crew/invitations/{dave_id}"))
        .await;
    let history = texts(&detail.body, ".history li strong");
    assert_eq!(
        history.iter().filter(|h| *h == "Reminder sent").count(),
        2,
        "{history:?}"
    );
    // Expired (day 8): no reminder ever again.
    at(&app, Duration::days(3)).await;
    at(&app, Duration::days(3)).await;
    assert_eq!(reminders_to(&app, "dave@example.com").len(), 2);
    assert_eq!(settled(30, || smtp.messages().len()).await, 6);
}

async fn no_reminder_after_cancel_answer_or_a_new_link_and_none_once_expired(b: Backend) {
    let app = spawn_app(b).await;
    let alice = crew(&app).await;
    let (_, bob) = app.logged_in("bob", PW).await;
    invite(
        &app,
        &alice,
        "bob, cancelled@example.com, renewed@example.com, plain@example.com, refused@other.org",
    )
    .await;
    // A rule made after the invitation: its link could not be accepted, so
    // no reminder goes out for it.
    let p = crate::invitation_policy::save_policy(
        &app,
        &alice,
        "crew",
        &[("allowed_domains", "example.com")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (cancelled, _, _) = invitation(&app, "cancelled@example.com");
    let (renewed, _, old_nonce) = invitation(&app, "renewed@example.com");
    let p = press(
        &app,
        &alice,
        &format!("/groups/crew/invitations/{cancelled}/cancel"),
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let bob_inv = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq("bob@example.com"))
            .select(invitations::id)
            .first::<i64>(c)
            .unwrap()
    });
    let p = press(&app, &bob, &format!("/invitations/{bob_inv}/decline")).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Day 1: a new link for one of them; its period starts over.
    at(&app, Duration::days(1)).await;
    app.login_with(&alice, "alice", PW).await;
    let renew = format!("/groups/crew/invitations/{renewed}/renew");
    let p = app.submit_with(&alice, &renew, &renew, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Day 2: only the untouched invitation is reminded.
    at(&app, Duration::days(1) + Duration::minutes(1)).await;
    assert_eq!(reminders_to(&app, "plain@example.com").len(), 1);
    for to in [
        "cancelled@example.com",
        "bob@example.com",
        "renewed@example.com",
        "refused@other.org",
    ] {
        assert!(reminders_to(&app, to).is_empty(), "{to} was reminded");
    }
    // Day 3: the renewed one, with its new link (the old one is not in it).
    at(&app, Duration::days(1)).await;
    let renewed_mails = reminders_to(&app, "renewed@example.com");
    assert_eq!(renewed_mails.len(), 1);
    let (_, _, new_nonce) = invitation(&app, "renewed@example.com");
    assert_ne!(new_nonce, old_nonce);
    let new_link = link_in(&renewed_mails[0].text_body, &app.address);
    let p = app.get(new_link.strip_prefix(&app.address).unwrap()).await;
    assert_eq!(p.status, 200);
    assert!(
        p.main_text().contains("Expires in 5 days"),
        "{}",
        p.main_text()
    );
    // Past every expiry: the reminders stop at the two points of each.
    at(&app, Duration::days(10)).await;
    at(&app, Duration::days(1)).await;
    assert_eq!(reminders_to(&app, "plain@example.com").len(), 1);
    assert_eq!(reminders_to(&app, "renewed@example.com").len(), 1);
    for to in [
        "cancelled@example.com",
        "bob@example.com",
        "refused@other.org",
    ] {
        assert!(reminders_to(&app, to).is_empty(), "{to} was reminded");
    }
}

async fn reminder_rounds_at_once_send_each_reminder_once(b: Backend) {
    let app = spawn_app(b).await;
    let alice = crew(&app).await;
    let to: Vec<String> = (0..40).map(|i| format!("guest{i}@example.com")).collect();
    assert_eq!(invite(&app, &alice, &to.join(", ")).await.len(), 40);
    app.clock.advance(Duration::days(2) + Duration::minutes(1));
    // Eight rounds at one instant, besides the server's own.
    let rounds: Vec<_> = (0..8)
        .map(|_| {
            let state = app.state.clone();
            tokio::spawn(async move { state.queue_reminders().await.unwrap() })
        })
        .collect();
    let mut queued = 0;
    for r in rounds {
        queued += r.await.unwrap();
    }
    assert!(queued <= 40, "{queued} reminders queued for 40 invitations");
    let count = || {
        app.outbox()
            .iter()
            .filter(|m| m.subject.starts_with("Reminder: "))
            .count()
    };
    assert_eq!(settled(30, count).await, 40);
    for t in &to {
        assert_eq!(reminders_to(&app, t).len(), 1, "{t}");
    }
}

async fn extend_keeps_the_link_and_shows_in_history_and_audit(b: Backend) {
    let app = spawn_app(b).await;
    let alice = crew(&app).await;
    invite(&app, &alice, "dave@example.com, erin@example.com").await;
    let (dave, expires, nonce) = invitation(&app, "dave@example.com");
    let link = app.link_in_last_mail_to("dave@example.com");
    let link_path = link.strip_prefix(&app.address).unwrap().to_string();

    // Expired: the detail page still offers "Extend 7 days".
    app.clock.advance(Duration::days(8));
    app.login_with(&alice, "alice", PW).await;
    let detail_path = format!("/groups/crew/invitations/{dave}");
    let detail = app.get_with(&alice, &detail_path).await;
    assert_eq!(texts(&detail.body, "dd.status"), vec!["expired"]);
    let extend = format!("{detail_path}/extend");
    let p = app.submit_in(&alice, &detail, &extend, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some(detail_path.as_str()));
    let detail = app.get_with(&alice, &detail_path).await;
    assert!(
        detail
            .main_text()
            .contains("The invitation is extended by 7 days; its link stays the same."),
        "{}",
        detail.main_text()
    );
    assert_eq!(texts(&detail.body, "dd.status"), vec!["pending"]);
    let now = app.clock.now();
    let (_, after, same_nonce) = invitation(&app, "dave@example.com");
    assert_eq!(same_nonce, nonce, "the link changed");
    assert!(
        after > now + Duration::days(7) - Duration::minutes(1) && after <= now + Duration::days(7)
    );
    assert!(after > expires);
    // The same link opens the invitation again.
    let (_, dave_c) = app.logged_in("dave", PW).await;
    let p = app.get_with(&dave_c, &link_path).await;
    assert!(p.main_text().contains("Accept"), "{}", p.main_text());
    let history = texts(&detail.body, ".history li strong");
    assert!(
        history.contains(&"Invitation extended by 7 days".to_string()),
        "{history:?}"
    );
    let audited: Vec<String> = app.db(|c| {
        audit_events::table
            .filter(audit_events::kind.eq("invitation_extended"))
            .select(audit_events::detail)
            .load(c)
            .unwrap()
    });
    assert_eq!(
        audited,
        vec!["Invitation to dave@example.com extended by 7 days (Crew)"]
    );

    // A pending one, from the list's row menu: 7 days more than it had.
    let (erin, erin_expires, _) = invitation(&app, "erin@example.com");
    let list = app
        .get_with(&alice, "/groups/crew/invitations?status=expired")
        .await;
    let erin_s = erin.to_string();
    // Its row offers the button (in the row's menu).
    assert_eq!(
        attrs(
            &list.body,
            &format!("#invitation-{erin} button[form=extend]"),
            "value"
        ),
        vec![erin_s.clone()]
    );
    let press_extend = |page: &Page| {
        crate::forms::with_button(&page.body, "/groups/crew/invitations", "Extend 7 days")
            .with(&[("id", erin_s.as_str())])
    };
    let p = app.send(&alice, &press_extend(&list)).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (_, erin_after, _) = invitation(&app, "erin@example.com");
    // Expired too by now: a week from now, not from its old date.
    assert!(erin_after > erin_expires + Duration::days(7));
    // Pending: a week more than it had.
    let pending = app.get_with(&alice, "/groups/crew/invitations").await;
    let p = app.send(&alice, &press_extend(&pending)).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (_, erin_twice, _) = invitation(&app, "erin@example.com");
    assert_eq!(erin_twice, erin_after + Duration::days(7));
}

async fn extend_is_for_group_admins_and_open_invitations_only(b: Backend) {
    let app = spawn_app(b).await;
    let alice = crew(&app).await;
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    app.add_member("crew", bob_id, app.builtin_role("GroupMember"));
    invite(&app, &alice, "dave@example.com, erin@example.com").await;
    let (dave, expires, _) = invitation(&app, "dave@example.com");
    // A member forging the admin's request: 403, nothing changed.
    let path = format!("/groups/crew/invitations/{dave}/extend");
    let p = app.forge_with(&bob, "/groups/crew", &path, &[]).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert_eq!(invitation(&app, "dave@example.com").1, expires);
    // Without the CSRF token: refused.
    let p = app.post_with(&alice, &path, &[]).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert_eq!(invitation(&app, "dave@example.com").1, expires);
    // Cancelled: nothing to extend, said so.
    let p = press(
        &app,
        &alice,
        &format!("/groups/crew/invitations/{dave}/cancel"),
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = app
        .forge_with(&alice, "/groups/crew/invitations", &path, &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let list = app.get_with(&alice, "/groups/crew/invitations").await;
    assert!(
        list.main_text()
            .contains("This invitation is cancelled: nothing changed."),
        "{}",
        list.main_text()
    );
    assert_eq!(invitation(&app, "dave@example.com").1, expires);
    // Another group's invitation id: not found.
    let p = app.new_group(&alice, "Other", "other", "invite_only").await;
    assert_eq!(p.status, 303);
    let (erin, _, _) = invitation(&app, "erin@example.com");
    let p = app
        .forge_with(
            &alice,
            "/groups/other/invitations",
            &format!("/groups/other/invitations/{erin}/extend"),
            &[],
        )
        .await;
    assert_eq!(p.status, 404, "{}", p.body);
}

async fn tell_me_when_accepted_mails_the_inviter(b: Backend) {
    let app = spawn_app(b).await;
    let alice = crew(&app).await;
    let (_, bob) = app.logged_in("bob", PW).await;
    let (_, carol) = app.logged_in("carol", PW).await;
    let role = app.builtin_role("GroupMember").to_string();
    let p = app
        .send_invite(
            &alice,
            "crew",
            &[
                ("send_to", "bob"),
                ("role_id", &role),
                ("tell_me", "on"),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    invite(&app, &alice, "carol").await;
    // The form offers the box, unticked.
    let form = app.get_with(&alice, "/groups/crew/invite").await;
    let f = crate::forms::posting_to(&form.body, "/groups/crew/invite", "/groups/crew/invite");
    assert!(f.fields().iter().all(|(n, _)| n != "tell_me"));
    assert!(form.body.contains(r#"name="tell_me""#));
    for (c, who) in [(&bob, "bob"), (&carol, "carol")] {
        let id: i64 = app.db(|conn| {
            invitations::table
                .filter(invitations::invitee_email_key.eq(format!("{who}@example.com")))
                .select(invitations::id)
                .first(conn)
                .unwrap()
        });
        let p = press(&app, c, &format!("/invitations/{id}/accept")).await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    let told: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|m| m.kind == "invitation_accepted")
        .collect();
    assert_eq!(told.len(), 1, "one mail, for the invitation that asked");
    assert_eq!(told[0].recipient, "alice@example.com");
    assert_eq!(
        told[0].subject,
        "Bob Tester accepted your invitation to Crew"
    );
    assert!(told[0].text_body.contains("/groups/crew/members"));
}
