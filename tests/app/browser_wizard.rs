//! The Add user wizard in a real browser, on both backends: alice walks the
//! three steps (an address in use refused first, no group refused, the
//! search), adds carol and sees her contact page with the invitation
//! actions; once that invitation is cancelled, she invites carol again
//! with **Invite to Community** on her page. Each page is checked with axe-core at a desktop and a phone
//! width; the overview is saved as `target/screenshots/add-user-wizard.png`.

use crate::backend_tests;
use crate::browser::Browser;
use crate::wizard::world;

backend_tests!(browser_add_user_wizard);

const PW: &str = "a-long-password-1";

async fn browser_add_user_wizard(b: crate::helpers::Backend) {
    let w = world(b).await;
    let browser = Browser::start(&w.app).await;
    browser.log_in("alice", PW).await;
    browser.goto("/account/users").await;
    browser.follow("+ Invite New Users").await;
    browser.assert_path("/account/users/new").await;
    browser.check_a11y("add user, details").await;
    browser.fill("#first_name", "Carol").await;
    browser.fill("#last_name", "Contact").await;
    browser.fill("#email", "bob@example.com").await;
    browser.fill("#phone", "20 7946 0000").await;
    browser.press("Next: groups").await;
    browser
        .assert_sees(&["This e-mail address is already in use."])
        .await;
    browser.check_a11y("add user, details with an error").await;
    browser.fill("#email", "carol@example.com").await;
    browser.press("Next: groups").await;
    browser.assert_sees(&["Step 2 of 3", "Acme Support"]).await;
    browser.check_a11y("add user, groups").await;
    browser.press("Next: overview").await;
    browser.assert_sees(&["Choose at least one group."]).await;
    browser.check_a11y("add user, groups with an error").await;
    browser.fill("#q", "support").await;
    browser.press("Search").await;
    browser.click("input[type=checkbox][name=group]").await;
    browser.press("Next: overview").await;
    browser
        .assert_sees(&["Step 3 of 3", "carol@example.com", "Acme Support"])
        .await;
    browser.check_a11y("add user, overview").await;
    browser.screenshot("add-user-wizard").await;
    browser.press("Add").await;
    browser
        .assert_sees(&["was added and invited", "Resend Invitation"])
        .await;
    browser.check_a11y("contact with invitation actions").await;
    let carol = w.app.db(|c| {
        guildhall::models::user::find_by_email_key(c, "carol@example.com")
            .unwrap()
            .unwrap()
    });
    assert_eq!(carol.status, guildhall::domain::UserStatus::Invited);

    // Her invitation cancelled, her page offers Invite to Community again.
    browser.goto("/groups/acme-support/invitations").await;
    browser
        .click("table.invitations details.row-menu summary")
        .await;
    browser.follow("Cancel invitation").await;
    browser
        .assert_sees(&["Cancel the invitation of carol@example.com?"])
        .await;
    browser.press("Cancel invitation").await;
    browser
        .assert_path("/groups/acme-support/invitations")
        .await;
    let page = format!("/account/users/{}", carol.id);
    browser.goto(&page).await;
    browser
        .assert_sees(&["no invitation is pending", "Invite to Community"])
        .await;
    browser.check_a11y("contact with Invite to Community").await;
    browser.press("Invite to Community").await;
    browser.assert_sees(&["Choose at least one group."]).await;
    browser
        .check_a11y("Invite to Community with an error")
        .await;
    browser.click(&format!("#group-{}", w.groups[1])).await;
    browser.press("Invite to Community").await;
    browser
        .assert_sees(&["the invitation e-mail is on its way", "Resend Invitation"])
        .await;
    assert!(
        w.app
            .link_in_last_mail_to("carol@example.com")
            .contains("/join/")
    );
    browser.quit().await;
}
