//! Failed log-ins, kept in the database so throttling holds across servers.

use crate::db::DbConn;
use crate::db::schema::login_attempts as la;
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub fn record(conn: &mut DbConn, scope_key: &str, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(la::table)
        .values((la::scope_key.eq(scope_key), la::attempted_at.eq(now)))
        .execute(conn)
}

pub fn count_since(
    conn: &mut DbConn,
    scope_key: &str,
    since: PrimitiveDateTime,
) -> QueryResult<i64> {
    la::table
        .filter(la::scope_key.eq(scope_key))
        .filter(la::attempted_at.ge(since))
        .count()
        .get_result(conn)
}

pub fn clear(conn: &mut DbConn, scope_key: &str) -> QueryResult<usize> {
    diesel::delete(la::table.filter(la::scope_key.eq(scope_key))).execute(conn)
}

/// Drops attempts older than the window so the table stays small.
pub fn prune(conn: &mut DbConn, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(la::table.filter(la::attempted_at.lt(before))).execute(conn)
}
