//! Server-side session records: one row per log-in, found by the SHA-256
//! hash of the key its cookie carries (see docs/sessions.md).

use crate::db::DbConn;
use crate::db::schema::{sessions, users};
use crate::models::User;
use crate::models::badges::HeaderCounts;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    /// The user's `session_epoch` at log-in.
    pub epoch: i64,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub last_seen_at: PrimitiveDateTime,
    pub user_agent: String,
    pub client_address: String,
    #[diesel(deserialize_as = crate::db::MaybeStamp)]
    pub ended_at: Option<PrimitiveDateTime>,
}

/// How long a session may live: unused (`idle`) and at all (`max`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub idle: time::Duration,
    pub max: time::Duration,
}

impl Limits {
    pub fn of(config: &crate::config::Config) -> Self {
        let d = |s: std::time::Duration| time::Duration::seconds(s.as_secs() as i64);
        Limits {
            idle: d(config.session_idle),
            max: d(config.session_max),
        }
    }
}

impl SessionRecord {
    /// Whether this session still logs `u` in at `now`: not ended, no "log
    /// out everywhere" since (same epoch), an active account, within the
    /// absolute and the idle limits.
    pub fn is_live_for(&self, u: &User, now: PrimitiveDateTime, limits: Limits) -> bool {
        self.ended_at.is_none()
            && self.user_id == u.id
            && self.epoch == u.session_epoch
            && u.is_active()
            && now - self.created_at < limits.max
            && now - self.last_seen_at < limits.idle
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub key_hash: &'a str,
    pub user_id: i64,
    pub epoch: i64,
    pub created_at: PrimitiveDateTime,
    pub last_seen_at: PrimitiveDateTime,
    pub user_agent: &'a str,
    pub client_address: &'a str,
}

pub fn insert(conn: &mut DbConn, new: &NewSession<'_>) -> QueryResult<i64> {
    diesel::insert_into(sessions::table)
        .values(new)
        .returning(sessions::id)
        .get_result(conn)
}

/// The session whose key hashes to `key_hash`, its user and the user's
/// header counts, in one statement: the query every logged-in request
/// makes. Open invitations are counted unless the page counts them itself
/// (`count_invitations` false).
pub fn find_with_user(
    conn: &mut DbConn,
    key_hash: &str,
    now: PrimitiveDateTime,
    count_invitations: bool,
) -> QueryResult<Option<(User, SessionRecord, HeaderCounts)>> {
    use crate::db::Column;
    use crate::models::badges::{OpenInvitations, UnreadMessages, UnreadNotifications};
    use diesel::sql_types::{Bool, Timestamp};
    let (messages, notes) = (
        Column::<UnreadMessages, _>::new(()),
        Column::<UnreadNotifications, _>::new(()),
    );
    let invitations = Column::<OpenInvitations, _>::new((
        count_invitations.into_sql::<Bool>(),
        now.into_sql::<Timestamp>(),
    ));
    // Built inside `native!`: `as_select` is per backend.
    let row: Option<(User, SessionRecord, i64, i64, i64)> = crate::native!(conn, |c| {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::key_hash.eq(key_hash))
            .select((
                User::as_select(),
                SessionRecord::as_select(),
                messages,
                notes,
                invitations,
            ))
            .first(c)
            .optional()
    })?;
    Ok(row.map(|(u, s, messages, notes, invitations)| {
        let counts = HeaderCounts {
            messages,
            notes,
            invitations: count_invitations.then_some(invitations),
        };
        (u, s, counts)
    }))
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<SessionRecord>> {
    sessions::table
        .find(id)
        .select(SessionRecord::as_select())
        .first(conn)
        .optional()
}

/// The user's sessions not ended and created after `since`, the most
/// recently used first.
pub fn open_of_user(
    conn: &mut DbConn,
    user_id: i64,
    since: PrimitiveDateTime,
) -> QueryResult<Vec<SessionRecord>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::created_at.gt(since))
        .filter(sessions::ended_at.is_null())
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select(SessionRecord::as_select())
        .load(conn)
}

/// Records a use of the session at `now`, unless one was recorded after
/// `since`: of the requests that arrive together once the minute is up,
/// only the first changes the row.
pub fn touch(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
    since: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::ended_at.is_null())
            .filter(sessions::last_seen_at.le(since)),
    )
    .set(sessions::last_seen_at.eq(now))
    .execute(conn)
}

/// Ends one session of `user_id`; 0 when it is not theirs or already ended.
pub fn end(conn: &mut DbConn, id: i64, user_id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(now))
    .execute(conn)
}

/// Ends every open session of `user_id` but `keep`.
pub fn end_all_but(
    conn: &mut DbConn,
    user_id: i64,
    keep: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(now))
    .execute(conn)
}

/// Drops the user's sessions created before `before` (past the absolute
/// limit, so dead whatever else happened): the table keeps only what may
/// still be shown or used.
pub fn prune(conn: &mut DbConn, user_id: i64, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::created_at.lt(before)),
    )
    .execute(conn)
}
