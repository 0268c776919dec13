//! Manage Users: a super user's view of their account's people, and the
//! Active Login toggle.

use crate::db::{self, DbConn};
use crate::domain::UserStatus;
use crate::error::AppResult;
use crate::models::audit::{self, NewAuditEvent};
use crate::models::{User, company_account, user};
use crate::policy;
use crate::services::groups::{Stop, outcome};
use time::PrimitiveDateTime;

pub const NOT_SELF: &str = "You cannot turn off your own Active Login.";
pub const LAST_SUPER_USER: &str =
    "This is the account's last super user: make someone else a super user first.";
pub const NOT_REGISTERED: &str =
    "Only registered users (Community Users) have an Active Login to turn on or off.";

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
) -> AppResult<Result<&'static str, &'static str>> {
    outcome(db::write_tx(conn, |conn| {
        let (me, them) = load_target(conn, actor, target)?;
        let account = me.account_id.expect("a super user has an account");
        if !them.is_registered() {
            return Err(Stop::Refused(NOT_REGISTERED));
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
                return Err(Stop::Refused(NOT_SELF));
            }
            if them.is_super_user {
                // Serialise with another super user doing the same to us.
                company_account::lock(conn, account)?;
                if user::count_other_active_super_users(conn, account, them.id)? == 0 {
                    return Err(Stop::Refused(LAST_SUPER_USER));
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
            return Ok(if on {
                "Active Login is on already."
            } else {
                "Active Login is off already."
            });
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
            "Active Login is on: they can log in again."
        } else {
            "Active Login is off: their sessions have ended and they cannot log in."
        })
    }))
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
) -> AppResult<Result<&'static str, &'static str>> {
    use crate::services::invitations::{self, AdminActionOutcome};
    db::write_tx(conn, |conn| {
        let (me, them) = load_target(conn, actor, target)?;
        let Some(ci) = contact_invitation(conn, &them)? else {
            return Ok(Err(
                "This person has no pending invitation: they may have registered already.",
            ));
        };
        let outcome = if renew {
            invitations::renew_checked(conn, env, &me, &ci.invitation, now)?
        } else {
            invitations::resend_checked(conn, env, &me, &ci.invitation, &ci.groups, now)?
        };
        match outcome {
            AdminActionOutcome::Done => {}
            AdminActionOutcome::QuotaReached => {
                return Ok(Err(
                    "The daily limit of invitations is reached: try again tomorrow.",
                ));
            }
            AdminActionOutcome::ResendLimit => return Ok(Err(invitations::RESEND_LIMIT)),
            AdminActionOutcome::NotOpen(_) => {
                return Ok(Err("This invitation is no longer open."));
            }
        }
        let until = invitations::expires_at(env.config, now);
        for sibling in crate::models::invitation::pending_siblings(conn, &ci.invitation)? {
            crate::models::invitation::restart(conn, sibling.id, now, until)?;
        }
        Ok(Ok(if renew {
            "A new invitation link was generated: the previous one no longer works."
        } else {
            "The invitation was sent again."
        }))
    })
}
