//! The invitation flow in a real browser, on both backends: alice creates an
//! invite-only group, invites bob (picked from the Send-to suggestions) and
//! carol (typed), bob accepts from his inbox, carol declines, and alice sees
//! both answers on the group's invitations tab. The pages on the way are
//! checked with axe-core at a desktop and a phone width.

use crate::backend_tests;
use crate::browser::{
    Browser, choose, chosen, element, field, fill_in, invitees_on_tab, is_open, is_shown, rows_of,
    texts_of, value_of, wait_shown,
};
use crate::helpers::*;
use diesel::prelude::*;
use fantoccini::elements::Element;
use guildhall::db::schema::{memberships, roles};
use std::time::Instant;

backend_tests!(browser_invitation_flow);

const PW: &str = "correct horse battery";
const GROUP: &str = "Night Shift Crew";
const SLUG: &str = "night-shift";
const MESSAGE: &str = "Welcome aboard, we meet on Thursdays.";

/// Fills in "Send to" and waits until the suggestions have been shown for
/// it, so that nothing moves under the next click.
async fn type_send_to(browser: &Browser, text: &str, expect: &str) -> Element {
    let send_to = field(browser, "Send to").await;
    browser.fill(&send_to, text).await;
    wait_shown(
        browser,
        &format!(r#"#send_to-suggestions button.suggestion[data-username="{expect}"]"#),
    )
    .await
}

async fn browser_invitation_flow(b: Backend) {
    let started = Instant::now();
    let app = spawn_app(b).await;
    app.create_user("alice", PW);
    let bob_id = app.create_user("bob", PW);
    let carol_id = app.create_user("carol", PW);
    let browser = Browser::start(&app).await;
    let home = format!("/groups/{SLUG}");
    let invite = format!("/groups/{SLUG}/invite");

    // alice creates an invite-only group.
    browser.log_in("alice", PW).await;
    browser.assert_path("/").await;
    browser.goto("/groups/new").await;
    browser.assert_sees(&["Create group"]).await;
    fill_in(&browser, "Name", GROUP).await;
    // The Address follows the Name as it is typed; she shortens it.
    assert_eq!(value_of(&browser, "#slug").await, "night-shift-crew");
    fill_in(&browser, "Address", SLUG).await;
    fill_in(&browser, "Description", "Where the night shift meets.").await;
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
        .assert_sees(&[
            &format!("The group {GROUP} has been created."),
            GROUP,
            "Invitation only: hidden from non-members",
            "Where the night shift meets.",
            "You are a member (GroupAdmin) and its only admin",
            "1 member",
            "Nobody else is here yet.",
        ])
        .await;
    browser.check_a11y("group home").await;
    browser.screenshots("group-home-empty").await;

    // The '…' menu holds the rest; Invite members sits beside the heading.
    assert!(!is_shown(&browser, "details.menu .menu-items").await);
    let summary = element(&browser, "details.menu summary").await;
    assert_eq!(
        summary.attr("aria-label").await.expect("aria-label"),
        Some("More group actions".into())
    );
    browser.click("details.menu summary").await;
    assert!(is_open(&browser, "details.menu").await, "the menu opens");
    assert!(is_shown(&browser, "details.menu .menu-items").await);
    browser.check_a11y("group home, actions menu open").await;
    browser.press(".group-head a.button").await;
    browser.assert_path(&invite).await;
    browser.goto(&home).await;
    browser.follow("Invite members").await;
    browser.assert_path(&invite).await;
    browser.assert_sees(&["Invite members", "Send to"]).await;

    // "bo" offers bob; choosing him completes the word.
    let send_to = field(&browser, "Send to").await;
    assert_eq!(send_to, "#send_to");
    let bob_button = type_send_to(&browser, "bo", "bob").await;
    assert_eq!(
        bob_button.text().await.expect("suggestion text"),
        "bob (Bob Tester)"
    );
    bob_button.click().await.expect("choose bob");
    let value = value_of(&browser, &send_to).await;
    assert_eq!(
        value.trim_end_matches([',', ' ']),
        "bob",
        "Send to holds {value:?}"
    );
    assert!(
        !is_shown(&browser, "#send_to-suggestions").await,
        "the suggestions close once one is chosen"
    );
    choose(&browser, "Role", "GroupMember").await;
    fill_in(&browser, "Message", MESSAGE).await;

    // The preview shows the mail as bob will get it.
    assert!(!is_open(&browser, "details.preview").await);
    assert!(!is_shown(&browser, "div.mail-preview").await);
    let preview_summary = element(&browser, "details.preview summary").await;
    assert_eq!(
        preview_summary.text().await.expect("summary text"),
        "Preview the e-mail"
    );
    browser.click("details.preview summary").await;
    assert!(is_open(&browser, "details.preview").await);
    let preview = wait_shown(&browser, "div.mail-preview")
        .await
        .text()
        .await
        .expect("preview text");
    assert!(
        preview.contains(&format!(
            "Alice Tester invited you to join {GROUP} on Guildhall as GroupMember."
        )),
        "the preview names the inviter:\n{preview}"
    );
    assert!(
        preview.contains("About Night Shift Crew: Where the night shift meets."),
        "the preview says what the group is:\n{preview}"
    );
    // Updating the preview adds the message and keeps what was entered.
    browser.press("Update preview").await;
    browser.assert_path(&invite).await;
    assert!(is_open(&browser, "details.preview").await);
    let preview = element(&browser, "div.mail-preview")
        .await
        .text()
        .await
        .expect("preview text");
    assert!(
        preview.contains("Alice Tester") && preview.contains(MESSAGE),
        "the updated preview has the inviter and the message:\n{preview}"
    );
    assert_eq!(
        value_of(&browser, "#send_to")
            .await
            .trim_end_matches([',', ' ']),
        "bob"
    );
    assert_eq!(chosen(&browser, "#role_id").await, "GroupMember");
    assert_eq!(value_of(&browser, "#message").await, MESSAGE);
    browser.check_a11y("invite page, preview open").await;
    browser.screenshots("invite-form").await;

    browser.press("Send Invitation").await;
    browser
        .assert_sees(&["Invitations sent", "1 invited"])
        .await;
    assert!(
        browser
            .path()
            .await
            .starts_with(&format!("{invite}/results/"))
    );
    assert_eq!(
        texts_of(&browser, ".invite-results li").await,
        vec!["bob: invited"]
    );
    browser.check_a11y("invite result").await;

    // A reload shows the result again; nothing is sent twice.
    browser.refresh().await;
    browser
        .assert_sees(&["Invitations sent", "1 invited"])
        .await;
    assert_eq!(app.count("invitations"), 1);

    // "Invite more" keeps the role and the message, not the list.
    // carol's name is typed, not chosen.
    browser.follow("Invite more").await;
    browser.assert_path(&invite).await;
    assert_eq!(value_of(&browser, "#send_to").await, "");
    assert_eq!(chosen(&browser, "#role_id").await, "GroupMember");
    assert_eq!(value_of(&browser, "#message").await, MESSAGE);
    type_send_to(&browser, "carol", "carol").await;
    assert_eq!(value_of(&browser, "#send_to").await, "carol");
    choose(&browser, "Role", "GroupMember").await;
    browser.press("Send Invitation").await;
    assert_eq!(
        texts_of(&browser, ".invite-results li").await,
        vec!["carol: invited"]
    );
    browser.log_out().await;

    // bob sees the badge, accepts from his inbox, and is a member.
    browser.log_in("bob", PW).await;
    browser.assert_path("/").await;
    assert_eq!(
        texts_of(&browser, "[data-count=invitations]").await,
        vec!["1"]
    );
    browser.goto("/invitations").await;
    browser
        .assert_sees(&[
            GROUP,
            "Alice Tester (alice) invited you as GroupMember",
            MESSAGE,
        ])
        .await;
    browser.check_a11y("invitation inbox").await;
    browser.screenshots("invitation-inbox").await;
    browser
        .press(&format!(
            r#"button[aria-label="Accept the invitation to {GROUP}"]"#
        ))
        .await;
    browser.assert_path("/invitations").await;
    browser
        .assert_sees(&[
            &format!("Welcome to {GROUP}!"),
            "You have no pending invitations.",
        ])
        .await;
    assert!(
        texts_of(&browser, "[data-count=invitations]")
            .await
            .is_empty(),
        "no badge once answered"
    );
    browser.goto(&home).await;
    browser
        .assert_sees(&["You are a member (GroupMember)."])
        .await;
    browser.follow("View All").await;
    browser
        .assert_path(&format!("/groups/{SLUG}/members"))
        .await;
    let members = rows_of(&browser, "table.members", ".role").await;
    assert!(
        members
            .iter()
            .any(|(who, role)| who.ends_with("@bob") && role == "GroupMember"),
        "bob is a GroupMember: {members:?}"
    );
    browser.log_out().await;

    // carol declines.
    browser.log_in("carol", PW).await;
    browser.goto("/invitations").await;
    browser.assert_sees(&[GROUP]).await;
    browser
        .press(&format!(
            r#"button[aria-label="Decline the invitation to {GROUP}"]"#
        ))
        .await;
    // Declining is final: the page says who hears of it first.
    browser
        .assert_sees(&[
            &format!("Decline the invitation to {GROUP}?"),
            "will be told you declined",
        ])
        .await;
    browser.check_a11y("decline an invitation?").await;
    browser.screenshots("confirm-decline").await;
    browser.press("Decline invitation").await;
    browser.assert_path("/invitations").await;
    browser
        .assert_sees(&[
            &format!("You declined the invitation to {GROUP}."),
            "You have no pending invitations.",
        ])
        .await;
    browser.log_out().await;

    // alice sees both answers.
    browser.log_in("alice", PW).await;
    browser.goto(&format!("/groups/{SLUG}/invitations")).await;
    browser
        .assert_sees(&["Invitations", "No pending invitations."])
        .await;
    assert_eq!(
        texts_of(&browser, "nav.tabs a").await,
        vec![
            "Pending 0",
            "Accepted 1",
            "Declined 1",
            "Expired 0",
            "Cancelled 0"
        ]
    );
    browser.follow("Accepted 1").await;
    assert_eq!(
        texts_of(&browser, "table.invitations td.invitee a").await,
        vec!["bob"]
    );
    assert_eq!(
        invitees_on_tab(&browser, SLUG, "declined").await,
        vec!["carol"]
    );
    browser.check_a11y("group invitations").await;
    browser.screenshots("group-invitations").await;
    browser.quit().await;

    // One membership for bob, as GroupMember; none for carol.
    let (bob_roles, carol_memberships): (Vec<String>, i64) = app.db(|c| {
        (
            memberships::table
                .inner_join(roles::table)
                .filter(memberships::user_id.eq(bob_id))
                .select(roles::name)
                .load(c)
                .unwrap(),
            memberships::table
                .filter(memberships::user_id.eq(carol_id))
                .count()
                .get_result(c)
                .unwrap(),
        )
    });
    assert_eq!(bob_roles, vec!["GroupMember".to_string()]);
    assert_eq!(carol_memberships, 0);
    eprintln!(
        "browser_invitation_flow ({b:?}) took {:?}",
        started.elapsed()
    );
}
