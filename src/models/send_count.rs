//! Hourly counters of invitations sent, by inviter and by group, for the
//! daily quotas. A check reads at most 24 rows of one key, so its cost does
//! not grow with how many invitations were sent.

use crate::db::schema::invitation_send_counts as sc;
use crate::db::{DbConn, Sql};
use diesel::prelude::*;
use std::sync::atomic::{AtomicI64, Ordering};
use time::PrimitiveDateTime;

const INVITER: &str = "inviter";
const GROUP: &str = "group";
/// Hours a quota looks back over, the current one included.
const WINDOW_HOURS: i64 = 24;

fn hour_of(t: PrimitiveDateTime) -> i64 {
    t.assume_utc().unix_timestamp().div_euclid(3600)
}

/// Counts `sends` by `inviter` into each of `groups` (one group may repeat).
pub fn record(
    conn: &mut DbConn,
    inviter: i64,
    groups: &[i64],
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let hour = hour_of(now);
    prune_once_an_hour(conn, hour)?;
    add(conn, INVITER, inviter, hour, groups.len() as i64)?;
    let mut distinct = groups.to_vec();
    distinct.sort_unstable();
    for g in distinct.chunk_by(|a, b| a == b) {
        add(conn, GROUP, g[0], hour, g.len() as i64)?;
    }
    Ok(())
}

/// Adds `sends` to one hour's counter. The same text on both backends, kept
/// prepared (diesel re-prepares its own upserts on every call).
fn add(conn: &mut DbConn, scope: &str, subject: i64, hour: i64, sends: i64) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text};
    let q = Sql::new(
        "INSERT INTO invitation_send_counts (scope, subject_id, hour, sends) VALUES (?, ?, ?, ?) \
         ON CONFLICT (scope, subject_id, hour) \
         DO UPDATE SET sends = invitation_send_counts.sends + excluded.sends",
        (
            scope.into_sql::<Text>(),
            subject.into_sql::<BigInt>(),
            hour.into_sql::<BigInt>(),
            sends.into_sql::<BigInt>(),
        ),
    );
    crate::native!(conn, |c| q.execute(c))?;
    Ok(())
}

/// Makes the quotas of `inviter` and of `groups` this transaction's until it
/// ends, so that reading a quota and counting a send are one step: without
/// it two PostgreSQL transactions (two servers, or two requests of one)
/// both read the count before either counted its sends, and a quota of 5
/// let 8 through. A transaction-scoped advisory lock per inviter and per
/// group, taken in one order everywhere (the inviter, then groups by id),
/// so two transactions never wait on each other in a circle. Call it once,
/// before the first `quota_reached` of the transaction. SQLite needs
/// nothing: its one writer runs write transactions one at a time.
pub fn reserve(conn: &mut DbConn, inviter: i64, groups: &[i64]) -> QueryResult<()> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::sql_types::BigInt;
        // Kinds in the high bits: ids stay far below 2^48.
        let mut keys: Vec<i64> = groups.iter().map(|g| (2 << 48) | g).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.insert(0, (1 << 48) | inviter);
        for key in keys {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<BigInt, _>(key)
                .execute(pg)?;
        }
    }
    let _ = (conn, inviter, groups);
    Ok(())
}

/// Invitations `inviter` sent in the window (the last 24 hours, counted in
/// whole hours: between 23 and 24 hours back).
pub fn by_inviter(conn: &mut DbConn, inviter: i64, now: PrimitiveDateTime) -> QueryResult<i64> {
    sends_of(conn, INVITER, inviter, now)
}

/// Invitations sent into `group` in the window.
pub fn in_group(conn: &mut DbConn, group: i64, now: PrimitiveDateTime) -> QueryResult<i64> {
    sends_of(conn, GROUP, group, now)
}

fn sends_of(
    conn: &mut DbConn,
    scope: &str,
    subject: i64,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    // At most 24 rows: summed here, as SUM of a BIGINT is NUMERIC on PostgreSQL.
    let q = sc::table
        .filter(sc::scope.eq(scope))
        .filter(sc::subject_id.eq(subject))
        .filter(sc::hour.gt(hour_of(now) - WINDOW_HOURS))
        .select(sc::sends);
    let hours: Vec<i64> = crate::native!(conn, |c| q.load(c))?;
    Ok(hours.into_iter().sum())
}

/// Drops hours out of every window, at most once an hour per process.
fn prune_once_an_hour(conn: &mut DbConn, hour: i64) -> QueryResult<()> {
    static PRUNED: AtomicI64 = AtomicI64::new(i64::MIN);
    if PRUNED.swap(hour, Ordering::Relaxed) == hour {
        return Ok(());
    }
    diesel::delete(sc::table.filter(sc::hour.le(hour - WINDOW_HOURS))).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hours_are_counted_from_the_epoch() {
        assert_eq!(hour_of(datetime!(1970-01-01 00:59:59)), 0);
        assert_eq!(hour_of(datetime!(1970-01-01 01:00:00)), 1);
        assert_eq!(hour_of(datetime!(1969-12-31 23:59:59)), -1);
    }
}
