//! Multi-use join links in a real browser, with JavaScript on and off:
//! alice makes one on Big's "Join links" page, bob opens it, logs in from
//! it and joins; alice sees the use and disables the link. Pages checked
//! with axe-core at 1280 and 390 px; screenshots in target/screenshots.

use crate::backend_tests;
use crate::browser::{Browser, a11y, fill_in, texts_of, value_of};
use crate::helpers::*;

backend_tests!(browser_join_link_made_used_and_disabled);

const PW: &str = "correct horse battery";

async fn browser_join_link_made_used_and_disabled(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Big", "big", "invite_only")
            .await
            .status,
        303
    );
    for js in [true, false] {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        let who = if js { "bob" } else { "carol" };
        app.create_user(who, PW);

        browser.log_in("alice", PW).await;
        browser.goto("/groups/big").await;
        browser.click("details.menu summary").await;
        browser.follow("Join links").await;
        browser.assert_path("/groups/big/links").await;
        fill_in(&browser, "Maximum uses", "2").await;
        fill_in(&browser, "Expires after (days)", "5").await;
        browser.press("Make join link").await;
        browser
            .assert_sees(&["The join link is made: copy it below.", "0 of 2 uses"])
            .await;
        a11y(&browser, js, &format!("join links ({tag})")).await;
        browser.screenshots(&format!("join-links-{tag}")).await;
        let url = value_of(&browser, "input.link-field").await;
        let path = url.strip_prefix(&app.address).unwrap().to_string();
        browser.log_out().await;

        // bob (or carol) opens it, logs in from it, and joins.
        browser.goto(&path).await;
        browser
            .assert_sees(&["This link lets you join Big as GroupMember"])
            .await;
        a11y(&browser, js, &format!("join link, visitor ({tag})")).await;
        browser.follow("Log in").await;
        fill_in(&browser, "Username or e-mail", who).await;
        fill_in(&browser, "Password", PW).await;
        browser.press("Log in").await;
        browser.assert_path(&path).await;
        a11y(&browser, js, &format!("join link ({tag})")).await;
        browser.screenshots(&format!("join-link-{tag}")).await;
        browser.press("Join Big").await;
        browser.assert_path("/groups/big").await;
        browser.assert_sees(&["Welcome to Big."]).await;
        browser.log_out().await;

        // alice sees the use, and disables the link.
        browser.log_in("alice", PW).await;
        browser.goto("/groups/big/links").await;
        browser.assert_sees(&["1 of 2 uses"]).await;
        browser.click("details.uses summary").await;
        let used = texts_of(&browser, "details.uses li").await;
        assert!(
            used[0].starts_with(if js { "Bob Tester" } else { "Carol Tester" }),
            "{used:?}"
        );
        browser.press("Disable link").await;
        browser
            .assert_sees(&["The link is disabled: it no longer works."])
            .await;
        browser.log_out().await;
        browser.goto(&path).await;
        browser
            .assert_sees(&["This link is disabled: it no longer works."])
            .await;
        browser.quit().await;
    }
}
