//! `guildhall seed`: fills an empty database with a deterministic demo and
//! benchmark data set — users, groups, memberships (one group, `big`, holds
//! everyone), private messages and a few notifications.
//!
//! Every seeded user has the password [`DEFAULT_PASSWORD`] through one argon2
//! hash computed once (hashing per user would take hours) and is marked
//! `users.seeded`, so `serve` warns while such users exist.
//!
//! Speed comes from explicit ids (so memberships and messages need no
//! lookups) and thousands of rows per statement: on SQLite multi-row
//! INSERTs (under its 32,766 bound parameters) committed every
//! [`ROWS_PER_TX`] rows, with `synchronous=OFF`, foreign-key checks off and
//! a large page cache for this one connection only; on PostgreSQL COPY, with
//! the users' and memberships' secondary indexes and foreign keys built and
//! checked once after their load, in one transaction each (`pg_bulk`).
//!
//! Layout, for `--users N` (all derived from N, no random numbers):
//! - users: id 1 alice, 2 bob, 3 carol, then `user{i}` (id 4 + i) for i in 0..N;
//! - groups: `group-{i}` (id i + 1) for i in 0..max(N/10, 1), join methods and
//!   audiences in rotation; user j (id j + 1) created group j and is its
//!   GroupAdmin; then `big` (open), created by alice, its GroupAdmin, and
//!   `big-team`, a managed community inside `big` (alice its admin);
//! - memberships: every user is in `big` and in min(9, groups) other groups
//!   chosen by a stride, so 10 per user and ~90 members per group;
//! - conversations: min(N/2, 20,000) (at least 50), 1–4 messages each; bob is in
//!   the first 50, some of them unread;
//! - notifications: 30 each for alice, bob and carol;
//! - pending invitations: 20 for bob, up to 5,000 each for the accepters
//!   (carol, `user1` … `user15`), one for every 20th other user (see
//!   `seed_invitations`).

#[cfg(feature = "postgres")]
mod pg_bulk;

use crate::db::schema::{
    conversation_members, conversations, groups, memberships, messages, notifications, roles, users,
};
use crate::db::{DbConn, write_tx};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::io::Write;
use std::time::{Duration, Instant};
use time::PrimitiveDateTime;

/// The password of every seeded user (README and `guildhall seed --help` say so).
pub use crate::models::user::SEEDED_PASSWORD as DEFAULT_PASSWORD;

/// The users with names, before `user0`.
pub const NAMED_USERS: [&str; 3] = ["alice", "bob", "carol"];

/// Rows per transaction: big enough to amortise the commit, small enough to
/// keep the WAL and PostgreSQL's transaction state modest.
pub const ROWS_PER_TX: usize = 200_000;

#[derive(Clone)]
pub struct SeedOptions {
    pub users: u64,
    /// The server's link key, so seeded invitation links work on that server.
    pub links: crate::auth::links::LinkKey,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub conversations: u64,
    pub messages: u64,
    pub notifications: u64,
    pub invitations: u64,
    /// Of `invitations`, the accepters' (ids 21 onwards, in this order: the
    /// accept benchmark's), by username.
    pub accept_invitations: Vec<(String, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database is not empty (it has users or groups): seed only fills a fresh database")]
    NotEmpty,
    #[error("--users must be at least 1")]
    TooFew,
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("password hashing: {0}")]
    Hash(String),
}

/// Sizes derived from the number of users.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// All users, named ones included.
    users: u64,
    /// Regular groups (`group-{i}`), `big` not included.
    groups: u64,
    /// Regular groups per user.
    per_user: u64,
    /// Distance between a user's groups.
    step: u64,
    conversations: u64,
}

impl Plan {
    fn new(n: u64) -> Self {
        let users = n + NAMED_USERS.len() as u64;
        let groups = (n / 10).max(1);
        let per_user = groups.min(9);
        Plan {
            users,
            groups,
            per_user,
            // per_user distinct multiples of step stay below `groups`.
            step: (groups / per_user).max(1),
            conversations: (n / 2).clamp(50, 20_000),
        }
    }

    fn big_id(&self) -> i64 {
        self.groups as i64 + 1
    }

    /// The first group of user j. Users below `groups` start at their own
    /// group (they created it); the others are spread by a multiplier.
    fn first_group(&self, j: u64) -> u64 {
        (j + (j / self.groups) * 7919) % self.groups
    }

    /// The groups that user `who` is neither in nor the admin of, each once,
    /// from `group-{from}` (modulo their number) on and round: those with an
    /// admin (user g administers `group-{g}`).
    fn groups_outside(&self, who: u64, from: u64) -> impl Iterator<Item = u64> {
        let theirs: Vec<u64> = (0..self.per_user)
            .map(|k| (self.first_group(who) + k * self.step) % self.groups)
            .collect();
        let limit = self.groups.min(self.users);
        (0..limit)
            .map(move |i| (from + i) % limit)
            .filter(move |g| *g != who && !theirs.contains(g))
    }
}

fn username(j: u64) -> String {
    match NAMED_USERS.get(j as usize) {
        Some(n) => (*n).to_string(),
        None => format!("user{}", j - NAMED_USERS.len() as u64),
    }
}

fn base_time() -> PrimitiveDateTime {
    time::macros::datetime!(2026-01-01 00:00:00)
}

fn at(seconds: u64) -> PrimitiveDateTime {
    base_time() + Duration::from_secs(seconds)
}

#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
struct SeedUser<'a> {
    id: i64,
    username: String,
    username_key: String,
    email: String,
    email_key: String,
    first_name: &'a str,
    last_name: String,
    password_hash: &'a str,
    status: &'a str,
    is_site_admin: bool,
    email_verified_at: PrimitiveDateTime,
    approved_at: PrimitiveDateTime,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
    seeded: bool,
}

#[derive(Insertable)]
#[diesel(table_name = groups, treat_none_as_default_value = false)]
struct SeedGroup {
    id: i64,
    name: String,
    name_key: String,
    slug: String,
    description: String,
    join_method: &'static str,
    audience: &'static str,
    parent_id: Option<i64>,
    created_by: i64,
    created_at: PrimitiveDateTime,
    updated_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = memberships, treat_none_as_default_value = false)]
struct SeedMembership {
    group_id: i64,
    user_id: i64,
    role_id: i64,
    username_key: String,
    joined_at: PrimitiveDateTime,
    invited_by: Option<i64>,
    sort_key: String,
    name_key: String,
}

#[derive(Insertable)]
#[diesel(table_name = conversations, treat_none_as_default_value = false)]
struct SeedConversation {
    id: i64,
    subject: String,
    created_at: PrimitiveDateTime,
    last_message_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
struct SeedMessage {
    id: i64,
    conversation_id: i64,
    sender_id: Option<i64>,
    body: String,
    kind: Option<&'static str>,
    ref_id: Option<i64>,
    created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = conversation_members, treat_none_as_default_value = false)]
struct SeedConversationMember {
    conversation_id: i64,
    user_id: i64,
    other_user_id: Option<i64>,
    unread: bool,
    last_message_id: i64,
    last_read_at: Option<PrimitiveDateTime>,
    created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
struct SeedNotification {
    user_id: i64,
    kind: &'static str,
    text: String,
    link_path: Option<String>,
    created_at: PrimitiveDateTime,
    read_at: Option<PrimitiveDateTime>,
}

/// One multi-row INSERT on SQLite, one COPY on PostgreSQL, on the backend's
/// own connection (MultiConnection has neither).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::copy_from($table).from_insertable($rows).execute(c),
        }
    };
}

/// A `\r` progress line on stderr, redrawn at most ten times a second.
pub struct Progress {
    phase: &'static str,
    /// What is counted: "rows", or "steps" for work of a few long steps.
    unit: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last_draw: Instant,
    quiet: bool,
}

impl Progress {
    fn new(phase: &'static str, total: u64, quiet: bool) -> Self {
        Progress::counting("rows", phase, total, quiet)
    }

    fn steps(phase: &'static str, total: u64, quiet: bool) -> Self {
        Progress::counting("steps", phase, total, quiet)
    }

    fn counting(unit: &'static str, phase: &'static str, total: u64, quiet: bool) -> Self {
        let now = Instant::now();
        let mut p = Progress {
            phase,
            unit,
            total,
            done: 0,
            started: now,
            last_draw: now,
            quiet,
        };
        p.draw();
        p
    }

    fn add(&mut self, n: u64) {
        self.done += n;
        if self.last_draw.elapsed() >= Duration::from_millis(100) {
            self.draw();
        }
    }

    fn draw(&mut self) {
        self.last_draw = Instant::now();
        if self.quiet {
            return;
        }
        let pct = if self.total == 0 {
            100.0
        } else {
            self.done as f64 * 100.0 / self.total as f64
        };
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{:<14} {:>11}/{:<11} {:>5.1}%  {:>9.0} {}/s  {:>6.1}s",
            self.phase, self.done, self.total, pct, rate, self.unit, secs
        );
        let _ = err.flush();
    }

    fn finish(mut self) {
        self.draw();
        if !self.quiet {
            eprintln!();
        }
    }
}

/// Runs `load`, which fills `table`. On PostgreSQL in one transaction,
/// with the table's secondary indexes, foreign keys and `triggers` off
/// while it loads, put back after it, then `recount` run (the work of the
/// triggers, in one statement). See [`pg_bulk`].
fn bulk_load(
    conn: &mut DbConn,
    table: &'static str,
    triggers: &[&str],
    recount: &str,
    quiet: bool,
    load: impl FnOnce(&mut DbConn) -> Result<(), SeedError>,
) -> Result<(), SeedError> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(_) = conn {
        return write_tx(conn, |conn| {
            let stripped = pg_bulk::strip(pg(conn), table, triggers)?;
            load(conn)?;
            let mut p = Progress::steps("indexes", stripped.steps() as u64, quiet);
            stripped.restore(pg(conn), || p.add(1))?;
            p.finish();
            if !recount.is_empty() {
                conn.batch_execute(recount)?;
            }
            Ok(())
        });
    }
    let _ = (table, triggers, recount, quiet);
    load(conn)
}

#[cfg(feature = "postgres")]
fn pg(conn: &mut DbConn) -> &mut diesel::PgConnection {
    match conn {
        DbConn::Pg(c) => c,
        #[allow(unreachable_patterns)] // with only the postgres feature
        _ => unreachable!("called for PostgreSQL only"),
    }
}

/// Inserts rows made by `make(i)` for i in 0..total, `per_stmt` rows to a
/// statement, committing every [`ROWS_PER_TX`] rows.
fn insert_all<T, F, I>(
    conn: &mut DbConn,
    progress: &mut Progress,
    total: u64,
    per_stmt: usize,
    mut make: F,
    mut insert: I,
) -> Result<(), SeedError>
where
    F: FnMut(u64, &mut Vec<T>),
    I: FnMut(&mut DbConn, &[T]) -> QueryResult<usize>,
{
    let mut next = 0u64;
    let mut buf: Vec<T> = Vec::with_capacity(per_stmt + 16);
    while next < total {
        write_tx(conn, |c| -> Result<(), SeedError> {
            let mut in_tx = 0usize;
            while next < total && in_tx < ROWS_PER_TX {
                buf.clear();
                // `make` may push several rows for one i; stop at a full statement.
                while next < total && buf.len() < per_stmt {
                    make(next, &mut buf);
                    next += 1;
                }
                let n = insert(c, &buf)?;
                in_tx += n;
                progress.add(n as u64);
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn is_empty(conn: &mut DbConn) -> QueryResult<bool> {
    let any_user: bool =
        diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)?;
    let any_group: bool =
        diesel::select(diesel::dsl::exists(groups::table.select(groups::id))).get_result(conn)?;
    Ok(!any_user && !any_group)
}

fn role_id(conn: &mut DbConn, name: &str) -> QueryResult<i64> {
    roles::table
        .filter(roles::name_key.eq(crate::models::role::name_key(None, name)))
        .select(roles::id)
        .first(conn)
}

/// Fills the (empty) database behind `conn`. Progress goes to stderr unless `quiet`.
pub fn seed(conn: &mut DbConn, opts: &SeedOptions, quiet: bool) -> Result<SeedReport, SeedError> {
    if opts.users == 0 {
        return Err(SeedError::TooFew);
    }
    if !is_empty(conn)? {
        return Err(SeedError::NotEmpty);
    }
    let hash = crate::auth::password::hash(DEFAULT_PASSWORD)
        .map_err(|e| SeedError::Hash(e.to_string()))?;
    let admin_role = role_id(conn, crate::models::role::GROUP_ADMIN)?;
    let member_role = role_id(conn, crate::models::role::GROUP_MEMBER)?;
    let plan = Plan::new(opts.users);

    tune_for_bulk(conn, true)?;
    let result = seed_rows(conn, &plan, &hash, admin_role, member_role, quiet);
    tune_for_bulk(conn, false)?;
    let mut report = result?;
    (report.invitations, report.accept_invitations) =
        seed_invitations(conn, &plan, member_role, &opts.links, quiet)?;

    if !quiet {
        eprintln!("analysing…");
    }
    analyse(conn)?;
    seed_community(conn, &plan, admin_role, &mut report)?;
    Ok(report)
}

/// `big-team`, a managed community inside `big`: everyone reaches it
/// through `big` (the inherited-members benchmark); alice is its own admin.
/// Inserted after the sequences moved past the explicit ids.
fn seed_community(
    conn: &mut DbConn,
    plan: &Plan,
    admin_role: i64,
    report: &mut SeedReport,
) -> Result<(), SeedError> {
    use crate::models::group::{self, NewGroup};
    let t = at(plan.users + plan.groups + 1);
    write_tx(conn, |c| -> Result<(), SeedError> {
        let id = group::insert(
            c,
            &NewGroup {
                name: "Big Team",
                name_key: "big team".into(),
                slug: "big-team",
                description: "A managed community of Big: its members are Big's.",
                join_method: "invite_only",
                audience: "internal",
                parent_id: Some(plan.big_id()),
                created_by: 1,
                created_at: t,
                updated_at: t,
                account_id: None,
            },
        )?;
        crate::services::groups::add_member(c, id, 1, admin_role, None, t)?;
        Ok(())
    })?;
    report.groups += 1;
    report.memberships += 1;
    Ok(())
}

fn seed_rows(
    conn: &mut DbConn,
    plan: &Plan,
    hash: &str,
    admin_role: i64,
    member_role: i64,
    quiet: bool,
) -> Result<SeedReport, SeedError> {
    let mut report = SeedReport::default();

    // Users: 15 columns, 2,000 rows = 30,000 parameters.
    bulk_load(conn, "users", &[], "", quiet, |conn| {
        let mut p = Progress::new("users", plan.users, quiet);
        insert_all(
            conn,
            &mut p,
            plan.users,
            2_000,
            |j, buf| {
                let name = username(j);
                let (first_name, last_name) = seed_name(j);
                let t = at(j);
                buf.push(SeedUser {
                    id: j as i64 + 1,
                    email: format!("{name}@example.com"),
                    email_key: format!("{name}@example.com"),
                    username_key: name.clone(),
                    first_name,
                    last_name,
                    username: name,
                    password_hash: hash,
                    status: "active",
                    is_site_admin: false,
                    email_verified_at: t,
                    approved_at: t,
                    created_at: t,
                    updated_at: t,
                    seeded: true,
                });
            },
            |c, rows| insert_rows!(c, users::table, rows),
        )?;
        p.finish();
        Ok(())
    })?;
    report.users = plan.users;

    // Groups, then `big`.
    const JOIN: [&str; 3] = ["open", "request", "invite_only"];
    const AUDIENCE: [&str; 3] = ["client", "partner", "internal"];
    let mut p = Progress::new("groups", plan.groups + 1, quiet);
    let groups_total = plan.groups + 1;
    let big = plan.big_id();
    insert_all(
        conn,
        &mut p,
        groups_total,
        2_000,
        |i, buf| {
            let t = at(plan.users + i);
            if i == plan.groups {
                buf.push(SeedGroup {
                    id: big,
                    name: "Big".into(),
                    name_key: "big".into(),
                    slug: "big".into(),
                    description: "Every seeded user is a member of this group.".into(),
                    join_method: "open",
                    audience: "internal",
                    parent_id: None,
                    created_by: 1,
                    created_at: t,
                    updated_at: t,
                });
            } else {
                buf.push(SeedGroup {
                    id: i as i64 + 1,
                    name: format!("Group {i}"),
                    name_key: format!("group {i}"),
                    slug: format!("group-{i}"),
                    description: format!("Seeded group number {i}."),
                    join_method: JOIN[(i % 3) as usize],
                    audience: AUDIENCE[((i / 3) % 3) as usize],
                    parent_id: None,
                    // User j created group j (there are fewer groups than users).
                    created_by: (i % plan.users) as i64 + 1,
                    created_at: t,
                    updated_at: t,
                });
            }
        },
        |c, rows| insert_rows!(c, groups::table, rows),
    )?;
    p.finish();
    report.groups = groups_total;
    // Seeded groups are all top-level: each is its own only ancestor.
    {
        use crate::db::schema::group_ancestors as ga;
        use diesel::sql_types::Integer;
        diesel::insert_into(ga::table)
            .values(groups::table.select((groups::id, groups::id, 0.into_sql::<Integer>())))
            .into_columns((ga::group_id, ga::ancestor_id, ga::depth))
            .execute(conn)?;
    }

    // Memberships: per user, `per_user` groups and `big`. 8 columns, 3,900
    // rows (and the few of a last user) stay under SQLite's 32,766
    // parameters. Generated user by user, so one user's rows land together
    // in the (user_id, group_id) index.
    let per_user = plan.per_user + 1;
    let total = plan.users * per_user;
    // The kept member counts are set once at the end on PostgreSQL, not
    // by the trigger 10 times per user.
    const RECOUNT: &str = "UPDATE groups g SET member_count = m.n \
         FROM (SELECT group_id, COUNT(*) AS n FROM memberships GROUP BY group_id) m \
         WHERE g.id = m.group_id";
    bulk_load(
        conn,
        "memberships",
        &["memberships_count"],
        RECOUNT,
        quiet,
        |conn| {
            let mut p = Progress::new("memberships", total, quiet);
            insert_all(
                conn,
                &mut p,
                plan.users,
                3_900,
                |j, buf| {
                    let key = username(j);
                    let (first, last) = seed_name(j);
                    let (sort_key, name_key) = (
                        crate::domain::sort_key(first, &last),
                        crate::domain::name_key(first, &last),
                    );
                    let user_id = j as i64 + 1;
                    let joined = at(plan.users + plan.groups + j);
                    let first = plan.first_group(j);
                    for k in 0..plan.per_user {
                        let g = (first + k * plan.step) % plan.groups;
                        let admin = k == 0 && j < plan.groups;
                        buf.push(SeedMembership {
                            group_id: g as i64 + 1,
                            user_id,
                            role_id: if admin { admin_role } else { member_role },
                            username_key: key.clone(),
                            joined_at: joined,
                            invited_by: None,
                            sort_key: sort_key.clone(),
                            name_key: name_key.clone(),
                        });
                    }
                    buf.push(SeedMembership {
                        group_id: big,
                        user_id,
                        role_id: if j == 0 { admin_role } else { member_role },
                        username_key: key,
                        joined_at: joined,
                        invited_by: None,
                        sort_key,
                        name_key,
                    });
                },
                |c, rows| insert_rows!(c, memberships::table, rows),
            )?;
            p.finish();
            Ok(())
        },
    )?;
    report.memberships = total;

    report.conversations = plan.conversations;
    report.messages = seed_conversations(conn, plan, quiet)?;
    report.notifications = seed_notifications(conn, quiet)?;
    Ok(report)
}

/// User `j`'s first and last name: "Demo Alice" for the named ones,
/// "User 17" for the rest.
fn seed_name(j: u64) -> (&'static str, String) {
    if (j as usize) < NAMED_USERS.len() {
        ("Demo", capitalise(&username(j)))
    } else {
        ("User", (j - NAMED_USERS.len() as u64).to_string())
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The two people of conversation c (user indexes, distinct). Bob (j = 1)
/// starts the first 50.
fn conversation_pair(plan: &Plan, c: u64) -> (u64, u64) {
    let u = plan.users;
    if c < 50 {
        // u ≥ 4 (the named users and at least one more): b is in 2..u.
        (1, 2 + (c * 97) % (u - 2))
    } else {
        let a = (c * 7919 + 11) % u;
        let b = (a + 1 + (c * 31) % (u - 1)) % u;
        (a, b)
    }
}

fn messages_in(c: u64) -> u64 {
    1 + c % 4
}

/// Conversations with their messages and member rows; returns the message count.
fn seed_conversations(conn: &mut DbConn, plan: &Plan, quiet: bool) -> Result<u64, SeedError> {
    let t0 = plan.users * 2 + plan.groups;
    let n = plan.conversations;
    // Message ids are dense in conversation order: the first id of each.
    let mut firsts = Vec::with_capacity(n as usize);
    let mut next_id = 1u64;
    for c in 0..n {
        firsts.push(next_id);
        next_id += messages_in(c);
    }
    let messages_total = next_id - 1;
    let msg_time = |id: u64| at(t0 + id * 60);

    let mut p = Progress::new("conversations", n, quiet);
    insert_all(
        conn,
        &mut p,
        n,
        5_000,
        |c, buf| {
            let last = firsts[c as usize] + messages_in(c) - 1;
            buf.push(SeedConversation {
                id: c as i64 + 1,
                subject: format!("Conversation {c}"),
                created_at: msg_time(firsts[c as usize]),
                last_message_at: msg_time(last),
            });
        },
        |c, rows| insert_rows!(c, conversations::table, rows),
    )?;
    p.finish();

    let mut p = Progress::new("messages", messages_total, quiet);
    insert_all(
        conn,
        &mut p,
        n,
        4_000,
        |c, buf| {
            let (a, b) = conversation_pair(plan, c);
            for k in 0..messages_in(c) {
                let id = firsts[c as usize] + k;
                let sender = if k.is_multiple_of(2) { a } else { b };
                buf.push(SeedMessage {
                    id: id as i64,
                    conversation_id: c as i64 + 1,
                    sender_id: Some(sender as i64 + 1),
                    body: format!(
                        "Message {} of conversation {c}, from {}.",
                        k + 1,
                        username(sender)
                    ),
                    kind: None,
                    ref_id: None,
                    created_at: msg_time(id),
                });
            }
        },
        |c, rows| insert_rows!(c, messages::table, rows),
    )?;
    p.finish();

    let mut p = Progress::new("participants", n * 2, quiet);
    insert_all(
        conn,
        &mut p,
        n,
        4_000,
        |c, buf| {
            let (a, b) = conversation_pair(plan, c);
            let count = messages_in(c);
            let last = firsts[c as usize] + count - 1;
            let last_sender = if (count - 1).is_multiple_of(2) { a } else { b };
            for (me, other) in [(a, b), (b, a)] {
                let unread = me != last_sender;
                buf.push(SeedConversationMember {
                    conversation_id: c as i64 + 1,
                    user_id: me as i64 + 1,
                    other_user_id: Some(other as i64 + 1),
                    unread,
                    last_message_id: last as i64,
                    last_read_at: (!unread).then(|| msg_time(last)),
                    created_at: msg_time(firsts[c as usize]),
                });
            }
        },
        |c, rows| insert_rows!(c, conversation_members::table, rows),
    )?;
    p.finish();
    Ok(messages_total)
}

/// 30 notifications for each named user, the older half read.
fn seed_notifications(conn: &mut DbConn, quiet: bool) -> Result<u64, SeedError> {
    const EACH: u64 = 30;
    let total = EACH * NAMED_USERS.len() as u64;
    let mut p = Progress::new("notifications", total, quiet);
    insert_all(
        conn,
        &mut p,
        total,
        1_000,
        |i, buf| {
            let t = at(i);
            buf.push(SeedNotification {
                user_id: (i / EACH) as i64 + 1,
                kind: "seed",
                text: format!("Seeded notification {}.", i % EACH + 1),
                link_path: Some("/groups/big".into()),
                created_at: t,
                read_at: (i % EACH < EACH / 2).then_some(t),
            });
        },
        |c, rows| insert_rows!(c, notifications::table, rows),
    )?;
    p.finish();
    Ok(total)
}

/// SQLite: no fsync, no foreign-key lookups and a 1 GiB cache for this
/// connection while seeding (the data is consistent by construction).
/// PostgreSQL: asynchronous commit for this session.
fn tune_for_bulk(conn: &mut DbConn, on: bool) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => c.batch_execute(if on {
            "PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; \
             PRAGMA cache_size = -1048576; PRAGMA temp_store = MEMORY;"
        } else {
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -2000; PRAGMA wal_checkpoint(TRUNCATE);"
        }),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => c.batch_execute(if on {
            "SET synchronous_commit = off"
        } else {
            "SET synchronous_commit = on"
        }),
    }
}

/// Ids were given explicitly: move PostgreSQL's sequences past them. Then
/// refresh the planner's statistics (realistic spreads choose the indexes);
/// on PostgreSQL also VACUUM: freshly loaded tables have no visibility map,
/// so index-only scans read the heap until autovacuum comes by (during the
/// first minutes of a benchmark, as measured).
fn analyse(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => c.batch_execute("PRAGMA analysis_limit = 1000; ANALYZE;"),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            for t in ["users", "groups", "conversations", "messages"] {
                c.batch_execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), \
                     (SELECT COALESCE(MAX(id), 1) FROM {t}))"
                ))?;
            }
            c.batch_execute("VACUUM (ANALYZE)")
        }
    }
}

/// Pending invitations: bob's 20 (the inbox benchmark), each accepter's
/// (up to [`ACCEPT_INVITATIONS_EACH`]: one to accept per request of the
/// accept benchmark), then one for every [`SPREAD`]th other user, as open
/// invitations are spread in use: PostgreSQL's statistics then expect a few
/// per person, not the thousands of the benchmark users, and it keeps
/// one plan for everyone's inbox instead of planning it on every request.
/// Each goes into a group its invitee is not in, from the group's admin
/// (user j administers `group-{j}` for j below the number of groups).
fn seed_invitations(
    conn: &mut DbConn,
    plan: &Plan,
    member_role: i64,
    links: &crate::auth::links::LinkKey,
    quiet: bool,
) -> Result<(u64, Vec<(String, u64)>), SeedError> {
    let named = |who: u64, count: u64| {
        plan.groups_outside(who, 0)
            .take(count as usize)
            .map(move |g| (who, g))
    };
    let accepters: Vec<u64> = ACCEPTERS
        .into_iter()
        .filter(|who| *who < plan.users)
        .collect();
    let spread = (NAMED_USERS.len() as u64..plan.users)
        .step_by(SPREAD as usize)
        .filter(|who| !accepters.contains(who))
        .filter_map(|who| {
            // A different group for each, mostly: start at a point that moves with `who`.
            plan.groups_outside(who, who * 7)
                .find(|g| *g >= SPREAD_FROM_GROUP)
                .map(|g| (who, g))
        });
    let mut all: Vec<(u64, u64)> = named(1, 20).collect();
    let mut accepted = Vec::with_capacity(accepters.len());
    for &who in &accepters {
        let before = all.len();
        all.extend(named(who, ACCEPT_INVITATIONS_EACH));
        accepted.push((username(who), (all.len() - before) as u64));
    }
    all.extend(spread);
    let mut progress = Progress::new("invitations", all.len() as u64, quiet);
    insert_invitations(conn, plan, &all, member_role, links, &mut progress)?;
    progress.finish();
    Ok((all.len() as u64, accepted))
}

/// The accept benchmark's invitees (user j is `username(j)`): carol and
/// `user1` … `user15`, so that it does not run out within its two seconds
/// at 10,000 users (each is outside about 990 groups then: 15,856 in all).
pub const ACCEPTERS: [u64; 16] = [2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

/// Each accepter's pending invitations, at most (fewer groups, fewer
/// invitations).
pub const ACCEPT_INVITATIONS_EACH: u64 = 5_000;

/// One user in this many (past the named ones) has an open invitation.
const SPREAD: u64 = 20;

/// The first groups (`group-0` … `group-5`) are the ones `bench/run`'s
/// invite workload sends into: the spread invitations stay out of them.
const SPREAD_FROM_GROUP: u64 = 6;

/// Pending invitations, one per (invitee, group) of `pairs`, 1,000 to a
/// statement (16 columns), then each one's "sent" event by its inviter,
/// all in one statement (the table was empty), in one transaction.
fn insert_invitations(
    conn: &mut DbConn,
    plan: &Plan,
    pairs: &[(u64, u64)],
    member_role: i64,
    links: &crate::auth::links::LinkKey,
    progress: &mut Progress,
) -> Result<(), SeedError> {
    use crate::db::schema::{invitation_events as ev, invitations as inv};
    use crate::models::invitation::NewInvitation;
    use diesel::sql_types::Text;
    let sent = at(plan.users * 3);
    // Far ahead, so the demo data does not expire under a benchmark.
    let expires = at(plan.users * 3 + 10 * 365 * 86_400);
    write_tx(conn, |c| -> Result<(), SeedError> {
        for chunk in pairs.chunks(1_000) {
            let made: Vec<(String, String, String)> = chunk
                .iter()
                .map(|(who, _)| {
                    let (nonce, _token, hash) = links.fresh();
                    (format!("{}@example.com", username(*who)), nonce, hash)
                })
                .collect();
            let rows: Vec<NewInvitation> = chunk
                .iter()
                .zip(&made)
                .map(|((who, g), (email, nonce, hash))| NewInvitation {
                    group_id: *g as i64 + 1,
                    inviter_id: *g as i64 + 1,
                    invitee_user_id: Some(*who as i64 + 1),
                    invitee_email: email,
                    invitee_email_key: email,
                    role_id: member_role,
                    message: Some("Seeded invitation: come and join us."),
                    status: crate::domain::InvitationStatus::Pending,
                    link_nonce: nonce,
                    token_hash: hash,
                    created_at: sent,
                    sent_at: sent,
                    expires_at: expires,
                    batch_id: None,
                    last_mail_id: None,
                    tell_inviter: false,
                })
                .collect();
            crate::native!(c, |c| diesel::insert_into(inv::table)
                .values(&rows)
                .execute(c))?;
            progress.add(chunk.len() as u64);
        }
        diesel::insert_into(ev::table)
            .values(inv::table.select((
                inv::id,
                "sent".into_sql::<Text>(),
                inv::inviter_id.nullable(),
                inv::sent_at,
            )))
            .into_columns((ev::invitation_id, ev::kind, ev::actor_id, ev::created_at))
            .execute(c)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_has_distinct_groups() {
        for n in [1u64, 5, 89, 90, 100, 1000, 10_000, 123_457] {
            let plan = Plan::new(n);
            for j in (0..plan.users).step_by(((plan.users / 500) as usize).max(1)) {
                let first = plan.first_group(j);
                let mut gs: Vec<u64> = (0..plan.per_user)
                    .map(|k| (first + k * plan.step) % plan.groups)
                    .collect();
                gs.sort();
                gs.dedup();
                assert_eq!(gs.len() as u64, plan.per_user, "n={n} j={j}");
            }
            for j in 0..plan.groups.min(plan.users) {
                assert_eq!(plan.first_group(j), j, "user j created group j");
            }
        }
    }

    #[test]
    fn conversation_pairs_are_two_people() {
        for n in [1u64, 2, 100, 10_000] {
            let plan = Plan::new(n);
            for c in 0..plan.conversations {
                let (a, b) = conversation_pair(&plan, c);
                assert_ne!(a, b, "n={n} c={c}");
                assert!(a < plan.users && b < plan.users);
            }
        }
    }
}
