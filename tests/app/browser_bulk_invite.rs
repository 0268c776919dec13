//! Bulk invitations through the real invite page, with the page's script
//! and without it, on both backends. Past 25 entries the script sends the
//! list in slices of 25 and shows a progress bar; at 25 or fewer, and
//! without the script, the form posts the whole list at once. Each run is
//! checked in the database: one pending invitation per new address, none
//! for the member in the list.

use crate::backend_tests;
use crate::browser::{Browser, element, field, texts_of, wait_shown};
use crate::helpers::*;
use std::time::{Duration, Instant};

backend_tests!(browser_bulk_invite);

const PW: &str = "correct horse battery";
const SLUG: &str = "bulk-crew";

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
}

/// With the script: a long list goes out in slices; the progress bar fills
/// and the summary counts what the server answered.
async fn send_with_script(browser: &Browser, app: &TestApp, n: usize, tag: &str) {
    let list = entries(n, tag);
    fill_send_to(browser, &list).await;
    browser.click("Send Invitation").await;
    let count = wait_shown(browser, ".bulk-progress .bulk-count").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let summary = loop {
        let text = count.text().await.expect("progress text");
        if text.starts_with("Done") || text.starts_with("Stopped") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "{n} entries not handled within 2 min: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        summary,
        format!("Done: {n} handled, {} invited.", n - 1),
        "{n} entries with the script"
    );
    // Still on the invite page (no full post), the bar full.
    browser.assert_path(&format!("/groups/{SLUG}/invite")).await;
    let bar = element(browser, ".bulk-progress progress").await;
    let (value, max) = (
        bar.attr("value").await.unwrap().unwrap_or_default(),
        bar.attr("max").await.unwrap().unwrap_or_default(),
    );
    assert_eq!(
        (value.as_str(), max.as_str()),
        (&*n.to_string(), &*n.to_string())
    );
    let results = texts_of(browser, ".bulk-progress .invite-results li").await;
    assert_eq!(results.len(), n, "one line per entry");
    let refused = texts_of(browser, ".bulk-progress .invite-results li.refused").await;
    assert_eq!(refused.len(), 1, "only bob is refused: {refused:?}");
    assert!(refused[0].starts_with("bob:"), "{refused:?}");
    assert_eq!(pending_invitations_to(app, tag), (n - 1) as i64);
}

/// The whole list in one post: the server's result page.
async fn send_in_one_post(browser: &Browser, app: &TestApp, n: usize, tag: &str) {
    let list = entries(n, tag);
    fill_send_to(browser, &list).await;
    browser.press("Send Invitation").await;
    browser.assert_path(&format!("/groups/{SLUG}/invite")).await;
    browser
        .assert_sees(&["Invitations sent", &format!("{} of {n} invited.", n - 1)])
        .await;
    assert!(
        !crate::browser::is_shown(browser, ".bulk-progress").await,
        "the result page has no progress bar"
    );
    let refused = texts_of(browser, "main .invite-results li.refused").await;
    assert_eq!(refused.len(), 1, "only bob is refused: {refused:?}");
    assert_eq!(pending_invitations_to(app, tag), (n - 1) as i64);
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
    send_with_script(&browser, &app, 26, "on-twentysix").await;
    send_with_script(&browser, &app, 30, "on-thirty").await;
    browser.check_a11y("bulk invite, progress").await;
    browser
        .client
        .execute(
            "document.querySelector('.bulk-progress').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the progress");
    browser.screenshots("bulk-invite-progress").await;
    send_with_script(&browser, &app, 300, "on-threehundred").await;
    browser.quit().await;

    // JavaScript off: the same page posts the whole list, 30 and 300.
    let browser = Browser::start_without_js(&app).await;
    browser.log_in("alice", PW).await;
    send_in_one_post(&browser, &app, 30, "off-thirty").await;
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
