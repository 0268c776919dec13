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

/// The daily quotas a reservation is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_inviter: i64,
    pub per_group: i64,
}

/// Sends reserved from the quotas of one inviter and some groups, counted
/// before the invitations are written: `take` spends them in memory, and
/// `settle` gives back what was not spent.
#[derive(Debug, Clone)]
pub struct Grant {
    hour: i64,
    inviter: i64,
    /// (reserved, spent) of the inviter's quota.
    by_inviter: (i64, i64),
    /// (group, reserved, spent), one entry per group.
    by_group: Vec<(i64, i64, i64)>,
}

impl Grant {
    /// One send by the inviter into `group`: false once either quota
    /// reserved for it is spent (the quota is reached).
    pub fn take(&mut self, group: i64) -> bool {
        let Some(g) = self.by_group.iter_mut().find(|g| g.0 == group) else {
            return false;
        };
        if g.2 >= g.1 || self.by_inviter.1 >= self.by_inviter.0 {
            return false;
        }
        g.2 += 1;
        self.by_inviter.1 += 1;
        true
    }

    /// Gives back what was reserved and not spent, once the sends are
    /// written (or were not: after a failed transaction, `forget_spent`
    /// first). Outside a transaction, as `reserve`, so that giving back
    /// never holds a counter through another transaction's commit.
    pub fn settle(self, conn: &mut DbConn) -> QueryResult<()> {
        let (reserved, spent) = self.by_inviter;
        let back: Vec<(&str, i64, i64)> =
            std::iter::once((INVITER, self.inviter, reserved - spent))
                .chain(self.by_group.iter().map(|&(g, r, s)| (GROUP, g, r - s)))
                .filter(|b| b.2 > 0)
                .collect();
        if back.is_empty() {
            return Ok(());
        }
        short_tx(conn, |c| {
            for (scope, subject, n) in back {
                add(c, scope, subject, self.hour, -n)?;
            }
            Ok(())
        })
    }

    /// Everything taken so far was undone with its transaction.
    pub fn forget_spent(&mut self) {
        self.by_inviter.1 = 0;
        for g in &mut self.by_group {
            g.2 = 0;
        }
    }
}

/// Reserves up to one send by `inviter` into each entry of `wants` (a group
/// may repeat): as many as the quotas leave, counted at once. Reading a
/// quota and counting it are one step: a transaction-scoped advisory lock
/// per inviter and per group on PostgreSQL, taken in one order everywhere
/// (the inviter, then groups by id) so two never wait on each other in a
/// circle; without it two requests both read the count before either
/// counted its sends, and a quota of 5 let 8 through. SQLite's one writer
/// runs write transactions one at a time.
///
/// Called outside a transaction (the invite form), the reservation is its
/// own short transaction, committed without waiting for the disk: the
/// lock is held for a few statements, not through the commit of the
/// transaction that writes the invitations, so one inviter's lists are
/// written side by side. A crash before
/// that commit leaves the sends counted and unwritten: the quota errs
/// short, never over. Inside a transaction, the reservation is part of it.
pub fn reserve(
    conn: &mut DbConn,
    inviter: i64,
    wants: &[i64],
    limits: Limits,
    now: PrimitiveDateTime,
) -> QueryResult<Grant> {
    let hour = hour_of(now);
    let mut groups = wants.to_vec();
    groups.sort_unstable();
    let wanted: Vec<(i64, i64)> = groups
        .chunk_by(|a, b| a == b)
        .map(|g| (g[0], g.len() as i64))
        .collect();
    short_tx(conn, |c| {
        lock(c, inviter, &wanted)?;
        prune_once_an_hour(c, hour)?;
        let used = window(c, inviter, &wanted, now)?;
        let used_by = |scope: &str, subject: i64| -> i64 {
            used.iter()
                .filter(|u| u.0 == scope && u.1 == subject)
                .map(|u| u.2)
                .sum()
        };
        let mut take = |scope: &str, subject: i64, want: i64, limit: i64| -> QueryResult<i64> {
            let granted = (limit - used_by(scope, subject)).clamp(0, want);
            if granted > 0 {
                add(c, scope, subject, hour, granted)?;
            }
            Ok(granted)
        };
        let by_inviter = take(INVITER, inviter, wants.len() as i64, limits.per_inviter)?;
        let mut by_group = Vec::with_capacity(wanted.len());
        for &(g, want) in &wanted {
            by_group.push((g, take(GROUP, g, want, limits.per_group)?, 0));
        }
        Ok(Grant {
            hour,
            inviter,
            by_inviter: (by_inviter, 0),
            by_group,
        })
    })
}

/// What the quotas still leave `inviter` to send now: overall, and into
/// each of `groups`. A read (the CSV dry run); sending reserves.
pub fn remaining(
    conn: &mut DbConn,
    inviter: i64,
    groups: &[i64],
    limits: Limits,
    now: PrimitiveDateTime,
) -> QueryResult<(i64, Vec<(i64, i64)>)> {
    let wanted: Vec<(i64, i64)> = groups.iter().map(|&g| (g, 0)).collect();
    let used = window(conn, inviter, &wanted, now)?;
    let used_by = |scope: &str, subject: i64| -> i64 {
        used.iter()
            .filter(|u| u.0 == scope && u.1 == subject)
            .map(|u| u.2)
            .sum()
    };
    let by_group = groups
        .iter()
        .map(|&g| (g, (limits.per_group - used_by(GROUP, g)).max(0)))
        .collect();
    Ok((
        (limits.per_inviter - used_by(INVITER, inviter)).max(0),
        by_group,
    ))
}

/// The hours in the window of the inviter's quota and of the groups'
/// (scope, subject, sends), in one statement: at most 24 rows a quota.
fn window(
    conn: &mut DbConn,
    inviter: i64,
    groups: &[(i64, i64)],
    now: PrimitiveDateTime,
) -> QueryResult<Vec<(String, i64, i64)>> {
    let ids: Vec<i64> = groups.iter().map(|g| g.0).collect();
    let q = sc::table
        .filter(sc::hour.gt(hour_of(now) - WINDOW_HOURS))
        .filter(
            sc::scope
                .eq(INVITER)
                .and(sc::subject_id.eq(inviter))
                .or(sc::scope.eq(GROUP).and(sc::subject_id.eq_any(ids))),
        )
        .select((sc::scope, sc::subject_id, sc::sends));
    crate::native!(conn, |c| q.load(c))
}

/// `f` as its own transaction committed without waiting for the disk
/// (PostgreSQL's `synchronous_commit` off: a later synchronous commit
/// flushes it too), or as part of the transaction already open.
fn short_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> QueryResult<T>) -> QueryResult<T> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let open = AnsiTransactionManager::transaction_manager_status_mut(pg)
            .transaction_depth()?
            .is_some();
        if !open {
            return conn.transaction(|c| {
                diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(c)?;
                f(c)
            });
        }
    }
    crate::db::write_tx(conn, f)
}

/// The advisory locks of `reserve` (PostgreSQL; SQLite needs none).
fn lock(conn: &mut DbConn, inviter: i64, groups: &[(i64, i64)]) -> QueryResult<()> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::sql_types::{Array, BigInt};
        // Kinds in the high bits: ids stay far below 2^48. Sorted, the
        // inviter's key comes first, then the groups' by id.
        let mut keys: Vec<i64> = groups.iter().map(|g| (2 << 48) | g.0).collect();
        keys.push((1 << 48) | inviter);
        keys.sort_unstable();
        // One statement, the keys taken in the order of the sorted list.
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest($1) AS k ORDER BY 1) AS keys",
        )
        .bind::<Array<BigInt>, _>(keys)
        .execute(pg)?;
    }
    let _ = (conn, inviter, groups);
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
