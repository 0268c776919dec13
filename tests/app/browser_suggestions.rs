//! "Suggest someone" in a real browser, with JavaScript on and off: alice
//! lets Big's members suggest (its invitation policy), carol suggests from
//! the group's page, alice approves one on its row and declines the
//! selected together. Pages checked with axe-core at 1280 and 390 px;
//! screenshots in target/screenshots.

use crate::backend_tests;
use crate::browser::{Browser, a11y, fill_in, texts_of};
use crate::helpers::*;

backend_tests!(browser_suggest_approve_and_decline);

const PW: &str = "correct horse battery";

/// axe-core runs as a script: the pages are checked with JavaScript on
/// (the markup is the same without it).
async fn browser_suggest_approve_and_decline(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Big", "big", "invite_only")
            .await
            .status,
        303
    );
    let carol_id = app.create_user("carol", PW);
    app.add_member("big", carol_id, app.builtin_role("GroupMember"));

    for js in [true, false] {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        if js {
            // alice opens suggestions to Big's members from its policy.
            browser.log_in("alice", PW).await;
            browser.goto("/groups/big/policy").await;
            browser
                .click("input[name=who_may_invite][value=members]")
                .await;
            browser.press("Save invitation policy").await;
            browser
                .assert_sees(&["The invitation policy is saved."])
                .await;
            browser.log_out().await;
        }

        // carol suggests from the group's page.
        browser.log_in("carol", PW).await;
        browser.goto("/groups/big").await;
        browser.follow("Suggest someone").await;
        browser.assert_path("/groups/big/suggestions").await;
        a11y(&browser, js, &format!("suggest someone ({tag})")).await;
        let people: &[&str] = if js {
            &["dave@example.com"]
        } else {
            &["erin@example.com", "fred@example.com"]
        };
        for who in people {
            fill_in(&browser, "Username or e-mail", who).await;
            fill_in(&browser, "Reason", "Runs the meetup.").await;
            browser.press("Suggest someone").await;
            browser
                .assert_sees(&[
                    "Your suggestion is sent: those who manage the members will decide.",
                ])
                .await;
        }
        // A refusal is shown beside the field, with what was typed kept.
        fill_in(&browser, "Username or e-mail", "nobody").await;
        fill_in(&browser, "Reason", "typo").await;
        browser.press("Suggest someone").await;
        browser
            .assert_sees(&["There is no user with this username."])
            .await;
        a11y(&browser, js, &format!("suggestion refused ({tag})")).await;
        browser.screenshots(&format!("suggest-someone-{tag}")).await;
        browser.log_out().await;

        // alice decides.
        browser.log_in("alice", PW).await;
        browser.goto("/groups/big").await;
        browser.click("details.menu summary").await;
        browser.follow("Suggestions").await;
        let listed = texts_of(&browser, "td.invitee").await;
        assert_eq!(
            listed,
            people.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        );
        a11y(&browser, js, &format!("suggestions ({tag})")).await;
        browser.screenshots(&format!("suggestions-{tag}")).await;
        let ids: Vec<String> = app.db(|c| {
            use diesel::prelude::*;
            use guildhall::db::schema::suggestions as sg;
            sg::table
                .filter(sg::status.eq("pending"))
                .order(sg::id)
                .select(sg::id)
                .load::<i64>(c)
                .unwrap()
                .iter()
                .map(i64::to_string)
                .collect()
        });
        if js {
            browser
                .press(&format!("#suggestion-{} button[name=approve]", ids[0]))
                .await;
            browser.assert_sees(&["1 invitation sent."]).await;
            assert!(
                app.link_in_last_mail_to("dave@example.com")
                    .contains("/join/")
            );
        } else {
            for id in &ids {
                browser
                    .click(&format!("input[name=ids][value='{id}']"))
                    .await;
            }
            browser.press("form#decide button[value=decline]").await;
            browser.assert_sees(&["2 suggestions declined."]).await;
        }
        browser.assert_sees(&["No suggestions are waiting."]).await;
        browser.log_out().await;
        browser.quit().await;
    }
}
