//! Groups: create, directory, join, requests, leave, roles, removal, paging.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{groups, join_requests, memberships, roles};
use guildhall::models::membership::{self, NewMembership};

backend_tests!(
    create_group_makes_the_creator_group_admin,
    invalid_or_taken_slug_is_refused_and_writes_nothing,
    join_an_open_group,
    request_then_admin_approves,
    invite_only_group_is_hidden_from_non_members,
    last_admin_cannot_leave,
    plain_member_cannot_change_roles_or_remove,
    role_of_another_group_is_refused,
    members_pages_walk_every_member_once_in_order,
    directory_pages_and_searches,
);

const PW: &str = "correct horse battery";

async fn create_group(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    slug: &str,
    method: &str,
) -> Page {
    app.new_group(c, name, slug, method).await
}

/// (user_id, role name) of every membership of the group, by user id.
fn members_of(app: &TestApp, slug: &str) -> Vec<(i64, String)> {
    app.db(|c| {
        memberships::table
            .inner_join(groups::table)
            .inner_join(roles::table)
            .filter(groups::slug.eq(slug))
            .order(memberships::user_id)
            .select((memberships::user_id, roles::name))
            .load(c)
            .unwrap()
    })
}

async fn create_group_makes_the_creator_group_admin(b: Backend) {
    let app = spawn_app(b).await;
    let (ann, c) = app.logged_in("ann", PW).await;
    let form = app.get_with(&c, "/groups/new").await;
    assert_eq!(form.status, 200);
    assert_eq!(texts(&form.body, "h1"), vec!["Create group"]);
    for field in ["name", "slug", "description", "join_method", "audience"] {
        assert_eq!(
            texts(&form.body, &format!("label[for={field}]")).len(),
            1,
            "label for {field}"
        );
    }

    let p = create_group(&app, &c, "Rust Users", "rust-users", "open").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/groups/rust-users"));
    assert_eq!(
        members_of(&app, "rust-users"),
        vec![(ann, "GroupAdmin".to_string())]
    );

    let home = app.get_with(&c, "/groups/rust-users").await;
    assert_eq!(home.status, 200);
    assert_eq!(texts(&home.body, "h1"), vec!["Rust Users"]);
    assert!(home.body.contains(r#"aria-label="More group actions""#));
    // Invite members beside the heading, and again in the empty group's
    // call to invite; the count with the creator's initials.
    assert_eq!(
        attrs(
            &home.body,
            ".group-head a.button, .empty-group a.button",
            "href"
        ),
        vec!["/groups/rust-users/invite"; 2]
    );
    assert_eq!(texts(&home.body, ".member-summary .avatar"), vec!["AT"]);
    assert!(texts(&home.body, ".member-summary a")[0].ends_with("1 member"));
    assert!(texts(&home.body, ".empty-group")[0].starts_with("Nobody else is here yet."));
    assert!(texts(&home.body, "a").contains(&"View All".to_string()));
    // The only admin cannot leave: no Leave button, the reason instead.
    assert!(!texts(&home.body, "button").contains(&"Leave".to_string()));
    assert!(
        home.main_text()
            .contains("its only admin: make someone else an admin before you can leave")
    );
    // With a second member, no empty-group call; the count follows.
    let (bo, bo_client) = app.logged_in("bo", PW).await;
    let join = app
        .submit_with(
            &bo_client,
            "/groups/rust-users",
            "/groups/rust-users/join",
            &[],
        )
        .await;
    assert_eq!(join.status, 303);
    let home = app.get_with(&c, "/groups/rust-users").await;
    assert!(texts(&home.body, ".empty-group").is_empty());
    assert_eq!(
        texts(&home.body, ".member-summary .avatar"),
        vec!["BT", "AT"],
        "newest first"
    );
    assert!(texts(&home.body, ".member-summary a")[0].ends_with("2 members"));
    let theirs = app.get_with(&bo_client, "/groups/rust-users").await;
    assert!(texts(&theirs.body, "button").contains(&"Leave".to_string()));
    assert!(
        texts(&theirs.body, ".group-head a.button").is_empty(),
        "no Invite for members"
    );
    let _ = bo;

    // Address left empty: it follows the name.
    let p = create_group(&app, &c, "Night Shift Crew", "", "open").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/groups/night-shift-crew"));

    let dash = app.get_with(&c, "/").await;
    assert!(
        dash.body.contains(r#"href="/groups/rust-users""#),
        "dashboard lists my groups"
    );
    assert!(texts(&dash.body, "nav a").contains(&"Groups".to_string()));
}

async fn invalid_or_taken_slug_is_refused_and_writes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let (_, c) = app.logged_in("ann", PW).await;
    let p = create_group(&app, &c, "Bad", "no spaces!", "open").await;
    assert_eq!(p.status, 422);
    assert!(texts(&p.body, "#slug-error")[0].contains("Use only"));
    assert!(p.body.contains(r#"value="no spaces!""#), "input kept");
    assert_eq!(app.count("groups"), 0);
    assert_eq!(app.count("memberships"), 0);

    assert_eq!(
        create_group(&app, &c, "First", "taken", "open")
            .await
            .status,
        303
    );
    let p = create_group(&app, &c, "Second", "Taken", "request").await;
    assert_eq!(p.status, 422);
    assert_eq!(
        texts(&p.body, "#slug-error"),
        vec!["This address is taken."]
    );
    assert!(p.body.contains(r#"value="Second""#), "input kept");
    assert!(
        p.body.contains(r#"<option value="request" selected>"#),
        "choice kept"
    );
    assert_eq!(app.count("groups"), 1);
    assert_eq!(app.count("memberships"), 1);
}

async fn join_an_open_group(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Open House", "open-house", "open").await;
    let (bob, c) = app.logged_in("bob", PW).await;

    let dir = app.get_with(&c, "/groups").await;
    assert!(texts(&dir.body, "button").contains(&"Join".to_string()));
    let p = app
        .submit_with(&c, "/groups/open-house", "/groups/open-house/join", &[])
        .await;
    assert_eq!(p.status, 303);
    assert!(members_of(&app, "open-house").contains(&(bob, "GroupMember".to_string())));
    // Twice is said plainly and adds nothing.
    app.forge_with(&c, "/groups", "/groups/open-house/join", &[])
        .await;
    assert_eq!(app.count("memberships"), 2);
    let dir = app.get_with(&c, "/groups").await;
    assert!(texts(&dir.body, ".tag").contains(&"Member".to_string()));
    // A member sees no Invite link: it needs manage_member.
    let home = app.get_with(&c, "/groups/open-house").await;
    assert!(!home.body.contains("/groups/open-house/invite"));
}

async fn request_then_admin_approves(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Ask First", "ask-first", "request").await;
    let (bob, c) = app.logged_in("bob", PW).await;

    // Joining directly is refused.
    app.forge_with(&c, "/groups/ask-first", "/groups/ask-first/join", &[])
        .await;
    assert_eq!(app.count("memberships"), 1);

    let p = app
        .submit_with(&c, "/groups/ask-first", "/groups/ask-first/request", &[])
        .await;
    assert_eq!(p.status, 303);
    app.forge_with(&c, "/groups/ask-first", "/groups/ask-first/request", &[])
        .await;
    assert_eq!(app.count("join_requests"), 1, "one pending request");

    // Bob cannot approve himself.
    let req: i64 = app.db(|x| {
        join_requests::table
            .select(join_requests::id)
            .first(x)
            .unwrap()
    });
    let path = format!("/groups/ask-first/requests/{req}/approve");
    assert_eq!(app.forge_with(&c, "/groups", &path, &[]).await.status, 403);
    assert_eq!(app.count("memberships"), 1);

    // The admin heard of the request (once, though bob asked twice).
    let notes = app.get_with(&admin, "/notifications").await;
    let asks = texts(&notes.body, ".notification a");
    assert_eq!(asks, vec!["Bob Tester asks to join Ask First."]);
    let page = app.get_with(&admin, "/groups/ask-first/members").await;
    assert!(texts(&page.body, "button").contains(&"Approve".to_string()));
    let p = app
        .submit_with(&admin, "/groups/ask-first/members", &path, &[])
        .await;
    assert_eq!(p.status, 303);
    assert!(members_of(&app, "ask-first").contains(&(bob, "GroupMember".to_string())));
    let status: String = app.db(|x| {
        join_requests::table
            .select(join_requests::status)
            .first(x)
            .unwrap()
    });
    assert_eq!(status, "approved");
    let page = app.get_with(&admin, "/groups/ask-first/members").await;
    assert!(!texts(&page.body, "button").contains(&"Approve".to_string()));
    let notes = app.get_with(&c, "/notifications").await;
    assert!(
        notes
            .main_text()
            .contains("Your request to join Ask First was approved.")
    );
}

async fn invite_only_group_is_hidden_from_non_members(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Secret Club", "secret", "invite_only").await;
    let (_, c) = app.logged_in("bob", PW).await;

    assert_eq!(app.get_with(&c, "/groups/secret").await.status, 404);
    assert_eq!(
        app.get_with(&new_client(), "/groups/secret").await.status,
        404
    );
    assert_eq!(app.get_with(&c, "/groups/secret/members").await.status, 404);
    let dir = app.get_with(&c, "/groups").await;
    assert!(!dir.body.contains("Secret Club"));
    let found = app.get_with(&c, "/groups?q=secret").await;
    assert!(!found.body.contains("Secret Club"));
    assert_eq!(
        app.forge_with(&c, "/groups", "/groups/secret/join", &[])
            .await
            .status,
        404
    );
    assert_eq!(app.count("memberships"), 1);

    // Its members do see it.
    let mine = app.get_with(&admin, "/groups?q=secret").await;
    assert!(mine.main_text().contains("Secret Club"));
}

async fn last_admin_cannot_leave(b: Backend) {
    let app = spawn_app(b).await;
    let (ann, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Solo", "solo", "open").await;
    let (bob, c) = app.logged_in("bob", PW).await;
    app.submit_with(&c, "/groups/solo", "/groups/solo/join", &[])
        .await;

    let p = app
        .forge_with(&admin, "/groups/solo", "/groups/solo/leave", &[])
        .await;
    assert_eq!(p.status, 303);
    let home = app.get_with(&admin, "/groups/solo").await;
    assert!(
        home.main_text().contains("You are the last group admin"),
        "clear message"
    );
    assert_eq!(members_of(&app, "solo").len(), 2);

    // A plain member leaves freely.
    app.submit_with(&c, "/groups/solo", "/groups/solo/leave", &[])
        .await;
    assert_eq!(
        members_of(&app, "solo"),
        vec![(ann, "GroupAdmin".to_string())]
    );
    // Once there is a second admin, the first may go.
    app.add_member("solo", bob, app.builtin_role("GroupAdmin"));
    app.submit_with(&admin, "/groups/solo", "/groups/solo/leave", &[])
        .await;
    assert_eq!(
        members_of(&app, "solo"),
        vec![(bob, "GroupAdmin".to_string())]
    );
}

async fn plain_member_cannot_change_roles_or_remove(b: Backend) {
    let app = spawn_app(b).await;
    let (ann, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Club", "club", "open").await;
    let (bob, c) = app.logged_in("bob", PW).await;
    let (carl, _) = app.logged_in("carl", PW).await;
    app.add_member("club", bob, app.builtin_role("GroupMember"));
    app.add_member("club", carl, app.builtin_role("GroupMember"));
    let before = members_of(&app, "club");

    let page = app.get_with(&c, "/groups/club/members").await;
    assert_eq!(page.status, 200);
    assert!(!texts(&page.body, "button").contains(&"Remove from group".to_string()));
    assert!(texts(&page.body, "select[name=role_id]").is_empty());
    let admin_role = app.builtin_role("GroupAdmin").to_string();
    for (path, form) in [
        (
            format!("/groups/club/members/{bob}/role"),
            vec![("role_id", admin_role.as_str())],
        ),
        (
            format!("/groups/club/members/{carl}/role"),
            vec![("role_id", admin_role.as_str())],
        ),
        (format!("/groups/club/members/{ann}/remove"), vec![]),
        (format!("/groups/club/members/{carl}/remove"), vec![]),
    ] {
        let p = app.forge_with(&c, "/groups/club", &path, &form).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(
            p.main_text()
                .contains("You do not have access to this feature.")
        );
    }
    assert_eq!(members_of(&app, "club"), before);

    // The admin can.
    let p = app
        .confirm_with(
            &admin,
            "/groups/club/members",
            &format!("/groups/club/members/{carl}/remove"),
            &[],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(members_of(&app, "club").len(), 2);
    // But cannot remove or demote the last admin (themselves).
    let member_role = app.builtin_role("GroupMember").to_string();
    app.confirm_with(
        &admin,
        "/groups/club/members",
        &format!("/groups/club/members/{ann}/remove"),
        &[],
    )
    .await;
    app.submit_with(
        &admin,
        "/groups/club/members",
        &format!("/groups/club/members/{ann}/role"),
        &[("role_id", &member_role)],
    )
    .await;
    assert!(members_of(&app, "club").contains(&(ann, "GroupAdmin".to_string())));
}

async fn role_of_another_group_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let (_, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Club", "club", "open").await;
    create_group(&app, &admin, "Other", "other", "open").await;
    let (bob, _) = app.logged_in("bob", PW).await;
    app.add_member("club", bob, app.builtin_role("GroupMember"));
    // A custom role of the other group (custom roles come with the roles page).
    let other = app.group_id("other");
    let now = app.clock.now();
    let foreign: i64 = app.db(|c| {
        diesel::insert_into(roles::table)
            .values((
                roles::group_id.eq(Some(other)),
                roles::name.eq("Helper"),
                roles::name_key.eq(format!("{other}:helper")),
                roles::permissions.eq("view_members"),
                roles::builtin.eq(false),
                roles::created_at.eq(now),
            ))
            .returning(roles::id)
            .get_result(c)
            .unwrap()
    });
    let before = members_of(&app, "club");
    let p = app
        .submit_with(
            &admin,
            "/groups/club/members",
            &format!("/groups/club/members/{bob}/role"),
            &[("role_id", &foreign.to_string())],
        )
        .await;
    assert_eq!(p.status, 303);
    let page = app.get_with(&admin, "/groups/club/members").await;
    assert!(
        page.main_text()
            .contains("This role does not belong to this group.")
    );
    assert_eq!(members_of(&app, "club"), before);
    // A role id that does not exist at all: the same.
    app.submit_with(
        &admin,
        "/groups/club/members",
        &format!("/groups/club/members/{bob}/role"),
        &[("role_id", "999999")],
    )
    .await;
    assert_eq!(members_of(&app, "club"), before);
    // The built-in role works.
    let admin_role = app.builtin_role("GroupAdmin").to_string();
    app.submit_with(
        &admin,
        "/groups/club/members",
        &format!("/groups/club/members/{bob}/role"),
        &[("role_id", &admin_role)],
    )
    .await;
    assert!(members_of(&app, "club").contains(&(bob, "GroupAdmin".to_string())));
}

async fn members_pages_walk_every_member_once_in_order(b: Backend) {
    let app = spawn_app(b).await;
    let (ann, admin) = app.logged_in("ann", PW).await;
    create_group(&app, &admin, "Big", "big", "open").await;
    let g = app.group_id("big");
    let member = app.builtin_role("GroupMember");
    let now = app.clock.now();
    // 120 users without passwords (no hashing), then one multi-row insert.
    // Named "User <n>" / "user <n>" in a non-monotonic order: the page order
    // is the number's, case ignored.
    let (rows, mut expected): (Vec<NewMembership>, Vec<(i64, String)>) = app.db(|c| {
        (0..120)
            .map(|i| {
                let n = (i * 37) % 120;
                let name = format!("m{i:03}");
                let first = if i % 2 == 0 { "user" } else { "User" };
                let last = n.to_string();
                let email = format!("{name}@example.com");
                let id = guildhall::models::user::insert(
                    c,
                    &guildhall::models::user::NewUser {
                        username: Some(&name),
                        username_key: Some(name.clone()),
                        email: &email,
                        email_key: email.clone(),
                        first_name: first,
                        last_name: &last,
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
                .unwrap();
                let keys = membership::MemberKeys::new(&name, first, &last);
                (
                    NewMembership::new(g, id, member, keys, now, None),
                    (n, name),
                )
            })
            .unzip()
    });
    assert_eq!(app.db(|c| membership::insert_many(c, &rows).unwrap()), 120);

    // "Ann Tester" first, then User 0, User 1, … User 119.
    expected.sort();
    let expected: Vec<String> = std::iter::once("ann".to_string())
        .chain(expected.into_iter().map(|(_, name)| name))
        .collect();

    let mut seen = Vec::new();
    let mut path = "/groups/big/members".to_string();
    let mut pages = 0;
    loop {
        let p = app.get_with(&admin, &path).await;
        assert_eq!(p.status, 200);
        assert_eq!(texts(&p.body, "h1").len(), 1);
        let names: Vec<String> = texts(&p.body, "td.member .username")
            .into_iter()
            .map(|s| s.trim_start_matches('@').to_lowercase())
            .collect();
        assert!(names.len() <= 25);
        seen.extend(names);
        pages += 1;
        let doc = scraper::Html::parse_document(&p.body);
        let sel = scraper::Selector::parse("a[rel=next]").unwrap();
        match doc.select(&sel).next().and_then(|a| a.value().attr("href")) {
            Some(href) => path = href.to_string(),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, expected, "every member once, in natural name order");
    let _ = ann;
}

async fn directory_pages_and_searches(b: Backend) {
    let app = spawn_app(b).await;
    let (ann, c) = app.logged_in("ann", PW).await;
    let now = app.clock.now();
    let mut names: Vec<String> = (0..30)
        .map(|i| format!("Team {:02}", (i * 7) % 30))
        .collect();
    app.db(|x| {
        for n in &names {
            let slug = n.to_lowercase().replace(' ', "-");
            guildhall::models::group::insert(
                x,
                &guildhall::models::group::NewGroup {
                    name: n,
                    name_key: n.to_lowercase(),
                    slug: &slug,
                    description: "",
                    join_method: "open",
                    audience: "internal",
                    parent_id: None,
                    created_by: ann,
                    created_at: now,
                    updated_at: now,
                    account_id: None,
                },
            )
            .unwrap();
        }
    });
    names.sort();
    let mut seen = Vec::new();
    let mut path = "/groups".to_string();
    for _ in 0..3 {
        let p = app.get_with(&c, &path).await;
        assert_eq!(p.status, 200);
        assert_eq!(texts(&p.body, "h1"), vec!["Groups"]);
        seen.extend(texts(&p.body, ".directory-entry strong"));
        let doc = scraper::Html::parse_document(&p.body);
        let sel = scraper::Selector::parse("a").unwrap();
        let next = doc
            .select(&sel)
            .find(|a| a.text().collect::<String>() == "Next page")
            .and_then(|a| a.value().attr("href").map(str::to_string));
        match next {
            Some(href) => path = href,
            None => break,
        }
    }
    assert_eq!(seen, names, "every group once, by name, 25 a page");
    let found = app.get_with(&c, "/groups?q=EAM%201").await;
    assert_eq!(
        texts(&found.body, ".directory-entry strong").len(),
        10,
        "Team 10..19"
    );
    let none = app.get_with(&c, "/groups?q=50%25").await;
    assert!(
        texts(&none.body, ".directory-entry strong").is_empty(),
        "% is literal"
    );
}
