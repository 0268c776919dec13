//! Bulk invitations through the real invite page, with the page's script
//! and without it, on both backends. Past 25 entries the script sends the
//! list in slices of 25 and shows a progress bar; at 25 or fewer, and
//! without the script, the form posts the whole list at once. Each run is
//! checked in the database: one pending invitation per new address, none
//! for the member in the list.

use crate::backend_tests;
use crate::browser::{Browser, chosen, element, field, texts_of, value_of, wait_shown};
use crate::helpers::*;
use std::time::{Duration, Instant};

backend_tests!(browser_bulk_invite);

const PW: &str = "correct horse battery";
const SLUG: &str = "bulk-crew";
const MESSAGE: &str = "Welcome to the crew.";

/// `n` entries: bob (already a member) and `n - 1` new addresses tagged with `tag`.
fn entries(n: usize, tag: &str) -> Vec<String> {
    std::iter::once("bob".to_string())
        .chain((1..n).map(|i| format!("{tag}{i}@example.org")))
        .collect()
}

fn pending_invitations_to(app: &TestApp, tag: &str) -> i64 {
    use diesel::prelude::*;
    use guildhall::db::schema::invitations;
    let gid = app.group_id(SLUG);
    app.db(|c| {
        invitations::table
            .filter(invitations::group_id.eq(gid))
            .filter(invitations::status.eq("pending"))
            .filter(invitations::invitee_email.like(format!("{tag}%@example.org")))
            .count()
            .get_result(c)
            .unwrap()
    })
}

/// Opens the invite page and pastes the entries into "Send to", one per
/// line as people copy them from a spreadsheet (typing 300 addresses key by
/// key would take the browser minutes).
async fn fill_send_to(browser: &Browser, list: &[String]) {
    browser.goto(&format!("/groups/{SLUG}/invite")).await;
    let send_to = element(browser, &field(browser, "Send to").await).await;
    let arg = serde_json::to_value(&send_to).expect("element as a script argument");
    browser
        .client
        .execute(
            "arguments[0].value = arguments[1];",
            vec![arg, list.join("\n").into()],
        )
        .await
        .expect("paste into Send to");
    browser.fill("#message", MESSAGE).await;
    // Every path carries "Tell me when it is accepted" (the script's slices too).
    browser.click("input[name=tell_me]").await;
}

/// With the script: a long list goes out in slices; the progress bar fills,
/// then the result page opens as after a plain post. A short list may be
/// done before the test looks; with `watch`, the bar must be seen.
async fn send_with_script(browser: &Browser, app: &TestApp, n: usize, tag: &str, watch: bool) {
    let list = entries(n, tag);
    fill_send_to(browser, &list).await;
    browser.click("Send Invitation").await;
    let results = format!("/groups/{SLUG}/invite/results/");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = false;
    while !browser.path().await.starts_with(&results) {
        // Read in one script: the page may be leaving under the test.
        let progress = browser
            .client
            .execute(
                "const s = document.querySelector('.bulk-progress');
                 if (!s || s.hidden) return null;
                 return [s.querySelector('.bulk-count').textContent,
                         s.querySelector('progress').max];",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| serde_json::from_value::<(String, f64)>(v).ok());
        if let Some((text, max)) = progress {
            assert!(!text.starts_with("Stopped"), "{n} entries: {text}");
            assert_eq!(max as usize, n, "the bar counts every entry");
            if watch && !seen && text.contains("handled") {
                browser
                    .client
                    .execute(
                        "document.querySelector('.bulk-progress').scrollIntoView();",
                        vec![],
                    )
                    .await
                    .ok();
                browser.screenshots("bulk-invite-progress").await;
                seen = true;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{n} entries not handled within 2 min"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen || !watch, "the progress bar was shown");
    browser.wait_for_load().await;
    assert_result(browser, app, n, tag).await;
}

/// The result page of `n` entries of which bob, a member, was refused.
async fn assert_result(browser: &Browser, app: &TestApp, n: usize, tag: &str) {
    browser
        .assert_sees(&[
            "Some invitations not sent",
            &format!("{} invited · 1 already a member", n - 1),
            "Fix 1 entry",
        ])
        .await;
    // The refusal first, in the open; the successes folded below it.
    let refused = texts_of(browser, "main .invite-refused li").await;
    assert_eq!(refused, vec!["bob: already a member"]);
    assert!(
        !crate::browser::is_shown(browser, "details.invite-invited li").await,
        "the successes are folded"
    );
    assert_eq!(
        texts_of(browser, "details.invite-invited li").await.len(),
        n - 1
    );
    assert_eq!(pending_invitations_to(app, tag), (n - 1) as i64);
    let gid = app.group_id(SLUG);
    let told: i64 = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::invitations;
        invitations::table
            .filter(invitations::group_id.eq(gid))
            .filter(invitations::tell_inviter.eq(true))
            .filter(invitations::invitee_email.like(format!("{tag}%@example.org")))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(
        told,
        (n - 1) as i64,
        "\"Tell me when it is accepted\" was lost"
    );
}

/// The whole list in one post: redirected to the result page.
async fn send_in_one_post(browser: &Browser, app: &TestApp, n: usize, tag: &str) {
    let list = entries(n, tag);
    fill_send_to(browser, &list).await;
    browser.press("Send Invitation").await;
    assert!(
        browser
            .path()
            .await
            .starts_with(&format!("/groups/{SLUG}/invite/results/")),
        "redirected to the result"
    );
    assert!(
        !crate::browser::is_shown(browser, ".bulk-progress").await,
        "the result page has no progress bar"
    );
    assert_result(browser, app, n, tag).await;
}

/// "Fix 1 entry" reopens the form with bob, the role and the message.
async fn fix_reopens_the_form(browser: &Browser) {
    browser.follow("Fix 1 entry").await;
    browser.assert_path(&format!("/groups/{SLUG}/invite")).await;
    assert_eq!(value_of(browser, "#send_to").await, "bob");
    assert_eq!(chosen(browser, "#role_id").await, "GroupMember");
    assert_eq!(value_of(browser, "#message").await, MESSAGE);
}

async fn browser_bulk_invite(b: Backend) {
    let started = Instant::now();
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let bob = app.create_user("bob", PW);
    app.new_group(&alice, "Bulk Crew", SLUG, "invite_only")
        .await;
    app.add_member(SLUG, bob, app.builtin_role("GroupMember"));

    // JavaScript on: 25 entries post the form; 26, 30 and 300 go in slices.
    let browser = Browser::start(&app).await;
    browser.log_in("alice", PW).await;
    send_in_one_post(&browser, &app, 25, "on-twentyfive").await;
    browser.check_a11y("bulk invite result").await;
    send_with_script(&browser, &app, 26, "on-twentysix", false).await;
    send_with_script(&browser, &app, 30, "on-thirty", false).await;
    browser.check_a11y("bulk invite result, after slices").await;
    send_with_script(&browser, &app, 300, "on-threehundred", true).await;
    browser.screenshots("bulk-invite-result").await;
    fix_reopens_the_form(&browser).await;
    // A list with an entry that cannot be anybody is sent by nobody: the
    // script has the whole list checked first, the form shows the entry.
    let mut bad = entries(40, "on-bad");
    bad[20] = "not@an@address".into();
    fill_send_to(&browser, &bad).await;
    browser.click("Send Invitation").await;
    // The script's check, then the form's own post: wait for its answer.
    wait_shown(&browser, "#send_to-error").await;
    browser
        .assert_sees(&["1 entry is neither a username nor an e-mail address"])
        .await;
    browser.assert_path(&format!("/groups/{SLUG}/invite")).await;
    assert_eq!(value_of(&browser, "#send_to").await, bad.join("\n"));
    assert_eq!(pending_invitations_to(&app, "on-bad"), 0);
    browser.quit().await;

    // JavaScript off: the same page posts the whole list, 30 and 300.
    let browser = Browser::start_without_js(&app).await;
    browser.log_in("alice", PW).await;
    send_in_one_post(&browser, &app, 30, "off-thirty").await;
    fix_reopens_the_form(&browser).await;
    send_in_one_post(&browser, &app, 300, "off-threehundred").await;
    // (axe-core needs the page's event loop, which is off here; the same
    // result page was checked above with scripts on.)
    browser.screenshots("bulk-invite-result-no-js").await;
    browser.quit().await;

    // Nothing else was written: every invitation is one of those above.
    assert_eq!(
        app.count("invitations"),
        (24 + 25 + 29 + 299 + 29 + 299) as i64
    );
    eprintln!("browser_bulk_invite ({b:?}) took {:?}", started.elapsed());
}
