//! Invitations by e-mail: mixed "Send to" lists, the /join/{token} link and
//! its page, signing up from it, the admin's lifecycle actions, quotas,
//! automatic revocation and delivery through a real SMTP server.

use crate::backend_tests;
use crate::helpers::*;
use crate::mail::{SmtpServer, free_port, header};
use diesel::prelude::*;
use guildhall::db::schema::{invitation_events, invitations, memberships};

backend_tests!(
    mixed_entries_each_get_an_outcome,
    a_stranger_signs_up_from_the_link_and_accepts,
    opening_a_link_changes_nothing_and_bad_tokens_say_nothing,
    generate_new_invitation_retires_the_old_link,
    the_invitation_is_bound_to_its_address,
    closed_invitations_accept_nothing,
    expiry_and_resend,
    actions_only_through_the_invitations_own_group,
    quotas_stop_sending,
    removed_inviters_invitations_are_revoked,
    no_header_injection_through_the_message,
    two_hundred_invitations_survive_an_smtp_outage,
    long_lists_go_in_slices_that_answer_in_json,
    several_groups_at_once_one_mail_one_link,
);

const PW: &str = "correct horse battery";

async fn create_group(app: &TestApp, c: &reqwest::Client, slug: &str) {
    let p = app
        .new_group(c, &format!("Group {slug}"), slug, "invite_only")
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

pub(crate) async fn invite(
    app: &TestApp,
    c: &reqwest::Client,
    slug: &str,
    to: &str,
    message: &str,
) -> Vec<String> {
    let role = app.builtin_role("GroupMember").to_string();
    let p = app
        .send_invite(
            c,
            slug,
            &[
                ("send_to", to),
                ("role_id", &role),
                ("message", message),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    texts(&p.body, ".invite-results li")
}

/// The path of the last invitation link mailed to `to`.
fn link_path(app: &TestApp, to: &str) -> String {
    let link = app.link_in_last_mail_to(to);
    assert!(link.contains("/join/"), "{link}");
    link.strip_prefix(&app.address).unwrap().to_string()
}

fn invitation_of(app: &TestApp, email: &str) -> (i64, String, Option<i64>) {
    app.db(|c| {
        invitations::table
            .filter(invitations::invitee_email_key.eq(email))
            .order(invitations::id.desc())
            .select((
                invitations::id,
                invitations::status,
                invitations::invitee_user_id,
            ))
            .first(c)
            .unwrap()
    })
}

/// POSTs as the logged-in `c` (the dashboard's log-out form carries the token).
/// alice administers the invite-only group `crew`.
async fn setup(b: Backend) -> (TestApp, reqwest::Client) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    create_group(&app, &alice, "crew").await;
    (app, alice)
}

async fn mixed_entries_each_get_an_outcome(b: Backend) {
    let (app, alice) = setup(b).await;
    app.create_user("bob", PW);
    app.create_user("carol", PW);
    let lines = invite(
        &app,
        &alice,
        "crew",
        "dave@example.com; Erin@EXAMPLE.com, bob\ncarol@Example.com dave@example.com",
        "",
    )
    .await;
    assert_eq!(
        lines,
        vec![
            "dave@example.com: invited by e-mail",
            "Erin@example.com: invited by e-mail",
            "bob: invited",
            "carol@example.com: invited in-app",
        ]
    );
    assert_eq!(app.count("invitations"), 4);
    // Strangers get the link; registered users are pointed to their inbox.
    assert!(link_path(&app, "dave@example.com").starts_with("/join/"));
    assert!(
        app.link_in_last_mail_to("carol@example.com")
            .ends_with("/invitations")
    );
    let again = invite(&app, &alice, "crew", "dave@example.com", "").await;
    assert_eq!(again, vec!["dave@example.com: already invited"]);
    assert_eq!(app.count("invitations"), 4);
}

async fn a_stranger_signs_up_from_the_link_and_accepts(b: Backend) {
    let (app, alice) = setup(b).await;
    invite(&app, &alice, "crew", "dave@example.com", "Come in").await;
    let path = link_path(&app, "dave@example.com");
    let dave = new_client();
    let page = app.get_with(&dave, &path).await;
    assert!(page.main_text().contains("invited") && page.main_text().contains("dave@example.com"));
    assert!(page.main_text().contains("Come in"));
    let token = path.trim_start_matches("/join/").to_string();
    let signup = app
        .get_with(&dave, &format!("/signup?invitation={token}"))
        .await;
    assert!(
        signup.body.contains(r#"value="dave@example.com" readonly"#),
        "{}",
        signup.body
    );
    let p = app
        .submit_in(
            &dave,
            &signup,
            "/signup",
            &[
                ("username", "dave"),
                ("first_name", "Dave"),
                ("last_name", "Diver"),
                // A changed address is ignored: the invitation is bound to its own.
                ("email", "someone.else@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some(path.as_str()));
    let u = app.user_by_username("dave");
    assert_eq!(u.email, "dave@example.com");
    assert!(
        u.is_active() && u.email_verified_at.is_some(),
        "the link proves the mailbox"
    );
    let page = app.get_with(&dave, &path).await;
    assert!(texts(&page.body, "button").contains(&"Accept".to_string()));
    let p = press(&app, &dave, &format!("{path}/accept")).await;
    assert_eq!(p.location.as_deref(), Some("/"));
    let (_, status, invitee) = invitation_of(&app, "dave@example.com");
    assert_eq!((status.as_str(), invitee), ("accepted", Some(u.id)));
    let n: i64 = app.db(|c| {
        memberships::table
            .filter(memberships::user_id.eq(u.id))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(n, 1);
    assert!(
        app.get_with(&dave, "/")
            .await
            .main_text()
            .contains("Welcome to Group crew!")
    );
}

async fn opening_a_link_changes_nothing_and_bad_tokens_say_nothing(b: Backend) {
    let (app, alice) = setup(b).await;
    invite(&app, &alice, "crew", "dave@example.com", "").await;
    let path = link_path(&app, "dave@example.com");
    let before = (app.count("users"), invitation_of(&app, "dave@example.com"));
    for _ in 0..3 {
        let r = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    }
    assert_eq!(
        (app.count("users"), invitation_of(&app, "dave@example.com")),
        before
    );
    let token = path.trim_start_matches("/join/");
    let mut tampered = token.to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let random = guildhall::auth::tokens::generate().0;
    for bad in [
        tampered.as_str(),
        random.as_str(),
        "short",
        "../../etc/passwd",
    ] {
        let p = app.get(&format!("/join/{bad}")).await;
        assert_eq!(p.status, 404, "{bad}");
        assert!(!p.body.contains("crew") && !p.body.contains("dave"));
    }
}

async fn generate_new_invitation_retires_the_old_link(b: Backend) {
    let (app, alice) = setup(b).await;
    invite(&app, &alice, "crew", "erin@example.com", "").await;
    let old = link_path(&app, "erin@example.com");
    let (id, _, _) = invitation_of(&app, "erin@example.com");
    let detail = format!("/groups/crew/invitations/{id}");
    let page = app.get_with(&alice, &detail).await;
    // Copy invitation link: the field holds the working link.
    let shown = {
        let doc = scraper::Html::parse_document(&page.body);
        let sel = scraper::Selector::parse("input.link-field").unwrap();
        doc.select(&sel)
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_string()
    };
    assert_eq!(shown, app.url(&old));
    assert!(texts(&page.body, "button").contains(&"Copy invitation link".to_string()));

    let p = app
        .submit_with(
            &alice,
            &format!("{detail}/renew"),
            &format!("{detail}/renew"),
            &[("back", "detail")],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some(detail.as_str()));
    let gone = app.get(&old).await;
    assert_eq!(gone.status, 410);
    assert!(gone.main_text().contains("no longer valid"));
    let page = app.get_with(&alice, &detail).await;
    let doc = scraper::Html::parse_document(&page.body);
    let sel = scraper::Selector::parse("input.link-field").unwrap();
    let new_link = doc
        .select(&sel)
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    assert_ne!(new_link, shown);
    let new_path = new_link.strip_prefix(&app.address).unwrap();
    assert_eq!(app.get(new_path).await.status, 200);
    assert!(
        texts(&page.body, ".history li")
            .iter()
            .any(|h| h.starts_with("New invitation link by alice"))
    );
    // Answering through the old link does nothing.
    let (_, erin) = app.logged_in("erin", PW).await;
    let p = forged_post(&app, &erin, &format!("{old}/accept")).await;
    assert_eq!(p.status, 404);
    assert_eq!(invitation_of(&app, "erin@example.com").1, "pending");
}

async fn the_invitation_is_bound_to_its_address(b: Backend) {
    let (app, alice) = setup(b).await;
    invite(&app, &alice, "crew", "dave@example.com", "").await;
    let path = link_path(&app, "dave@example.com");
    let (_, mallory) = app.logged_in("mallory", PW).await;
    let page = app.get_with(&mallory, &path).await;
    assert!(
        page.main_text()
            .contains("This invitation was sent to dave@example.com")
    );
    assert!(!texts(&page.body, "button").contains(&"Accept".to_string()));
    assert!(texts(&page.body, "button").contains(&"Log out".to_string()));
    let p = forged_post(&app, &mallory, &format!("{path}/accept")).await;
    assert_eq!(p.location.as_deref(), Some(path.as_str()));
    assert_eq!(invitation_of(&app, "dave@example.com").1, "pending");
    assert_eq!(app.count("memberships"), 1, "only alice");
}

async fn closed_invitations_accept_nothing(b: Backend) {
    let (app, alice) = setup(b).await;
    invite(
        &app,
        &alice,
        "crew",
        "dave@example.com, erin@example.com",
        "",
    )
    .await;
    let (_, dave) = app.logged_in("dave", PW).await;
    let (_, erin) = app.logged_in("erin", PW).await;
    // Declined, then accepted: nothing.
    let dpath = link_path(&app, "dave@example.com");
    // Decline on the link's page asks first; its page keeps no referrer.
    let ask = app
        .submit_with(&dave, &dpath, &format!("{dpath}/decline"), &[])
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(
        texts(&ask.body, "h1"),
        vec!["Decline the invitation to Group crew?"]
    );
    assert_eq!(
        attrs(&ask.body, "form.confirm-actions", "action"),
        vec![format!("{dpath}/decline")]
    );
    assert_eq!(invitation_of(&app, "dave@example.com").1, "pending");
    press(&app, &dave, &format!("{dpath}/decline")).await;
    forged_post(&app, &dave, &format!("{dpath}/accept")).await;
    assert_eq!(invitation_of(&app, "dave@example.com").1, "declined");
    let page = app.get_with(&dave, &dpath).await;
    assert!(page.main_text().contains("has been declined") && !page.body.contains(">Accept<"));
    // Cancelled by the admin, then accepted: nothing.
    let (eid, _, _) = invitation_of(&app, "erin@example.com");
    let tab = "/groups/crew/invitations";
    let cancel = format!("{tab}/{eid}/cancel");
    app.submit_with(&alice, &cancel, &cancel, &[]).await;
    let epath = link_path(&app, "erin@example.com");
    forged_post(&app, &erin, &format!("{epath}/accept")).await;
    assert_eq!(invitation_of(&app, "erin@example.com").1, "cancelled");
    assert!(
        app.get_with(&erin, &epath)
            .await
            .main_text()
            .contains("has been cancelled")
    );
    assert_eq!(app.count("memberships"), 1);
}

async fn expiry_and_resend(b: Backend) {
    let (app, alice) = setup(b).await;
    invite(&app, &alice, "crew", "dave@example.com", "").await;
    let path = link_path(&app, "dave@example.com");
    let (id, _, _) = invitation_of(&app, "dave@example.com");
    app.clock
        .advance(time::Duration::days(7) + time::Duration::seconds(1));
    let page = app.get(&path).await;
    assert!(page.main_text().contains("This invitation has expired"));
    assert!(!page.body.contains("/signup?invitation="));
    app.login_with(&alice, "alice", PW).await;
    let (expired, tabs) = invitation_tab(&app, &alice, "crew", "expired").await;
    assert_eq!(expired, vec!["dave@example.com"]);
    assert_eq!(tabs[0], "Pending 0");
    // The sweep beside the reminders records the expiry in the history
    // (within a poll; run here so the history below is certain).
    app.state.app.expire_invitations().await.unwrap();
    // Resend mails the same link again and restarts the seven days.
    let mails_before = app.outbox().len();
    let p = app
        .submit_with(
            &alice,
            &format!("/groups/crew/invitations/{id}"),
            &format!("/groups/crew/invitations/{id}/resend"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(app.outbox().len(), mails_before + 1);
    assert_eq!(
        link_path(&app, "dave@example.com"),
        path,
        "the current link, again"
    );
    assert!(app.get(&path).await.main_text().contains("Sign up"));
    let events: Vec<String> = app.db(|c| {
        invitation_events::table
            .filter(invitation_events::invitation_id.eq(id))
            .order(invitation_events::id)
            .select(invitation_events::kind)
            .load(c)
            .unwrap()
    });
    assert_eq!(events, vec!["sent", "expired", "resent"]);
}

async fn actions_only_through_the_invitations_own_group(b: Backend) {
    let (app, alice) = setup(b).await;
    create_group(&app, &alice, "other").await;
    invite(&app, &alice, "crew", "dave@example.com", "").await;
    let (id, _, _) = invitation_of(&app, "dave@example.com");
    let mails = app.outbox().len();
    for action in ["resend", "renew", "cancel"] {
        let p = app
            .forge_with(
                &alice,
                "/groups/other/invitations",
                &format!("/groups/other/invitations/{id}/{action}"),
                &[],
            )
            .await;
        assert_eq!(p.status, 404, "{action}");
    }
    assert_eq!(
        app.get_with(&alice, &format!("/groups/other/invitations/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(invitation_of(&app, "dave@example.com").1, "pending");
    assert_eq!(app.outbox().len(), mails);
}

async fn quotas_stop_sending(b: Backend) {
    let app = spawn_app_with(b, |c| c.invites_per_inviter_per_day = 2).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    create_group(&app, &alice, "crew").await;
    let lines = invite(
        &app,
        &alice,
        "crew",
        "a@example.com b@example.com c@example.com",
        "",
    )
    .await;
    assert_eq!(
        lines,
        vec![
            "c@example.com: not sent: the daily limit of invitations is reached",
            "a@example.com: invited by e-mail",
            "b@example.com: invited by e-mail",
        ]
    );
    assert_eq!(app.count("invitations"), 2);
    let (id, _, _) = invitation_of(&app, "a@example.com");
    let mails = app.outbox().len();
    app.submit_with(
        &alice,
        &format!("/groups/crew/invitations/{id}"),
        &format!("/groups/crew/invitations/{id}/resend"),
        &[],
    )
    .await;
    assert!(
        app.get_with(&alice, "/groups/crew/invitations")
            .await
            .main_text()
            .contains("daily limit")
    );
    assert_eq!(app.outbox().len(), mails);
    // A day later the quota is free again.
    app.clock.advance(time::Duration::days(1));
    app.login_with(&alice, "alice", PW).await;
    assert_eq!(
        invite(&app, &alice, "crew", "c@example.com", "").await,
        vec!["c@example.com: invited by e-mail"]
    );
}

async fn removed_inviters_invitations_are_revoked(b: Backend) {
    let (app, alice) = setup(b).await;
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    // bob becomes a second admin, invites erin, then alice demotes him.
    invite(&app, &alice, "crew", "bob", "").await;
    let inv: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(bob_id))
            .select(invitations::id)
            .first(c)
            .unwrap()
    });
    press(&app, &bob, &format!("/invitations/{inv}/accept")).await;
    let admin = app.builtin_role("GroupAdmin").to_string();
    let member = app.builtin_role("GroupMember").to_string();
    let p = app
        .submit_with(
            &alice,
            "/groups/crew/members",
            &format!("/groups/crew/members/{bob_id}/role"),
            &[("role_id", &admin)],
        )
        .await;
    assert_eq!(p.status, 303);
    invite(&app, &bob, "crew", "erin@example.com", "").await;
    assert_eq!(invitation_of(&app, "erin@example.com").1, "pending");
    app.submit_with(
        &alice,
        "/groups/crew/members",
        &format!("/groups/crew/members/{bob_id}/role"),
        &[("role_id", &member)],
    )
    .await;
    assert_eq!(invitation_of(&app, "erin@example.com").1, "cancelled");
    let path = link_path(&app, "erin@example.com");
    assert!(
        app.get(&path)
            .await
            .main_text()
            .contains("has been cancelled")
    );
    // Deactivation revokes everywhere.
    invite(&app, &alice, "crew", "fred@example.com", "").await;
    let alice_id = app.user_by_username("alice").id;
    let now = app.clock.now();
    app.db(|c| guildhall::services::manage_users::deactivate(c, alice_id, now))
        .unwrap();
    assert_eq!(invitation_of(&app, "fred@example.com").1, "cancelled");
}

async fn no_header_injection_through_the_message(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    create_group(&app, &alice, "crew").await;
    let lines = invite(
        &app,
        &alice,
        "crew",
        "dave@example.com",
        "x\r\nBcc: evil@evil.example\r\n\r\nhi",
    )
    .await;
    assert_eq!(lines, vec!["dave@example.com: invited by e-mail"]);
    // A line break splits the field: "Bcc:evil@evil.example" is no address
    // at all, so the form refuses the list and sends nothing.
    let role = app.builtin_role("GroupMember").to_string();
    let p = app
        .send_invite(
            &alice,
            "crew",
            &[
                ("send_to", "x@example.com\r\nBcc:evil@evil.example"),
                ("role_id", &role),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(
        p.main_text()
            .contains("neither a username nor an e-mail address")
    );
    assert!(eventually(15, || !smtp.messages().is_empty()).await);
    assert!(
        eventually(15, || app
            .outbox()
            .iter()
            .all(|m| m.status == guildhall::domain::MailStatus::Sent))
        .await
    );
    settled(30, || smtp.messages().len()).await;
    for m in smtp.messages() {
        let head = m.split("\n\n").next().unwrap_or("").to_lowercase();
        assert!(!head.contains("\nbcc:"), "a Bcc header got through: {head}");
        assert!(
            !header(&m, "X-RcptTo").unwrap_or("").contains("evil"),
            "an extra recipient"
        );
    }
}

async fn two_hundred_invitations_survive_an_smtp_outage(b: Backend) {
    let port = free_port();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    create_group(&app, &alice, "crew").await;
    let to: Vec<String> = (0..200).map(|i| format!("guest{i}@example.com")).collect();
    let lines = invite(&app, &alice, "crew", &to.join(", "), "").await;
    assert_eq!(lines.len(), 200);
    assert!(lines.iter().all(|l| l.ends_with("invited by e-mail")));
    // The server is down: every mail waits, with the reason on the detail page.
    assert!(
        eventually(15, || app
            .outbox()
            .iter()
            .filter(|m| m.kind == "invitation" && m.attempts >= 1)
            .count()
            == 200)
        .await,
        "the worker did not try every mail"
    );
    let (id, _, _) = invitation_of(&app, "guest0@example.com");
    let detail = app
        .get_with(&alice, &format!("/groups/crew/invitations/{id}"))
        .await;
    assert!(
        texts(&detail.body, ".mail-state")[0].starts_with("waiting to be sent"),
        "{:?}",
        texts(&detail.body, ".mail-state")
    );
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    assert!(
        eventually(60, || smtp.messages().len() >= 200).await,
        "only {} arrived",
        smtp.messages().len()
    );
    // Every mail is recorded as sent, and nothing more arrives after it.
    assert!(
        eventually(15, || app
            .outbox()
            .iter()
            .all(|m| m.status == guildhall::domain::MailStatus::Sent))
        .await
    );
    settled(30, || smtp.messages().len()).await;
    let msgs = smtp.messages();
    let mut rcpts: Vec<String> = msgs
        .iter()
        .map(|m| header(m, "To").unwrap().to_string())
        .collect();
    rcpts.sort();
    rcpts.dedup();
    assert_eq!(
        (msgs.len(), rcpts.len()),
        (200, 200),
        "every mail exactly once"
    );
    assert!(
        eventually(5, || app
            .outbox()
            .iter()
            .all(|m| m.status == guildhall::domain::MailStatus::Sent))
        .await
    );
    let detail = app
        .get_with(&alice, &format!("/groups/crew/invitations/{id}"))
        .await;
    assert!(texts(&detail.body, ".mail-state")[0].starts_with("delivered"));
}

/// The invite page's script sends long lists in slices of 25 with
/// `Accept: application/json` and shows progress from the answers.
async fn long_lists_go_in_slices_that_answer_in_json(b: Backend) {
    let (app, alice) = setup(b).await;
    let page = app.get_with(&alice, "/groups/crew/invite").await;
    assert!(
        page.body.contains("<progress"),
        "the progress bar is on the page"
    );
    let token = csrf_from(&page.body);
    let role = app.builtin_role("GroupMember").to_string();
    let slice: Vec<String> = (0..25).map(|i| format!("guest{i}@example.com")).collect();
    let mut slice_text = slice.join(", ");
    slice_text.push_str(", nobody");
    let r = alice
        .post(app.url("/groups/crew/invite"))
        .header("Origin", &app.address)
        .header("Accept", "application/json")
        .form(&[
            ("csrf_token", token.as_str()),
            ("send_to", &slice_text),
            ("role_id", &role),
            ("action", "send"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    let lines = answer["lines"].as_array().expect("one line per entry");
    assert_eq!(lines.len(), 26);
    assert_eq!(lines[0]["entry"], "guest0@example.com");
    assert_eq!(lines[0]["outcome"], "invited by e-mail");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[25]["entry"], "nobody");
    assert_eq!(lines[25]["ok"], false);
    assert_eq!(app.count("invitations"), 25);
    // The next slice names the report the first one started; the result
    // page then sums up both.
    let report = answer["report"]
        .as_i64()
        .expect("the report's id")
        .to_string();
    let slice2 = |report: String| {
        alice
            .post(app.url("/groups/crew/invite"))
            .header("Origin", &app.address)
            .header("Accept", "application/json")
            .form(&[
                ("csrf_token", token.as_str()),
                ("send_to", "guest25@example.com"),
                ("role_id", role.as_str()),
                ("action", "send"),
                ("report", report.as_str()),
            ])
            .send()
    };
    // A missing (or someone else's) report: refused before anything is sent.
    assert_eq!(
        slice2("999999".into()).await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(app.count("invitations"), 25);
    let r = slice2(report.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let result = r.json::<serde_json::Value>().await.unwrap()["result"]
        .as_str()
        .expect("the result page")
        .to_string();
    assert_eq!(result, format!("/groups/crew/invite/results/{report}"));
    let p = app.get_with(&alice, &result).await;
    assert_eq!(
        texts(&p.body, ".invite-summary"),
        vec!["26 invited · 1 unknown username"]
    );
    assert_eq!(
        texts(&p.body, ".invite-refused li"),
        vec!["nobody: no such user"]
    );
    let (_, mallory) = app.logged_in("mallory", PW).await;
    assert_eq!(
        app.get_with(&mallory, &result).await.status,
        404,
        "only its sender sees it"
    );
    // "Fix 1 entry" reopens the form with nobody in it.
    let fix = app
        .get_with(&alice, &format!("/groups/crew/invite?from={report}&fix=1"))
        .await;
    assert_eq!(texts(&fix.body, "textarea#send_to"), vec!["nobody"]);
    assert_eq!(app.count("invitations"), 26);
    // A bad form answers 422 in JSON and writes nothing.
    let r = alice
        .post(app.url("/groups/crew/invite"))
        .header("Origin", &app.address)
        .header("Accept", "application/json")
        .form(&[
            ("csrf_token", token.as_str()),
            ("send_to", "x@example.com"),
            ("role_id", "999999"),
            ("action", "send"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(app.count("invitations"), 26);
}

/// "Also invite to": one invitation per group, one mail per person listing
/// them, and its link answers them all.
async fn several_groups_at_once_one_mail_one_link(b: Backend) {
    let (app, alice) = setup(b).await;
    create_group(&app, &alice, "other").await;
    app.create_user("bob", PW);
    let (_, mallory) = app.logged_in("mallory", PW).await;
    create_group(&app, &mallory, "elsewhere").await;
    let id_of = |slug: &str| -> String {
        use guildhall::db::schema::groups;
        app.db(|c| {
            groups::table
                .filter(groups::slug.eq(slug))
                .select(groups::id)
                .first::<i64>(c)
                .unwrap()
        })
        .to_string()
    };
    let (other, elsewhere) = (id_of("other"), id_of("elsewhere"));
    let page = app.get_with(&alice, "/groups/crew/invite").await;
    assert!(texts(&page.body, "fieldset.also label").contains(&"Group other".to_string()));
    assert!(
        !page.body.contains("Group elsewhere"),
        "only groups alice administers"
    );
    let token = csrf_from(&page.body);
    let role = app.builtin_role("GroupMember").to_string();
    // A group alice does not administer, forged into the form: refused, nothing written.
    let p = app
        .post_with(
            &alice,
            "/groups/crew/invite",
            &[
                ("csrf_token", &token),
                ("send_to", "dave@example.com"),
                ("role_id", &role),
                ("also", &elsewhere),
                ("action", "send"),
            ],
        )
        .await;
    // An invite-only group alice is not in does not even exist for her.
    assert_eq!(p.status, 404);
    assert_eq!(app.count("invitations"), 0);
    let p = app
        .post_with(
            &alice,
            "/groups/crew/invite",
            &[
                ("csrf_token", &token),
                ("send_to", "dave@example.com, bob"),
                ("role_id", &role),
                ("also", &other),
                ("action", "send"),
            ],
        )
        .await;
    let p = app
        .get_with(&alice, p.location.as_deref().expect("to the result"))
        .await;
    assert_eq!(
        texts(&p.body, ".invite-results li"),
        vec![
            "dave@example.com: invited by e-mail (Group crew and Group other)",
            "bob: invited (Group crew and Group other)",
        ]
    );
    assert_eq!(app.count("invitations"), 4);
    let to_dave: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|m| m.recipient == "dave@example.com")
        .collect();
    assert_eq!(to_dave.len(), 1, "one mail per person");
    assert!(to_dave[0].subject.contains("Group crew and Group other"));
    // dave signs up from the link and accepts both with one button.
    let path = link_path(&app, "dave@example.com");
    let dave = new_client();
    let p = app
        .sign_up_from_link(
            &dave,
            &path,
            &[
                ("username", "dave"),
                ("first_name", "Dave"),
                ("last_name", "Diver"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    press(&app, &dave, &format!("{path}/accept")).await;
    let dave_id = app.user_by_username("dave").id;
    let n: i64 = app.db(|c| {
        memberships::table
            .filter(memberships::user_id.eq(dave_id))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(n, 2, "member of both groups");
}
