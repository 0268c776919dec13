//! The states rows move through, each kept as a word in a text column
//! (`db::text_enum!` reads and writes them on both backends).

/// An enum of states with the word each is stored as: `as_str` gives the
/// word, `parse` the state a word names (`None` for any other).
macro_rules! stored_states {
    ($(#[$doc:meta])* pub enum $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($word => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

stored_states! {
    /// An invitation, as stored in `invitations.status`.
    pub enum InvitationStatus {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

stored_states! {
    /// Account status as stored in `users.status`.
    pub enum UserStatus {
        /// A contact with no login yet.
        Invited = "invited",
        PendingApproval = "pending_approval",
        Active = "active",
        Deactivated = "deactivated",
    }
}

stored_states! {
    /// A request to join a group, as stored in `join_requests.status`.
    pub enum JoinRequestStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

stored_states! {
    /// A mail in the outbox, as stored in `outbox.status`.
    pub enum MailStatus {
        /// Waiting for the mail worker (or for its next attempt).
        Pending = "pending",
        /// Handed to the mail server.
        Sent = "sent",
        /// Given up on after the last attempt.
        Failed = "failed",
    }
}

stored_states! {
    /// A suggestion to invite someone, as stored in `suggestions.status`.
    pub enum SuggestionStatus {
        Pending = "pending",
        Approved = "approved",
        Declined = "declined",
        /// Lapsed after 14 days (a pending one past its date reads so too).
        Expired = "expired",
    }
}

stored_states! {
    /// A webhook delivery, as stored in `webhook_deliveries.state`.
    pub enum DeliveryState {
        /// Waiting for its turn, or for its next attempt.
        Pending = "pending",
        Delivered = "delivered",
        /// Refused for good, or out of attempts.
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_word() {
        use InvitationStatus as I;
        for s in [
            I::Pending,
            I::Accepted,
            I::Declined,
            I::Cancelled,
            I::Expired,
        ] {
            assert_eq!(I::parse(s.as_str()), Some(s));
        }
        for d in [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ] {
            assert_eq!(DeliveryState::parse(d.as_str()), Some(d));
        }
        assert_eq!(
            UserStatus::parse("pending_approval"),
            Some(UserStatus::PendingApproval)
        );
        assert_eq!(
            JoinRequestStatus::parse("refused"),
            Some(JoinRequestStatus::Refused)
        );
        assert_eq!(MailStatus::parse("sent"), Some(MailStatus::Sent));
        assert_eq!(InvitationStatus::parse("Pending"), None);
        assert_eq!(UserStatus::parse(""), None);
    }
}
