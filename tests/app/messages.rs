//! Private messages, the inbox, notifications, header badges and the
//! username autocomplete API.

use crate::backend_tests;
use crate::helpers::*;
use guildhall::db::schema::{conversation_members, messages, notifications};

backend_tests!(
    message_round_trip_with_badges_and_read_state,
    message_bodies_are_text,
    outsiders_cannot_read_or_answer,
    compose_refuses_bad_input_and_keeps_it,
    user_autocomplete_api,
    notifications_badge_and_mark_read,
    badges_count_up_to_99_plus,
    system_messages_and_inbox_paging,
);

const PW: &str = "correct horse battery";

fn badge(body: &str, which: &str) -> String {
    texts(body, &format!("span.badge[data-count={which}]"))
        .into_iter()
        .next()
        .expect("header badge")
}

async fn compose(
    app: &TestApp,
    client: &reqwest::Client,
    to: &str,
    subject: &str,
    body: &str,
) -> Page {
    app.submit_with(
        client,
        "/messages/new",
        "/messages",
        &[("to", to), ("subject", subject), ("body", body)],
    )
    .await
}

/// (unread, last_read_at is set) of `user_id`'s member row.
fn read_state(app: &TestApp, conversation_id: i64, user_id: i64) -> (bool, bool) {
    use diesel::prelude::*;
    app.db(|c| {
        let (unread, at): (bool, Option<time::PrimitiveDateTime>) = conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation_id))
            .filter(conversation_members::user_id.eq(user_id))
            .select((
                conversation_members::unread,
                conversation_members::last_read_at,
            ))
            .first(c)
            .unwrap();
        (unread, at.is_some())
    })
}

fn conversation_id_from(location: &str) -> i64 {
    location
        .strip_prefix("/messages/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a conversation: {location}"))
}

async fn message_round_trip_with_badges_and_read_state(b: Backend) {
    let app = spawn_app(b).await;
    let alice_id = app.create_user("alice", PW);
    let bob_id = app.create_user("bob", PW);
    let alice = new_client();
    let bob = new_client();
    app.login_with(&alice, "alice", PW).await;
    app.login_with(&bob, "bob", PW).await;
    assert_eq!(badge(&app.get_with(&bob, "/").await.body, "messages"), "0");

    let sent = compose(&app, &alice, "bob", "Lunch?", "Shall we meet\non Friday?").await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let cid = conversation_id_from(sent.location.as_deref().unwrap());
    assert_eq!(app.count("messages"), 1);

    // Bob: 1 unread in the header, the inbox lists it as unread.
    let home = app.get_with(&bob, "/").await;
    assert_eq!(badge(&home.body, "messages"), "1");
    let inbox = app.get_with(&bob, "/messages").await;
    assert_eq!(inbox.status, 200);
    assert_eq!(texts(&inbox.body, "h1"), vec!["Messages"]);
    assert_eq!(
        texts(&inbox.body, "tr.conversation.unread .subject"),
        vec!["Lunch?"]
    );
    assert_eq!(texts(&inbox.body, "tr.conversation .party"), vec!["alice"]);
    assert_eq!(read_state(&app, cid, bob_id), (true, false));
    // The sender has read her own message.
    assert_eq!(
        badge(&app.get_with(&alice, "/").await.body, "messages"),
        "0"
    );

    // Opening it marks it read.
    let open = app.get_with(&bob, &format!("/messages/{cid}")).await;
    assert_eq!(open.status, 200);
    assert_eq!(texts(&open.body, "h1"), vec!["Lunch?"]);
    assert_eq!(
        texts(&open.body, ".message-body"),
        vec!["Shall we meet on Friday?"]
    );
    assert!(
        open.body.contains("Shall we meet\non Friday?"),
        "line break kept as text"
    );
    assert_eq!(read_state(&app, cid, bob_id), (false, true));
    assert_eq!(badge(&app.get_with(&bob, "/").await.body, "messages"), "0");
    let inbox = app.get_with(&bob, "/messages").await;
    assert!(texts(&inbox.body, "tr.conversation.unread").is_empty());

    // An empty reply is refused beside the field and writes nothing.
    let r = app
        .submit_with(
            &bob,
            &format!("/messages/{cid}"),
            &format!("/messages/{cid}/reply"),
            &[("body", "  ")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(texts(&r.body, "#body-error"), vec!["Write a message."]);
    assert_eq!(app.count("messages"), 1);

    // Bob replies; Alice sees it in the same conversation.
    let r = app
        .submit_with(
            &bob,
            &format!("/messages/{cid}"),
            &format!("/messages/{cid}/reply"),
            &[("body", "Friday works.")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/messages/{cid}").as_str())
    );
    assert_eq!(app.count("conversations"), 1);
    assert_eq!(app.count("messages"), 2);
    assert_eq!(read_state(&app, cid, alice_id), (true, true));
    assert_eq!(
        badge(&app.get_with(&alice, "/").await.body, "messages"),
        "1"
    );
    let alice_view = app.get_with(&alice, &format!("/messages/{cid}")).await;
    assert_eq!(
        texts(&alice_view.body, ".message .sender"),
        vec!["alice", "bob"]
    );
    assert_eq!(texts(&alice_view.body, ".message-body")[1], "Friday works.");
    assert_eq!(read_state(&app, cid, alice_id), (false, true));
}

async fn message_bodies_are_text(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("alice", PW);
    app.create_user("bob", PW);
    let bob = new_client();
    app.login("alice", PW).await;
    app.login_with(&bob, "bob", PW).await;
    let evil = "<script>alert(1)</script>";
    let sent = compose(&app, &app.client, "bob", "<b>hi</b>", evil).await;
    assert_eq!(sent.status, 303);
    let cid = conversation_id_from(sent.location.as_deref().unwrap());
    let p = app.get_with(&bob, &format!("/messages/{cid}")).await;
    let doc = scraper::Html::parse_document(&p.body);
    let script = scraper::Selector::parse("main script, main b").unwrap();
    assert_eq!(
        doc.select(&script).count(),
        0,
        "markup from a message was rendered"
    );
    assert_eq!(texts(&p.body, ".message-body"), vec![evil]);
    assert_eq!(texts(&p.body, "h1"), vec!["<b>hi</b>"]);
    let inbox = app.get_with(&bob, "/messages").await;
    assert_eq!(texts(&inbox.body, ".subject"), vec!["<b>hi</b>"]);
}

async fn outsiders_cannot_read_or_answer(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("alice", PW);
    app.create_user("bob", PW);
    app.create_user("carol", PW);
    app.login("alice", PW).await;
    let sent = compose(&app, &app.client, "bob", "Private", "Just between us.").await;
    let cid = conversation_id_from(sent.location.as_deref().unwrap());

    let carol = new_client();
    app.login_with(&carol, "carol", PW).await;
    let p = app.get_with(&carol, &format!("/messages/{cid}")).await;
    assert_eq!(p.status, 404);
    assert!(!p.body.contains("Just between us."));
    let r = app
        .forge_with(
            &carol,
            "/messages",
            &format!("/messages/{cid}/reply"),
            &[("body", "Let me in")],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(app.count("messages"), 1);
    assert_eq!(app.count("conversation_members"), 2);
    assert!(
        texts(
            &app.get_with(&carol, "/messages").await.body,
            "tr.conversation"
        )
        .is_empty()
    );
    // An id that does not exist looks the same.
    assert_eq!(app.get_with(&carol, "/messages/999999").await.status, 404);
    // Visitors are sent to log in.
    let visitor = new_client();
    let v = app.get_with(&visitor, &format!("/messages/{cid}")).await;
    assert_eq!(v.status, 303);
    assert!(v.location.unwrap().starts_with("/login"));
}

async fn compose_refuses_bad_input_and_keeps_it(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("alice", PW);
    app.create_user("bob", PW);
    app.login("alice", PW).await;

    let p = compose(&app, &app.client, "nobody", "Hello there", "Some text").await;
    assert_eq!(p.status, 422);
    assert_eq!(
        texts(&p.body, "#to-error"),
        vec!["There is no active user with this username."]
    );
    let doc = scraper::Html::parse_document(&p.body);
    let to = scraper::Selector::parse("input#to").unwrap();
    let subject = scraper::Selector::parse("input#subject").unwrap();
    assert_eq!(
        doc.select(&to).next().unwrap().value().attr("value"),
        Some("nobody")
    );
    assert_eq!(
        doc.select(&subject).next().unwrap().value().attr("value"),
        Some("Hello there")
    );
    assert_eq!(texts(&p.body, "textarea#body"), vec!["Some text"]);

    let p = compose(&app, &app.client, "bob", "Hello there", "  \r\n ").await;
    assert_eq!(p.status, 422);
    assert_eq!(texts(&p.body, "#body-error"), vec!["Write a message."]);
    assert!(texts(&p.body, "#to-error").is_empty());

    let long = "x".repeat(10_001);
    let p = compose(&app, &app.client, "alice", "", &long).await;
    assert_eq!(p.status, 422);
    assert_eq!(
        texts(&p.body, "#to-error"),
        vec!["You cannot send a message to yourself."]
    );
    assert_eq!(texts(&p.body, "#subject-error"), vec!["Enter a subject."]);
    assert_eq!(
        texts(&p.body, "#body-error"),
        vec!["A message has at most 10000 characters."]
    );

    // Every label points at a field, one h1.
    assert_eq!(texts(&p.body, "h1").len(), 1);
    assert_eq!(texts(&p.body, "label[for=to]").len(), 1);
    assert_eq!(texts(&p.body, "label[for=subject]").len(), 1);
    assert_eq!(texts(&p.body, "label[for=body]").len(), 1);

    for t in ["conversations", "conversation_members", "messages"] {
        assert_eq!(app.count(t), 0, "{t} written");
    }

    // `?to=` fills the recipient.
    let p = app.get("/messages/new?to=bob").await;
    let doc = scraper::Html::parse_document(&p.body);
    assert_eq!(
        doc.select(&to).next().unwrap().value().attr("value"),
        Some("bob")
    );
}

async fn user_autocomplete_api(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("alice", PW);
    app.create_user("bob", PW);
    app.create_user("Bonnie", PW);
    app.create_user("robert", PW);
    for i in 0..12 {
        app.create_user(&format!("bot{i:02}"), PW);
    }
    // A deactivated user is never suggested.
    let gone = app.create_user("bogus", PW);
    app.db(|c| {
        guildhall::services::manage_users::deactivate(c, gone, app.clock.now()).unwrap();
    });

    // Logged out: 401 with JSON.
    let r = app
        .client
        .get(app.url("/api/users?q=bo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let err: serde_json::Value = r.json().await.unwrap();
    assert!(err.get("error").is_some());

    app.login("alice", PW).await;
    let r = app
        .client
        .get(app.url("/api/users?q=bo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains('@'), "an e-mail address in {text}");
    let users: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert!(users.len() <= 10);
    assert_eq!(users.len(), 10);
    assert_eq!(users[0]["username"], "bob");
    assert_eq!(users[0]["name"], "Bob Tester");
    assert_eq!(users[1]["username"], "Bonnie");
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"bogus") && !names.contains(&"robert"));
    for u in &users {
        assert_eq!(
            u.as_object().unwrap().len(),
            2,
            "only username and name: {u}"
        );
    }

    // LIKE wildcards are taken literally.
    let r: Vec<serde_json::Value> = app
        .client
        .get(app.url("/api/users?q=%25"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r.is_empty());
    let r: Vec<serde_json::Value> = app
        .client
        .get(app.url("/api/users?q=BOB"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r.len(), 1);

    // On a group's invite form its members are left out, for its admins;
    // for anyone else the group is ignored (nothing said about who is in it).
    let p = app
        .new_group(&app.client, "Crew", "crew", "invite_only")
        .await;
    assert_eq!(p.status, 303);
    let bob_id = app.user_by_username("bob").id;
    app.add_member("crew", bob_id, app.builtin_role("GroupMember"));
    let names = |v: Vec<serde_json::Value>| -> Vec<String> {
        v.iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |path: &'static str, client: reqwest::Client| {
        let url = app.url(path);
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Vec<serde_json::Value>>()
                .await
                .unwrap()
        }
    };
    let r = names(get("/api/users?q=bo&group=crew", app.client.clone()).await);
    assert_eq!(r[0], "Bonnie", "bob is in crew: {r:?}");
    assert!(!r.contains(&"bob".to_string()));
    let r = names(get("/api/users?q=al&group=crew", app.client.clone()).await);
    assert!(r.is_empty(), "alice made crew: {r:?}");
    let robert = new_client();
    app.login_with(&robert, "robert", PW).await;
    let r = names(get("/api/users?q=bo&group=crew", robert).await);
    assert_eq!(r[0], "bob", "not robert's group: ignored");
}

async fn notifications_badge_and_mark_read(b: Backend) {
    use diesel::prelude::*;
    use guildhall::services::notifications::notify;
    let app = spawn_app(b).await;
    let bob = app.create_user("bob", PW);
    let other = app.create_user("olga", PW);
    app.login("bob", PW).await;
    let now = app.clock.now();
    let (n1, n2, n3) = app.db(|c| {
        (
            notify(c, bob, "test", "First thing", None, now).unwrap(),
            notify(c, bob, "test", "Second thing", Some("/messages"), now).unwrap(),
            notify(c, bob, "test", "Third thing", None, now).unwrap(),
        )
    });
    app.db(|c| notify(c, other, "test", "Not for Bob", None, now).unwrap());
    // Only paths on this site.
    assert!(
        app.db(|c| notify(c, bob, "test", "x", Some("https://evil.test/"), now))
            .is_err()
    );
    assert!(
        app.db(|c| notify(c, bob, "test", "x", Some("//evil.test/"), now))
            .is_err()
    );

    let p = app.get("/notifications").await;
    assert_eq!(badge(&p.body, "notifications"), "3");
    assert_eq!(texts(&p.body, "h1"), vec!["Notifications"]);
    let items = texts(
        &p.body,
        "li.notification.unread > a, li.notification.unread > span:not(.unread-marker)",
    );
    assert_eq!(items, vec!["Third thing", "Second thing", "First thing"]);
    assert!(!p.body.contains("Not for Bob"));

    // Per item; someone else's id changes nothing.
    let r = app
        .submit("/notifications", &format!("/notifications/{n2}/read"), &[])
        .await;
    assert_eq!(r.status, 303);
    let olga_note: i64 = app.db(|c| {
        notifications::table
            .filter(notifications::user_id.eq(other))
            .select(notifications::id)
            .first(c)
            .unwrap()
    });
    let r = app
        .forge_with(
            &app.client,
            "/notifications",
            &format!("/notifications/{olga_note}/read"),
            &[],
        )
        .await;
    assert_eq!(r.status, 303);
    let read = |id: i64| -> bool {
        app.db(|c| {
            notifications::table
                .find(id)
                .select(notifications::read_at)
                .first::<Option<time::PrimitiveDateTime>>(c)
                .unwrap()
                .is_some()
        })
    };
    assert!(read(n2) && !read(n1) && !read(n3) && !read(olga_note));
    let p = app.get("/notifications").await;
    assert_eq!(badge(&p.body, "notifications"), "2");

    // Mark all.
    let up_to = n3.to_string();
    let r = app
        .submit_in(
            &app.client,
            &p,
            "/notifications/read-all",
            &[("up_to", &up_to)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(read(n1) && read(n3) && !read(olga_note));
    let p = app.get("/notifications").await;
    assert_eq!(badge(&p.body, "notifications"), "0");
    assert!(texts(&p.body, "li.notification.unread").is_empty());
    assert_eq!(texts(&p.body, "li.notification").len(), 3);
}

async fn system_messages_and_inbox_paging(b: Backend) {
    use diesel::prelude::*;
    use guildhall::services::messages::{MessageRef, send_message_tx, send_message_with_ref};
    let app = spawn_app(b).await;
    let alice = app.create_user("alice", PW);
    let bob = app.create_user("bob", PW);
    app.login("bob", PW).await;
    let now = app.clock.now();
    // 30 conversations: 27 from alice (read later), 3 from the system.
    let mut ids = Vec::new();
    for i in 0..27 {
        ids.push(app.db(|c| {
            send_message_tx(c, Some(alice), bob, &format!("Note {i:02}"), "text", now).unwrap()
        }));
    }
    let sys = app.db(|c| {
        guildhall::db::write_tx(c, |c| {
            send_message_with_ref(
                c,
                None,
                bob,
                "You are invited",
                "Join us.",
                Some(MessageRef {
                    kind: "invitation",
                    ref_id: 42,
                    note: None,
                }),
                now,
            )
        })
        .unwrap()
    });
    // Bob reads the two oldest from alice: they go below every unread one.
    for cid in &ids[..2] {
        assert_eq!(app.get(&format!("/messages/{cid}")).await.status, 200);
    }
    // 25 from alice; the message announcing an invitation counts in the
    // Invitations badge, not the envelope.
    assert_eq!(badge(&app.get("/").await.body, "messages"), "25");

    let p1 = app.get("/messages").await;
    let subjects1 = texts(&p1.body, "tr.conversation .subject");
    assert_eq!(subjects1.len(), 25);
    assert_eq!(subjects1[0], "You are invited");
    assert_eq!(subjects1[1], "Note 26");
    assert_eq!(texts(&p1.body, "tr.conversation .party")[0], "Guildhall");
    let doc = scraper::Html::parse_document(&p1.body);
    let next = scraper::Selector::parse("a[href^='/messages?']").unwrap();
    let href = doc
        .select(&next)
        .next()
        .expect("next page link")
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    let p2 = app.get(&href).await;
    let subjects2 = texts(&p2.body, "tr.conversation .subject");
    assert_eq!(subjects2, vec!["Note 02", "Note 01", "Note 00"]);
    assert_eq!(texts(&p2.body, "tr.conversation.unread").len(), 1);

    // The system message: text, its reference, and no reply.
    let p = app.get(&format!("/messages/{sys}")).await;
    assert_eq!(texts(&p.body, ".message .sender"), vec!["Guildhall"]);
    assert_eq!(
        texts(&p.body, ".message-ref a"),
        vec!["Open your invitations"]
    );
    assert!(texts(&p.body, "textarea").is_empty());
    let before = app.count("messages");
    let r = app
        .forge_with(
            &app.client,
            &format!("/messages/{sys}"),
            &format!("/messages/{sys}/reply"),
            &[("body", "hi")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(app.count("messages"), before);
    let (kind, ref_id): (Option<String>, Option<i64>) = app.db(|c| {
        messages::table
            .filter(messages::conversation_id.eq(sys))
            .select((messages::kind, messages::ref_id))
            .first(c)
            .unwrap()
    });
    assert_eq!((kind.as_deref(), ref_id), (Some("invitation"), Some(42)));
}

/// A header count stops at 100 rows: it reads "99+" from there (and the
/// page never counts more, however many a person has).
async fn badges_count_up_to_99_plus(b: Backend) {
    use guildhall::services::notifications::notify;
    let app = spawn_app(b).await;
    let bob = app.create_user("bob", PW);
    app.login("bob", PW).await;
    let now = app.clock.now();
    app.db(|c| {
        for i in 0..99 {
            notify(c, bob, "test", &format!("Thing {i}"), None, now).unwrap();
        }
    });
    let p = app.get("/notifications").await;
    assert_eq!(badge(&p.body, "notifications"), "99");
    app.db(|c| {
        for i in 99..130 {
            notify(c, bob, "test", &format!("Thing {i}"), None, now).unwrap();
        }
    });
    let p = app.get("/").await;
    assert_eq!(badge(&p.body, "notifications"), "99+");
    assert_eq!(
        attrs(&p.body, "a[href='/notifications'].icon-link", "aria-label"),
        vec!["Notifications, 99+ new"]
    );
    assert_eq!(badge(&p.body, "messages"), "0");
}
