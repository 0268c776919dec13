//! Notifications that clear (issue 23 item 6): one open invitation counts
//! once in the header (the Invitations badge, not the bell or the envelope
//! too); answering it marks its notification and its private message read;
//! the invitations inbox pages past 100 and says how many there are; times
//! read as "3 hours ago" with the exact time in the `<time>`'s title.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{conversation_members, invitations, notifications};
use guildhall::models::group;
use guildhall::models::invitation::{NewInvitation, insert};

backend_tests!(
    one_invitation_counts_once_and_answering_it_clears_its_announcements,
    the_inbox_pages_past_100_and_says_how_many,
);

const PW: &str = "correct horse battery";

async fn invite(app: &TestApp, c: &reqwest::Client, slug: &str, to: &str) {
    let role = app.builtin_role("GroupMember").to_string();
    let p = app
        .send_invite(
            c,
            slug,
            &[
                ("send_to", to),
                ("role_id", &role),
                ("message", ""),
                ("action", "send"),
            ],
        )
        .await;
    assert!(p.status == 200 || p.status == 303, "{}", p.status);
}

async fn answer(app: &TestApp, c: &reqwest::Client, id: i64, verb: &str) {
    let p = app
        .confirm_with(c, "/invitations", &format!("/invitations/{id}/{verb}"), &[])
        .await;
    assert_eq!(p.status, 303);
}

/// (Invitations badge, bell, envelope) as bob's header shows them.
async fn header(app: &TestApp, c: &reqwest::Client) -> (Vec<String>, String, String) {
    let home = app.get_with(c, "/").await;
    (
        texts(&home.body, "[data-count=invitations]"),
        texts(&home.body, "[data-count=notifications]").concat(),
        texts(&home.body, "[data-count=messages]").concat(),
    )
}

fn invitation_to(app: &TestApp, group: &str, user: i64) -> i64 {
    let gid = app.group_id(group);
    app.db(|c| {
        invitations::table
            .filter(invitations::group_id.eq(gid))
            .filter(invitations::invitee_user_id.eq(user))
            .select(invitations::id)
            .first(c)
            .unwrap()
    })
}

/// Whether bob's notification about invitation `id` is still unread.
fn notification_unread(app: &TestApp, user: i64, id: i64) -> bool {
    app.db(|c| {
        notifications::table
            .filter(notifications::user_id.eq(user))
            .filter(notifications::kind.eq("invitation"))
            .filter(notifications::ref_id.eq(id))
            .select(notifications::read_at)
            .first::<Option<time::PrimitiveDateTime>>(c)
            .unwrap()
            .is_none()
    })
}

/// Conversations of `user` with unread messages.
fn unread_conversations(app: &TestApp, user: i64) -> i64 {
    app.db(|c| {
        conversation_members::table
            .filter(conversation_members::user_id.eq(user))
            .filter(conversation_members::unread.eq(true))
            .count()
            .get_result(c)
            .unwrap()
    })
}

async fn one_invitation_counts_once_and_answering_it_clears_its_announcements(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    let (carol_id, _) = app.logged_in("carol", PW).await;
    for slug in ["crew", "crew-two", "crew-three"] {
        let p = app
            .new_group(&alice, &format!("Group {slug}"), slug, "invite_only")
            .await;
        assert_eq!(p.status, 303);
    }

    // Invited: the inbox, a notification and a private message, but the
    // header counts it once.
    invite(&app, &alice, "crew", "bob").await;
    let first = invitation_to(&app, "crew", bob_id);
    assert_eq!(
        header(&app, &bob).await,
        (vec!["1".into()], "0".into(), "0".into())
    );
    assert!(notification_unread(&app, bob_id, first));
    assert_eq!(unread_conversations(&app, bob_id), 1);
    // Another person's message still lights the envelope.
    app.db(|c| {
        guildhall::services::messages::send_message_tx(
            c,
            Some(carol_id),
            bob_id,
            "Hello",
            "Lunch?",
            app.clock.now(),
        )
        .unwrap()
    });
    assert_eq!(header(&app, &bob).await.2, "1");

    // Accepted: its notification and its message are read; carol's is not.
    answer(&app, &bob, first, "accept").await;
    assert!(!notification_unread(&app, bob_id, first));
    assert_eq!(unread_conversations(&app, bob_id), 1, "only carol's");
    assert_eq!(header(&app, &bob).await, (vec![], "0".into(), "1".into()));
    let list = app.get_with(&bob, "/notifications").await;
    assert!(
        list.main_text()
            .contains("Alice Tester invited you to Group crew")
    );

    // Declined: the same.
    invite(&app, &alice, "crew-two", "bob").await;
    let second = invitation_to(&app, "crew-two", bob_id);
    assert!(notification_unread(&app, bob_id, second));
    answer(&app, &bob, second, "decline").await;
    assert!(!notification_unread(&app, bob_id, second));
    assert_eq!(unread_conversations(&app, bob_id), 1, "only carol's");

    // A message written after the invitation stays unread when it is
    // answered: the conversation holds something new.
    invite(&app, &alice, "crew-three", "bob").await;
    let third = invitation_to(&app, "crew-three", bob_id);
    app.db(|c| {
        guildhall::services::messages::send_message_tx(
            c,
            Some(alice_id),
            bob_id,
            "Also",
            "See you there.",
            app.clock.now(),
        )
        .unwrap()
    });
    assert_eq!(header(&app, &bob).await.2, "2");
    answer(&app, &bob, third, "accept").await;
    assert!(!notification_unread(&app, bob_id, third));
    assert_eq!(unread_conversations(&app, bob_id), 2);
}

async fn the_inbox_pages_past_100_and_says_how_many(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, _) = app.logged_in("alice", PW).await;
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    let now = app.clock.now();
    let role = app.builtin_role("GroupMember");
    app.db(|c| {
        for i in 0..190 {
            let slug = format!("g-{i:03}");
            let g = group::insert(
                c,
                &group::NewGroup {
                    name: &format!("Group {i:03}"),
                    name_key: format!("group {i:03}"),
                    slug: &slug,
                    description: "",
                    join_method: "invite_only",
                    audience: "internal",
                    parent_id: None,
                    account_id: None,
                    created_by: alice_id,
                    created_at: now,
                    updated_at: now,
                },
            )
            .unwrap();
            let nonce = format!("inbox-{i}");
            let hash = guildhall::auth::tokens::hash(&nonce);
            insert(
                c,
                &NewInvitation {
                    group_id: g,
                    inviter_id: alice_id,
                    invitee_user_id: Some(carol_id),
                    invitee_email: "carol@example.com",
                    invitee_email_key: "carol@example.com",
                    role_id: role,
                    message: None,
                    status: guildhall::domain::InvitationStatus::Pending,
                    link_nonce: &nonce,
                    token_hash: &hash,
                    created_at: now - time::Duration::hours(3),
                    sent_at: now - time::Duration::hours(3),
                    expires_at: now + time::Duration::days(6),
                    batch_id: None,
                    last_mail_id: None,
                    tell_inviter: false,
                },
            )
            .unwrap();
        }
    });

    let first = app.get_with(&carol, "/invitations").await;
    assert_eq!(first.status, 200);
    let groups = texts(&first.body, ".invitation h2");
    assert_eq!(groups.len(), 100);
    assert_eq!(groups[0], "Group 189", "newest first");
    assert_eq!(
        texts(&first.body, ".list-count"),
        vec!["Showing 100 of 190 open invitations."]
    );
    assert_eq!(texts(&first.body, "[data-count=invitations]"), vec!["99+"]);
    // Times as people read them, the exact one in the title.
    let sent = texts(&first.body, ".invitation time");
    assert_eq!(&sent[..2], ["3 hours ago", "in 6 days"]);
    let exact = attrs(&first.body, ".invitation time", "title");
    assert!(exact[0].ends_with(" UTC"), "{}", exact[0]);
    let next = attrs(&first.body, "a[rel=next]", "href");
    assert_eq!(next.len(), 1);

    let second = app.get_with(&carol, &next[0]).await;
    let older = texts(&second.body, ".invitation h2");
    assert_eq!(older.len(), 90);
    assert_eq!(older[89], "Group 000");
    assert_eq!(
        texts(&second.body, ".list-count"),
        vec!["Showing 90 of 190 open invitations (older ones)."]
    );
    assert!(attrs(&second.body, "a[rel=next]", "href").is_empty());
    let mut all: Vec<String> = groups.into_iter().chain(older).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 190, "each invitation on exactly one page");
}
