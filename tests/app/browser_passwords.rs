//! "Forgot your password?" and "Change password" / "Change e-mail address"
//! as a person clicks through them in Chromium, on both backends: from the
//! log-in page to the mailed link, a new password, logged out elsewhere;
//! the account menu's forms. Each page is checked with axe-core at a
//! desktop and a phone width and saved as `target/screenshots/*.png`.

use crate::backend_tests;
use crate::browser::{Browser, fill_in};
use crate::helpers::{Backend, eventually, spawn_app};

backend_tests!(browser_forgot_password_then_change_it_and_the_address);

const PW: &str = "ann-password-1";
const NEW_PW: &str = "ann-password-2";
const NEWEST_PW: &str = "ann-password-3";

async fn browser_forgot_password_then_change_it_and_the_address(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("ann", PW);
    let elsewhere = Browser::start(&app).await;
    elsewhere.log_in("ann", PW).await;
    elsewhere.assert_path("/").await;

    // Forgot: from the log-in page.
    let desk = Browser::start(&app).await;
    desk.goto("/login").await;
    desk.follow("Forgot your password?").await;
    desk.assert_path("/password/forgot").await;
    desk.check_a11y("forgot your password").await;
    desk.screenshots("password-forgot").await;
    fill_in(&desk, "E-mail address", "ann@example.com").await;
    desk.press("Send me a link").await;
    desk.assert_sees(&["If an account uses that address, we sent a link"])
        .await;
    desk.check_a11y("forgot your password, sent").await;

    assert!(
        eventually(10, || app
            .outbox()
            .iter()
            .any(|m| m.recipient == "ann@example.com"))
        .await
    );
    let link = app.link_in_last_mail_to("ann@example.com");
    desk.goto(link.strip_prefix(&app.address).unwrap()).await;
    desk.assert_sees(&["Choose a new password"]).await;
    desk.check_a11y("choose a new password").await;
    desk.screenshots("password-reset").await;
    fill_in(&desk, "New password", "short").await;
    desk.press("Set new password").await;
    desk.assert_sees(&["A password has at least 10 characters."])
        .await;
    desk.check_a11y("choose a new password, refused").await;
    fill_in(&desk, "New password", NEW_PW).await;
    desk.press("Set new password").await;
    desk.assert_path("/login").await;
    desk.assert_sees(&["Your password is changed"]).await;

    // The other browser was logged out by the reset.
    elsewhere.goto("/invitations").await;
    elsewhere.assert_path("/login").await;

    // Change password from the account menu.
    desk.log_in("ann", NEW_PW).await;
    desk.assert_path("/").await;
    elsewhere.log_in("ann", NEW_PW).await;
    desk.click("details.user-menu summary").await;
    desk.follow("Change password").await;
    desk.assert_path("/account/password").await;
    desk.check_a11y("change password").await;
    desk.screenshots("account-password").await;
    fill_in(&desk, "Current password", "not it at all").await;
    fill_in(&desk, "New password", NEWEST_PW).await;
    desk.press("Change password").await;
    desk.assert_sees(&["This is not your current password."])
        .await;
    desk.check_a11y("change password, refused").await;
    fill_in(&desk, "Current password", NEW_PW).await;
    fill_in(&desk, "New password", NEWEST_PW).await;
    desk.press("Change password").await;
    desk.assert_sees(&["Your password is changed. You are logged out everywhere else."])
        .await;
    elsewhere.goto("/invitations").await;
    elsewhere.assert_path("/login").await;

    // Change the address: waits for the new one's link.
    desk.click("details.user-menu summary").await;
    desk.follow("Change e-mail address").await;
    desk.assert_path("/account/email").await;
    fill_in(&desk, "New e-mail address", "ann@new.example").await;
    fill_in(&desk, "Current password", NEWEST_PW).await;
    desk.press("Send confirmation link").await;
    desk.assert_sees(&["We sent a link to ann@new.example"])
        .await;
    desk.check_a11y("change e-mail address, waiting").await;
    desk.screenshots("account-email").await;
    let link = app.link_in_last_mail_to("ann@new.example");
    desk.goto(link.strip_prefix(&app.address).unwrap()).await;
    desk.check_a11y("confirm your new e-mail address").await;
    desk.press("Confirm my new e-mail address").await;
    desk.assert_path("/account/email").await;
    desk.assert_sees(&["Your e-mail address is changed.", "ann@new.example"])
        .await;
    elsewhere.quit().await;
    desk.quit().await;
}
