//! The site administrator's page in a real browser, on both backends: the
//! company-account forms are on the page (not inside `<title>`), and a
//! site admin makes a super user with them, who then reaches Manage Users.

use crate::backend_tests;
use crate::browser::{Browser, element, fill_in};
use crate::helpers::*;

backend_tests!(browser_admin_company_accounts);

const PW: &str = "admin-password-1";

/// The `<title>` as the browser shows it in its tab and history.
async fn title(browser: &Browser) -> String {
    browser.client.title().await.expect("read the title")
}

async fn select(browser: &Browser, css: &str, option: &str) {
    element(browser, css)
        .await
        .select_by_label(option)
        .await
        .unwrap_or_else(|e| panic!("cannot choose {option:?} in {css}: {e}"));
}

async fn browser_admin_company_accounts(b: Backend) {
    let app = spawn_app(b).await;
    app.create_admin("root", PW);
    app.create_user("alice", PW);
    let browser = Browser::start(&app).await;
    browser.log_in("root", PW).await;
    browser.follow("Admin").await;
    browser.assert_path("/admin").await;
    assert_eq!(title(&browser).await, "Site administration · Guildhall");
    browser
        .assert_sees(&["Company accounts", "No company account yet."])
        .await;
    browser.check_a11y("admin").await;

    // Create a client account through its form.
    fill_in(&browser, "Account name", "Acme Corp").await;
    select(&browser, "#kind", "Client").await;
    browser.press("Create account").await;
    browser.assert_path("/admin").await;
    browser
        .assert_sees(&["The account Acme Corp has been created."])
        .await;
    let names = crate::browser::texts_of(&browser, "main table td[data-label=Name]").await;
    assert_eq!(names, ["Acme Corp"]);

    // Attach alice to it, then make her its super user.
    browser.fill("#attach_username", "alice").await;
    select(&browser, "#attach_account", "Acme Corp (Client)").await;
    browser.press("Attach user").await;
    browser
        .assert_sees(&["The user's account has been changed."])
        .await;
    assert!(app.user_by_username("alice").account_id.is_some());
    browser.fill("#super_username", "alice").await;
    browser.press("Make super user").await;
    browser
        .assert_sees(&["The user is a super user now."])
        .await;
    browser.check_a11y("admin with an account").await;
    browser.screenshots("admin-company-accounts").await;
    assert_eq!(title(&browser).await, "Site administration · Guildhall");
    // What was done shows on the audit trail as a timeline, newest first,
    // each event with its mark.
    browser.goto("/admin/audit").await;
    let events = crate::browser::texts_of(&browser, "ol.timeline li .event").await;
    assert_eq!(
        events,
        [
            "Super user granted",
            "Attached to account",
            "Account created"
        ]
    );
    assert_eq!(
        crate::browser::texts_of(&browser, "ol.timeline li .tl-mark")
            .await
            .len(),
        3
    );
    browser.check_a11y("audit trail").await;
    browser.screenshots("audit-trail").await;
    browser.log_out().await;

    // alice reaches Manage Users from the menu.
    browser.log_in("alice", PW).await;
    browser.follow("Manage Users").await;
    browser.assert_path("/account/users").await;
    browser.assert_sees(&["Manage Users", "Acme Corp"]).await;
    browser.quit().await;

    let alice = app.user_by_username("alice");
    assert!(alice.account_id.is_some() && alice.is_super_user);
}
