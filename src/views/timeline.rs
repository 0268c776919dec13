//! The mark each event wears on a timeline (the audit trail, an
//! invitation's history): which icon and which tone, so a reader sees at a
//! glance what happened before reading the line.

/// What kind of thing an event is, by the icon it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Sent,
    Renewed,
    Accepted,
    Refused,
    Expired,
    Joined,
    Left,
    Role,
    Account,
    Login,
    Password,
    Address,
    Other,
}

impl Mark {
    /// The mark of an audit kind (`member_joined`, `invitation_sent`, …) or
    /// of an invitation history kind (`sent`, `accepted`, …).
    pub fn of(kind: &str) -> Self {
        let kind = kind
            .strip_prefix(crate::models::audit::INVITATION_PREFIX)
            .unwrap_or(kind);
        match kind {
            "sent" | "resent" | "reminded" | "contact_invited" => Self::Sent,
            "renewed" | "extended" => Self::Renewed,
            "accepted" | "contact_registered" => Self::Accepted,
            "declined" | "cancelled" | "revoked" => Self::Refused,
            "expired" => Self::Expired,
            "member_joined" | "contact_added" | "account_attached" => Self::Joined,
            "member_left" | "member_removed" => Self::Left,
            "role_changed" | "role_created" | "role_updated" | "role_deleted"
            | "super_user_granted" | "super_user_revoked" => Self::Role,
            "account_created" | "group_attached" => Self::Account,
            "active_login_on" | "active_login_off" => Self::Login,
            "password_reset" | "password_changed" => Self::Password,
            "email_changed" | "address_released" => Self::Address,
            _ => Self::Other,
        }
    }

    /// The id of its symbol in `partials/timeline.html`.
    pub fn icon(&self) -> &'static str {
        match self {
            Self::Sent => "tl-sent",
            Self::Renewed => "tl-renewed",
            Self::Accepted => "tl-accepted",
            Self::Refused => "tl-refused",
            Self::Expired => "tl-expired",
            Self::Joined => "tl-joined",
            Self::Left => "tl-left",
            Self::Role => "tl-role",
            Self::Account => "tl-account",
            Self::Login => "tl-login",
            Self::Password => "tl-password",
            Self::Address => "tl-address",
            Self::Other => "tl-other",
        }
    }

    /// Good news, bad news or neither: the colour of the mark.
    pub fn tone(&self) -> &'static str {
        match self {
            Self::Accepted | Self::Joined => "good",
            Self::Refused | Self::Left | Self::Expired => "bad",
            _ => "plain",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_and_history_kinds_share_marks() {
        assert_eq!(Mark::of("invitation_sent"), Mark::of("sent"));
        assert_eq!(Mark::of("invitation_accepted").tone(), "good");
        assert_eq!(Mark::of("member_removed").tone(), "bad");
        assert_eq!(Mark::of("something_new"), Mark::Other);
    }
}
