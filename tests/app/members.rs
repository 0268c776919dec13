//! The members page `/groups/{slug}/members`: its count, search (name or
//! username), role and access filters (direct, inherited, invited),
//! natural order by name with keyset paging, hostile queries, and a group
//! of 2,000 members.

use crate::backend_tests;
use crate::helpers::*;
use crate::invitation_list::seed_invitation;
use guildhall::models::membership::{self, MemberKeys, NewMembership};

backend_tests!(
    members_page_counts_searches_and_filters_by_role,
    members_access_filter_splits_direct_inherited_and_invited,
    members_sort_naturally_and_filters_survive_paging,
    members_hostile_queries_are_refused_or_cut,
    members_of_2000_page_by_screen_and_search_finds_page_40,
    members_keys_of_older_rows_are_filled_at_start,
);

const PW: &str = "correct horse battery";

/// A user with this name and no password (no hashing: fast).
pub(crate) fn person(app: &TestApp, username: &str, first: &str, last: &str) -> i64 {
    let now = app.clock.now();
    let email = format!("{username}@example.com");
    app.db(|c| {
        guildhall::models::user::insert(
            c,
            &guildhall::models::user::NewUser {
                username: Some(username),
                username_key: Some(username.to_lowercase()),
                email: &email,
                email_key: email.to_lowercase(),
                first_name: first,
                last_name: last,
                country_code: None,
                phone: None,
                password_hash: None,
                status: guildhall::domain::UserStatus::Active,
                is_site_admin: false,
                email_verified_at: Some(now),
                approved_at: Some(now),
                session_epoch: 0,
                created_at: now,
                updated_at: now,
                account_id: None,
                is_super_user: false,
                seeded: false,
            },
        )
        .unwrap()
    })
}

/// The usernames listed on a members page, in order.
fn listed(body: &str) -> Vec<String> {
    texts(body, "table.members td.member .username")
        .into_iter()
        .map(|s| s.trim_start_matches('@').to_string())
        .collect()
}

fn next_href(body: &str) -> Option<String> {
    attrs(body, "a[rel=next]", "href").into_iter().next()
}

async fn members_page_counts_searches_and_filters_by_role(b: Backend) {
    let app = spawn_app(b).await;
    let (_, ann) = app.logged_in("ann", PW).await;
    assert_eq!(
        app.new_group(&ann, "Club", "club", "open").await.status,
        303
    );
    let member = app.builtin_role("GroupMember");
    for (u, first, last) in [
        ("zz_quiet", "Zed", "Quist"),
        ("bob", "Robert", "Jones"),
        ("kay", "Kay", "Lee"),
    ] {
        let id = person(&app, u, first, last);
        app.add_member("club", id, member);
    }

    let p = app.get_with(&ann, "/groups/club/members").await;
    assert_eq!(p.status, 200);
    assert_eq!(texts(&p.body, ".member-count strong"), ["4 members"]);
    assert_eq!(listed(&p.body), ["ann", "kay", "bob", "zz_quiet"]);
    // A GET form: the search and filters live in the address.
    assert_eq!(attrs(&p.body, "form.member-filters", "method"), ["get"]);

    // By name, any case, any part of it; by username.
    for (q, who) in [
        ("zed", vec!["zz_quiet"]),
        ("ROBERT jo", vec!["bob"]),
        ("zz_q", vec!["zz_quiet"]),
        ("lee", vec!["kay"]),
    ] {
        let p = app
            .get_with(&ann, &format!("/groups/club/members?q={}", urlencode(q)))
            .await;
        assert_eq!(p.status, 200);
        assert_eq!(listed(&p.body), who, "search {q:?}");
        assert_eq!(attrs(&p.body, "input#q", "value"), [q], "kept in the field");
        // The count is the group's, whatever the search.
        assert_eq!(texts(&p.body, ".member-count strong"), ["4 members"]);
    }
    let p = app.get_with(&ann, "/groups/club/members?q=nobody").await;
    assert_eq!(texts(&p.body, "p.empty"), ["No members match “nobody”."]);

    // By role: the admin alone, then the members.
    let admin = app.builtin_role("GroupAdmin");
    let p = app
        .get_with(&ann, &format!("/groups/club/members?role={admin}"))
        .await;
    assert_eq!(listed(&p.body), ["ann"]);
    assert_eq!(
        texts(&p.body, "select#role option[selected]"),
        ["GroupAdmin"]
    );
    let p = app
        .get_with(&ann, &format!("/groups/club/members?role={member}&q=k"))
        .await;
    assert_eq!(listed(&p.body), ["kay"]);
    // A role of no use here is ignored, not an error.
    let p = app.get_with(&ann, "/groups/club/members?role=999999").await;
    assert_eq!(p.status, 200);
    assert_eq!(listed(&p.body).len(), 4);

    // A plain member sees the list and its filters, but no role selects,
    // no Remove and no invitations.
    let (bob_id, bob) = app.logged_in("rob", PW).await;
    app.add_member("club", bob_id, member);
    let p = app.get_with(&bob, "/groups/club/members").await;
    assert_eq!(p.status, 200);
    assert!(texts(&p.body, "select[name=role_id]").is_empty());
    assert!(!p.body.contains("Remove from group"));
    assert!(
        attrs(&p.body, "select#access option", "value")
            .iter()
            .all(|v| v != "invited")
    );
}

async fn members_access_filter_splits_direct_inherited_and_invited(b: Backend) {
    let app = spawn_app(b).await;
    let (alice_id, alice) = app.logged_in("alice", PW).await;
    assert_eq!(
        app.new_group(&alice, "MSSP", "mssp", "open").await.status,
        303
    );
    let p = app
        .submit_with(
            &alice,
            "/groups/mssp/communities/new",
            "/groups/mssp/communities",
            &[
                ("name", "Team"),
                ("slug", "team"),
                ("description", ""),
                ("join_method", "invite_only"),
                ("audience", "internal"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (member, admin) = (
        app.builtin_role("GroupMember"),
        app.builtin_role("GroupAdmin"),
    );
    // dora: team only; eve: MSSP only (inherits); fay: both, admin above.
    let dora = person(&app, "dora", "Dora", "Direct");
    let eve = person(&app, "eve", "Eve", "Inherits");
    let fay = person(&app, "fay", "Fay", "Both");
    app.add_member("team", dora, member);
    app.add_member("mssp", eve, member);
    app.add_member("mssp", fay, admin);
    app.add_member("team", fay, member);
    let team = app.group_id("team");
    seed_invitation(&app, team, alice_id, "newbie@example.com", "pending", 0);
    seed_invitation(&app, team, alice_id, "stale@example.com", "pending", 9);
    seed_invitation(&app, team, alice_id, "done@example.com", "accepted", 1);

    let p = app.get_with(&alice, "/groups/team/members").await;
    assert_eq!(p.status, 200);
    // alice (created it: its admin, and MSSP's), dora, eve, fay: 4 people,
    // 3 of them members here.
    assert_eq!(texts(&p.body, ".member-count strong"), ["4 members"]);
    assert_eq!(listed(&p.body), ["alice", "dora", "eve", "fay"]);
    assert_eq!(
        texts(&p.body, "table.members td.access"),
        [
            "Direct; also through MSSP",
            "Direct",
            "Inherited from MSSP",
            "Direct; also through MSSP"
        ]
    );
    assert_eq!(
        texts(&p.body, "select#access option"),
        [
            "Everyone (4)",
            "Direct members (3)",
            "Inherited (1)",
            "Invited (1)"
        ]
    );

    let p = app
        .get_with(&alice, "/groups/team/members?access=direct")
        .await;
    assert_eq!(listed(&p.body), ["alice", "dora", "fay"]);
    let p = app
        .get_with(&alice, "/groups/team/members?access=inherited")
        .await;
    assert_eq!(listed(&p.body), ["eve"], "alice and fay belong here too");
    // The counts follow a removal (the database keeps each group's count).
    let p = app
        .confirm_with(
            &alice,
            "/groups/team/members",
            &format!("/groups/team/members/{dora}/remove"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = app.get_with(&alice, "/groups/team/members").await;
    assert_eq!(texts(&p.body, ".member-count strong"), ["3 members"]);
    assert_eq!(
        texts(&p.body, "select#access option")[..2],
        ["Everyone (3)", "Direct members (2)"]
    );
    app.add_member("team", dora, member);
    // fay is a member here: the admin role she holds above does not list her.
    let p = app
        .get_with(&alice, &format!("/groups/team/members?role={admin}"))
        .await;
    assert_eq!(listed(&p.body), ["alice"]);

    // Invited: open invitations only, each a row saying so.
    let p = app
        .get_with(&alice, "/groups/team/members?access=invited")
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(
        texts(&p.body, "table.members td.member .name"),
        ["newbie@example.com"]
    );
    assert_eq!(
        texts(&p.body, "table.members td.access"),
        ["Invited by @alice"]
    );
    let p = app
        .get_with(&alice, "/groups/team/members?access=invited&q=nobody")
        .await;
    assert_eq!(
        texts(&p.body, "p.empty"),
        ["No open invitations match “nobody”."]
    );

    // A member without manage_member asking for them gets everyone instead.
    let (_, dan) = app.logged_in("dan", PW).await;
    let dan_id = app.user_by_username("dan").id;
    app.add_member("team", dan_id, member);
    let p = app
        .get_with(&dan, "/groups/team/members?access=invited")
        .await;
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("newbie@example.com"));
    assert_eq!(listed(&p.body).len(), 5);
}

async fn members_sort_naturally_and_filters_survive_paging(b: Backend) {
    let app = spawn_app(b).await;
    let (_, ann) = app.logged_in("ann", PW).await;
    assert_eq!(
        app.new_group(&ann, "Club", "club", "open").await.status,
        303
    );
    let member = app.builtin_role("GroupMember");
    for (u, n) in [("u10", "10"), ("u2", "2"), ("u1", "1"), ("u100", "100")] {
        let id = person(&app, u, "User", n);
        app.add_member("club", id, member);
    }
    let id = person(&app, "lower3", "user", "3");
    app.add_member("club", id, member);
    let p = app.get_with(&ann, "/groups/club/members").await;
    assert_eq!(
        texts(&p.body, "table.members td.member .name"),
        [
            "Ann Tester",
            "User 1",
            "User 2",
            "user 3",
            "User 10",
            "User 100"
        ]
    );

    // 60 more "Page <n>": a search over three pages keeps itself and the
    // role in the Next link, and walks each one once, in order.
    for n in 0..60 {
        let id = person(&app, &format!("p{n}"), "Page", &n.to_string());
        app.add_member("club", id, member);
    }
    let mut path = format!("/groups/club/members?q=page&role={member}");
    let mut seen = Vec::new();
    loop {
        let p = app.get_with(&ann, &path).await;
        assert_eq!(p.status, 200);
        let rows = listed(&p.body);
        assert!(rows.len() <= 25);
        seen.extend(rows);
        match next_href(&p.body) {
            Some(h) => {
                assert!(
                    h.contains("q=page") && h.contains(&format!("role={member}")),
                    "{h}"
                );
                path = h;
            }
            None => break,
        }
    }
    let expected: Vec<String> = (0..60).map(|n| format!("p{n}")).collect();
    assert_eq!(seen, expected);

    // A role change from page 2 of the search returns to page 2 of it.
    let p = app.get_with(&ann, "/groups/club/members?q=page").await;
    let page2 = next_href(&p.body).expect("a second page");
    let p = app.get_with(&ann, &page2).await;
    let back = attrs(&p.body, "form.role-form input[name=back]", "value")[0].clone();
    let target = person(&app, "p99", "Page", "99");
    app.add_member("club", target, member);
    let admin = app.builtin_role("GroupAdmin").to_string();
    // p99 was added after page 2 was read: the row's form, as that page had it.
    let r = app
        .forge_with(
            &ann,
            &page2,
            &format!("/groups/club/members/{target}/role"),
            &[("role_id", &admin), ("back", &back)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some(page2.as_str()));
    // A `back` from elsewhere cannot lead away from the list.
    let r = app
        .forge_with(
            &ann,
            &page2,
            &format!("/groups/club/members/{target}/role"),
            &[("role_id", &admin), ("back", "//evil.example/x?q=a")],
        )
        .await;
    assert!(
        r.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/groups/club/members")),
        "{:?}",
        r.location
    );
}

async fn members_hostile_queries_are_refused_or_cut(b: Backend) {
    let app = spawn_app(b).await;
    let (_, ann) = app.logged_in("ann", PW).await;
    assert_eq!(
        app.new_group(&ann, "Club", "club", "open").await.status,
        303
    );

    // NUL: refused before the database sees it, with a sentence saying why.
    let p = app.get_with(&ann, "/groups/club/members?q=a%00b").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(texts(&p.body, "main").concat().contains("cannot be used"));

    // 60 KB, about the most an address can carry: a page, the search cut
    // and never echoed whole.
    let long = "x".repeat(60_000);
    let p = app
        .get_with(&ann, &format!("/groups/club/members?q={long}"))
        .await;
    assert_eq!(p.status, 200);
    assert!(!p.body.contains(&"x".repeat(202)), "the search is cut");
    assert_eq!(
        texts(&p.body, "p.empty"),
        [format!("No members match “{}”.", "x".repeat(201))]
    );
    // 100 KB: the HTTP layer refuses an address that long (400) before
    // any handler or database sees it; the server stays up.
    assert_eq!(
        raw_get_status(
            &app,
            &format!("/groups/club/members?q={}", "x".repeat(100_000))
        )
        .await,
        400
    );
    assert_eq!(app.get("/healthz").await.status, 200);
    // Percent signs, wildcards, and broken parameters: a page, never a 500.
    for q in [
        "q=%25",
        "q=_",
        "q=%5C",
        "role=abc",
        "role=-1",
        "access=nonsense",
        "after=zzz",
        "after=%3A%3A-5",
        "before=-1&access=invited",
        "role=99999999999999999999999",
    ] {
        let p = app
            .get_with(&ann, &format!("/groups/club/members?{q}"))
            .await;
        assert_eq!(p.status, 200, "{q}: {}", p.body);
    }
    let p = app.get_with(&ann, "/groups/club/members?q=%25").await;
    assert_eq!(texts(&p.body, "p.empty"), ["No members match “%”."]);
    // A form body with NUL: refused too.
    let token = csrf_from(&app.get_with(&ann, "/groups/club/members").await.body);
    let r = ann
        .post(app.url("/groups/club/members/1/role"))
        .header("Origin", &app.address)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={}&role_id=1&back=q%3Da%00",
            urlencode(&token)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    // 100 KB in a form's `back`: the answer leads to the list, cut.
    let bob = person(&app, "bob", "Bob", "B");
    app.add_member("club", bob, app.builtin_role("GroupMember"));
    let back = format!("q={}&role=1", "y".repeat(100_000));
    let admin = app.builtin_role("GroupAdmin").to_string();
    let r = app
        .submit_with(
            &ann,
            "/groups/club/members",
            &format!("/groups/club/members/{bob}/role"),
            &[("role_id", &admin), ("back", &back)],
        )
        .await;
    assert_eq!(r.status, 303);
    let to = r.location.unwrap();
    assert!(
        to.starts_with("/groups/club/members?q=yyy") && to.len() < 300,
        "{to}"
    );
    assert_eq!(app.get_with(&ann, &to).await.status, 200);
}

/// The status of a GET sent as raw HTTP/1.1 (a client library may give up
/// on a request the server refuses before reading all of it).
async fn raw_get_status(app: &TestApp, path: &str) -> u16 {
    let host = app.address.trim_start_matches("http://").to_string();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let line = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&host).unwrap();
        // The server may answer and close before it has read everything.
        let _ = s.write_all(req.as_bytes());
        let mut head = vec![0u8; 64];
        let n = s.read(&mut head).unwrap();
        String::from_utf8_lossy(&head[..n]).to_string()
    })
    .await
    .unwrap();
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {line:?}"))
}

async fn members_of_2000_page_by_screen_and_search_finds_page_40(b: Backend) {
    let app = spawn_app(b).await;
    let (_, ann) = app.logged_in("ann", PW).await;
    assert_eq!(app.new_group(&ann, "Big", "big", "open").await.status, 303);
    let (g, member, now) = (
        app.group_id("big"),
        app.builtin_role("GroupMember"),
        app.clock.now(),
    );
    // 2,000 users and memberships in one transaction, a few statements.
    app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::users;
        c.transaction::<_, diesel::result::Error, _>(|c| {
            for chunk in (0..2000).collect::<Vec<i64>>().chunks(500) {
                let emails: Vec<String> = chunk
                    .iter()
                    .map(|i| format!("big{i}@example.com"))
                    .collect();
                let names: Vec<String> = chunk.iter().map(|i| format!("big{i}")).collect();
                let lasts: Vec<String> = chunk.iter().map(|i| i.to_string()).collect();
                let rows: Vec<_> = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, _)| {
                        (
                            users::username.eq(Some(names[k].as_str())),
                            users::username_key.eq(Some(names[k].as_str())),
                            users::email.eq(emails[k].as_str()),
                            users::email_key.eq(emails[k].as_str()),
                            users::first_name.eq("User"),
                            users::last_name.eq(lasts[k].as_str()),
                            users::status.eq("active"),
                            users::created_at.eq(now),
                            users::updated_at.eq(now),
                        )
                    })
                    .collect();
                // A multi-row insert goes to the backend's own connection.
                let ids: Vec<i64> = match c {
                    #[cfg(feature = "sqlite")]
                    guildhall::db::DbConn::Sqlite(s) => diesel::insert_into(users::table)
                        .values(&rows)
                        .returning(users::id)
                        .get_results(s)?,
                    #[cfg(feature = "postgres")]
                    guildhall::db::DbConn::Pg(p) => diesel::insert_into(users::table)
                        .values(&rows)
                        .returning(users::id)
                        .get_results(p)?,
                };
                let ms: Vec<NewMembership> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| {
                        let keys = MemberKeys::new(&names[k], "User", &lasts[k]);
                        NewMembership::new(g, *id, member, keys, now, None)
                    })
                    .collect();
                membership::insert_many(c, &ms)?;
            }
            Ok(())
        })
        .unwrap()
    });

    let p = app.get_with(&ann, "/groups/big/members").await;
    assert_eq!(p.status, 200);
    assert_eq!(texts(&p.body, ".member-count strong"), ["2,001 members"]);
    let first = texts(&p.body, "table.members td.member .name");
    assert_eq!(first.len(), 25, "one screen of rows");
    assert_eq!(first[..4], ["Ann Tester", "User 0", "User 1", "User 2"]);
    assert!(next_href(&p.body).is_some());

    // "User 990" is row 992 (ann, User 0 … User 990): page 40 of 25 rows.
    let mut path = next_href(&p.body).unwrap();
    for _ in 2..40 {
        path = next_href(&app.get_with(&ann, &path).await.body).unwrap();
    }
    let p40 = app.get_with(&ann, &path).await;
    assert!(texts(&p40.body, "table.members td.member .name").contains(&"User 990".to_string()));
    // The search finds it at once.
    let p = app.get_with(&ann, "/groups/big/members?q=user+990").await;
    assert_eq!(
        texts(&p.body, "table.members td.member .name"),
        ["User 990"]
    );
    let p = app.get_with(&ann, "/groups/big/members?q=BIG990").await;
    assert_eq!(listed(&p.body), ["big990"]);
}

/// Memberships from before the name keys (sort_key '') get them when
/// migrations run, as at every start; a second run finds nothing to do.
async fn members_keys_of_older_rows_are_filled_at_start(b: Backend) {
    use diesel::prelude::*;
    use guildhall::db::schema::memberships;
    let app = spawn_app(b).await;
    let (_, ann) = app.logged_in("ann", PW).await;
    assert_eq!(
        app.new_group(&ann, "Club", "club", "open").await.status,
        303
    );
    let id = person(&app, "u10", "User", "10");
    app.add_member("club", id, app.builtin_role("GroupMember"));
    let keys = || -> Vec<(String, String)> {
        app.db(|c| {
            memberships::table
                .order(memberships::user_id)
                .select((memberships::sort_key, memberships::name_key))
                .load(c)
                .unwrap()
        })
    };
    let before = keys();
    assert_eq!(before[1], ("user 0210".to_string(), "user 10".to_string()));
    app.db(|c| {
        diesel::update(memberships::table)
            .set((memberships::sort_key.eq(""), memberships::name_key.eq("")))
            .execute(c)
            .unwrap()
    });
    let applied = app.db(|c| guildhall::startup::migrate(c).unwrap());
    assert!(applied.is_empty());
    assert_eq!(keys(), before);
    let p = app.get_with(&ann, "/groups/club/members?q=user+10").await;
    assert_eq!(listed(&p.body), ["u10"]);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
