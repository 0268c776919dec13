//! Inviting people into a group, and answering or cancelling invitations,
//! one file per job: the form (`form`), sending (`send`), the mail and
//! messages that announce it (`announce`), what admins do afterwards
//! (`manage`), reminders before expiry (`remind`) and the invitee's answer
//! (`answer`). What they share is here.

use crate::auth::links::LinkKey;
use crate::auth::tokens;
use crate::config::Config;
use crate::db::{self, DbConn};
use crate::domain::{
    AnswerOutcome, FormErrors, InvitationStatus, InviteOutcome, Recipient, parse_recipients,
};
use crate::error::{AppError, AppResult};
use crate::mail::{self, messages::InvitationMail};
use crate::models::audit::{self, NewAuditEvent};
use crate::models::invitation::{self, NewInvitation};
use crate::models::{Group, Role, User, membership, rate_limit, role, send_count, user};
use crate::policy::{self, AdminClaim, GroupAccess};
use crate::services::groups;
use crate::services::messages::{MessageRef, RefNote, send_message_with_ref};
use serde::Deserialize;
use time::PrimitiveDateTime;

mod announce;
mod answer;
mod form;
mod manage;
mod remind;
mod send;

pub use announce::*;
pub use answer::*;
pub use form::*;
pub use manage::*;
pub use remind::*;
pub use send::*;

/// Why a transaction stopped: a plain outcome to report, or a real error.
type Stop = super::Halt<InviteOutcome>;

/// The expiry of an invitation sent now.
pub(crate) fn expires_at(config: &Config, now: PrimitiveDateTime) -> PrimitiveDateTime {
    now + time::Duration::days(config.invitation_ttl_days)
}

pub fn format_when(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.format(&f).unwrap_or_default()
}

/// What inviting needs besides the database: settings and the link key.
pub struct InviteEnv<'a> {
    pub config: &'a Config,
    pub links: &'a LinkKey,
}

impl InviteEnv<'_> {
    pub fn join_url(&self, token: &str) -> String {
        format!("{}/join/{token}", self.config.base_url)
    }
}

impl crate::services::App {
    /// What invitations need to make links and mails.
    pub fn invite_env(&self) -> InviteEnv<'_> {
        InviteEnv {
            config: &self.config,
            links: &self.links,
        }
    }
}

/// An invitation just sent (or re-sent), for the messages that announce it.
struct Sent<'a> {
    /// The group's name, or the batch's names joined ("A, B and C").
    groups: &'a str,
    /// The group's description, when to one group.
    about: Option<&'a str>,
    inviter: &'a User,
    role: &'a Role,
    message: Option<&'a str>,
    expires_at: PrimitiveDateTime,
    /// A reminder of it rather than the invitation itself.
    reminder: bool,
}

/// "A", "A and B", "A, B and C": group names as a mail or a message says them.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The link of an invitation, for "Copy invitation link" (admins only).
pub fn link_of(env: &InviteEnv<'_>, inv: &invitation::Invitation) -> String {
    env.join_url(&env.links.token(&inv.link_nonce))
}
