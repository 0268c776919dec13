//! "Where you're logged in" in real browsers, on both backends: ann logs in
//! from two headless Chromiums, opens the page from the user menu in the
//! first, sees both sessions (this one marked), presses **Log out
//! everywhere else**, and the second is sent to the log-in page at its next
//! click. The page is checked with axe-core at a desktop and a phone width
//! and saved as `target/screenshots/account-sessions-{1280,390}.png`.

use crate::backend_tests;
use crate::browser::{Browser, texts_of};
use crate::helpers::{Backend, spawn_app};

backend_tests!(browser_log_out_everywhere_else);

const PW: &str = "ann-password-1";

async fn browser_log_out_everywhere_else(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("ann", PW);
    let desk = Browser::start(&app).await;
    let other = Browser::start(&app).await;
    other.log_in("ann", PW).await;
    other.assert_path("/").await;
    desk.log_in("ann", PW).await;
    desk.assert_path("/").await;

    desk.click("details.user-menu summary").await;
    desk.follow("Where you're logged in").await;
    desk.assert_path("/account/sessions").await;
    desk.assert_sees(&["Where you're logged in", "This device"])
        .await;
    let rows = texts_of(&desk, "table.sessions tbody tr").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.contains("Chrome on Linux") && r.contains("127.0.0.1")),
        "{rows:?}"
    );
    assert!(rows[0].contains("This device"), "{rows:?}");
    desk.check_a11y("where you're logged in").await;
    desk.screenshots("account-sessions").await;

    desk.press("Log out everywhere else").await;
    desk.assert_path("/account/sessions").await;
    desk.assert_sees(&[
        "You are logged out everywhere else (1 other session).",
        "You are not logged in anywhere else.",
    ])
    .await;
    assert_eq!(texts_of(&desk, "table.sessions tbody tr").await.len(), 1);
    desk.check_a11y("where you're logged in, alone").await;

    // The other browser's next click lands on the log-in page.
    other.goto("/invitations").await;
    other.assert_path("/login").await;
    other
        .assert_sees(&["Your session has ended. Please log in again."])
        .await;
    desk.goto("/invitations").await;
    desk.assert_path("/invitations").await;
    other.quit().await;
    desk.quit().await;
}
