//! The members page as a group admin uses it in Chromium, with JavaScript
//! on and off: the role select saves on its own with a script (its button
//! hidden) and through "Change role" without; Remove through the row menu
//! and its confirmation page; the access filter. Checked with axe-core at
//! 1280 and 390 px; screenshots in target/screenshots (members-1280.png,
//! members-390.png).

use crate::backend_tests;
use crate::browser::{Browser, choose, chosen, element, is_shown, texts_of, wait_shown};
use crate::helpers::{Backend, TestApp, eventually, spawn_app};
use crate::invitation_list::seed_invitation;
use crate::members::person;
use diesel::prelude::*;
use guildhall::db::schema::{memberships, roles};

backend_tests!(browser_members_with_and_without_javascript);

const PW: &str = "correct horse battery";

/// The role `user` holds in `group`, or "none".
fn role_of(app: &TestApp, group: i64, user: i64) -> String {
    app.db(|c| {
        memberships::table
            .inner_join(roles::table)
            .filter(memberships::group_id.eq(group))
            .filter(memberships::user_id.eq(user))
            .select(roles::name)
            .first(c)
            .optional()
            .unwrap()
            .unwrap_or_else(|| "none".into())
    })
}

async fn browser_members_with_and_without_javascript(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "Club", "club", "open").await.status,
        303
    );
    let club = app.group_id("club");
    let member = app.builtin_role("GroupMember");
    // Bob and Carol get a new role; "User 1" … "User 30" fill more than a
    // page; User 1 and User 2 are removed.
    let bob = person(&app, "bob", "Bob", "Baker");
    let carol = person(&app, "carol", "Carol", "Chen");
    app.add_member("club", bob, member);
    app.add_member("club", carol, member);
    let users: Vec<i64> = (1..=30)
        .map(|n| {
            let id = person(&app, &format!("user{n}"), "User", &n.to_string());
            app.add_member("club", id, member);
            id
        })
        .collect();
    seed_invitation(&app, club, alice_id, "newbie@example.com", "pending", 0);

    for js in [true, false] {
        let browser = if js {
            Browser::start(&app).await
        } else {
            Browser::start_without_js(&app).await
        };
        let tag = if js { "js" } else { "nojs" };
        browser.log_in("alice", PW).await;
        browser.goto("/groups/club/members").await;
        // The second pass comes after the first removed one member.
        let count = if js { "33 members" } else { "32 members" };
        assert_eq!(texts_of(&browser, ".member-count strong").await, [count]);
        assert_eq!(
            texts_of(&browser, "table.members tbody tr").await.len(),
            25,
            "one screen of rows, then Next page"
        );
        assert!(is_shown(&browser, "a[rel=next]").await);
        let names = texts_of(&browser, "table.members td.member .name").await;
        assert_eq!(
            names[..4],
            [
                "Alice Tester",
                "Bob Baker",
                "Carol Chen",
                if js { "User 1" } else { "User 2" }
            ]
        );
        if js {
            browser.check_a11y("members").await;
            browser.screenshots("members").await;
        } else {
            browser.screenshots("members-nojs").await;
        }

        // Change role: on choosing with a script, with the button without.
        let target = if js { bob } else { carol };
        let select = format!("#role-{target}");
        let button = format!("#member-{target} form.role-form button");
        assert_eq!(
            is_shown(&browser, &button).await,
            !js,
            "Change role shows without a script only"
        );
        assert_eq!(is_shown(&browser, ".role-hint").await, js);
        if js {
            element(&browser, &select)
                .await
                .select_by_label("GroupAdmin")
                .await
                .expect("choose GroupAdmin");
            assert!(
                eventually(10, || role_of(&app, club, target) == "GroupAdmin").await,
                "choosing the role saved it"
            );
            wait_shown(&browser, ".flash").await;
        } else {
            choose(
                &browser,
                &format!(
                    "Role of {} (@{})",
                    if js { "Bob Baker" } else { "Carol Chen" },
                    if js { "bob" } else { "carol" }
                ),
                "GroupAdmin",
            )
            .await;
            assert_eq!(
                role_of(&app, club, target),
                "GroupMember",
                "nothing before the button"
            );
            browser.press(&button).await;
            assert_eq!(role_of(&app, club, target), "GroupAdmin");
        }
        browser.assert_sees(&["The role has been changed."]).await;
        browser.goto("/groups/club/members").await;
        assert_eq!(
            chosen(&browser, &select).await,
            "GroupAdmin",
            "the reloaded page shows it"
        );

        // Remove: the row menu, then the confirmation page.
        let (victim, name) = if js {
            (users[0], "User 1")
        } else {
            (users[1], "User 2")
        };
        let row = format!("#member-{victim}");
        browser
            .click(&format!("{row} details.row-menu summary"))
            .await;
        assert!(is_shown(&browser, &format!("{row} .menu-items")).await);
        if js {
            browser.check_a11y("members, row menu").await;
            browser.screenshots("members-menu").await;
        }
        browser.press(&format!("{row} button.danger")).await;
        browser
            .assert_sees(&[&format!("Remove {name} from Club?")])
            .await;
        if js {
            browser.check_a11y("members, confirm removal").await;
        }
        assert_eq!(
            role_of(&app, club, victim),
            "GroupMember",
            "nothing before the confirmation"
        );
        browser.press("Remove member").await;
        browser.assert_sees(&["The member has been removed."]).await;
        assert_eq!(role_of(&app, club, victim), "none");

        // The access filter: a GET form, without a script too.
        choose(&browser, "Access", "Invited (1)").await;
        browser.press("Show").await;
        assert_eq!(
            texts_of(&browser, "table.members td.access").await,
            ["Invited by @alice"]
        );
        if js {
            browser.check_a11y("members, invited").await;
        }
        let _ = tag;
        browser.quit().await;
    }
}
