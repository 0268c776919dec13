//! Inviting people into a group, and answering or cancelling invitations.
//! Each invitee is its own transaction: one refusal never stops the others,
//! and nothing is written for an entry that fails.

use crate::config::Config;
use crate::db::{self, DbConn};
use crate::domain::{
    AnswerOutcome, FormErrors, InvitationStatus, InviteOutcome, Permission, Recipient,
    parse_recipients,
};
use crate::error::{AppError, AppResult};
use crate::mail::{self, messages::InvitationMail};
use crate::models::invitation::{self, NewInvitation};
use crate::models::{Role, User, membership, role, user};
use crate::services::groups::{self, GroupAccess};
use crate::services::messages::{MessageRef, send_message_with_ref};
use crate::services::notifications::notify;
use serde::Deserialize;
use time::PrimitiveDateTime;

/// Longest optional message an inviter may add.
pub const MESSAGE_MAX: usize = 1000;

/// The invite form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct InviteInput {
    #[serde(default)]
    pub send_to: String,
    #[serde(default)]
    pub role_id: String,
    #[serde(default)]
    pub message: String,
    /// `preview` re-renders the form with the e-mail preview open.
    pub action: Option<String>,
}

/// A checked invite request.
pub struct InviteRequest {
    pub recipients: Vec<Recipient>,
    pub role: Role,
    pub message: Option<String>,
}

/// The roles the viewer may hand out in this group: built-in ones and the
/// group's own, and only those whose permissions the viewer holds too.
pub fn grantable_roles(conn: &mut DbConn, access: &GroupAccess) -> AppResult<Vec<Role>> {
    Ok(role::for_group(conn, access.group.id)?
        .into_iter()
        .filter(|r| r.usable_in(access.group.id) && access.perms.covers(r.perms()))
        .collect())
}

impl InviteInput {
    /// Checks the form against the roles the inviter may grant. A role id from
    /// another group or above the inviter's own is refused like an unknown one.
    pub fn parse(&self, grantable: &[Role]) -> Result<InviteRequest, FormErrors> {
        let mut e = FormErrors::default();
        let recipients = e.check(
            "send_to",
            parse_recipients(&self.send_to).map_err(|err| err.message()),
        );
        let role = self
            .role_id
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| grantable.iter().find(|r| r.id == id).cloned());
        if role.is_none() {
            e.add("role_id", "Choose one of the roles you may give.");
        }
        let message = self.message.trim().replace("\r\n", "\n");
        if message.chars().count() > MESSAGE_MAX {
            e.add(
                "message",
                format!("A message has at most {MESSAGE_MAX} characters."),
            );
        }
        match (recipients, role) {
            (Some(recipients), Some(role)) if e.is_empty() => Ok(InviteRequest {
                recipients,
                role,
                message: (!message.is_empty()).then_some(message),
            }),
            _ => Err(e),
        }
    }
}

/// Why a transaction stopped: a plain outcome to report, or a real error.
enum Stop {
    Outcome(InviteOutcome),
    Failed(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Failed(e)
    }
}

impl From<askama::Error> for Stop {
    fn from(e: askama::Error) -> Self {
        Stop::Failed(e.into())
    }
}

fn expires_at(config: &Config, now: PrimitiveDateTime) -> PrimitiveDateTime {
    now + time::Duration::days(config.invitation_ttl_days)
}

pub fn format_when(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.format(&f).unwrap_or_default()
}

/// The invitation mail as the invitee will see it, for the invite page's preview.
pub fn preview(
    config: &Config,
    access: &GroupAccess,
    inviter: &User,
    role: Option<&Role>,
    message: Option<&str>,
    now: PrimitiveDateTime,
) -> AppResult<String> {
    let m = mail::messages::invitation(&InvitationMail {
        to: "invitee@example.com",
        name: Some("(the invitee's first name)"),
        inviter: &inviter.display_name(),
        groups: &access.group.name,
        role: role.map_or("(the role you choose)", |r| r.name.as_str()),
        message,
        registered: true,
        link: &format!("{}/invitations", config.base_url),
        expires: &format_when(expires_at(config, now)),
    })?;
    Ok(format!("Subject: {}\n\n{}", m.subject, m.text))
}

/// Invites one entry of the form in its own transaction.
pub fn invite_one(
    conn: &mut DbConn,
    config: &Config,
    access: &GroupAccess,
    inviter: &User,
    req: &InviteRequest,
    recipient: &Recipient,
    now: PrimitiveDateTime,
) -> AppResult<InviteOutcome> {
    if !access.can(Permission::ManageMember) {
        return Err(AppError::forbidden());
    }
    let result = db::write_tx(conn, |conn| -> Result<InviteOutcome, Stop> {
        let invitee = match recipient {
            Recipient::Invalid(_) => return Err(Stop::Outcome(InviteOutcome::InvalidEntry)),
            Recipient::Username(u) => user::find_by_username(conn, &u.key())?,
            Recipient::Email(e) => user::find_by_email_key(conn, &e.key())?,
        };
        let Some(invitee) = invitee else {
            return Err(Stop::Outcome(InviteOutcome::NoSuchUser));
        };
        if !invitee.is_active() || invitee.email_verified_at.is_none() {
            return Err(Stop::Outcome(InviteOutcome::AccountNotActive));
        }
        if invitee.id == inviter.id
            || membership::find_with_role(conn, access.group.id, invitee.id)?.is_some()
        {
            return Err(Stop::Outcome(InviteOutcome::AlreadyMember));
        }
        let email_key = invitee.email.to_lowercase();
        for stale in invitation::expire_stale(conn, access.group.id, &email_key, now)? {
            invitation::add_event(conn, stale, "expired", None, now)?;
        }
        let id = invitation::insert(
            conn,
            &NewInvitation {
                group_id: access.group.id,
                inviter_id: inviter.id,
                invitee_user_id: Some(invitee.id),
                invitee_email: &invitee.email,
                invitee_email_key: &email_key,
                role_id: req.role.id,
                message: req.message.as_deref(),
                status: InvitationStatus::Pending.as_str(),
                token_hash: None,
                created_at: now,
                sent_at: now,
                expires_at: expires_at(config, now),
            },
        )
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                Stop::Outcome(InviteOutcome::AlreadyInvited)
            } else {
                e.into()
            }
        })?;
        invitation::add_event(conn, id, "sent", Some(inviter.id), now)?;
        deliver(conn, config, access, inviter, &invitee, req, id, now)?;
        Ok(InviteOutcome::Invited)
    });
    match result {
        Ok(o) | Err(Stop::Outcome(o)) => Ok(o),
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// How the invitee hears of it: a private message from the inviter, a
/// notification, and a mail through the outbox.
#[allow(clippy::too_many_arguments)]
fn deliver(
    conn: &mut DbConn,
    config: &Config,
    access: &GroupAccess,
    inviter: &User,
    invitee: &User,
    req: &InviteRequest,
    invitation_id: i64,
    now: PrimitiveDateTime,
) -> Result<(), Stop> {
    let group = &access.group.name;
    let inviter_name = inviter.display_name();
    let mut body = format!(
        "{inviter_name} invites you to join {group} as {}.",
        req.role.name
    );
    if let Some(m) = &req.message {
        body.push_str("\n\n");
        body.push_str(m);
    }
    body.push_str("\n\nAccept or decline below, or in your invitations.");
    send_message_with_ref(
        conn,
        Some(inviter.id),
        invitee.id,
        &format!("Invitation to {group}"),
        &body,
        Some(MessageRef {
            kind: "invitation",
            ref_id: invitation_id,
        }),
        now,
    )?;
    notify(
        conn,
        invitee.id,
        "invitation",
        &format!("{inviter_name} invited you to {group}"),
        Some("/invitations"),
        now,
    )?;
    let m = mail::messages::invitation(&InvitationMail {
        to: &invitee.email,
        name: Some(&invitee.first_name),
        inviter: &inviter_name,
        groups: group,
        role: &req.role.name,
        message: req.message.as_deref(),
        registered: true,
        link: &format!("{}/invitations", config.base_url),
        expires: &format_when(expires_at(config, now)),
    })?;
    let mail_id = mail::enqueue(conn, &m, now, &config.host())?;
    invitation::set_last_mail(conn, invitation_id, mail_id)?;
    Ok(())
}

/// The invitee accepts or declines. Happens once: a conditional update
/// decides, and the membership's unique index backs it up.
pub fn answer(
    conn: &mut DbConn,
    me: &User,
    invitation_id: i64,
    accept: bool,
    now: PrimitiveDateTime,
) -> AppResult<(AnswerOutcome, String)> {
    db::write_tx(conn, |conn| {
        let inv = invitation::find(conn, invitation_id)?
            .filter(|i| i.invitee_user_id == Some(me.id))
            .ok_or_else(AppError::not_found)?;
        let group = crate::models::group::find(conn, inv.group_id)?;
        let to = if accept {
            InvitationStatus::Accepted
        } else {
            InvitationStatus::Declined
        };
        if invitation::close_if_open(conn, inv.id, to, now)? == 0 {
            return Ok((
                AnswerOutcome::NoLongerOpen(inv.effective_status(now)),
                group.name,
            ));
        }
        if accept && membership::find_with_role(conn, group.id, me.id)?.is_none() {
            groups::add_member(
                conn,
                group.id,
                me.id,
                inv.role_id,
                Some(inv.inviter_id),
                now,
            )?;
        }
        invitation::add_event(conn, inv.id, to.as_str(), Some(me.id), now)?;
        let verb = if accept { "accepted" } else { "declined" };
        notify(
            conn,
            inv.inviter_id,
            &format!("invitation_{verb}"),
            &format!(
                "{} {verb} your invitation to {}",
                me.display_name(),
                group.name
            ),
            Some(&format!("/groups/{}/invitations", group.slug)),
            now,
        )?;
        let outcome = if accept {
            AnswerOutcome::Accepted
        } else {
            AnswerOutcome::Declined
        };
        Ok((outcome, group.name))
    })
}

/// A group admin cancels a pending invitation of *this* group (an id of
/// another group is not found). False when it was no longer open.
pub fn cancel(
    conn: &mut DbConn,
    access: &GroupAccess,
    actor: &User,
    invitation_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    access.require(Permission::ManageMember)?;
    db::write_tx(conn, |conn| {
        let inv = invitation::find(conn, invitation_id)?
            .filter(|i| i.group_id == access.group.id)
            .ok_or_else(AppError::not_found)?;
        if invitation::close_if_open(conn, inv.id, InvitationStatus::Cancelled, now)? == 0 {
            return Ok(false);
        }
        invitation::add_event(conn, inv.id, "cancelled", Some(actor.id), now)?;
        Ok(true)
    })
}
