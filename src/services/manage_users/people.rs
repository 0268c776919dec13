//! Manage Users: a super user's view of their account's people, and the
//! Active Login toggle.

use crate::db::{self, DbConn};
use crate::domain::UserStatus;
use crate::error::AppResult;
use crate::models::audit::{self, NewAuditEvent};
use crate::models::{User, company_account, user};
use crate::policy;
use crate::services::{Halt, outcome};
use time::PrimitiveDateTime;

/// What the Active Login toggle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switched {
    TurnedOn,
    TurnedOff,
    /// Nothing to do: it was on (`true`) or off already.
    Already(bool),
}

/// Why the Active Login toggle changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchRefusal {
    /// A contact (never registered) has no log-in to switch.
    NotRegistered,
    /// Nobody turns off their own.
    OwnLogin,
    LastSuperUser,
}

/// What Resend Invitation / Generate New Invitation on a contact's page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactDone {
    Resent,
    Renewed,
}

/// Why it did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRefusal {
    /// They registered (or their invitations ended) meanwhile.
    NoPendingInvitation,
    QuotaReached,
    ResendLimit,
    NotOpen,
    /// The invitation policy refuses it now.
    NotAllowed,
}

/// The acting super user (reloaded inside the transaction: their powers may
/// have gone since the page was shown) and the target, who must be in the
/// same account. A user of another account is "not found": whether they
/// exist is not disclosed.
pub fn load_target(conn: &mut DbConn, actor: i64, target: i64) -> AppResult<(User, User)> {
    let me = user::find(conn, actor)?;
    let them = user::find(conn, target)?;
    policy::may_manage_account_user(&me, &them)?;
    Ok((me, them))
}

/// Turns `target`'s Active Login off (status deactivated: their sessions end
/// at the next request on every server, log-in is refused, their pending
/// sent invitations are cancelled) or on again. Audited.
pub fn set_active_login(
    conn: &mut DbConn,
    actor: i64,
    target: i64,
    on: bool,
    now: PrimitiveDateTime,
) -> AppResult<Result<Switched, SwitchRefusal>> {
    outcome(db::write_tx(
        conn,
        |conn| -> Result<_, Halt<SwitchRefusal>> {
            let (me, them) = load_target(conn, actor, target)?;
            let account = me.account_id.expect("a super user has an account");
            if !them.is_registered() {
                return Err(Halt::Refused(SwitchRefusal::NotRegistered));
            }
            let (from, to, kind, verb) = if on {
                (
                    UserStatus::Deactivated,
                    UserStatus::Active,
                    audit::ACTIVE_LOGIN_ON,
                    "on",
                )
            } else {
                if them.id == me.id {
                    return Err(Halt::Refused(SwitchRefusal::OwnLogin));
                }
                if them.is_super_user {
                    // Serialise with another super user doing the same to us.
                    company_account::lock(conn, account)?;
                    if user::count_other_active_super_users(conn, account, them.id)? == 0 {
                        return Err(Halt::Refused(SwitchRefusal::LastSuperUser));
                    }
                }
                (
                    UserStatus::Active,
                    UserStatus::Deactivated,
                    audit::ACTIVE_LOGIN_OFF,
                    "off",
                )
            };
            if user::change_status(conn, them.id, from, to, now)? == 0 {
                return Ok(Switched::Already(on));
            }
            if !on {
                // Their pending invitations can no longer let anyone in.
                crate::services::revocations::revoke_sent_by(conn, them.id, Some(me.id), now)?;
            }
            audit::record(
                conn,
                &NewAuditEvent {
                    actor_id: me.id,
                    subject_user_id: Some(them.id),
                    account_id: Some(account),
                    group_id: None,
                    kind,
                    detail: &format!(
                        "Active Login turned {verb} for {}",
                        them.username_or_email()
                    ),
                    created_at: now,
                },
            )?;
            Ok(if on {
                Switched::TurnedOn
            } else {
                Switched::TurnedOff
            })
        },
    ))
}

/// The invitation a contact's detail page acts on: the first of their
/// pending invitations (the one whose link their mail carries), and the
/// names of every group they are invited to.
pub struct ContactInvitation {
    pub invitation: crate::models::invitation::Invitation,
    pub groups: String,
}

pub fn contact_invitation(
    conn: &mut DbConn,
    contact: &User,
) -> AppResult<Option<ContactInvitation>> {
    if contact.status != UserStatus::Invited {
        return Ok(None);
    }
    let pending = crate::models::invitation::pending_for_contact(conn, contact.id)?;
    let names: Vec<String> = pending.iter().map(|(_, n)| n.clone()).collect();
    Ok(pending
        .into_iter()
        .next()
        .map(|(invitation, _)| ContactInvitation {
            invitation,
            groups: crate::services::invitations::join_names(&names),
        }))
}

/// "Resend Invitation" / "Generate New Invitation" on a contact's page: the
/// super user of the contact's account only (another account's contact is
/// not found), and only while the contact has not registered. Resending
/// mails the current link again naming every group; both restart the
/// period of the whole batch, so one link keeps answering all of it.
pub fn contact_invitation_action(
    conn: &mut DbConn,
    env: &crate::services::invitations::InviteEnv<'_>,
    actor: i64,
    target: i64,
    renew: bool,
    now: PrimitiveDateTime,
) -> AppResult<Result<ContactDone, ContactRefusal>> {
    use crate::services::invitations::{self, AdminActionOutcome};
    db::write_tx(conn, |conn| {
        let (me, them) = load_target(conn, actor, target)?;
        let Some(ci) = contact_invitation(conn, &them)? else {
            return Ok(Err(ContactRefusal::NoPendingInvitation));
        };
        let outcome = if renew {
            invitations::renew_checked(conn, env, &me, &ci.invitation, now)?
        } else {
            invitations::resend_checked(conn, env, &me, &ci.invitation, &ci.groups, now)?
        };
        match outcome {
            AdminActionOutcome::Done => {}
            AdminActionOutcome::QuotaReached => return Ok(Err(ContactRefusal::QuotaReached)),
            AdminActionOutcome::ResendLimit => return Ok(Err(ContactRefusal::ResendLimit)),
            AdminActionOutcome::NotOpen(_) => return Ok(Err(ContactRefusal::NotOpen)),
            AdminActionOutcome::NotAllowed(_) => return Ok(Err(ContactRefusal::NotAllowed)),
        }
        let until = invitations::expires_at(env.config, now);
        for sibling in crate::models::invitation::pending_siblings(conn, &ci.invitation)? {
            crate::models::invitation::restart(conn, sibling.id, now, until)?;
        }
        Ok(Ok(if renew {
            ContactDone::Renewed
        } else {
            ContactDone::Resent
        }))
    })
}

/// A super user's changes to one person, as handlers call them.
impl crate::services::App {
    pub async fn set_active_login(
        &self,
        actor: i64,
        target: i64,
        on: bool,
    ) -> AppResult<Result<Switched, SwitchRefusal>> {
        self.on_pool(move |c, now| set_active_login(c, actor, target, on, now))
            .await
    }

    /// Resend Invitation (`renew` false) or Generate New Invitation.
    pub async fn contact_invitation(
        &self,
        actor: i64,
        target: i64,
        renew: bool,
    ) -> AppResult<Result<ContactDone, ContactRefusal>> {
        let app = self.clone();
        self.on_pool_mailing(move |c, now| {
            contact_invitation_action(c, &app.invite_env(), actor, target, renew, now)
        })
        .await
    }
}
