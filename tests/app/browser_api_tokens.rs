//! Personal access tokens in a real browser, with JavaScript on and off:
//! alice opens "Personal access tokens" from the account menu, makes a
//! token for Big, copies it from the page that shows it once, the API
//! answers it, and she revokes it after the confirmation. Pages checked
//! with axe-core at 1280 and 390 px; screenshots in target/screenshots.

use crate::backend_tests;
use crate::browser::{Browser, a11y, choose, fill_in, value_of};
use crate::helpers::*;

backend_tests!(browser_token_made_used_and_revoked);

const PW: &str = "correct horse battery";

async fn browser_token_made_used_and_revoked(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Big", "big", "invite_only")
            .await
            .status,
        303
    );
    let big = app.group_id("big");
    for js in [true, false] {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        browser.log_in("alice", PW).await;
        browser.click("details.user-menu summary").await;
        browser.follow("Personal access tokens").await;
        browser.assert_path("/account/tokens").await;
        a11y(&browser, js, &format!("tokens ({tag})")).await;
        fill_in(&browser, "Name", &format!("HR sync {tag}")).await;
        browser.click("input[value='invitations:read']").await;
        browser
            .click(&format!("input[name=community][value='{big}']"))
            .await;
        choose(&browser, "Expires after", "90 days").await;
        browser.press("Make token").await;
        browser
            .assert_sees(&["Your new token", "Copy it now: it is shown this once"])
            .await;
        a11y(&browser, js, &format!("token made ({tag})")).await;
        browser.screenshots(&format!("token-made-{tag}")).await;
        let token = value_of(&browser, "#made-token").await;
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/groups/big"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Shown once: not after a reload.
        browser.refresh().await;
        assert!(!browser.body_text().await.contains(&token));
        browser.press(&format!("Revoke HR sync {tag}")).await;
        browser
            .assert_sees(&[&format!("Revoke the token \u{201c}HR sync {tag}\u{201d}?")])
            .await;
        a11y(&browser, js, &format!("revoke token ({tag})")).await;
        browser.press("Revoke token").await;
        browser
            .assert_sees(&["The token is revoked: it no longer works."])
            .await;
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/groups/big"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        browser.log_out().await;
        browser.quit().await;
    }
}
