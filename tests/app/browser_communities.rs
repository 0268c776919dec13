//! Communities in a real browser, on both backends: alice creates the main
//! community MSSP and two managed communities from its '…' menu, tries to
//! put MSSP inside one of them (refused), invites dan to one managed
//! community only (the preview says what the invitation grants), and dan,
//! once he has accepted, reaches that one and neither MSSP nor its sibling.
//! Every page on the way is checked with axe-core at 1280 and 390 px.

use crate::backend_tests;
use crate::browser::{Browser, choose, fill_in, texts_of};
use crate::helpers::*;

backend_tests!(browser_communities_flow);

const PW: &str = "correct horse battery";

async fn browser_communities_flow(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("alice", PW);
    app.create_user("dan", PW);
    let browser = Browser::start(&app).await;
    browser.log_in("alice", PW).await;

    browser.goto("/groups/new").await;
    fill_in(&browser, "Name", "MSSP").await;
    fill_in(&browser, "Address", "mssp").await;
    choose(
        &browser,
        "Join method",
        "Invitation only: hidden from non-members",
    )
    .await;
    browser.press("Create group").await;
    browser.assert_path("/groups/mssp").await;

    for (name, slug) in [("Managed One", "m1"), ("Managed Two", "m2")] {
        browser.goto("/groups/mssp").await;
        browser.click("details.menu summary").await;
        browser.follow("New managed community").await;
        browser.assert_path("/groups/mssp/communities/new").await;
        browser
            .assert_sees(&["New managed community", "Audience: Internal, as MSSP."])
            .await;
        if slug == "m1" {
            browser.check_a11y("new managed community").await;
        }
        fill_in(&browser, "Name", name).await;
        fill_in(&browser, "Address", slug).await;
        choose(
            &browser,
            "Join method",
            "Invitation only: hidden from non-members",
        )
        .await;
        browser.press("Create managed community").await;
        browser.assert_path(&format!("/groups/{slug}")).await;
        browser
            .assert_sees(&[&format!("The managed community {name} has been created.")])
            .await;
    }
    assert_eq!(texts_of(&browser, ".path a").await, vec!["MSSP"]);
    browser.check_a11y("managed community home").await;
    browser.goto("/groups/mssp").await;
    assert_eq!(
        texts_of(&browser, ".community-list a").await,
        vec!["Managed One", "Managed Two"]
    );
    browser.check_a11y("main community home").await;
    browser.goto("/groups/m1").await;
    assert_eq!(
        texts_of(&browser, ".community-list a").await,
        vec!["MSSP", "Managed Two"]
    );
    browser
        .client
        .execute(
            "document.querySelector('.community-list').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the tree");
    browser.screenshots("community-tree").await;

    // MSSP cannot go inside its own managed community.
    browser.goto("/groups/mssp/settings").await;
    browser.check_a11y("settings").await;
    fill_in(&browser, "Address of the main community", "m1").await;
    browser.press("Save main community").await;
    browser
        .assert_sees(&["A community cannot be placed inside itself"])
        .await;
    browser.check_a11y("settings with an error").await;

    // dan is invited to Managed One only.
    browser.goto("/groups/mssp/invite").await;
    assert_eq!(
        texts_of(&browser, ".reach strong").await,
        vec!["MSSP + 2 managed communities"]
    );
    // Its managed communities are not offered again under "Also invite to".
    assert!(!browser.body_text().await.contains("Also invite to"));
    browser.click("input[name=scope][value=chosen]").await;
    let m1 = app.db(|c| {
        guildhall::models::group::find_by_slug(c, "m1")
            .unwrap()
            .unwrap()
            .id
    });
    browser
        .click(&format!("input[name=community][value=\"{m1}\"]"))
        .await;
    // The line follows the choice as it is made.
    assert_eq!(
        texts_of(&browser, ".reach strong").await,
        vec!["Managed One"]
    );
    browser.fill("#send_to", "dan").await;
    browser.click("details.preview summary").await;
    browser.press("Update preview").await;
    assert_eq!(
        texts_of(&browser, ".reach strong").await,
        vec!["Managed One"]
    );
    assert!(
        texts_of(&browser, "div.mail-preview").await[0]
            .contains("invited you to join Managed One on Guildhall")
    );
    browser.check_a11y("community invite form").await;
    browser.screenshots("community-invite").await;
    browser.press("Send Invitation").await;
    assert_eq!(
        texts_of(&browser, ".invite-results li").await,
        vec!["dan: invited"]
    );
    browser.log_out().await;

    browser.log_in("dan", PW).await;
    browser.goto("/invitations").await;
    browser.assert_sees(&["Managed One"]).await;
    browser
        .press(r#"button[aria-label="Accept the invitation to Managed One"]"#)
        .await;
    browser.goto("/groups/m1").await;
    browser
        .assert_sees(&["Managed One", "You are a member"])
        .await;
    for hidden in ["/groups/mssp", "/groups/m2"] {
        browser.goto(hidden).await;
        browser.assert_sees(&["Page not found"]).await;
    }
    browser.quit().await;
}
