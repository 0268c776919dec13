//! The header counts of every page, in one query.

use crate::db::DbConn;
use crate::db::schema::{conversation_members, invitations, notifications};
use crate::domain::InvitationStatus;
use diesel::prelude::*;

/// (conversations with unread messages, unread notifications, open
/// invitations) of `user_id`: scalar subqueries in one SELECT, each served by an index.
pub fn counts(
    conn: &mut DbConn,
    user_id: i64,
    now: time::PrimitiveDateTime,
) -> QueryResult<(i64, i64, i64)> {
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
    let invites = invitations::table
        .filter(invitations::invitee_user_id.eq(user_id))
        .filter(invitations::status.eq(InvitationStatus::Pending.as_str()))
        .filter(invitations::expires_at.gt(now))
        .count()
        .single_value();
    let (m, n, i): (Option<i64>, Option<i64>, Option<i64>) =
        diesel::select((messages, notes, invites)).get_result(conn)?;
    Ok((m.unwrap_or(0), n.unwrap_or(0), i.unwrap_or(0)))
}
