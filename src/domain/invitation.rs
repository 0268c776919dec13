//! Invitation states and the outcome of inviting one person.

use super::InvitationStatus;
use time::PrimitiveDateTime;

impl InvitationStatus {
    /// The status a person sees: a pending invitation past its date is expired
    /// even before anything has marked it so.
    pub fn effective(stored: Self, expires_at: PrimitiveDateTime, now: PrimitiveDateTime) -> Self {
        match stored {
            Self::Pending if expires_at <= now => Self::Expired,
            s => s,
        }
    }
}

/// Longest optional message an inviter may add.
pub const MESSAGE_MAX: usize = 1000;

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
    /// The code kept in `invite_report_lines.outcome`; `NotAllowed`'s reason
    /// goes beside it (see `from_code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::InvitedInApp => "invited_in_app",
            Self::InvitedByEmail => "invited_by_email",
            Self::QuotaReached => "quota_reached",
            Self::AlreadyMember => "already_member",
            Self::AlreadyInvited => "already_invited",
            Self::NoSuchUser => "no_such_user",
            Self::NotAllowed(_) => "not_allowed",
            Self::AccountNotActive => "account_not_active",
            Self::InvalidEntry => "invalid_entry",
        }
    }

    /// The outcome a stored code names (an unknown code reads as invalid).
    pub fn from_code(code: &str, detail: &str) -> Self {
        match code {
            "invited" => Self::Invited,
            "invited_in_app" => Self::InvitedInApp,
            "invited_by_email" => Self::InvitedByEmail,
            "quota_reached" => Self::QuotaReached,
            "already_member" => Self::AlreadyMember,
            "already_invited" => Self::AlreadyInvited,
            "no_such_user" => Self::NoSuchUser,
            "not_allowed" => Self::NotAllowed(detail.to_string()),
            "account_not_active" => Self::AccountNotActive,
            _ => Self::InvalidEntry,
        }
    }

    /// `n` entries with this outcome in a result's one-line summary:
    /// "300 invited", "1 already a member", "2 invalid addresses".
    pub fn counted(&self, n: i64) -> String {
        let (one, many) = match self {
            Self::Invited | Self::InvitedInApp | Self::InvitedByEmail => ("invited", "invited"),
            Self::QuotaReached => ("over the daily limit", "over the daily limit"),
            Self::AlreadyMember => ("already a member", "already members"),
            Self::AlreadyInvited => ("already invited", "already invited"),
            Self::NoSuchUser => ("unknown username", "unknown usernames"),
            Self::NotAllowed(_) => ("not allowed", "not allowed"),
            Self::AccountNotActive => ("account not active", "accounts not active"),
            Self::InvalidEntry => ("invalid address", "invalid addresses"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
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
    /// Accepting it would break the invitation policy of the community
    /// named with the outcome (a rule made after it was sent): it stays
    /// pending and nothing changed.
    NotAllowed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn outcome_codes_round_trip() {
        let all = [
            InviteOutcome::Invited,
            InviteOutcome::InvitedInApp,
            InviteOutcome::InvitedByEmail,
            InviteOutcome::QuotaReached,
            InviteOutcome::AlreadyMember,
            InviteOutcome::AlreadyInvited,
            InviteOutcome::NoSuchUser,
            InviteOutcome::NotAllowed("partners and clients do not mix".into()),
            InviteOutcome::AccountNotActive,
            InviteOutcome::InvalidEntry,
        ];
        for o in all {
            let detail = match &o {
                InviteOutcome::NotAllowed(why) => why.as_str(),
                _ => "",
            };
            assert_eq!(InviteOutcome::from_code(o.code(), detail), o);
        }
        assert_eq!(
            InviteOutcome::AlreadyMember.counted(1),
            "1 already a member"
        );
        assert_eq!(
            InviteOutcome::InvalidEntry.counted(2),
            "2 invalid addresses"
        );
    }

    #[test]
    fn pending_past_its_date_is_expired() {
        let exp = datetime!(2026-11-29 10:00);
        assert_eq!(
            InvitationStatus::effective(
                InvitationStatus::Pending,
                exp,
                datetime!(2026-11-29 09:59)
            ),
            InvitationStatus::Pending
        );
        assert_eq!(
            InvitationStatus::effective(
                InvitationStatus::Pending,
                exp,
                datetime!(2026-11-29 10:00)
            ),
            InvitationStatus::Expired
        );
        assert_eq!(
            InvitationStatus::effective(
                InvitationStatus::Accepted,
                exp,
                datetime!(2026-12-29 10:00)
            ),
            InvitationStatus::Accepted
        );
    }
}
