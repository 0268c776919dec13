use crate::db::DbConn;
use crate::db::schema::{group_ancestors as ga, groups, memberships, roles, users};
use crate::domain::Permission;
use crate::models::Group;
use crate::models::role::{self, Role};
use diesel::prelude::*;
use time::PrimitiveDateTime;

diesel::alias!(users as inviters: InvitersAlias);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: i64,
    pub group_id: i64,
    pub user_id: i64,
    pub role_id: i64,
    pub username_key: String,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub joined_at: PrimitiveDateTime,
    pub invited_by: Option<i64>,
}

/// `treat_none_as_default_value = false` writes NULL for a missing inviter,
/// which lets SQLite take many rows in one INSERT (it has no DEFAULT keyword).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = memberships, treat_none_as_default_value = false)]
pub struct NewMembership {
    pub group_id: i64,
    pub user_id: i64,
    pub role_id: i64,
    pub username_key: String,
    pub joined_at: PrimitiveDateTime,
    pub invited_by: Option<i64>,
    /// `domain::sort_key` of the member's name (the members page's order).
    pub sort_key: String,
    /// `domain::name_key` of the member's name (what its search matches).
    pub name_key: String,
}

/// The copies of a user's name and username a membership carries, so that
/// the members page sorts and searches one table along one index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberKeys {
    pub username_key: String,
    pub sort_key: String,
    pub name_key: String,
}

impl MemberKeys {
    /// `handle_key`: the username key, or the e-mail key of a contact
    /// without a username.
    pub fn new(handle_key: &str, first: &str, last: &str) -> Self {
        // Someone without a name sorts by their handle: an empty key would
        // also read as "not keyed yet" at every start.
        let mut sort_key = crate::domain::sort_key(first, last);
        if sort_key.is_empty() {
            sort_key = crate::domain::sort_key(handle_key, "");
        }
        MemberKeys {
            username_key: handle_key.to_string(),
            sort_key,
            name_key: crate::domain::name_key(first, last),
        }
    }
}

impl NewMembership {
    pub fn new(
        group_id: i64,
        user_id: i64,
        role_id: i64,
        keys: MemberKeys,
        joined_at: PrimitiveDateTime,
        invited_by: Option<i64>,
    ) -> Self {
        let MemberKeys {
            username_key,
            sort_key,
            name_key,
        } = keys;
        NewMembership {
            group_id,
            user_id,
            role_id,
            username_key,
            joined_at,
            invited_by,
            sort_key,
            name_key,
        }
    }
}

pub fn insert(conn: &mut DbConn, new: &NewMembership) -> QueryResult<usize> {
    diesel::insert_into(memberships::table)
        .values(new)
        .execute(conn)
}

/// Inserts `new` unless its user is a member of its group already, with
/// `audit` (the line that says why) only then. None when they were a
/// member; else whether any webhook is above the group (on SQLite: true,
/// the caller asks). On PostgreSQL one statement: the unique index
/// decides, a concurrent insert of the same member waits for it.
pub fn insert_unless_member(
    conn: &mut DbConn,
    new: &NewMembership,
    audit: &crate::models::audit::NewAuditEvent<'_>,
) -> QueryResult<Option<bool>> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
        #[derive(QueryableByName)]
        struct Added {
            #[diesel(sql_type = Bool)]
            hooked: bool,
        }
        let member = (
            new.group_id.into_sql::<BigInt>(),
            new.user_id.into_sql::<BigInt>(),
            new.role_id.into_sql::<BigInt>(),
            new.username_key.as_str().into_sql::<Text>(),
            new.joined_at.into_sql::<Timestamp>(),
            new.invited_by.into_sql::<Nullable<BigInt>>(),
            new.sort_key.as_str().into_sql::<Text>(),
            new.name_key.as_str().into_sql::<Text>(),
        );
        let line = (
            audit.actor_id.into_sql::<BigInt>(),
            audit.subject_user_id.into_sql::<Nullable<BigInt>>(),
            audit.account_id.into_sql::<Nullable<BigInt>>(),
            audit.group_id.into_sql::<Nullable<BigInt>>(),
            audit.kind.into_sql::<Text>(),
            audit.detail.into_sql::<Text>(),
            audit.created_at.into_sql::<Timestamp>(),
        );
        let q = crate::db::Sql::new(
            concat!(
                "WITH ins AS (INSERT INTO memberships (group_id, user_id, role_id, username_key, \
                joined_at, invited_by, sort_key, name_key) VALUES (?) \
                ON CONFLICT (group_id, user_id) DO NOTHING RETURNING group_id), \
             a AS (INSERT INTO audit_events \
                (actor_id, subject_user_id, account_id, group_id, kind, detail, created_at) \
                SELECT * FROM (VALUES (?)) v WHERE EXISTS (SELECT 1 FROM ins)) \
             SELECT ",
                crate::models::webhook::hooked_sql!("ins.group_id"),
                " AS hooked FROM ins"
            ),
            (member, line),
        );
        return Ok(q.get_result::<Added>(pg).optional()?.map(|a| a.hooked));
    }
    if find_with_role(conn, new.group_id, new.user_id)?.is_some() {
        return Ok(None);
    }
    insert(conn, new)?;
    crate::models::audit::record(conn, audit)?;
    Ok(Some(true))
}

/// Many memberships in one statement (seeding, bulk adds). MultiConnection
/// has no batch insert, so this goes to the backend's own connection.
pub fn insert_many(conn: &mut DbConn, rows: &[NewMembership]) -> QueryResult<usize> {
    let mut done = 0;
    // Stay well below both backends' limits on bound parameters.
    for chunk in rows.chunks(1000) {
        done += match conn {
            #[cfg(feature = "sqlite")]
            DbConn::Sqlite(c) => diesel::insert_into(memberships::table)
                .values(chunk)
                .execute(c)?,
            #[cfg(feature = "postgres")]
            DbConn::Pg(c) => diesel::insert_into(memberships::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(done)
}

/// The keys a membership of `user_id` carries, read from `users` so they
/// are the stored values.
pub fn keys_of(conn: &mut DbConn, user_id: i64) -> QueryResult<MemberKeys> {
    let (u, e, first, last): (Option<String>, String, String, String) = users::table
        .find(user_id)
        .select((
            users::username_key,
            users::email_key,
            users::first_name,
            users::last_name,
        ))
        .first(conn)?;
    Ok(MemberKeys::new(u.as_deref().unwrap_or(&e), &first, &last))
}

/// What adding a user to a group needs of them: their company account and
/// its kind (for `policy::may_enter_group_given`) and the keys their
/// membership carries.
pub struct Joiner {
    pub account_id: Option<i64>,
    pub account_kind: Option<crate::domain::AccountKind>,
    pub keys: MemberKeys,
}

/// [`Joiner`] of `user_id`, in one statement.
pub fn joiner(conn: &mut DbConn, user_id: i64) -> QueryResult<Joiner> {
    use crate::db::schema::company_accounts;
    type Row = (
        Option<i64>,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
    );
    let (account_id, kind, u, e, first, last): Row = crate::native!(conn, |c| users::table
        .left_join(company_accounts::table)
        .filter(users::id.eq(user_id))
        .select((
            users::account_id,
            company_accounts::kind.nullable(),
            users::username_key,
            users::email_key,
            users::first_name,
            users::last_name,
        ))
        .first(c))?;
    Ok(Joiner {
        account_id,
        account_kind: kind.and_then(|k| crate::domain::AccountKind::parse(&k).ok()),
        keys: MemberKeys::new(u.as_deref().unwrap_or(&e), &first, &last),
    })
}

/// Writes the user's current keys into every membership of theirs: call it
/// in the transaction that changes their name or username.
pub fn rekey_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    let k = keys_of(conn, user_id)?;
    diesel::update(memberships::table.filter(memberships::user_id.eq(user_id)))
        .set((
            memberships::username_key.eq(k.username_key),
            memberships::sort_key.eq(k.sort_key),
            memberships::name_key.eq(k.name_key),
        ))
        .execute(conn)
}

/// Memberships made before the name keys existed (`sort_key` empty): up
/// to `limit` of them after `after_id`, with their member's keys. A literal `''`, not a
/// bind, so both databases use the partial index `memberships_unkeyed`.
pub fn unkeyed(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, MemberKeys)>> {
    let rows: Vec<(i64, Option<String>, String, String, String)> = memberships::table
        .inner_join(users::table)
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "memberships.sort_key = ''",
        ))
        .filter(memberships::id.gt(after_id))
        .order(memberships::id)
        .limit(limit)
        .select((
            memberships::id,
            users::username_key,
            users::email_key,
            users::first_name,
            users::last_name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, u, e, first, last)| {
            (
                id,
                MemberKeys::new(u.as_deref().unwrap_or(&e), &first, &last),
            )
        })
        .collect())
}

pub fn set_keys(conn: &mut DbConn, id: i64, k: &MemberKeys) -> QueryResult<usize> {
    diesel::update(memberships::table.find(id))
        .set((
            memberships::sort_key.eq(&k.sort_key),
            memberships::name_key.eq(&k.name_key),
        ))
        .execute(conn)
}

/// The user's membership of the group and its role, in one query.
pub fn find_with_role(
    conn: &mut DbConn,
    group_id: i64,
    user_id: i64,
) -> QueryResult<Option<(Membership, Role)>> {
    crate::native!(conn, |c| memberships::table
        .inner_join(roles::table)
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::user_id.eq(user_id))
        .select((Membership::as_select(), Role::as_select()))
        .first(c)
        .optional())
}

/// One row per community on the way from the group (by slug) up to the top:
/// the group, that community's id, its depth (0 = the group itself) and the
/// user's membership there with its role, if any. One query: this is every
/// page's access check.
#[allow(clippy::type_complexity)] // one row of a join, used in one place
pub fn along_path(
    conn: &mut DbConn,
    slug: &str,
    user_id: i64,
) -> QueryResult<Vec<(Group, i64, i32, Option<Membership>, Option<Role>)>> {
    crate::native!(conn, |c| groups::table
        .inner_join(ga::table.on(ga::group_id.eq(groups::id)))
        .left_join(
            memberships::table.on(memberships::group_id
                .eq(ga::ancestor_id)
                .and(memberships::user_id.eq(user_id))),
        )
        .left_join(roles::table.on(roles::id.eq(memberships::role_id)))
        .filter(groups::slug.eq(slug))
        .order(ga::depth)
        .select((
            Group::as_select(),
            ga::ancestor_id,
            ga::depth,
            Option::<Membership>::as_select(),
            Option::<Role>::as_select(),
        ))
        .load(c))
}

pub fn set_role(conn: &mut DbConn, id: i64, role_id: i64) -> QueryResult<usize> {
    diesel::update(memberships::table.find(id))
        .set(memberships::role_id.eq(role_id))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(memberships::table.find(id)).execute(conn)
}

/// How many members of the group hold `p` there.
pub fn count_holding(conn: &mut DbConn, group_id: i64, p: Permission) -> QueryResult<i64> {
    memberships::table
        .inner_join(roles::table)
        .filter(memberships::group_id.eq(group_id))
        .filter(roles::permissions.like(role::permission_pattern(p)))
        .count()
        .get_result(conn)
}

/// Up to `limit` members of `group_ids` holding `p` (e.g. who hears of a
/// join request: the group's and its communities' member managers).
pub fn user_ids_holding(
    conn: &mut DbConn,
    group_ids: &[i64],
    p: Permission,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    memberships::table
        .inner_join(roles::table)
        .filter(memberships::group_id.eq_any(group_ids))
        .filter(roles::permissions.like(role::permission_pattern(p)))
        .order(memberships::id)
        .limit(limit)
        .select(memberships::user_id)
        .load(conn)
}

/// One line of a members list.
#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub user_id: i64,
    pub sort_key: String,
    pub username_key: String,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub joined_at: PrimitiveDateTime,
    pub role_id: i64,
    pub role_name: String,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: String,
    /// The group the membership is in (a community above, when inherited).
    pub group_id: i64,
    /// Who invited them, when they came by invitation.
    pub invited_by: Option<String>,
    /// The name of `group_id`: "Inherited from Main".
    pub group_name: String,
}

impl MemberRow {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    pub fn handle(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.username_key)
    }
    /// The keyset cursor of this row: `<sort_key>:<user_id>`.
    pub fn cursor(&self) -> String {
        format!("{}:{}", self.sort_key, self.user_id)
    }
}

/// Parses a cursor made by `MemberRow::cursor`. The key may itself contain
/// ':' (a name may), the id cannot, so split at the last one.
pub fn parse_cursor(s: &str) -> Option<(String, i64)> {
    let (key, id) = s.rsplit_once(':')?;
    Some((key.to_string(), id.parse().ok()?))
}

/// Which memberships of one group a members page reads.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Only holders of this role.
    pub role_id: Option<i64>,
    /// Name or username containing this (cut and lower-cased by the caller
    /// or not: `db::like_contains` does both).
    pub q: Option<String>,
    /// `(group, depth)`: leave out people who also belong to `group` or to
    /// a community above it less than `depth` steps up (a nearer
    /// membership, which is the one the list shows for them).
    pub nearer_than: Option<(i64, i32)>,
}

/// A group id as a value the planner does not see (see `page`).
struct UnseenGroup;

impl crate::db::ColumnText for UnseenGroup {
    const TEXT: &'static str = "(SELECT ?)";
    type SqlType = diesel::sql_types::BigInt;
}

/// Members by name (natural order), `limit` after the cursor. It walks the
/// index (group_id, sort_key, user_id), or (group_id, role_id, sort_key,
/// user_id) for one role, from the cursor, so page 100 costs what page 1
/// does; users, roles and the group are joined by primary key for the
/// names. A search
/// filters the same walk on the row's own keys.
pub fn page(
    conn: &mut DbConn,
    group_id: i64,
    f: &MemberFilter,
    after: Option<(&str, i64)>,
    limit: i64,
) -> QueryResult<Vec<MemberRow>> {
    let mut q = memberships::table
        .inner_join(users::table)
        .inner_join(roles::table)
        .inner_join(groups::table)
        .left_join(inviters.on(memberships::invited_by.eq(inviters.field(users::id).nullable())))
        // The group as `(SELECT ?)`, a value the planner does not see: for
        // a group of a million members PostgreSQL estimated the first page
        // (a LIMIT that stops early) far cheaper than the statement's kept
        // generic plan, so it planned that page anew on every request (1 ms
        // of planning; 864 requests/s against page 151's 3,108 at 1M users).
        // Unseen, every group's plan costs the same and the kept one is used.
        // A `Column`, not `dsl::sql`: diesel keeps no statement with the
        // latter prepared (that made the page 3× slower).
        .filter(
            memberships::group_id.eq(crate::db::Column::<UnseenGroup, _>::new((
                group_id.into_sql::<diesel::sql_types::BigInt>(),
            ))),
        )
        .order((memberships::sort_key, memberships::user_id))
        .limit(limit)
        .select((
            memberships::user_id,
            memberships::sort_key,
            memberships::username_key,
            memberships::joined_at,
            memberships::role_id,
            roles::name,
            users::username,
            users::first_name,
            users::last_name,
            memberships::group_id,
            inviters.field(users::username).nullable(),
            groups::name,
        ))
        .into_boxed();
    if let Some(role_id) = f.role_id {
        q = q.filter(memberships::role_id.eq(role_id));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = crate::db::like_contains(text);
        q = q.filter(
            memberships::name_key
                .like(p.clone())
                .escape('\\')
                .or(memberships::username_key.like(p).escape('\\')),
        );
    }
    if let Some((group, depth)) = f.nearer_than {
        // Correlated, so each row probes the person's own memberships
        // (`memberships_user_group`); diesel cannot type a subquery on the
        // outer row, hence the literal.
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(
                "NOT EXISTS (SELECT 1 FROM memberships nearer \
                 JOIN group_ancestors a ON a.ancestor_id = nearer.group_id \
                 WHERE nearer.user_id = memberships.user_id AND a.group_id = ",
            )
            .bind::<diesel::sql_types::BigInt, _>(group)
            .sql(" AND a.depth < ")
            .bind::<diesel::sql_types::Integer, _>(depth)
            .sql(")"),
        );
    }
    if let Some((key, id)) = after {
        // `key >= k AND (key > k OR id > i)`, not `key > k OR (key = k AND id > i)`:
        // with bound parameters SQLite cannot turn the OR into an index range
        // and walked the group from its first member (page 151 of `big`: 11×
        // slower than page 1); the leading `>=` is the range start.
        q = q.filter(
            memberships::sort_key.ge(key.to_string()).and(
                memberships::sort_key
                    .gt(key.to_string())
                    .or(memberships::user_id.gt(id)),
            ),
        );
    }
    q.load(conn)
}

/// What the members page counts: the group's own members, everyone with
/// access (its own members and those of the communities above, each person
/// once), the open invitations to it, and whether anyone asks to join (so
/// the page reads the join requests only when there are some).
#[derive(Debug, Clone, Copy, Default, diesel::QueryableByName)]
pub struct MemberCounts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub direct: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub people: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub invited: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub requested: bool,
}

impl MemberCounts {
    /// People who have access only through a community above.
    pub fn inherited(&self) -> i64 {
        self.people - self.direct
    }
}

/// The members page's counts, without counting members: the group's own
/// come from `groups.member_count` (kept by triggers, migration
/// `member_counts`). `ancestors` is the group and the communities above
/// it, nearest first. Those who reach it only from above are the parent's
/// members less those also here (one index probe per member of the group
/// itself); deeper trees, where the communities above may share people,
/// count them distinctly.
pub fn counts(
    conn: &mut DbConn,
    ancestors: &[i64],
    now: PrimitiveDateTime,
) -> QueryResult<MemberCounts> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let group_id = ancestors[0];
    let pending = crate::domain::InvitationStatus::Pending.as_str();
    let asking = crate::domain::JoinRequestStatus::Pending.as_str();
    match ancestors {
        [_] => crate::native!(conn, |c| crate::db::Sql::new(
            "SELECT g.member_count AS direct, g.member_count AS people, \
             (SELECT COUNT(*) FROM invitations WHERE group_id = g.id AND status = ? \
              AND expires_at > ?) AS invited, \
             EXISTS (SELECT 1 FROM join_requests WHERE group_id = g.id AND status = ?) \
              AS requested \
             FROM groups g WHERE g.id = ?",
            (
                pending.into_sql::<Text>(),
                now.into_sql::<Timestamp>(),
                asking.into_sql::<Text>(),
                group_id.into_sql::<BigInt>(),
            ),
        )
        .get_result(c)),
        [_, parent] => crate::native!(conn, |c| crate::db::Sql::new(
            "SELECT g.member_count AS direct, \
             g.member_count + p.member_count - (SELECT COUNT(*) FROM memberships d \
              JOIN memberships a ON a.group_id = p.id AND a.user_id = d.user_id \
              WHERE d.group_id = g.id) AS people, \
             (SELECT COUNT(*) FROM invitations WHERE group_id = g.id AND status = ? \
              AND expires_at > ?) AS invited, \
             EXISTS (SELECT 1 FROM join_requests WHERE group_id = g.id AND status = ?) \
              AS requested \
             FROM groups g, groups p WHERE g.id = ? AND p.id = ?",
            (
                pending.into_sql::<Text>(),
                now.into_sql::<Timestamp>(),
                asking.into_sql::<Text>(),
                group_id.into_sql::<BigInt>(),
                parent.into_sql::<BigInt>(),
            ),
        )
        .get_result(c)),
        _ => crate::native!(conn, |c| crate::db::Sql::new(
            "SELECT g.member_count AS direct, \
             (SELECT COUNT(DISTINCT m.user_id) FROM group_ancestors a \
              JOIN memberships m ON m.group_id = a.ancestor_id WHERE a.group_id = g.id) AS people, \
             (SELECT COUNT(*) FROM invitations WHERE group_id = g.id AND status = ? \
              AND expires_at > ?) AS invited, \
             EXISTS (SELECT 1 FROM join_requests WHERE group_id = g.id AND status = ?) \
              AS requested \
             FROM groups g WHERE g.id = ?",
            (
                pending.into_sql::<Text>(),
                now.into_sql::<Timestamp>(),
                asking.into_sql::<Text>(),
                group_id.into_sql::<BigInt>(),
            ),
        )
        .get_result(c)),
    }
}

/// A group's home counts: its own members, and how many of them may
/// manage members (one statement, one pass over the group's index).
#[derive(Debug, Clone, Copy, diesel::QueryableByName)]
pub struct HomeCounts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub members: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub managers: i64,
}

pub fn home_counts(conn: &mut DbConn, group_id: i64) -> QueryResult<HomeCounts> {
    use diesel::sql_types::{BigInt, Text};
    let q = crate::db::Sql::new(
        "SELECT COUNT(*) AS members, \
         COALESCE(SUM(CASE WHEN r.permissions LIKE ? THEN 1 ELSE 0 END), 0) AS managers \
         FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.group_id = ?",
        (
            role::permission_pattern(Permission::ManageMember).into_sql::<Text>(),
            group_id.into_sql::<BigInt>(),
        ),
    );
    crate::native!(conn, |c| q.get_result(c))
}

/// One of the group's newest members, for its home page.
#[derive(Debug, Clone, Queryable)]
pub struct Newest {
    pub first_name: String,
    pub last_name: String,
    pub handle: String,
}

impl Newest {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// The group's newest members, newest first.
pub fn newest(conn: &mut DbConn, group_id: i64, limit: i64) -> QueryResult<Vec<Newest>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::group_id.eq(group_id))
        .order((memberships::joined_at.desc(), memberships::user_id.desc()))
        .limit(limit)
        .select((
            users::first_name,
            users::last_name,
            memberships::username_key,
        ))
        .load(conn)
}
