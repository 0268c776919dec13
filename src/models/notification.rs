//! Notifications: short lines for one user, with an optional link.

use crate::db::DbConn;
use crate::db::schema::notifications;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub text: String,
    pub link_path: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub read_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct NewNotification<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub text: &'a str,
    pub link_path: Option<&'a str>,
    pub created_at: PrimitiveDateTime,
    /// What it is about (for `invitation`: the invitation's id).
    pub ref_id: Option<i64>,
}

pub fn insert(conn: &mut DbConn, new: &NewNotification<'_>) -> QueryResult<i64> {
    let q = diesel::insert_into(notifications::table)
        .values(new)
        .returning(notifications::id);
    crate::native!(conn, |c| q.get_result(c))
}

/// A page of `user_id`'s notifications, newest first, before `before_id`.
pub fn page(
    conn: &mut DbConn,
    user_id: i64,
    before_id: i64,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::id.lt(before_id))
        .order(notifications::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

pub fn unread_count(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks one of `user_id`'s notifications read; 0 if it is not theirs or was read.
pub fn mark_read(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)
}

/// Marks every unread notification of `user_id` up to `up_to_id` read: one
/// that arrives while the page is open stays new.
pub fn mark_all_read(
    conn: &mut DbConn,
    user_id: i64,
    up_to_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null())
            .filter(notifications::id.le(up_to_id)),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)
}

/// Marks read the unread notifications of `user_id` of `kind` about
/// `ref_id` (an invitation answered: its announcement is done with).
pub fn mark_read_about(
    conn: &mut DbConn,
    user_id: i64,
    kind: &str,
    ref_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    // Constant text, so it stays prepared (diesel's UPDATE would not).
    let q = crate::db::Sql::new(
        "UPDATE notifications SET read_at = ? \
         WHERE user_id = ? AND kind = ? AND ref_id = ? AND read_at IS NULL",
        (
            now.into_sql::<Timestamp>(),
            user_id.into_sql::<BigInt>(),
            kind.into_sql::<Text>(),
            ref_id.into_sql::<BigInt>(),
        ),
    );
    crate::native!(conn, |c| q.execute(c))
}
