//! Invitation states and the outcome of inviting one person.

use time::PrimitiveDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    Expired,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "declined" => Self::Declined,
            "cancelled" => Self::Cancelled,
            "expired" => Self::Expired,
            _ => return None,
        })
    }

    /// The status a person sees: a pending invitation past its date is expired
    /// even before anything has marked it so.
    pub fn effective(stored: &str, expires_at: PrimitiveDateTime, now: PrimitiveDateTime) -> Self {
        match Self::parse(stored) {
            Some(Self::Pending) if expires_at <= now => Self::Expired,
            Some(s) => s,
            None => Self::Cancelled,
        }
    }
}

/// What happened to one entry of the invite form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    /// Invited in the app by username.
    Invited,
    /// An address that belongs to a registered user: invited in the app.
    InvitedInApp,
    /// An address with no account yet: a mail with a sign-up link.
    InvitedByEmail,
    /// The daily limit of invitations is reached: nothing sent.
    QuotaReached,
    AlreadyMember,
    AlreadyInvited,
    NoSuchUser,
    /// Refused by a rule (partners and clients do not mix), with why.
    NotAllowed(String),
    AccountNotActive,
    InvalidEntry,
}

impl InviteOutcome {
    pub fn label(&self) -> String {
        match self {
            Self::Invited => "invited".into(),
            Self::InvitedInApp => "invited in-app".into(),
            Self::InvitedByEmail => "invited by e-mail".into(),
            Self::QuotaReached => "not sent: the daily limit of invitations is reached".into(),
            Self::AlreadyMember => "already a member".into(),
            Self::AlreadyInvited => "already invited".into(),
            Self::NoSuchUser => "no such user".into(),
            Self::NotAllowed(why) => format!("not allowed: {why}"),
            Self::AccountNotActive => "account not active".into(),
            Self::InvalidEntry => "not a valid address".into(),
        }
    }
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            Self::Invited | Self::InvitedInApp | Self::InvitedByEmail
        )
    }
}

/// What happened to an answer (accept or decline) to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOutcome {
    Accepted,
    Declined,
    /// It was answered, cancelled or had expired before: nothing changed.
    NoLongerOpen(InvitationStatus),
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn pending_past_its_date_is_expired() {
        let exp = datetime!(2026-11-29 10:00);
        assert_eq!(
            InvitationStatus::effective("pending", exp, datetime!(2026-11-29 09:59)),
            InvitationStatus::Pending
        );
        assert_eq!(
            InvitationStatus::effective("pending", exp, datetime!(2026-11-29 10:00)),
            InvitationStatus::Expired
        );
        assert_eq!(
            InvitationStatus::effective("accepted", exp, datetime!(2026-12-29 10:00)),
            InvitationStatus::Accepted
        );
    }
}
