//! The header counts of every page, in one query.

use crate::db::DbConn;
use crate::db::schema::{conversation_members, notifications};
use diesel::prelude::*;

/// (conversations with unread messages, unread notifications) of `user_id`:
/// two scalar subqueries in one SELECT, each served by an index.
pub fn counts(conn: &mut DbConn, user_id: i64) -> QueryResult<(i64, i64)> {
    let messages = conversation_members::table
        .filter(conversation_members::user_id.eq(user_id))
        .filter(conversation_members::unread.eq(true))
        .count()
        .single_value();
    let notes = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .single_value();
    let (m, n): (Option<i64>, Option<i64>) = diesel::select((messages, notes)).get_result(conn)?;
    Ok((m.unwrap_or(0), n.unwrap_or(0)))
}
