//! The group's Sent invitations page (`/groups/{slug}/invitations`): status
//! tabs with counts, search, keyset paging, the bulk "With the selected"
//! actions and the confirmation before anything irreversible.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::invitations;
use guildhall::models::invitation::{NewInvitation, insert};

backend_tests!(
    a_thousand_invitations_show_one_page_and_search_finds_an_old_one,
    tabs_count_page_and_search_the_groups_invitations,
    bulk_resend_and_cancel_act_on_the_selected_only,
    cancel_and_new_link_ask_first_and_name_the_consequence,
    the_kept_counts_match_the_rows_after_every_kind_of_change,
);

const PW: &str = "correct horse battery";

/// Inserts an invitation of `group` to `email` with `status`, `age_days`
/// old (sent then, valid seven days from then); returns its id.
pub(crate) fn seed_invitation(
    app: &TestApp,
    group: i64,
    inviter: i64,
    email: &str,
    status: &str,
    age_days: i64,
) -> i64 {
    let now = app.clock.now() - time::Duration::days(age_days);
    let role = app.builtin_role("GroupMember");
    app.db(|c| {
        let nonce = format!("list-{email}");
        let hash = guildhall::auth::tokens::hash(&nonce);
        insert(
            c,
            &NewInvitation {
                group_id: group,
                inviter_id: inviter,
                invitee_user_id: None,
                invitee_email: email,
                invitee_email_key: &email.to_lowercase(),
                role_id: role,
                message: None,
                status: guildhall::domain::InvitationStatus::parse(status).expect("a status"),
                link_nonce: &nonce,
                token_hash: &hash,
                created_at: now,
                sent_at: now,
                expires_at: now + time::Duration::days(7),
                batch_id: None,
                last_mail_id: None,
                tell_inviter: false,
            },
        )
        .unwrap()
    })
}

pub(crate) fn status_of(app: &TestApp, id: i64) -> String {
    app.db(|c| {
        invitations::table
            .find(id)
            .select(invitations::status)
            .first(c)
            .unwrap()
    })
}

/// The ids of the rows listed (from the rows' `id="invitation-N"`).
fn listed_ids(body: &str) -> Vec<i64> {
    attrs(body, "table.invitations tbody tr", "id")
        .iter()
        .map(|id| id.trim_start_matches("invitation-").parse().unwrap())
        .collect()
}

fn next_link(body: &str) -> Option<String> {
    attrs(body, "a[rel=next]", "href")
        .first()
        .map(|h| h.replace("&amp;", "&"))
}

/// A group with 1,000 pending invitations: its page holds one page of
/// rows (not 1,000), the tab counts them all, and a search finds one of the
/// oldest, which paging would reach only on the 20th page.
async fn a_thousand_invitations_show_one_page_and_search_finds_an_old_one(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    app.new_group(&alice, "Big", "big", "invite_only").await;
    let big = app.group_id("big");
    let ids: Vec<i64> = (0..1000)
        .map(|i| {
            seed_invitation(
                &app,
                big,
                alice_id,
                &format!("guest{i:04}@example.com"),
                "pending",
                0,
            )
        })
        .collect();
    let page = app.get_with(&alice, "/groups/big/invitations").await;
    assert_eq!(page.status, 200);
    let first = listed_ids(&page.body);
    assert_eq!(first.len(), 50, "one page of rows");
    assert_eq!(first[0], ids[999], "newest first");
    assert!(next_link(&page.body).is_some(), "paged: Older invitations");
    let current = texts(&page.body, "nav.tabs a[aria-current=page] .count");
    assert!(
        current == ["1,000"] || current == ["1000"],
        "the Pending tab counts all: {current:?}"
    );
    let found = app
        .get_with(&alice, "/groups/big/invitations?q=guest0007")
        .await;
    assert_eq!(listed_ids(&found.body), vec![ids[7]]);
}

async fn tabs_count_page_and_search_the_groups_invitations(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    let (_, bob) = app.logged_in("bob", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303);
    let big = app.group_id("big");
    // 120 pending (the oldest first), then some of every other state.
    let pending: Vec<i64> = (0..120)
        .map(|i| {
            let who = if i == 3 {
                "Needle.Person@Example.com".to_string()
            } else {
                format!("person{i:03}@example.com")
            };
            seed_invitation(&app, big, alice_id, &who, "pending", 0)
        })
        .collect();
    for i in 0..3 {
        seed_invitation(
            &app,
            big,
            alice_id,
            &format!("yes{i}@example.com"),
            "accepted",
            1,
        );
    }
    for i in 0..2 {
        seed_invitation(
            &app,
            big,
            alice_id,
            &format!("no{i}@example.com"),
            "declined",
            1,
        );
    }
    seed_invitation(&app, big, alice_id, "gone@example.com", "cancelled", 1);
    // Past their seven days but never closed in the database.
    for i in 0..4 {
        seed_invitation(
            &app,
            big,
            alice_id,
            &format!("late{i}@example.com"),
            "pending",
            8,
        );
    }
    // Another group's invitation never shows here.
    let p = app.new_group(&alice, "Other", "other", "invite_only").await;
    assert_eq!(p.status, 303);
    let other = app.group_id("other");
    seed_invitation(
        &app,
        other,
        alice_id,
        "person001@other.example",
        "pending",
        0,
    );

    let first = app.get_with(&alice, "/groups/big/invitations").await;
    assert_eq!(first.status, 200);
    assert_eq!(
        texts(&first.body, "nav.tabs a"),
        vec![
            "Pending 120",
            "Accepted 3",
            "Declined 2",
            "Expired 4",
            "Cancelled 1"
        ]
    );
    assert_eq!(
        texts(&first.body, "nav.tabs a[aria-current=page]"),
        vec!["Pending 120"]
    );
    // The bar of invitations by status says what it draws.
    assert_eq!(
        attrs(&first.body, ".status-bar", "aria-label"),
        vec!["Invitations by status: 120 pending, 3 accepted, 2 declined, 4 expired, 1 cancelled"]
    );
    // One page of 50, newest first; the link field lives on each
    // invitation's own page, not in the list.
    let page1 = listed_ids(&first.body);
    assert_eq!(page1.len(), 50);
    assert_eq!(page1[0], pending[119]);
    assert!(texts(&first.body, "table.invitations input.link-field").is_empty());
    assert_eq!(
        texts(&first.body, "table.invitations thead th"),
        vec![
            "Select",
            "Invitee",
            "Role",
            "Invited by",
            "Sent",
            "Expires",
            "Last mail",
            "Actions"
        ]
    );
    assert_eq!(
        texts(
            &first.body,
            &format!("#invitation-{} td[data-label=Expires]", pending[119])
        ),
        vec!["in 7 days"]
    );

    // Paging by "Older invitations" walks every pending one exactly once.
    let mut seen = page1.clone();
    let mut next = next_link(&first.body);
    let mut pages = 1;
    while let Some(url) = next {
        let p = app.get_with(&alice, &url).await;
        assert_eq!(p.status, 200, "{url}");
        seen.extend(listed_ids(&p.body));
        next = next_link(&p.body);
        pages += 1;
    }
    assert_eq!(pages, 3);
    let mut expected = pending.clone();
    expected.reverse();
    assert_eq!(
        seen, expected,
        "every pending invitation once, newest first"
    );

    // Search finds the oldest one (page 3 otherwise), case-insensitively,
    // by part of the address; the tab counts stay the group's.
    let found = app
        .get_with(
            &alice,
            "/groups/big/invitations?status=pending&q=needle.PERSON",
        )
        .await;
    assert_eq!(listed_ids(&found.body), vec![pending[3]]);
    assert_eq!(texts(&found.body, "nav.tabs a")[0], "Pending 120");
    assert_eq!(
        attrs(&found.body, "input#q", "value"),
        vec!["needle.PERSON"]
    );
    // The search stays on while paging: 100 match "person0", 50 a page.
    let hits = app
        .get_with(&alice, "/groups/big/invitations?q=person0")
        .await;
    assert_eq!(listed_ids(&hits.body).len(), 50);
    let more = next_link(&hits.body).expect("a second page of matches");
    assert!(more.contains("q=person0"), "{more}");
    let hits2 = app.get_with(&alice, &more).await;
    let rest = listed_ids(&hits2.body);
    assert_eq!(rest.len(), 49, "person000..person099 less the needle");
    assert!(next_link(&hits2.body).is_none());
    // LIKE's wildcards are plain characters; no match says so.
    let none = app.get_with(&alice, "/groups/big/invitations?q=%25_").await;
    assert!(listed_ids(&none.body).is_empty());
    assert!(
        none.main_text().contains("No pending invitations match"),
        "{}",
        texts(&none.body, "main").join(" ")
    );
    // Other tabs list their own; expired includes the stale pending ones.
    let (expired, _) = invitation_tab(&app, &alice, "big", "expired").await;
    assert_eq!(expired.len(), 4);
    assert!(expired.iter().all(|e| e.starts_with("late")), "{expired:?}");
    let (accepted, _) = invitation_tab(&app, &alice, "big", "accepted").await;
    assert_eq!(accepted.len(), 3);
    // Nothing selectable where nothing is open.
    let tab = app
        .get_with(&alice, "/groups/big/invitations?status=accepted")
        .await;
    assert!(texts(&tab.body, "input[name=ids]").is_empty());
    assert!(!tab.body.contains("With the selected"));

    // Hostile queries: a huge search is cut, not echoed whole; unknown
    // tabs fall back to Pending; a member who is not an admin sees nothing.
    let huge = "x".repeat(10_000);
    let p = app
        .get_with(&alice, &format!("/groups/big/invitations?q={huge}"))
        .await;
    assert!(
        p.status == 200 || p.status == 414 || p.status == 400,
        "{}",
        p.status
    );
    assert!(!p.body.contains(&"x".repeat(101)));
    let p = app
        .get_with(&alice, "/groups/big/invitations?status=nonsense&before=-1")
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(
        texts(&p.body, "nav.tabs a[aria-current=page]"),
        vec!["Pending 120"]
    );
    let p = app.get_with(&bob, "/groups/big/invitations").await;
    assert_eq!(p.status, 404);
}

async fn bulk_resend_and_cancel_act_on_the_selected_only(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    let (_, bob) = app.logged_in("bob", PW).await;
    app.new_group(&alice, "Big", "big", "invite_only").await;
    app.new_group(&alice, "Other", "other", "invite_only").await;
    let (big, other) = (app.group_id("big"), app.group_id("other"));
    let a = seed_invitation(&app, big, alice_id, "a@example.com", "pending", 0);
    let b2 = seed_invitation(&app, big, alice_id, "b@example.com", "pending", 0);
    let c = seed_invitation(&app, big, alice_id, "c@example.com", "pending", 0);
    let done = seed_invitation(&app, big, alice_id, "d@example.com", "accepted", 0);
    let foreign = seed_invitation(&app, other, alice_id, "e@example.com", "pending", 0);
    let list = "/groups/big/invitations";
    let bulk = "/groups/big/invitations/bulk";
    let (a_s, b_s, c_s, done_s, foreign_s) = (
        a.to_string(),
        b2.to_string(),
        c.to_string(),
        done.to_string(),
        foreign.to_string(),
    );

    // Resend two: two mails, each to its invitee, back to the same tab.
    let mails = app.outbox().len();
    let p = app
        .submit_with(
            &alice,
            list,
            bulk,
            &[
                ("ids", &a_s),
                ("ids", &b_s),
                ("do", "resend"),
                ("status", "pending"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.location.as_deref(),
        Some("/groups/big/invitations?status=pending")
    );
    let outbox = app.outbox();
    assert_eq!(outbox.len(), mails + 2);
    let mut to: Vec<&str> = outbox[mails..]
        .iter()
        .map(|m| m.recipient.as_str())
        .collect();
    to.sort();
    assert_eq!(to, vec!["a@example.com", "b@example.com"]);
    let page = app.get_with(&alice, list).await;
    assert_eq!(texts(&page.body, ".flash"), vec!["2 invitations resent."]);

    // Cancel asks first: the page names who loses the link, and nothing
    // has changed yet; the accepted one is not offered.
    let p = app
        .submit_with(
            &alice,
            list,
            bulk,
            &[
                ("ids", &a_s),
                ("ids", &done_s),
                ("do", "cancel"),
                ("status", "pending"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(texts(&p.body, "h1"), vec!["Cancel 1 invitation?"]);
    assert_eq!(texts(&p.body, ".selected-items li"), vec!["a@example.com"]);
    assert_eq!(status_of(&app, a), "pending");
    // Confirmed, on the page as it was when `done` was still open as well:
    // a is cancelled, the accepted one untouched.
    let confirm = app
        .form_posting_to(&p, "the confirmation", bulk)
        .add("ids", &done_s);
    let p = app.send(&alice, &confirm).await;
    assert_eq!(p.status, 303);
    assert_eq!(status_of(&app, a), "cancelled");
    assert_eq!(status_of(&app, done), "accepted");
    let page = app.get_with(&alice, list).await;
    assert_eq!(
        texts(&page.body, ".flash"),
        vec!["1 invitation cancelled. 1 was no longer open: nothing changed for it."]
    );
    assert_eq!(listed_ids(&page.body), vec![c, b2]);

    // A forged id of another group refuses the whole press: c stays open.
    let p = app
        .forge_with(
            &alice,
            list,
            bulk,
            &[
                ("ids", &c_s),
                ("ids", &foreign_s),
                ("do", "cancel"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(status_of(&app, c), "pending");
    assert_eq!(status_of(&app, foreign), "pending");
    // Someone who does not administer the group changes nothing.
    let bob_csrf = csrf_from(&app.get_with(&bob, "/groups/new").await.body);
    let p = app
        .post_with(
            &bob,
            bulk,
            &[
                ("csrf_token", &bob_csrf),
                ("ids", &c_s),
                ("do", "cancel"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(status_of(&app, c), "pending");
    // Nothing selected, an unknown action, too many or malformed ids.
    let p = app
        .submit_with(&alice, list, bulk, &[("do", "resend")])
        .await;
    assert_eq!(p.status, 303);
    let page = app.get_with(&alice, list).await;
    assert_eq!(
        texts(&page.body, ".flash"),
        vec!["Select at least one invitation first."]
    );
    let p = app
        .forge_with(&alice, list, bulk, &[("ids", &c_s), ("do", "drop")])
        .await;
    assert_eq!(p.status, 400);
    let many: Vec<String> = (0..101).map(|i| (c + i).to_string()).collect();
    let mut form: Vec<(&str, &str)> = many.iter().map(|i| ("ids", i.as_str())).collect();
    form.push(("do", "cancel"));
    form.push(("confirmed", "1"));
    let p = app.forge_with(&alice, list, bulk, &form).await;
    assert_eq!(p.status, 400);
    assert!(
        p.main_text()
            .contains("Select at most 100 invitations at once.")
    );
    let p = app
        .forge_with(&alice, list, bulk, &[("ids", "1\u{0}"), ("do", "cancel")])
        .await;
    assert!(p.status == 400 || p.status == 422, "{}", p.status);
    assert_eq!(status_of(&app, c), "pending");
    assert_eq!(status_of(&app, b2), "pending");
}

async fn cancel_and_new_link_ask_first_and_name_the_consequence(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    let (_, bob) = app.logged_in("bob", PW).await;
    app.new_group(&alice, "Big", "big", "invite_only").await;
    app.new_group(&alice, "Other", "other", "invite_only").await;
    let big = app.group_id("big");
    let id = seed_invitation(&app, big, alice_id, "dana@example.com", "pending", 0);
    let nonce_of = |app: &TestApp| -> String {
        app.db(|c| {
            invitations::table
                .find(id)
                .select(invitations::link_nonce)
                .first(c)
                .unwrap()
        })
    };
    let nonce = nonce_of(&app);

    // The row menu and the detail page link to confirmations, which change nothing.
    let list = app.get_with(&alice, "/groups/big/invitations").await;
    let hrefs = attrs(&list.body, ".row-menu a", "href");
    let cancel = format!("/groups/big/invitations/{id}/cancel");
    let renew = format!("/groups/big/invitations/{id}/renew");
    assert!(
        hrefs.contains(&cancel) && hrefs.contains(&renew),
        "{hrefs:?}"
    );
    let page = app.get_with(&alice, &cancel).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        texts(&page.body, "h1"),
        vec!["Cancel the invitation of dana@example.com?"]
    );
    assert!(texts(&page.body, ".consequence")[0].contains("can no longer join Big"));
    assert_eq!(
        attrs(&page.body, "form.confirm-actions", "action"),
        vec![cancel.clone()]
    );
    let page = app.get_with(&alice, &format!("{renew}?back=detail")).await;
    assert!(texts(&page.body, ".consequence")[0].contains("stops working at once"));
    assert_eq!(
        attrs(&page.body, "form.confirm-actions input[name=back]", "value"),
        vec!["detail"]
    );
    assert_eq!(status_of(&app, id), "pending");
    assert_eq!(nonce_of(&app), nonce);

    // Through another group, or as a non-admin: not found.
    for (who, path) in [
        (&alice, format!("/groups/other/invitations/{id}/cancel")),
        (&bob, cancel.clone()),
        (&alice, "/groups/big/invitations/999999/renew".to_string()),
    ] {
        assert_eq!(app.get_with(who, &path).await.status, 404, "{path}");
    }
    // The list's one Resend form, forged: through another group or as a
    // non-admin it resends nothing.
    let mails = app.outbox().len();
    for (who, action) in [
        (&alice, "/groups/other/invitations/resend"),
        (&bob, "/groups/big/invitations/resend"),
    ] {
        let p = app
            .forge_with(who, "/groups/new", action, &[("id", &id.to_string())])
            .await;
        assert!(matches!(p.status, 403 | 404), "{action}: {}", p.status);
    }
    assert_eq!(app.outbox().len(), mails);

    // Confirming renews: a new link, back to the detail page.
    let p = app
        .submit_with(
            &alice,
            &format!("{renew}?back=detail"),
            &renew,
            &[("back", "detail")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.location.as_deref(),
        Some(format!("/groups/big/invitations/{id}").as_str())
    );
    assert_ne!(nonce_of(&app), nonce);
    // Confirming cancels; the confirmation then says there is nothing left to do.
    let p = app.submit_with(&alice, &cancel, &cancel, &[]).await;
    assert_eq!(p.status, 303);
    assert_eq!(status_of(&app, id), "cancelled");
    let page = app.get_with(&alice, &cancel).await;
    assert_eq!(
        texts(&page.body, "h1"),
        vec!["This invitation is cancelled"]
    );
    assert!(texts(&page.body, "form.confirm-actions").is_empty());
    // A "back" that is not one of the two places is ignored.
    let page = app
        .get_with(&alice, &format!("{renew}?back=https://evil.example"))
        .await;
    assert!(!page.body.contains("evil.example"));
}

/// Invitations of a group in a status: (group, status, how many).
type Count = (i64, String, i64);

/// `invitation_counts` (kept by triggers) against a count of the rows:
/// by group and status, after inserts, status changes, a move to another
/// group and deletes, whatever path made them.
fn kept_and_counted(app: &TestApp) -> (Vec<Count>, Vec<Count>) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        group_id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let load = |sql: &str| -> Vec<Count> {
        app.db(|c| diesel::sql_query(sql).load::<Row>(c).unwrap())
            .into_iter()
            .map(|r| (r.group_id, r.status, r.n))
            .collect()
    };
    (
        load(
            "SELECT group_id, status, CAST(SUM(n) AS BIGINT) AS n FROM invitation_counts \
             GROUP BY group_id, status HAVING SUM(n) <> 0 ORDER BY group_id, status",
        ),
        load(
            "SELECT group_id, status, COUNT(*) AS n FROM invitations \
             GROUP BY group_id, status ORDER BY group_id, status",
        ),
    )
}

async fn the_kept_counts_match_the_rows_after_every_kind_of_change(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    app.new_group(&alice, "Big", "big", "invite_only").await;
    app.new_group(&alice, "Small", "small", "invite_only").await;
    let (big, small) = (app.group_id("big"), app.group_id("small"));
    let ids: Vec<i64> = (0..12)
        .map(|i| {
            seed_invitation(
                &app,
                big,
                alice_id,
                &format!("k{i}@example.com"),
                "pending",
                0,
            )
        })
        .collect();
    seed_invitation(&app, small, alice_id, "s@example.com", "declined", 0);
    let (kept, counted) = kept_and_counted(&app);
    assert_eq!(kept, counted);
    assert!(kept.contains(&(big, "pending".into(), 12)), "{kept:?}");
    app.db(|c| {
        for (id, to) in [
            (ids[0], "accepted"),
            (ids[1], "declined"),
            (ids[2], "cancelled"),
        ] {
            diesel::update(invitations::table.find(id))
                .set(invitations::status.eq(to))
                .execute(c)
                .unwrap();
        }
        diesel::update(invitations::table.find(ids[3]))
            .set(invitations::group_id.eq(small))
            .execute(c)
            .unwrap();
        // A write that changes nothing counts nothing.
        diesel::update(invitations::table.find(ids[4]))
            .set(invitations::status.eq("pending"))
            .execute(c)
            .unwrap();
        diesel::delete(invitations::table.filter(invitations::id.eq_any(&ids[5..7])))
            .execute(c)
            .unwrap();
    });
    let (kept, counted) = kept_and_counted(&app);
    assert_eq!(kept, counted);
    assert!(kept.contains(&(big, "pending".into(), 6)), "{kept:?}");
    assert!(kept.contains(&(small, "pending".into(), 1)), "{kept:?}");
    // What the page shows is what the rows say.
    let page = app.get_with(&alice, "/groups/big/invitations").await;
    assert_eq!(page.status, 200);
    let current = texts(&page.body, "nav.tabs a[aria-current=page] .count");
    assert_eq!(current, ["6"], "{current:?}");

    // Sixteen invitations into one group at the same instant, over as many
    // connections: on PostgreSQL each adds to its connection's own row
    // (no one waits on another's), and the sums still match the rows.
    let role = app.builtin_role("GroupMember").to_string();
    let mut requests = Vec::new();
    for i in 0..16 {
        let to = format!("at-once{i}@example.org");
        requests.push(
            app.prepared_post_with(
                &alice,
                "/groups/big/invite",
                "/groups/big/invite",
                &[("send_to", &to), ("role_id", &role), ("action", "send")],
            )
            .await,
        );
    }
    let pages = at_once(requests).await;
    assert!(pages.iter().all(|p| p.status == 303), "every one answered");
    let (kept, counted) = kept_and_counted(&app);
    assert_eq!(kept, counted);
    assert!(kept.contains(&(big, "pending".into(), 22)), "{kept:?}");
    let page = app.get_with(&alice, "/groups/big/invitations").await;
    let current = texts(&page.body, "nav.tabs a[aria-current=page] .count");
    assert_eq!(current, ["22"], "{current:?}");
}
