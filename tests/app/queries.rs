//! Query discipline: the main pages run a fixed number of SQL statements,
//! whatever the amount of data (no N+1). Counted by the server itself
//! (`GUILDHALL_COUNT_QUERIES` → `X-Query-Count`). And the members page's
//! statement stays prepared.

use crate::backend_tests;
use crate::helpers::*;
use guildhall::models::{group, membership, notification, role, user};
use std::collections::BTreeMap;

backend_tests!(
    main_pages_run_as_many_statements_with_60_rows_as_with_3,
    query_count_header_is_absent_unless_configured,
    the_members_page_statement_is_prepared_once,
    a_communitys_roles_statement_is_prepared_once,
    an_invitation_by_username_runs_a_fixed_number_of_statements,
    an_accept_runs_a_fixed_number_of_statements,
);

const PW: &str = "correct horse battery staple";

const PAGES: [&str; 11] = [
    "/",
    "/groups",
    "/groups/club",
    "/groups/club/members",
    // A managed community of club: its members are club's, inherited.
    "/groups/club-team",
    "/groups/club-team/members",
    "/groups/club-team/invite",
    "/messages",
    "/notifications",
    "/invitations",
    "/groups/club/invitations",
];

/// Grows the data seen by ann to `n` of each: members of `club`, groups she
/// belongs to, conversations with her and notifications for her.
fn grow_to(app: &TestApp, ann: i64, club: i64, from: usize, n: usize) {
    let now = app.clock.now();
    app.db(|c| {
        let admin = role::builtin(c, role::GROUP_ADMIN).unwrap().id;
        let member = role::builtin(c, role::GROUP_MEMBER).unwrap().id;
        let mut rows = Vec::new();
        for i in from..n {
            let name = format!("member{i:03}");
            let email = format!("{name}@example.com");
            let id = user::insert(
                c,
                &user::NewUser {
                    username: Some(&name),
                    username_key: Some(name.clone()),
                    email: &email,
                    email_key: email.clone(),
                    first_name: "M",
                    last_name: "Ember",
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
                    seeded: false,
                    account_id: None,
                    is_super_user: false,
                },
            )
            .unwrap();
            rows.push(membership::NewMembership::new(
                club,
                id,
                member,
                membership::MemberKeys::new(&name, "M", "Ember"),
                now,
                None,
            ));
            // A group ann is in, created by the new user; every other one ann runs.
            let slug = format!("group-{i:03}");
            let g = group::insert(
                c,
                &group::NewGroup {
                    name: &format!("Group {i:03}"),
                    name_key: format!("group {i:03}"),
                    slug: &slug,
                    description: "",
                    join_method: ["open", "request", "invite_only"][i % 3],
                    audience: "client",
                    parent_id: None,
                    account_id: None,
                    created_by: id,
                    created_at: now,
                    updated_at: now,
                },
            )
            .unwrap();
            rows.push(membership::NewMembership::new(
                g,
                ann,
                if i % 2 == 0 { admin } else { member },
                membership::MemberKeys::new("ann", "Ann", "Tester"),
                now,
                None,
            ));
            guildhall::services::messages::send_message_tx(
                c,
                Some(id),
                ann,
                &format!("Hello {i}"),
                "A message to count queries by.",
                now,
            )
            .unwrap();
            notification::insert(
                c,
                &notification::NewNotification {
                    user_id: ann,
                    kind: "test",
                    text: &format!("Notification {i}"),
                    link_path: Some("/groups/club"),
                    created_at: now,
                    ref_id: None,
                },
            )
            .unwrap();
            // An invitation for ann into the new group, and one from ann in club.
            for (group_id, inviter, invitee, who) in [
                (g, id, ann, "ann@example.com"),
                (club, ann, id, email.as_str()),
            ] {
                let nonce = format!("q-{i}-{group_id}");
                let hash = guildhall::auth::tokens::hash(&nonce);
                guildhall::models::invitation::insert(
                    c,
                    &guildhall::models::invitation::NewInvitation {
                        group_id,
                        inviter_id: inviter,
                        invitee_user_id: Some(invitee),
                        invitee_email: who,
                        invitee_email_key: who,
                        role_id: member,
                        message: Some("Join us"),
                        status: guildhall::domain::InvitationStatus::Pending,
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
                .unwrap();
            }
        }
        membership::insert_many(c, &rows).unwrap();
    });
}

async fn counts(app: &TestApp, client: &reqwest::Client) -> BTreeMap<&'static str, u64> {
    let mut out = BTreeMap::new();
    for path in PAGES {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "GET {path}");
        let n = r
            .headers()
            .get("x-query-count")
            .unwrap_or_else(|| panic!("GET {path} has no X-Query-Count"))
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        out.insert(path, n);
    }
    out
}

/// ann logs in and makes the open group `club` (its admin); her id.
async fn ann_opens_club(app: &TestApp) -> i64 {
    let ann = app.create_user("ann", PW);
    app.login("ann", PW).await;
    let p = app
        .submit(
            "/groups/new",
            "/groups",
            &[
                ("name", "Club"),
                ("slug", "club"),
                ("description", ""),
                ("join_method", "open"),
                ("audience", "client"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    ann
}

/// ann makes `club-team`, a managed community inside club.
async fn ann_adds_club_team(app: &TestApp) {
    let p = app
        .submit(
            "/groups/club/communities/new",
            "/groups/club/communities",
            &[
                ("name", "Club Team"),
                ("slug", "club-team"),
                ("description", ""),
                ("join_method", "invite_only"),
                ("audience", "client"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

async fn main_pages_run_as_many_statements_with_60_rows_as_with_3(b: Backend) {
    let app = spawn_app_with(b, |c| c.count_queries = true).await;
    let ann = ann_opens_club(&app).await;
    ann_adds_club_team(&app).await;
    let club: i64 = app.db(|c| {
        group::find_by_slug(c, "club")
            .unwrap()
            .expect("club exists")
            .id
    });

    grow_to(&app, ann, club, 0, 3);
    let small = counts(&app, &app.client).await;
    grow_to(&app, ann, club, 3, 60);
    let large = counts(&app, &app.client).await;

    assert_eq!(
        small, large,
        "statements per page, 3 rows vs 60 rows (an N+1 grows with data)"
    );
    // A page stays a handful of statements: the session, its user and the
    // header counts in one, then the page.
    for (path, n) in &large {
        assert!(*n >= 1 && *n <= 10, "{path} runs {n} statements");
    }
    // The inbox: that one, then its invitations (all on one page, so not
    // counted again); on SQLite both in one read transaction.
    let read_tx = match b {
        Backend::Sqlite => 2,
        Backend::Postgres => 0,
    };
    assert_eq!(large["/invitations"], 2 + read_tx, "{large:?}");
    // A members page with no one asking to join: the session, the group
    // and the viewer's access, the roles, the counts (which tell that no
    // join request waits, so none is read) and the page of members.
    assert_eq!(large["/groups/club/members"], 5 + read_tx, "{large:?}");
}

async fn query_count_header_is_absent_unless_configured(b: Backend) {
    let app = spawn_app(b).await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().get("x-query-count").is_none());
}

/// Runs `read` twice on one connection: what each read returned, and the
/// statements diesel put into its prepared-statement cache after the first
/// read and after both (a statement it keeps is cached once, on first use;
/// one it does not keep, never).
fn read_twice<T: Send + 'static>(
    app: &TestApp,
    read: impl Fn(&mut guildhall::db::DbConn) -> T + Send + 'static,
) -> ((T, T), usize, Vec<String>) {
    use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
    use std::sync::{Arc, Mutex};
    let prepared: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = prepared.clone();
    let (rows, after_first) = app.db(|c| {
        c.set_instrumentation(Box::new(move |e: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = e {
                seen.lock().unwrap().push(sql.to_string());
            }
        }) as Box<dyn Instrumentation>);
        let first = read(c);
        let after_first = prepared.lock().unwrap().len();
        let second = read(c);
        c.set_instrumentation(guildhall::db::query_count::instrumentation());
        ((first, second), after_first)
    });
    let all = prepared.lock().unwrap().clone();
    (rows, after_first, all)
}

/// The members page's statement stays prepared on its connection: read
/// twice, it is prepared once. diesel keeps nothing with a `dsl::sql`
/// fragment prepared; 0a7e7e7 wrote the page's `(SELECT ?)` so, and every
/// members page became 3× slower (bench/RESULTS.md, 2026-12-07).
async fn the_members_page_statement_is_prepared_once(b: Backend) {
    let app = spawn_app(b).await;
    ann_opens_club(&app).await;
    let club = app.group_id("club");
    let (rows, after_first, prepared) = read_twice(&app, move |c| {
        membership::page(c, club, &membership::MemberFilter::default(), None, 26)
            .unwrap()
            .len()
    });
    assert_eq!(rows, (1, 1), "ann, the club's admin, both times");
    assert_eq!(
        after_first, 1,
        "the first read prepares its statement to keep: {prepared:?}"
    );
    assert_eq!(
        prepared.len(),
        1,
        "the second finds it prepared: {prepared:?}"
    );
    assert!(prepared[0].contains("(SELECT "), "{}", prepared[0]);
}

/// The roles a managed community offers (its own, those of the
/// communities above, the built-in ones) are read by a statement kept
/// prepared: by the path in `group_ancestors`, not an `eq_any` list,
/// which diesel on SQLite writes as `IN (?, ?)` and prepares anew on every
/// call (PostgreSQL binds the list as one array and keeps it): every
/// managed community's members page paid for it.
async fn a_communitys_roles_statement_is_prepared_once(b: Backend) {
    let app = spawn_app(b).await;
    ann_opens_club(&app).await;
    ann_adds_club_team(&app).await;
    let path = vec![app.group_id("club-team"), app.group_id("club")];
    app.new_group(&app.client, "Other", "other", "open").await;
    let other = app.group_id("other");
    let now = app.clock.now();
    app.db(|c| {
        for (group_id, name) in [
            (path[0], "Crew"),
            (path[1], "Steward"),
            (other, "Elsewhere"),
        ] {
            role::insert(
                c,
                &role::NewRole {
                    group_id: Some(group_id),
                    name,
                    name_key: name.to_lowercase(),
                    permissions: String::new(),
                    builtin: false,
                    created_at: now,
                },
            )
            .unwrap();
        }
    });
    let (rows, after_first, prepared) = read_twice(&app, move |c| {
        role::for_path(c, &path)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
    });
    assert_eq!(rows.0, rows.1);
    // Built-in first, then the community's and club's by name; not another group's.
    assert_eq!(rows.0[rows.0.len() - 2..], ["Crew", "Steward"], "{rows:?}");
    assert!(rows.0.contains(&"GroupMember".to_string()), "{rows:?}");
    assert!(!rows.0.contains(&"Elsewhere".to_string()), "{rows:?}");
    assert_eq!(after_first, 1, "prepared to keep: {prepared:?}");
    assert_eq!(prepared.len(), 1, "found prepared: {prepared:?}");
}

/// Inviting one user by username (bench/run's W3 request) runs a fixed
/// number of statements, each a round trip on PostgreSQL: the visitor and
/// the form's scope, the quota, then the invitation with its mail, message
/// and notification, and the report. The first of a process may run more
/// (the hourly prune of the quotas' counters).
async fn an_invitation_by_username_runs_a_fixed_number_of_statements(b: Backend) {
    let app = spawn_app_with(b, |c| c.count_queries = true).await;
    ann_opens_club(&app).await;
    let names = ["bea", "cid", "dan"];
    for name in names {
        app.create_user(name, PW);
    }
    let form = app.get("/groups/club/invite").await;
    let csrf = csrf_from(&form.body);
    let mut counts = Vec::new();
    for who in names {
        let r = app
            .client
            .post(app.url("/groups/club/invite"))
            .header("Origin", &app.address)
            .header("Accept", "application/json")
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("send_to", who),
                ("role_id", "2"),
            ])
            .send()
            .await
            .unwrap();
        let n: u64 = r.headers()["x-query-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(body.contains("\"ok\":true"), "{who}: {body}");
        counts.push(n);
    }
    // Each with its "sent" event and its audit line.
    let written: (i64, i64, i64) = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::{audit_events, invitation_events, invitations};
        (
            invitations::table.count().get_result(c).unwrap(),
            invitation_events::table
                .filter(invitation_events::kind.eq("sent"))
                .count()
                .get_result(c)
                .unwrap(),
            audit_events::table
                .filter(audit_events::kind.eq("invitation_sent"))
                .filter(audit_events::detail.like("Invitation sent to %@example.com (Club)"))
                .count()
                .get_result(c)
                .unwrap(),
        )
    });
    assert_eq!(written, (3, 3, 3), "invitations, events, audit lines");
    // And each invitee heard of it: a private message and a notification,
    // both naming the invitation.
    let heard: (i64, i64) = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::{messages, notifications};
        (
            messages::table
                .filter(messages::kind.eq("invitation"))
                .count()
                .get_result(c)
                .unwrap(),
            notifications::table
                .filter(notifications::kind.eq("invitation"))
                .filter(notifications::ref_id.is_not_null())
                .filter(notifications::link_path.eq("/invitations"))
                .count()
                .get_result(c)
                .unwrap(),
        )
    });
    assert_eq!(heard, (3, 3), "messages, notifications");
    assert_eq!(counts[1], counts[2], "{counts:?}");
    // PostgreSQL: 4 reads, 1 for the quota, 10 to write (26 before the
    // quota counted first, the invitation took its event and audit line
    // into one statement, the report its line, the conversation the
    // notification, and the list went without a savepoint per entry).
    // SQLite: in-process, no data-modifying `WITH`, and the writer's
    // savepoints count.
    let most = match b {
        Backend::Sqlite => 26,
        Backend::Postgres => 15,
    };
    assert!(
        counts[2] <= most,
        "{b:?}: {counts:?} statements, at most {most}"
    );
}

/// Accepting from the inbox: on PostgreSQL the session, then in one
/// transaction the invitation with its group, the community's invitation
/// rules, the joiner (account and name keys), the close (with its event,
/// audit line, the announcements marked read and the inviter's
/// notification) and the membership with its audit line. A second press
/// finds it closed and writes nothing.
async fn an_accept_runs_a_fixed_number_of_statements(b: Backend) {
    let app = spawn_app_with(b, |c| c.count_queries = true).await;
    let ann = ann_opens_club(&app).await;
    let (bea, client) = app.logged_in("bea", PW).await;
    let form = app.get("/groups/club/invite").await;
    let r = app
        .client
        .post(app.url("/groups/club/invite"))
        .header("Origin", &app.address)
        .header("Accept", "application/json")
        .form(&[
            ("csrf_token", csrf_from(&form.body).as_str()),
            ("send_to", "bea"),
            ("role_id", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("\"ok\":true"));
    let id: i64 = app.db(|c| {
        use diesel::prelude::*;
        use guildhall::db::schema::invitations;
        invitations::table.select(invitations::id).first(c).unwrap()
    });
    let csrf = csrf_from(&app.get_with(&client, "/invitations").await.body);
    let accept = || async {
        let r = client
            .post(app.url(&format!("/invitations/{id}/accept")))
            .header("Origin", &app.address)
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        r.headers()["x-query-count"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let rows = || {
        app.db(|c| {
            use diesel::prelude::*;
            use guildhall::db::schema::{
                audit_events, invitation_events, memberships, notifications,
            };
            (
                memberships::table
                    .filter(memberships::user_id.eq(bea))
                    .filter(memberships::invited_by.eq(ann))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap(),
                invitation_events::table
                    .filter(invitation_events::kind.eq("accepted"))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap(),
                audit_events::table
                    .filter(audit_events::subject_user_id.eq(bea))
                    .filter(audit_events::detail.like("% (Club)"))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap(),
                notifications::table
                    .filter(notifications::user_id.eq(ann))
                    .filter(notifications::kind.eq("invitation_accepted"))
                    .filter(notifications::link_path.eq(format!("/groups/club/invitations/{id}")))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap(),
                notifications::table
                    .filter(notifications::user_id.eq(bea))
                    .filter(notifications::read_at.is_null())
                    .count()
                    .get_result::<i64>(c)
                    .unwrap(),
            )
        })
    };
    let n = accept().await;
    // The membership, the "accepted" event, the audit lines (sent,
    // accepted, joined), ann's notification; none of bea's left unread.
    assert_eq!(rows(), (1, 1, 3, 1, 0));
    let most = match b {
        Backend::Sqlite => 19,
        Backend::Postgres => 8,
    };
    assert!(n <= most, "{b:?}: {n} statements, at most {most}");
    accept().await;
    assert_eq!(rows(), (1, 1, 3, 1, 0), "a second press writes nothing");
}
