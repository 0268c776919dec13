//! Checked types built once at the edge, and the pure rules around them.

mod account;
pub mod csv_invites;
mod device;
mod email;
mod form_errors;
mod group;
mod invitation;
pub mod invitation_policy;
mod message;
mod names;
mod password;
mod permission;
mod phone;
mod recipients;
pub mod reminders;
pub mod retry;
pub mod segregation;
mod states;
pub mod text;
mod username;
pub mod webhook;

pub use account::{AccountKind, AccountName, BoundedText};
pub use device::device_name;
pub use email::EmailAddress;
pub use form_errors::FormErrors;
pub use group::{Audience, GroupDescription, GroupName, JoinMethod, Slug};
pub use invitation::{AnswerOutcome, InviteOutcome, MESSAGE_MAX};
pub use message::{MessageBody, Subject};
pub use names::{PersonName, name_key, sort_key};
pub use password::Password;
pub use permission::{Permission, Permissions};
pub use phone::{CountryCode, PhoneNumber};
pub use recipients::{MAX_RECIPIENTS, Recipient, RecipientsError, parse_recipients};
pub use reminders::ReminderPoints;
pub use states::{
    DeliveryState, InvitationStatus, JoinRequestStatus, MailStatus, SuggestionStatus, UserStatus,
};
pub use username::Username;

/// A time as the JSON API and webhook payloads write it: RFC 3339, UTC.
pub fn rfc3339(t: time::PrimitiveDateTime) -> String {
    t.assume_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
