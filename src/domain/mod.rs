//! Checked types built once at the edge, and the pure rules around them.

mod account;
mod device;
mod email;
mod form_errors;
mod group;
mod invitation;
mod message;
mod names;
mod password;
mod permission;
mod phone;
mod recipients;
pub mod segregation;
pub mod text;
mod username;

pub use account::{AccountKind, AccountName, BoundedText};
pub use device::device_name;
pub use email::EmailAddress;
pub use form_errors::FormErrors;
pub use group::{Audience, GroupDescription, GroupName, JoinMethod, Slug};
pub use invitation::{AnswerOutcome, InvitationStatus, InviteOutcome};
pub use message::{MessageBody, Subject};
pub use names::{PersonName, name_key, sort_key};
pub use password::Password;
pub use permission::{Permission, Permissions};
pub use phone::{CountryCode, PhoneNumber};
pub use recipients::{MAX_RECIPIENTS, Recipient, RecipientsError, parse_recipients};
pub use username::Username;

/// A mail in the outbox, as stored in `outbox.status`.
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
pub enum MailStatus {
    /// Waiting for the mail worker (or for its next attempt).
    Pending,
    /// Handed to the mail server.
    Sent,
    /// Given up on after the last attempt.
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// A request to join a group, as stored in `join_requests.status`.
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
pub enum JoinRequestStatus {
    Pending,
    Approved,
    Refused,
}

impl JoinRequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "refused" => Self::Refused,
            _ => return None,
        })
    }
}

/// Account status as stored in `users.status`.
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
pub enum UserStatus {
    /// A contact with no login yet.
    Invited,
    PendingApproval,
    Active,
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::PendingApproval => "pending_approval",
            Self::Active => "active",
            Self::Deactivated => "deactivated",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "invited" => Self::Invited,
            "pending_approval" => Self::PendingApproval,
            "active" => Self::Active,
            "deactivated" => Self::Deactivated,
            _ => return None,
        })
    }
}
