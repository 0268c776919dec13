//! The header counts of every page, as columns of the statement that finds
//! the visitor's session (`session::find_with_user`): no statement of their
//! own.

use crate::db::ColumnText;
use diesel::sql_types::BigInt;

/// Counts stop here: the header shows "99+" above it, and a page never
/// counts more rows than this, however many a person has.
pub const CAP: i64 = 100;

/// The visitor's header counts, up to [`CAP`] each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderCounts {
    /// Conversations with unread messages.
    pub messages: i64,
    /// Unread notifications.
    pub notes: i64,
    /// Open invitations, unless the page counts them itself.
    pub invitations: Option<i64>,
}

// An open invitation counts once, in the Invitations badge: the
// notification and the private message that announce it do not light the
// bell or the envelope (answering it marks them read). Each is a bounded
// range of an index, correlated with the query's `users` row; SQL text
// because diesel cannot count a LIMITed subquery.

/// Conversations of the user with unread messages.
pub struct UnreadMessages;
impl ColumnText for UnreadMessages {
    const TEXT: &'static str = "(SELECT COUNT(*) FROM (SELECT 1 FROM conversation_members cm \
        JOIN messages lm ON lm.id = cm.last_message_id \
        WHERE cm.user_id = users.id AND cm.unread = TRUE \
        AND (lm.kind IS NULL OR lm.kind <> 'invitation') LIMIT 100) m)";
    type SqlType = BigInt;
}

/// Unread notifications of the user.
pub struct UnreadNotifications;
impl ColumnText for UnreadNotifications {
    const TEXT: &'static str = "(SELECT COUNT(*) FROM (SELECT 1 FROM notifications \
        WHERE user_id = users.id AND read_at IS NULL AND kind <> 'invitation' \
        LIMIT 100) n)";
    type SqlType = BigInt;
}

/// Open invitations of the user; its binds: whether to count them at all
/// (false: 0 without reading an index, for a page that counts them
/// itself), and the time now.
pub struct OpenInvitations;
impl ColumnText for OpenInvitations {
    const TEXT: &'static str = "(SELECT COUNT(*) FROM (SELECT 1 FROM invitations \
        WHERE ? AND invitee_user_id = users.id AND status = 'pending' AND expires_at > ? \
        LIMIT 100) i)";
    type SqlType = BigInt;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_the_limit_written_in_the_sql() {
        let limit = format!("LIMIT {CAP}");
        for text in [
            UnreadMessages::TEXT,
            UnreadNotifications::TEXT,
            OpenInvitations::TEXT,
        ] {
            assert_eq!(text.matches(&limit).count(), 1, "{text}");
        }
    }
}
