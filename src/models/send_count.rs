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
        let back: Vec<_> = back.into_iter().map(|(s, i, n)| (s, i, -n)).collect();
        crate::db::write_tx(conn, |c| add(c, self.hour, &back))
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
/// quota and counting it are one step (without that, two requests both
/// read the count before either counted its sends, and a quota of 5 let 8
/// through): on PostgreSQL by counting first ([`reserve_counting_first`]);
/// SQLite's one writer runs write transactions one at a time.
///
/// Called outside a transaction (the invite form), the reservation is
/// committed on its own (on PostgreSQL without waiting for the disk), not
/// with the transaction that writes the invitations, so one inviter's
/// lists are written side by side. A crash before that commit leaves the
/// sends counted and unwritten: the quota errs short, never over. Inside a
/// transaction, the reservation is part of it.
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
    #[cfg(feature = "postgres")]
    if matches!(conn, DbConn::Pg(_)) {
        prune_once_an_hour(conn, hour)?;
        return reserve_counting_first(conn, inviter, wants.len() as i64, &wanted, limits, hour);
    }
    let count = |c: &mut DbConn| {
        prune_once_an_hour(c, hour)?;
        let used = window(c, inviter, &wanted, now)?;
        let used_by = |scope: &str, subject: i64| -> i64 {
            used.iter()
                .filter(|u| u.0 == scope && u.1 == subject)
                .map(|u| u.2)
                .sum()
        };
        let mut counted = Vec::with_capacity(wanted.len() + 1);
        let mut take = |scope: &'static str, subject: i64, want: i64, limit: i64| -> i64 {
            let granted = (limit - used_by(scope, subject)).clamp(0, want);
            if granted > 0 {
                counted.push((scope, subject, granted));
            }
            granted
        };
        let by_inviter = take(INVITER, inviter, wants.len() as i64, limits.per_inviter);
        let by_group: Vec<(i64, i64, i64)> = wanted
            .iter()
            .map(|&(g, want)| (g, take(GROUP, g, want, limits.per_group), 0))
            .collect();
        add(c, hour, &counted)?;
        Ok(Grant {
            hour,
            inviter,
            by_inviter: (by_inviter, 0),
            by_group,
        })
    };
    // In the writer's batch (the invite form) no savepoint of its own: it
    // writes one statement (the usual two counters), and a count that
    // outlived a failure would only err short.
    if crate::db::in_transaction(conn)? {
        count(conn)
    } else {
        crate::db::write_tx(conn, count)
    }
}

/// `reserve` on PostgreSQL, without locks of its own: one statement adds
/// everything wanted to the current hour's counters and reads each
/// quota's total back, and a second gives back what the quotas refuse.
/// The upsert's row lock orders two reservations of one quota, and it
/// returns the latest count (`ON CONFLICT DO UPDATE` updates the newest
/// version of the row), so each sees every send counted before its own;
/// that lock is held for one statement, not through a transaction's round
/// trips (advisory locks taken first were four round trips, one
/// inviter's requests waiting in line through all of them). Earlier hours
/// are read from the statement's snapshot: they change only in the
/// instant an hour turns, when a count of the hour just ended may still
/// be in flight. What is refused was counted for a moment: a concurrent
/// reservation may be refused for it, erring short, never over.
#[cfg(feature = "postgres")]
fn reserve_counting_first(
    conn: &mut DbConn,
    inviter: i64,
    total: i64,
    wanted: &[(i64, i64)],
    limits: Limits,
    hour: i64,
) -> QueryResult<Grant> {
    use diesel::sql_types::{Array, BigInt, Text};
    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = Text)]
        scope: String,
        #[diesel(sql_type = BigInt)]
        subject_id: i64,
        #[diesel(sql_type = BigInt)]
        used: i64,
    }
    let open = crate::db::in_transaction(conn)?;
    // The inviter's counter first, then the groups' by id: every
    // reservation locks its rows in that one order.
    let counts: Vec<(&str, i64, i64)> = std::iter::once((INVITER, inviter, total))
        .chain(wanted.iter().map(|&(g, n)| (GROUP, g, n)))
        .collect();
    macro_rules! count_first {
        ($commit:literal) => {
            concat!(
                "WITH s AS (SELECT ", $commit, " AS c), \
                 cur AS (INSERT INTO invitation_send_counts (scope, subject_id, hour, sends) \
                    SELECT t.s, t.i, ?, t.n \
                    FROM unnest(?::text[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS t (s, i, n, o) \
                    ORDER BY t.o \
                    ON CONFLICT (scope, subject_id, hour) \
                    DO UPDATE SET sends = invitation_send_counts.sends + excluded.sends \
                    RETURNING scope, subject_id, sends) \
                 SELECT cur.scope, cur.subject_id, cur.sends + COALESCE((SELECT SUM(p.sends) \
                    FROM invitation_send_counts p WHERE p.scope = cur.scope \
                    AND p.subject_id = cur.subject_id AND p.hour > ? AND p.hour < ?), 0)::bigint AS used \
                 FROM cur, s"
            )
        };
    }
    // On its own (not in a caller's transaction), committed without
    // waiting for the disk: a later synchronous commit flushes it too.
    let text = if open {
        count_first!("NULL")
    } else {
        count_first!("set_config('synchronous_commit', 'off', true)")
    };
    let (scopes, subjects, sends) = columns(&counts);
    let q = Sql::new(
        text,
        (
            hour.into_sql::<BigInt>(),
            scopes.into_sql::<Array<Text>>(),
            subjects.into_sql::<Array<BigInt>>(),
            sends.into_sql::<Array<BigInt>>(),
            (hour - WINDOW_HOURS).into_sql::<BigInt>(),
            hour.into_sql::<BigInt>(),
        ),
    );
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    let DbConn::Pg(pg) = conn else {
        unreachable!("called on PostgreSQL")
    };
    let used = q.load::<Used>(pg)?;
    // What each quota had left before this reservation counted itself.
    let granted = |scope: &str, subject: i64, want: i64, limit: i64| -> i64 {
        let after = used
            .iter()
            .find(|u| u.scope == scope && u.subject_id == subject)
            .map_or(want, |u| u.used);
        (limit - (after - want)).clamp(0, want)
    };
    let by_inviter = granted(INVITER, inviter, total, limits.per_inviter);
    let by_group: Vec<(i64, i64, i64)> = wanted
        .iter()
        .map(|&(g, want)| (g, granted(GROUP, g, want, limits.per_group), 0))
        .collect();
    let refused: Vec<(&str, i64, i64)> = std::iter::once((INVITER, inviter, by_inviter - total))
        .chain(
            wanted
                .iter()
                .zip(&by_group)
                .map(|(&(g, want), &(_, got, _))| (GROUP, g, got - want)),
        )
        .filter(|r| r.2 != 0)
        .collect();
    add(conn, hour, &refused)?;
    Ok(Grant {
        hour,
        inviter,
        by_inviter: (by_inviter, 0),
        by_group,
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
    // With one group (nearly every list) the statement stays prepared;
    // SQLite's `IN (?, …)` of a list is prepared again on every call.
    macro_rules! window_where {
        ($groups:expr) => {{
            let q = sc::table
                .filter(sc::hour.gt(hour_of(now) - WINDOW_HOURS))
                .filter(
                    sc::scope
                        .eq(INVITER)
                        .and(sc::subject_id.eq(inviter))
                        .or(sc::scope.eq(GROUP).and($groups)),
                )
                .select((sc::scope, sc::subject_id, sc::sends));
            crate::native!(conn, |c| q.load(c))
        }};
    }
    match groups {
        [(group, _)] => window_where!(sc::subject_id.eq(*group)),
        _ => window_where!(sc::subject_id.eq_any(groups.iter().map(|g| g.0).collect::<Vec<_>>())),
    }
}

/// Adds each (scope, subject, sends) to its counter of `hour`: on
/// PostgreSQL in one statement, on SQLite in one for the usual two (the
/// inviter and one group), else one each. Texts kept prepared (diesel re-prepares its
/// own upserts on every call).
fn add(conn: &mut DbConn, hour: i64, counts: &[(&str, i64, i64)]) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text};
    macro_rules! upsert {
        ($rows:literal) => {
            concat!(
                "INSERT INTO invitation_send_counts (scope, subject_id, hour, sends) ",
                $rows,
                " ON CONFLICT (scope, subject_id, hour) \
                 DO UPDATE SET sends = invitation_send_counts.sends + excluded.sends"
            )
        };
    }
    if counts.is_empty() {
        return Ok(());
    }
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::sql_types::Array;
        let (scopes, subjects, sends) = columns(counts);
        let q = Sql::new(
            upsert!(
                "SELECT s, i, ?, n FROM unnest(?::text[], ?::bigint[], ?::bigint[]) AS t (s, i, n)"
            ),
            (
                hour.into_sql::<BigInt>(),
                scopes.into_sql::<Array<Text>>(),
                subjects.into_sql::<Array<BigInt>>(),
                sends.into_sql::<Array<BigInt>>(),
            ),
        );
        q.execute(pg)?;
        return Ok(());
    }
    // The inviter and one group (nearly every list): one statement.
    if let [(s1, i1, n1), (s2, i2, n2)] = *counts {
        let q = Sql::new(
            upsert!("VALUES (?, ?, ?, ?), (?, ?, ?, ?)"),
            (
                s1.into_sql::<Text>(),
                i1.into_sql::<BigInt>(),
                hour.into_sql::<BigInt>(),
                n1.into_sql::<BigInt>(),
                s2.into_sql::<Text>(),
                i2.into_sql::<BigInt>(),
                hour.into_sql::<BigInt>(),
                n2.into_sql::<BigInt>(),
            ),
        );
        crate::native!(conn, |c| q.execute(c))?;
        return Ok(());
    }
    for &(scope, subject, sends) in counts {
        let q = Sql::new(
            upsert!("VALUES (?, ?, ?, ?)"),
            (
                scope.into_sql::<Text>(),
                subject.into_sql::<BigInt>(),
                hour.into_sql::<BigInt>(),
                sends.into_sql::<BigInt>(),
            ),
        );
        crate::native!(conn, |c| q.execute(c))?;
    }
    Ok(())
}

/// (scope, subject, sends) rows as three columns, for `unnest` on
/// PostgreSQL.
#[cfg(feature = "postgres")]
fn columns<'a>(counts: &[(&'a str, i64, i64)]) -> (Vec<&'a str>, Vec<i64>, Vec<i64>) {
    (
        counts.iter().map(|c| c.0).collect(),
        counts.iter().map(|c| c.1).collect(),
        counts.iter().map(|c| c.2).collect(),
    )
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
