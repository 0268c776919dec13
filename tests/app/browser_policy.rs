//! The invitation policy in a real browser, on both backends: alice sets
//! Big's rules from its settings, narrows them in the managed community
//! Eng, is refused when Eng would widen them, and sees an invitation made
//! before the rules listed with "Cancel this invitation". Each page is
//! checked with axe-core at 1280 and 390 px; then the same form without
//! JavaScript, and the invite page once invitations are off.

use crate::backend_tests;
use crate::browser::{Browser, fill_in, texts_of};
use crate::communities::create_managed;
use crate::helpers::*;

backend_tests!(browser_invitation_policy_flow);

const PW: &str = "correct horse battery";

async fn browser_invitation_policy_flow(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Big", "big", "invite_only")
            .await
            .status,
        303
    );
    assert_eq!(
        create_managed(&app, &alice, "big", "Eng", "eng")
            .await
            .status,
        303
    );
    let role = app.builtin_role("GroupMember").to_string();
    app.send_invite(
        &alice,
        "big",
        &[
            ("send_to", "x@other.org"),
            ("role_id", &role),
            ("message", ""),
            ("action", "send"),
        ],
    )
    .await;

    let browser = Browser::start(&app).await;
    browser.log_in("alice", PW).await;
    browser.goto("/groups/big/settings").await;
    browser.follow("Invitation policy").await;
    browser.assert_path("/groups/big/policy").await;
    browser.check_a11y("invitation policy").await;
    fill_in(&browser, "Allowed e-mail domains", "example.com").await;
    browser.click("input[name=include_subdomains]").await;
    browser.click("input[name=block_disposable]").await;
    browser.press("Save invitation policy").await;
    browser
        .assert_sees(&["The invitation policy is saved."])
        .await;
    // The invitation to other.org breaks the rule now.
    assert_eq!(
        texts_of(&browser, "#breaking-heading ~ ul li").await,
        vec![
            "x@other.org to Big: Big's invitation policy: only addresses at example.com may be invited"
        ]
    );
    browser
        .check_a11y("invitation policy with an invitation it refuses")
        .await;
    browser.screenshots("invitation-policy").await;
    browser.press("Cancel this invitation").await;
    browser.assert_sees(&["Cancel this invitation?"]).await;
    browser
        .check_a11y("cancel the invitations the policy refuses")
        .await;
    browser.press("Cancel this invitation").await;
    browser.assert_sees(&["1 invitation is cancelled."]).await;

    browser.goto("/groups/eng/policy").await;
    browser
        .assert_sees(&["Rules of the communities above"])
        .await;
    fill_in(&browser, "Allowed e-mail domains", "other.org").await;
    browser.press("Save invitation policy").await;
    browser
        .assert_sees(&["Big allows only addresses at example.com: other.org would widen it."])
        .await;
    browser.check_a11y("invitation policy refused").await;
    browser.screenshots("invitation-policy-refused").await;
    browser.quit().await;

    // Without JavaScript: the same form saves, refuses and turns
    // invitations off; the invite page then says so instead of a form.
    let browser = Browser::start_without_js(&app).await;
    browser.log_in("alice", PW).await;
    browser.goto("/groups/eng/policy").await;
    fill_in(&browser, "Allowed e-mail domains", "other.org").await;
    browser.press("Save invitation policy").await;
    browser
        .assert_sees(&["Big allows only addresses at example.com: other.org would widen it."])
        .await;
    browser.goto("/groups/big/policy").await;
    browser.click("input[name=invitations_off]").await;
    browser.press("Save invitation policy").await;
    browser
        .assert_sees(&["The invitation policy is saved."])
        .await;
    browser.goto("/groups/eng/invite").await;
    browser
        .assert_sees(&[
            "Nobody can be invited to Eng now: Big's invitation policy: invitations are off.",
        ])
        .await;
    browser.screenshots("invite-page-invitations-off").await;
    browser.quit().await;
}
