//! "Upload a CSV" in a real browser, with JavaScript on and off: alice
//! opens it from Big's invite page, chooses a file, sees the dry run (what
//! each row would come to, nothing sent), presses "Send 2 invitations",
//! and the page (refreshing itself while it sends) shows them sent. Pages
//! checked with axe-core at 1280 and 390 px; screenshots in
//! target/screenshots.

use crate::backend_tests;
use crate::browser::{Browser, a11y, element};
use crate::helpers::*;

backend_tests!(browser_csv_upload_checked_then_sent);

const PW: &str = "correct horse battery";

async fn browser_csv_upload_checked_then_sent(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Big", "big", "invite_only")
            .await
            .status,
        303
    );
    let dir = tempfile::tempdir().unwrap();
    for js in [true, false] {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        let file = dir.path().join(format!("people-{tag}.csv"));
        std::fs::write(
            &file,
            format!(
                "email;role;message\nann-{tag}@example.com;GroupMember;\"Hello; welcome\"\nben-{tag}@example.com;;\nnot an address;;\n"
            ),
        )
        .unwrap();

        browser.log_in("alice", PW).await;
        browser.goto("/groups/big/invite").await;
        browser.follow("Upload a CSV").await;
        browser.assert_path("/groups/big/invite/csv").await;
        a11y(&browser, js, &format!("upload a CSV ({tag})")).await;
        browser.screenshots(&format!("csv-upload-{tag}")).await;
        element(&browser, "#file")
            .await
            .send_keys(file.to_str().unwrap())
            .await
            .expect("choose the file");
        browser.press("Check the file").await;
        browser
            .assert_sees(&[
                "Check before sending",
                "3 rows, 2 will be invited. Nothing has been sent yet.",
                "Line 4: not an address: bad address",
            ])
            .await;
        a11y(&browser, js, &format!("CSV dry run ({tag})")).await;
        browser.screenshots(&format!("csv-dry-run-{tag}")).await;
        assert_eq!(app.count("invitations"), if js { 0 } else { 2 });
        browser.press("Send 2 invitations").await;
        // The page refreshes itself (a meta refresh: with or without
        // JavaScript) until the rows are sent.
        let mut seen = String::new();
        for _ in 0..150 {
            if let Some(text) = browser.try_body_text().await {
                seen = text;
                if seen.contains("Invitations sent") {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        // The sent page does not refresh itself: it stays as it is now.
        assert!(seen.contains("2 of 3 rows invited"), "{seen}");
        a11y(&browser, js, &format!("CSV sent ({tag})")).await;
        browser.screenshots(&format!("csv-sent-{tag}")).await;
        assert_eq!(app.count("invitations"), if js { 2 } else { 4 });
        browser.log_out().await;
        browser.quit().await;
    }
}
