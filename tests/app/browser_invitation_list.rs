//! The Sent invitations page as a group admin uses it in Chromium, with
//! JavaScript on and off: status tabs, search, the row menu, "With the
//! selected" Resend and Cancel invitation through its confirmation.
//! Checked with axe-core at 1280 and 390 px; screenshots in target/screenshots.

use crate::backend_tests;
use crate::browser::{Browser, a11y, fill_in, is_shown, texts_of};
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::invitation_list::{seed_invitation, status_of};

backend_tests!(browser_sent_invitations_with_and_without_javascript);

const PW: &str = "correct horse battery";

/// alice's group "Big" with 60 pending invitations (one to the needle),
/// three accepted and two past their date; returns the pending ids.
async fn big_group(app: &TestApp) -> Vec<i64> {
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303);
    let big = app.group_id("big");
    for i in 0..3 {
        seed_invitation(
            app,
            big,
            alice_id,
            &format!("yes{i}@example.com"),
            "accepted",
            1,
        );
    }
    for i in 0..2 {
        seed_invitation(
            app,
            big,
            alice_id,
            &format!("late{i}@example.com"),
            "pending",
            8,
        );
    }
    (0..60)
        .map(|i| {
            let who = if i == 1 {
                "needle@example.com".to_string()
            } else {
                format!("person{i:02}@example.com")
            };
            seed_invitation(app, big, alice_id, &who, "pending", 0)
        })
        .collect()
}

/// axe-core runs as a script: it checks the pages with JavaScript on (the
/// markup is the same without it, less what scripts show).
async fn browser_sent_invitations_with_and_without_javascript(b: Backend) {
    let app = spawn_app(b).await;
    let pending = big_group(&app).await;
    for js in [true, false] {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        let (first, second) = if js {
            (pending[59], pending[58])
        } else {
            (pending[57], pending[56])
        };
        browser.log_in("alice", PW).await;
        browser.goto("/groups/big").await;
        browser.goto("/groups/big/invitations").await;
        // The first pass cancels one.
        // The first pass cancels one and extends one past its date.
        let cancelled = if js { "Cancelled 0" } else { "Cancelled 1" };
        let expired_tab = if js { "Expired 2" } else { "Expired 1" };
        assert_eq!(
            texts_of(&browser, "nav.tabs a").await[1..],
            ["Accepted 3", "Declined 0", expired_tab, cancelled]
        );
        // One screen of rows at a time: 50, then "Older invitations".
        assert_eq!(
            texts_of(&browser, "table.invitations tbody tr").await.len(),
            50
        );
        assert!(is_shown(&browser, "a[rel=next]").await);
        a11y(&browser, js, &format!("sent invitations ({tag})")).await;
        browser
            .screenshots(&format!("sent-invitations-{tag}"))
            .await;

        // The row menu opens without a script; Copy needs one.
        let row = format!("#invitation-{first}");
        browser
            .click(&format!("{row} details.row-menu summary"))
            .await;
        assert!(is_shown(&browser, &format!("{row} .menu-items")).await);
        assert_eq!(
            is_shown(&browser, &format!("{row} button[data-copy-text]")).await,
            js,
            "Copy invitation link shows only where it can work"
        );
        a11y(&browser, js, &format!("sent invitations, row menu ({tag})")).await;
        browser
            .screenshots(&format!("sent-invitations-menu-{tag}"))
            .await;
        browser.goto("/groups/big/invitations").await;

        // Search finds the needle, which sits on the second page.
        fill_in(&browser, "Search invitations", "NEEDLE").await;
        browser.press("Search").await;
        assert_eq!(
            texts_of(&browser, "table.invitations td.invitee a").await,
            vec!["needle@example.com"]
        );
        a11y(&browser, js, &format!("sent invitations, search ({tag})")).await;
        browser.follow("Clear search").await;

        // Resend one from its row: the page's one Resend form, the
        // button names the invitation.
        let one = if js { pending[55] } else { pending[54] };
        let mails = app.outbox().len();
        browser
            .press(&format!("#invitation-{one} button[form=resend]"))
            .await;
        browser
            .assert_sees(&["The invitation has been sent again; its validity starts over."])
            .await;
        let outbox = app.outbox();
        assert_eq!(outbox.len(), mails + 1, "one mail for the one invitation");
        assert_eq!(
            outbox.last().unwrap().recipient,
            format!("person{:02}@example.com", if js { 55 } else { 54 })
        );

        // Resend two selected at once.
        browser
            .click(&format!("input[name=ids][value='{first}']"))
            .await;
        browser
            .click(&format!("input[name=ids][value='{second}']"))
            .await;
        let mails = app.outbox().len();
        browser.press("Resend").await;
        browser.assert_sees(&["2 invitations resent."]).await;
        assert_eq!(app.outbox().len(), mails + 2);

        // Cancel one: the confirmation names who loses the link.
        browser
            .click(&format!("input[name=ids][value='{first}']"))
            .await;
        browser.press("Cancel invitation").await;
        browser.assert_sees(&["Cancel 1 invitation?"]).await;
        a11y(&browser, js, &format!("confirm bulk cancel ({tag})")).await;
        browser
            .screenshots(&format!("sent-invitations-confirm-{tag}"))
            .await;
        assert_eq!(
            status_of(&app, first),
            "pending",
            "nothing before the confirmation"
        );
        browser.press("Cancel 1 invitation").await;
        browser.assert_sees(&["1 invitation cancelled."]).await;
        assert_eq!(status_of(&app, first), "cancelled");
        assert_eq!(status_of(&app, second), "pending");

        // A tab of its own for each state.
        browser.follow(expired_tab).await;
        let expired = texts_of(&browser, "table.invitations td.invitee a").await;
        let late = if js {
            vec!["late1@example.com", "late0@example.com"]
        } else {
            vec!["late0@example.com"]
        };
        assert_eq!(expired, late);
        a11y(&browser, js, &format!("sent invitations, expired ({tag})")).await;

        // "Extend 7 days" from the row menu brings one past its date back,
        // with the same link.
        let late_id = app.db(|c| {
            use diesel::prelude::*;
            use guildhall::db::schema::invitations as inv;
            inv::table
                .filter(inv::invitee_email_key.eq(late[0]))
                .select(inv::id)
                .first::<i64>(c)
                .unwrap()
        });
        let row = format!("#invitation-{late_id}");
        browser
            .click(&format!("{row} details.row-menu summary"))
            .await;
        browser
            .screenshots(&format!("sent-invitations-extend-menu-{tag}"))
            .await;
        browser.press(&format!("{row} button[form=extend]")).await;
        browser
            .assert_sees(&["The invitation is extended by 7 days; its link stays the same."])
            .await;
        let expires = app.db(|c| {
            use diesel::prelude::*;
            use guildhall::db::schema::invitations as inv;
            inv::table
                .find(late_id)
                .select(inv::expires_at)
                .first::<time::PrimitiveDateTime>(c)
                .unwrap()
        });
        assert!(expires > app.clock.now() + time::Duration::days(6));
        let after = if js { "Expired 1" } else { "Expired 0" };
        assert_eq!(texts_of(&browser, "nav.tabs a").await[3], after);
        // Its page shows it in the history, and the button again.
        browser
            .goto(&format!("/groups/big/invitations/{late_id}"))
            .await;
        browser
            .assert_sees(&["Invitation extended by 7 days", "Extend 7 days"])
            .await;
        a11y(&browser, js, &format!("invitation extended ({tag})")).await;
        browser
            .screenshots(&format!("invitation-extended-{tag}"))
            .await;
        browser.quit().await;
    }
}
