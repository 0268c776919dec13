//! Webhooks in a real browser, with JavaScript on and off: alice opens
//! "Webhooks" from her group's menu, adds one (the secret made for her is
//! shown once), sends a test event, sees it delivered in the log, presses
//! "Redeliver", and deletes the hook after the confirmation. Pages checked
//! with axe-core at 1280 and 390 px; screenshots in target/screenshots.

use crate::backend_tests;
use crate::browser::{Browser, a11y, fill_in, value_of};
use crate::helpers::*;
use crate::webhooks::{Receiver, signed_with};

backend_tests!(browser_webhook_added_tested_and_deleted);

const PW: &str = "correct horse battery";

async fn browser_webhook_added_tested_and_deleted(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Big", "big", "invite_only")
            .await
            .status,
        303
    );
    let rx = Receiver::start().await;
    for (round, js) in [true, false].into_iter().enumerate() {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        browser.log_in("alice", PW).await;
        browser.goto("/groups/big").await;
        browser.click("details.menu summary").await;
        browser.follow("Webhooks").await;
        browser.assert_path("/groups/big/webhooks").await;
        a11y(&browser, js, &format!("webhooks ({tag})")).await;
        // A refused URL says why, in the page.
        fill_in(&browser, "URL", "ftp://example.com/").await;
        browser.press("Add webhook").await;
        browser
            .assert_sees(&["Enter a URL starting with https:// or http://."])
            .await;
        a11y(&browser, js, &format!("webhook refused ({tag})")).await;
        fill_in(&browser, "URL", &rx.url).await;
        browser.press("Add webhook").await;
        browser
            .assert_sees(&["Your new webhook", "it is shown this once"])
            .await;
        a11y(&browser, js, &format!("webhook made ({tag})")).await;
        browser.screenshots(&format!("webhook-made-{tag}")).await;
        let secret = value_of(&browser, "#made-secret").await;
        assert_eq!(secret.len(), 43, "a made secret: {secret}");
        browser.follow("See its deliveries").await;
        browser.press("Send test event").await;
        browser.assert_sees(&["A test event is queued"]).await;
        let got = rx.wait_for(2 * round + 1).await;
        let ping = got.last().unwrap();
        assert_eq!(ping.event, "ping");
        assert!(signed_with(ping, &secret));
        // The log shows how it was answered.
        let mut seen = String::new();
        for _ in 0..50 {
            browser.refresh().await;
            seen = browser.body_text().await;
            if seen.contains("HTTP 200") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            seen.contains("delivered") && seen.contains("HTTP 200"),
            "{seen}"
        );
        a11y(&browser, js, &format!("webhook deliveries ({tag})")).await;
        browser
            .screenshots(&format!("webhook-deliveries-{tag}"))
            .await;
        browser.click("table.deliveries summary").await;
        browser.assert_sees(&["X-Guildhall-Delivery"]).await;
        // Redeliver submits a form: wait for the page it leads to.
        browser.press("table.deliveries button").await;
        browser.assert_sees(&["The delivery is queued again"]).await;
        let got = rx.wait_for(2 * round + 2).await;
        assert_eq!(got[got.len() - 1].delivery, got[got.len() - 2].delivery);
        browser.press("Delete webhook").await;
        browser.assert_sees(&["Delete the webhook to"]).await;
        a11y(&browser, js, &format!("delete webhook ({tag})")).await;
        browser.press("Delete webhook").await;
        browser
            .assert_sees(&["The webhook is deleted.", "No webhooks yet."])
            .await;
        browser.log_out().await;
        browser.quit().await;
    }
    assert_eq!(app.count("webhooks"), 0);
    rx.server.stop(false).await;
}
