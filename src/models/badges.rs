//! The header counts of every page, in one query.

use crate::db::{DbConn, Sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

/// Counts stop here: the header shows "99+" above it, and a page never
/// counts more rows than this, however many a person has.
pub const CAP: i64 = 100;

/// (conversations with unread messages, unread notifications, open
/// invitations) of `user_id`, each counted up to [`CAP`]: scalar subqueries
/// in one SELECT, each a bounded range of an index. SQL text because diesel
/// cannot count a LIMITed subquery.
const COUNTS: &str = "SELECT \
    (SELECT COUNT(*) FROM (SELECT 1 FROM conversation_members \
        WHERE user_id = ? AND unread = TRUE LIMIT 100) m) AS messages, \
    (SELECT COUNT(*) FROM (SELECT 1 FROM notifications \
        WHERE user_id = ? AND read_at IS NULL LIMIT 100) n) AS notes, \
    (SELECT COUNT(*) FROM (SELECT 1 FROM invitations \
        WHERE invitee_user_id = ? AND status = 'pending' AND expires_at > ? LIMIT 100) i) AS invites";

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    messages: i64,
    #[diesel(sql_type = BigInt)]
    notes: i64,
    #[diesel(sql_type = BigInt)]
    invites: i64,
}

pub fn counts(
    conn: &mut DbConn,
    user_id: i64,
    now: time::PrimitiveDateTime,
) -> QueryResult<(i64, i64, i64)> {
    let q = Sql::new(
        COUNTS,
        (
            user_id.into_sql::<BigInt>(),
            user_id.into_sql::<BigInt>(),
            user_id.into_sql::<BigInt>(),
            now.into_sql::<Timestamp>(),
        ),
    );
    let c: Counts = crate::native!(conn, |c| q.get_result(c))?;
    Ok((c.messages, c.notes, c.invites))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cap_is_the_limit_written_in_the_sql() {
        let limit = format!("LIMIT {}", super::CAP);
        assert_eq!(super::COUNTS.matches(&limit).count(), 3);
    }
}
