//! `guildhall seed` on both backends: the data set it promises, and a server
//! on it that logs seeded users in and shows their pages; a seed killed
//! mid-load leaves the schema whole.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::{groups, invitations, memberships, users};
use guildhall::seed::{self, DEFAULT_PASSWORD, SeedError, SeedOptions};

backend_tests!(
    seed_fills_an_empty_database_once,
    a_seed_killed_while_loading_memberships_leaves_the_schema_whole,
);

async fn seed_fills_an_empty_database_once(b: Backend) {
    let app = spawn_app(b).await;
    let opts = SeedOptions {
        users: 300,
        links: app.state.links.clone(),
    };
    let schema = schema_objects(&app);
    assert!(
        schema.len() > 20,
        "indexes, keys and triggers read: {schema:?}"
    );
    let report = app.db(|c| seed::seed(c, &opts, true)).expect("seed");
    // On PostgreSQL the big tables load without their indexes, keys and
    // count trigger: all are back, the same as the migrations made them.
    let after = schema_objects(&app);
    let missing: Vec<&String> = schema.iter().filter(|d| !after.contains(d)).collect();
    let extra: Vec<&String> = after.iter().filter(|d| !schema.contains(d)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing after the seed: {missing:?}; new: {extra:?}"
    );
    // 300 users besides alice, bob and carol; 30 groups, `big` and `big-team`.
    assert_eq!(app.count("users") as u64, 303);
    assert_eq!(report.groups, 32);
    assert_eq!(app.count("groups") as u64, report.groups);
    assert_eq!(app.count("memberships") as u64, report.memberships);
    let in_big: i64 = app.db(|c| {
        memberships::table
            .inner_join(groups::table)
            .filter(groups::slug.eq("big"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(in_big, 303);
    // Each group's kept member count is its number of members.
    type Counts = Vec<(i64, i64)>;
    let (kept, counted): (Counts, Counts) = app.db(|c| {
        let kept = groups::table
            .order(groups::id)
            .select((groups::id, groups::member_count))
            .load(c)
            .unwrap();
        let counted = memberships::table
            .group_by(memberships::group_id)
            .order(memberships::group_id)
            .select((memberships::group_id, diesel::dsl::count_star()))
            .load(c)
            .unwrap();
        (kept, counted)
    });
    let kept: Vec<(i64, i64)> = kept.into_iter().filter(|k| k.1 != 0).collect();
    assert_eq!(kept, counted);
    assert!(kept.iter().any(|k| k.1 == 303), "big counts everyone");
    let bob = app.user_by_username("bob");
    let bobs: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq(bob.id))
            .filter(invitations::status.eq("pending"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(bobs, 20);
    // The accepters (carol, user1 … user15): one per group they are not in
    // (30 groups, each is in 9), for the accept benchmark, in id order from
    // 21; then one for every 20th of the others (15 of 300), as invitations
    // are spread in use.
    let accepters: Vec<String> = std::iter::once("carol".to_string())
        .chain((1..=15).map(|i| format!("user{i}")))
        .collect();
    assert_eq!(
        report.accept_invitations,
        accepters
            .iter()
            .map(|a| (a.clone(), 21))
            .collect::<Vec<_>>()
    );
    assert_eq!(report.invitations, 20 + 16 * 21 + 15);
    assert_eq!(app.count("invitations") as u64, report.invitations);
    let ids: Vec<i64> = accepters
        .iter()
        .map(|a| app.user_by_username(a).id)
        .collect();
    let theirs: Vec<(i64, i64)> = app.db(|c| {
        invitations::table
            .filter(invitations::invitee_user_id.eq_any(&ids))
            .filter(invitations::status.eq("pending"))
            .order(invitations::id)
            .select((
                invitations::id,
                invitations::invitee_user_id.assume_not_null(),
            ))
            .load(c)
            .unwrap()
    });
    let expected: Vec<(i64, i64)> = (21..)
        .zip(ids.iter().flat_map(|id| std::iter::repeat_n(*id, 21)))
        .collect();
    assert_eq!(theirs, expected, "ids 21 onwards, accepter by accepter");
    let others: Vec<(i64, i64, String)> = app.db(|c| {
        invitations::table
            .inner_join(groups::table)
            .filter(invitations::invitee_user_id.ne_all(ids.iter().copied().chain([bob.id])))
            .filter(invitations::status.eq("pending"))
            .select((
                invitations::invitee_user_id.assume_not_null(),
                groups::id,
                groups::slug,
            ))
            .load(c)
            .unwrap()
    });
    assert_eq!(others.len(), 15);
    let invitees: std::collections::HashSet<i64> = others.iter().map(|o| o.0).collect();
    assert_eq!(invitees.len(), 15, "one each");
    for (invitee, group, slug) in &others {
        // Not into the groups bench/run's invite workload sends into.
        assert!(
            ![
                "group-0", "group-1", "group-2", "group-3", "group-4", "group-5"
            ]
            .contains(&slug.as_str())
        );
        let member: i64 = app.db(|c| {
            memberships::table
                .filter(memberships::user_id.eq(invitee))
                .filter(memberships::group_id.eq(group))
                .count()
                .get_result(c)
                .unwrap()
        });
        assert_eq!(
            member, 0,
            "user {invitee} is invited into {slug}, a group they are not in"
        );
    }
    let seeded: i64 = app.db(|c| {
        users::table
            .filter(users::seeded.eq(true))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(seeded, 303);

    // A second run refuses and adds nothing.
    let again = app.db(|c| seed::seed(c, &opts, true));
    assert!(matches!(again, Err(SeedError::NotEmpty)));
    assert_eq!(app.count("users"), 303);

    // And they act: a membership of a group that does not exist is
    // refused; a new one is counted.
    let bad = app.db(|c| insert_membership(c, 999_999, bob.id));
    assert!(bad.is_err(), "the foreign key to groups holds");
    let group_1 = || {
        app.db(|c| {
            groups::table
                .find(1)
                .select(groups::member_count)
                .first::<i64>(c)
                .unwrap()
        })
    };
    let before = group_1();
    let carol = app.user_by_username("carol");
    app.db(|c| insert_membership(c, 1, carol.id))
        .expect("carol joins group 1");
    assert_eq!(group_1(), before + 1, "the member count trigger is on");

    // bob logs in with the documented password and sees his invitations;
    // big-team lists Big's members as inherited, 25 a page.
    app.login("bob", DEFAULT_PASSWORD).await;
    let inbox = app.get("/invitations").await;
    assert_eq!(inbox.status, 200);
    assert_eq!(
        texts(&inbox.body, "button")
            .iter()
            .filter(|t| *t == "Accept")
            .count(),
        20
    );
    let team = app.get("/groups/big-team/members").await;
    assert_eq!(team.status, 200);
    let access = texts(&team.body, "table.members td.access");
    assert_eq!(access.len(), 25);
    assert_eq!(access[0], "Direct; also through Big", "alice sorts first");
    assert!(access[1..].iter().all(|a| a == "Inherited from Big"));
}

/// `guildhall seed` killed with SIGKILL as soon as it says it loads the
/// memberships: on PostgreSQL that load (with the table's indexes, keys and
/// count trigger off) is one transaction, so none of it stays and the schema
/// is as the migrations made it; SQLite never alters the schema.
async fn a_seed_killed_while_loading_memberships_leaves_the_schema_whole(b: Backend) {
    use std::io::Read;
    let app = spawn_app(b).await;
    let schema = schema_objects(&app);
    let mut child = crate::cli::bin()
        .args(["seed", "--users", "40000"])
        .env("GUILDHALL_DATABASE_URL", &app.config.database_url)
        .env("GUILDHALL_DATA_DIR", &app.data_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut said = String::new();
    let mut buf = [0u8; 4096];
    while !said.contains("memberships") {
        let n = stderr.read(&mut buf).unwrap();
        assert!(n > 0, "seed ended before the memberships: {said}");
        said.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(app.count("users"), 40_003, "the users' load had committed");
    if b == Backend::Postgres {
        assert_eq!(
            app.count("memberships"),
            0,
            "the memberships' load rolled back"
        );
    }
    assert_eq!(schema_objects(&app), schema);
}

fn insert_membership(c: &mut guildhall::db::DbConn, group: i64, user: i64) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO memberships (group_id, user_id, role_id, username_key, joined_at, sort_key, name_key) \
         SELECT {group}, {user}, id, 'x', '2026-01-01 00:00:00', 'x', 'x' FROM roles ORDER BY id LIMIT 1"
    ))
    .execute(c)
}

/// Every index, foreign key and trigger of the schema, with its definition.
fn schema_objects(app: &TestApp) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Def {
        #[diesel(sql_type = diesel::sql_types::Text)]
        def: String,
    }
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT sql AS def FROM sqlite_master \
             WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY 1"
        }
        Backend::Postgres => {
            "SELECT def FROM ( \
               SELECT indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() \
               UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
                 FROM pg_constraint WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
               UNION ALL SELECT tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal \
             ) d ORDER BY 1"
        }
    };
    app.db(|c| diesel::sql_query(sql).load::<Def>(c).unwrap())
        .into_iter()
        .map(|d| d.def)
        .collect()
}
