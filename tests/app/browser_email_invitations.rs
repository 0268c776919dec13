//! Invitations by e-mail in a real browser, on both backends, with the app's
//! mail going to a real SMTP server: alice invites a mixed "Send to" list,
//! dave signs up from the link in his mail and accepts, and alice replaces
//! erin's link from the invitation's page (the old link stops working, the
//! new one works) and copies it. The pages on the way are checked with
//! axe-core at a desktop and a phone width.

use crate::backend_tests;
use crate::browser::{
    Browser, SCRIPT_TIMEOUT, choose, element, field, fill_in, invitees_on_tab, texts_of, value_of,
    xpath_literal,
};
use crate::helpers::*;
use crate::mail::{SmtpServer, free_port, header};
use diesel::prelude::*;
use fantoccini::Locator;
use guildhall::db::schema::{groups, invitations, memberships};
use guildhall::models::outbox;
use std::time::{Duration, Instant};

backend_tests!(browser_email_invitation_flow);

const PW: &str = "correct horse battery";
const GROUP: &str = "Deep Sea Divers";
const SLUG: &str = "deep-sea";

/// The visible buttons labelled exactly `text`.
async fn visible_buttons(browser: &Browser, text: &str) -> usize {
    let xpath = format!("//button[normalize-space(.)={}]", xpath_literal(text));
    let mut n = 0;
    for b in browser
        .client
        .find_all(Locator::XPath(&xpath))
        .await
        .expect("find buttons")
    {
        if b.is_displayed().await.unwrap_or(false) {
            n += 1;
        }
    }
    n
}

/// The HTTP status of the page shown (Navigation Timing `responseStatus`,
/// Chromium 109+): WebDriver itself does not tell.
async fn page_status(browser: &Browser) -> u64 {
    let v = browser
        .client
        .execute(
            "const n = performance.getEntriesByType('navigation')[0]; \
             return n ? n.responseStatus : null;",
            vec![],
        )
        .await
        .expect("read the navigation entry");
    match v.as_u64() {
        Some(status) => status,
        None => panic!("no responseStatus for {}: {v}", browser.path().await),
    }
}

/// The raw messages the SMTP server received for `to`.
fn mails_to(smtp: &SmtpServer, to: &str) -> Vec<String> {
    smtp.messages()
        .into_iter()
        .filter(|m| header(m, "To") == Some(to))
        .collect()
}

/// The one `/join/` link of a raw message: quoted-printable soft line breaks
/// (`=` at a line's end) are undone first, so a link split over two lines
/// comes out whole. Every `/join/` link in the message (text and HTML part)
/// must be the same one.
fn join_link_in(raw: &str, address: &str) -> String {
    let body = raw.replace("=\r\n", "").replace("=\n", "");
    let prefix = format!("{address}/join/");
    let mut links: Vec<String> = body
        .match_indices(&prefix)
        .map(|(i, _)| {
            body[i..]
                .split(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>' | ')'))
                .next()
                .unwrap()
                .trim_end_matches('.')
                .to_string()
        })
        .collect();
    assert!(!links.is_empty(), "no {prefix}… link in the mail:\n{raw}");
    links.dedup();
    assert_eq!(
        links.len(),
        1,
        "different join links in one mail: {links:?}"
    );
    let link = links.pop().unwrap();
    let token = &link[prefix.len()..];
    assert!(
        token.len() >= 20
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "the token looks mangled (quoted-printable left over?): {link}"
    );
    link
}

async fn browser_email_invitation_flow(b: Backend) {
    let started = Instant::now();
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.create_user("alice", PW);
    app.create_user("bob", PW);
    let browser = Browser::start(&app).await;
    let home = format!("/groups/{SLUG}");
    let invite = format!("/groups/{SLUG}/invite");
    let tab = format!("/groups/{SLUG}/invitations");

    // alice creates an invite-only group.
    browser.log_in("alice", PW).await;
    browser.assert_path("/").await;
    browser.goto("/groups/new").await;
    fill_in(&browser, "Name", GROUP).await;
    fill_in(&browser, "Address", SLUG).await;
    fill_in(&browser, "Description", "Below the thermocline.").await;
    choose(
        &browser,
        "Join method",
        "Invitation only: hidden from non-members",
    )
    .await;
    choose(&browser, "Audience", "Internal").await;
    browser.press("Create group").await;
    browser.assert_path(&home).await;
    browser
        .assert_sees(&[&format!("The group {GROUP} has been created.")])
        .await;

    // Invite members: a mixed list, one entry of it malformed.
    browser.click("details.menu summary").await;
    browser.follow("Invite members").await;
    browser.assert_path(&invite).await;
    fill_in(
        &browser,
        "Send to",
        "dave@example.com; erin@example.com, bob not@an@address",
    )
    .await;
    choose(&browser, "Role", "GroupMember").await;
    browser.press("Send Invitation").await;
    // The malformed entry is shown in the form, the list kept as typed.
    browser.assert_path(&invite).await;
    browser
        .assert_sees(&[
            "1 entry is neither a username nor an e-mail address: \u{201c}not@an@address\u{201d}. Correct or remove it.",
        ])
        .await;
    assert_eq!(
        value_of(&browser, "#send_to").await,
        "dave@example.com; erin@example.com, bob not@an@address"
    );
    browser.check_a11y("invite form, a malformed entry").await;
    browser.screenshots("invite-form-error").await;
    assert_eq!(app.count("invitations"), 0, "nothing sent");
    fill_in(
        &browser,
        "Send to",
        "dave@example.com; erin@example.com, bob",
    )
    .await;
    browser.press("Send Invitation").await;
    browser
        .assert_sees(&["Invitations sent", "3 invited"])
        .await;
    assert!(
        browser
            .path()
            .await
            .starts_with(&format!("{invite}/results/"))
    );
    assert_eq!(
        texts_of(&browser, ".invite-results li").await,
        vec![
            "dave@example.com: invited by e-mail",
            "erin@example.com: invited by e-mail",
            "bob: invited",
        ]
    );
    browser.check_a11y("invite result, mixed list").await;

    // dave's mail arrives at the SMTP server with the link.
    assert!(
        eventually(20, || !mails_to(&smtp, "dave@example.com").is_empty()).await,
        "no mail to dave arrived; outbox: {:?}",
        app.outbox()
    );
    let dave_mail = mails_to(&smtp, "dave@example.com").remove(0);
    let link = join_link_in(&dave_mail, &app.address);
    let join_path = link.strip_prefix(&app.address).unwrap().to_string();
    browser.log_out().await;

    // The link names who invited whom, to what, as what.
    browser.goto(&link).await;
    browser.assert_path(&join_path).await;
    assert_eq!(page_status(&browser).await, 200);
    browser
        .assert_sees(&[
            &format!("Invitation to {GROUP}"),
            &format!("Alice Tester invited dave@example.com to join {GROUP} as GroupMember."),
            "To answer, sign up with this address or log in to your account.",
        ])
        .await;
    assert_eq!(visible_buttons(&browser, "Accept").await, 0);
    browser.check_a11y("join page, logged out").await;
    browser.screenshots("join-page").await;

    // Sign up: the header has its own "Sign up" link (to a plain sign-up),
    // so the invitation's one is picked by where it leads.
    let signup = r#"main a[href^="/signup?invitation="]"#;
    assert_eq!(
        element(&browser, signup).await.text().await.unwrap(),
        "Sign up"
    );
    browser.press(signup).await;
    browser.assert_path("/signup").await;
    browser
        .assert_sees(&[&format!(
            "You are signing up to answer your invitation to {GROUP}."
        )])
        .await;
    let email = field(&browser, "E-mail").await;
    assert_eq!(value_of(&browser, &email).await, "dave@example.com");
    assert!(
        element(&browser, &email)
            .await
            .attr("readonly")
            .await
            .unwrap()
            .is_some(),
        "the invited address cannot be changed"
    );
    browser.check_a11y("sign-up from an invitation").await;
    fill_in(&browser, "Username", "dave").await;
    fill_in(&browser, "First name", "Dave").await;
    fill_in(&browser, "Last name", "Diver").await;
    fill_in(&browser, "Password", PW).await;
    browser.press("Sign up").await;

    // Back on the link, logged in as dave: he can answer now.
    browser.assert_path(&join_path).await;
    browser
        .assert_sees(&[&format!(
            "Alice Tester invited dave@example.com to join {GROUP} as GroupMember."
        )])
        .await;
    assert_eq!(visible_buttons(&browser, "Accept").await, 1);
    assert_eq!(visible_buttons(&browser, "Decline").await, 1);
    browser
        .check_a11y("join page, logged in as the invitee")
        .await;
    browser.press("Accept").await;
    browser.assert_path("/").await;
    browser
        .assert_sees(&[&format!("Welcome to {GROUP}!")])
        .await;
    browser.log_out().await;

    // alice sees dave's answer, erin's invitation still open.
    browser.log_in("alice", PW).await;
    let accepted = invitees_on_tab(&browser, SLUG, "accepted").await;
    assert!(
        accepted
            .iter()
            .any(|who| who == "dave" || who == "dave@example.com"),
        "dave accepted: {accepted:?}"
    );
    let pending = invitees_on_tab(&browser, SLUG, "pending").await;
    assert!(
        pending.contains(&"erin@example.com".to_string()),
        "erin pending: {pending:?}"
    );
    browser
        .check_a11y("group invitations, e-mail invitees")
        .await;

    // erin's invitation page: a new link replaces the old one.
    browser.follow("erin@example.com").await;
    assert!(
        browser.path().await.starts_with(&format!("{tab}/")),
        "on erin's invitation: {}",
        browser.path().await
    );
    let detail = browser.path().await;
    browser
        .assert_sees(&["Invitation of erin@example.com", "pending", "History"])
        .await;
    let link_field = field(&browser, "Invitation link").await;
    assert_eq!(
        element(&browser, "input.link-field")
            .await
            .attr("id")
            .await
            .unwrap()
            .map(|id| format!("#{id}")),
        Some(link_field.clone())
    );
    assert!(
        element(&browser, &link_field)
            .await
            .attr("readonly")
            .await
            .unwrap()
            .is_some()
    );
    let old_link = value_of(&browser, &link_field).await;
    assert!(
        old_link.starts_with(&format!("{}/join/", app.address)),
        "{old_link}"
    );
    browser.check_a11y("invitation detail").await;
    browser.screenshots("invitation-detail").await;
    // A new link kills the old one: a confirmation names that first.
    browser.follow("Generate new invitation").await;
    browser
        .assert_sees(&[
            "Generate a new invitation link for erin@example.com?",
            "stops working at once",
        ])
        .await;
    browser.check_a11y("confirm a new invitation link").await;
    browser.press("Generate new invitation").await;
    browser.assert_path(&detail).await;
    let new_link = value_of(&browser, "input.link-field").await;
    assert!(
        new_link.starts_with(&format!("{}/join/", app.address)),
        "{new_link}"
    );
    assert_ne!(new_link, old_link, "the link field shows a new link");

    // "Copy invitation link" is shown once the script runs. Headless
    // Chromium may refuse the clipboard (no permission granted to it): the
    // script then selects the field's text instead, so the user can copy it
    // by hand. Either outcome is the intended behaviour.
    let copy = "Copy invitation link";
    assert_eq!(visible_buttons(&browser, copy).await, 1);
    browser.click(copy).await;
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let outcome = loop {
        let state = browser
            .client
            .execute(
                "const b = document.querySelector('button[data-copy]'); \
                 const f = document.getElementById(b.dataset.copy); \
                 return { text: b.textContent.trim(), \
                          selected: document.activeElement === f \
                              && f.selectionStart === 0 \
                              && f.selectionEnd === f.value.length };",
                vec![],
            )
            .await
            .expect("read the copy button");
        if state["text"] == "Copied" {
            break "copied";
        }
        if state["selected"] == true {
            break "selected";
        }
        assert!(
            Instant::now() < deadline,
            "the copy button neither copied nor selected the link: {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("Copy invitation link: {outcome}");

    // The old link is gone (410, nothing to answer); the new one works.
    browser.goto(&old_link).await;
    browser
        .assert_sees(&["This invitation link is no longer valid"])
        .await;
    assert_eq!(page_status(&browser).await, 410);
    assert_eq!(visible_buttons(&browser, "Accept").await, 0);
    let old_path = old_link.strip_prefix(&app.address).unwrap();
    assert_eq!(app.get(old_path).await.status, 410);
    browser.check_a11y("retired invitation link").await;
    browser.goto(&new_link).await;
    assert_eq!(page_status(&browser).await, 200);
    browser
        .assert_sees(&[
            &format!("Invitation to {GROUP}"),
            &format!("Alice Tester invited erin@example.com to join {GROUP} as GroupMember."),
        ])
        .await;
    browser.quit().await;

    // dave is a member, erin's invitation still waits, dave got one mail.
    let (dave_memberships, erin_status): (i64, String) = app.db(|c| {
        let dave_id = guildhall::models::user::find_by_login(c, "dave")
            .unwrap()
            .expect("dave signed up")
            .id;
        (
            memberships::table
                .inner_join(groups::table)
                .filter(memberships::user_id.eq(dave_id))
                .filter(groups::slug.eq(SLUG))
                .count()
                .get_result(c)
                .unwrap(),
            invitations::table
                .filter(invitations::invitee_email_key.eq("erin@example.com"))
                .select(invitations::status)
                .first(c)
                .unwrap(),
        )
    });
    assert_eq!(dave_memberships, 1);
    assert_eq!(erin_status, "pending");
    // Count once everything queued has gone out, so a late mail is seen too.
    assert!(
        eventually(20, || app
            .outbox()
            .iter()
            .all(|m| m.status == outbox::Status::Sent))
        .await,
        "mail left unsent: {:?}",
        app.outbox()
    );
    assert_eq!(
        mails_to(&smtp, "dave@example.com").len(),
        1,
        "exactly one mail to dave"
    );
    eprintln!(
        "browser_email_invitation_flow ({b:?}) took {:?}",
        started.elapsed()
    );
}
