//! The header counts of every page, in one query.

use crate::db::{DbConn, Sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

/// Counts stop here: the header shows "99+" above it, and a page never
/// counts more rows than this, however many a person has.
pub const CAP: i64 = 100;

/// The first two header counts: conversations with unread messages and
/// unread notifications of `user_id`, each counted up to [`CAP`]. An open
/// invitation counts once, in the Invitations badge: the notification and
/// the private message that announce it do not light the bell or the
/// envelope (answering it marks them read). Scalar
/// subqueries in one SELECT, each a bounded range of an index. SQL text
/// because diesel cannot count a LIMITed subquery.
macro_rules! counts_sql {
    ($($more:literal)?) => {
        concat!(
            "SELECT \
            (SELECT COUNT(*) FROM (SELECT 1 FROM conversation_members cm \
                JOIN messages lm ON lm.id = cm.last_message_id \
                WHERE cm.user_id = ? AND cm.unread = TRUE \
                AND (lm.kind IS NULL OR lm.kind <> 'invitation') LIMIT 100) m) AS messages, \
            (SELECT COUNT(*) FROM (SELECT 1 FROM notifications \
                WHERE user_id = ? AND read_at IS NULL AND kind <> 'invitation' \
                LIMIT 100) n) AS notes",
            $($more)?
        )
    };
}

/// Both, and the open invitations of `user_id`, counted the same way.
const COUNTS: &str = counts_sql!(
    ", (SELECT COUNT(*) FROM (SELECT 1 FROM invitations \
        WHERE invitee_user_id = ? AND status = 'pending' AND expires_at > ? LIMIT 100) i) AS invites"
);
/// For a page that reads the open invitations itself (the inbox).
const COUNTS_BUT_INVITATIONS: &str = counts_sql!();

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    messages: i64,
    #[diesel(sql_type = BigInt)]
    notes: i64,
}

#[derive(QueryableByName)]
struct CountsWithInvites {
    #[diesel(embed)]
    counts: Counts,
    #[diesel(sql_type = BigInt)]
    invites: i64,
}

/// The header counts of `user_id`: (conversations with unread messages,
/// unread notifications, open invitations), the last only when
/// `invitations` asks for it.
pub fn counts(
    conn: &mut DbConn,
    user_id: i64,
    now: time::PrimitiveDateTime,
    invitations: bool,
) -> QueryResult<(i64, i64, Option<i64>)> {
    let id = || user_id.into_sql::<BigInt>();
    if !invitations {
        let q = Sql::new(COUNTS_BUT_INVITATIONS, (id(), id()));
        let c: Counts = crate::native!(conn, |c| q.get_result(c))?;
        return Ok((c.messages, c.notes, None));
    }
    let q = Sql::new(COUNTS, (id(), id(), id(), now.into_sql::<Timestamp>()));
    let c: CountsWithInvites = crate::native!(conn, |c| q.get_result(c))?;
    Ok((c.counts.messages, c.counts.notes, Some(c.invites)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cap_is_the_limit_written_in_the_sql() {
        let limit = format!("LIMIT {}", super::CAP);
        assert_eq!(super::COUNTS.matches(&limit).count(), 3);
        assert_eq!(super::COUNTS_BUT_INVITATIONS.matches(&limit).count(), 2);
    }
}
