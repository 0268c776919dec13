//! Fixed-window counters for every limit (log-in guesses, and the other
//! limits that build on it): `take` reserves one hit in a single statement
//! that refuses when the window is full, so the limit holds however many
//! requests arrive at once, on one server or several.

use crate::db::schema::rate_limits as rl;
use crate::db::{DbConn, Sql};
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// Takes one hit of `key`'s window if fewer than `max` were taken since
/// `since` (a window older than that starts over at `now`). True when the
/// hit was taken. One upsert: concurrent takers of one key queue on its row
/// (PostgreSQL re-checks the WHERE against the committed row; SQLite writes
/// one at a time), so at most `max` of them pass.
pub fn take(
    conn: &mut DbConn,
    key: &str,
    max: i64,
    since: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    if max <= 0 {
        return Ok(false);
    }
    let q = Sql::new(
        "INSERT INTO rate_limits (scope_key, window_start, hits) VALUES (?, ?, 1) \
         ON CONFLICT (scope_key) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start < ? THEN 1 ELSE rate_limits.hits + 1 END, \
         window_start = CASE WHEN rate_limits.window_start < ? \
             THEN excluded.window_start ELSE rate_limits.window_start END \
         WHERE rate_limits.window_start < ? OR rate_limits.hits < ?",
        (
            key.into_sql::<Text>(),
            now.into_sql::<Timestamp>(),
            since.into_sql::<Timestamp>(),
            since.into_sql::<Timestamp>(),
            since.into_sql::<Timestamp>(),
            max.into_sql::<BigInt>(),
        ),
    );
    Ok(crate::native!(conn, |c| q.execute(c))? == 1)
}

/// Gives one hit back (a log-in that turned out right does not count
/// against the address it came from).
pub fn give_back(conn: &mut DbConn, key: &str) -> QueryResult<usize> {
    diesel::update(
        rl::table
            .filter(rl::scope_key.eq(key))
            .filter(rl::hits.gt(0)),
    )
    .set(rl::hits.eq(rl::hits - 1))
    .execute(conn)
}

/// Forgets `key`'s window (a correct password clears its account's count).
pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<usize> {
    diesel::delete(rl::table.filter(rl::scope_key.eq(key))).execute(conn)
}

/// Drops the windows of keys starting with `prefix` (one kind of limit,
/// whose windows all have the same length) that started before `before`, so
/// the table stays small.
pub fn prune(conn: &mut DbConn, prefix: &str, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        rl::table
            .filter(rl::window_start.lt(before))
            .filter(rl::scope_key.like(format!("{prefix}%"))),
    )
    .execute(conn)
}
