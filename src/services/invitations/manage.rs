//! What a group admin does to invitations already sent: resend, generate
//! a new link, cancel, one at a time or the selected together.

use super::*;

/// Finds an invitation of this group for an admin action (another group's
/// id is not found).
pub(super) fn of_group(
    conn: &mut DbConn,
    access: &GroupAccess,
    id: i64,
) -> AppResult<invitation::Invitation> {
    invitation::find(conn, id)?
        .filter(|i| i.group_id == access.group.id)
        .ok_or_else(AppError::not_found)
}

#[derive(Debug, PartialEq, Eq)]
pub enum AdminActionOutcome {
    Done,
    /// Not pending any more (answered, cancelled or expired).
    NotOpen(InvitationStatus),
    QuotaReached,
    /// This invitation was re-sent as often as a day allows.
    ResendLimit,
    /// The invitation policy refuses it now (a rule made since it was sent).
    NotAllowed(policy::Breach),
}

/// What the invitation policy of `inv`'s group says of it now: resending
/// or renewing an invitation a rule refuses would only mail a link that
/// cannot be accepted.
pub(super) fn breach(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    inv: &invitation::Invitation,
) -> AppResult<Option<policy::Breach>> {
    let levels = crate::models::invitation_policy::along_path(conn, inv.group_id)?;
    Ok(policy::may_invite_address(&levels, &inv.invitee_email, &env.config.disposable).err())
}

/// "Resend invitation": mails the current link of `inv` again and restarts
/// the period, once the caller has checked `actor` may (a group admin of its
/// group, or the super user of the contact's account); inside the caller's
/// transaction. `groups` names what the mail invites to.
pub(crate) fn resend_checked(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: &User,
    inv: &invitation::Invitation,
    groups: &str,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    let status = inv.effective_status(now);
    // An expired invitation may be re-sent: that is what restarting is for.
    if !matches!(
        status,
        InvitationStatus::Pending | InvitationStatus::Expired
    ) || inv.status != InvitationStatus::Pending
    {
        return Ok(AdminActionOutcome::NotOpen(status));
    }
    if let Some(b) = breach(conn, env, inv)? {
        return Ok(AdminActionOutcome::NotAllowed(b));
    }
    // Inside the caller's transaction: the reservation holds until it ends.
    let limits = limits(env.config);
    let mut grant = send_count::reserve(conn, actor.id, &[inv.group_id], limits, now)?;
    if !grant.take(inv.group_id) {
        return Ok(AdminActionOutcome::QuotaReached);
    }
    // Taken inside this transaction: clicks arriving at once queue on the
    // counter's row, and a resend that fails later gives its hit back.
    let day_ago = now - time::Duration::DAY;
    let key = format!("resend:{}", inv.id);
    if !rate_limit::take(
        conn,
        &key,
        env.config.resends_per_invitation_per_day,
        day_ago,
        now,
    )? {
        return Ok(AdminActionOutcome::ResendLimit);
    }
    rate_limit::prune(conn, "resend:", day_ago)?;
    let until = expires_at(env.config, now);
    invitation::restart(conn, inv.id, now, until)?;
    invitation::log(conn, &[inv.id], "resent", Some(actor.id), now)?;
    let mail_id = mail_again(conn, env, inv, groups, until, false, now)?;
    invitation::set_last_mail(conn, &[inv.id], mail_id)?;
    Ok(AdminActionOutcome::Done)
}

/// "Generate new invitation": a new link for `inv` (every earlier one stops
/// working at once) and a new period, once the caller has checked `actor`
/// may; inside the caller's transaction. The admin copies or re-sends the
/// new link.
pub(crate) fn renew_checked(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: &User,
    inv: &invitation::Invitation,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    if inv.status != InvitationStatus::Pending {
        return Ok(AdminActionOutcome::NotOpen(inv.effective_status(now)));
    }
    if let Some(b) = breach(conn, env, inv)? {
        return Ok(AdminActionOutcome::NotAllowed(b));
    }
    let (nonce, _token, hash) = env.links.fresh();
    invitation::replace_link(conn, inv, &nonce, &hash, now)?;
    invitation::restart(conn, inv.id, now, expires_at(env.config, now))?;
    invitation::log(conn, &[inv.id], "renewed", Some(actor.id), now)?;
    Ok(AdminActionOutcome::Done)
}

/// How much "Extend 7 days" adds.
pub const EXTEND_BY: time::Duration = time::Duration::days(7);

/// "Extend 7 days": the same link of `inv` works 7 days longer (from its
/// expiry, or from now when it has expired already); no mail goes out.
/// Inside the caller's transaction, once it checked `actor` may.
fn extend_checked(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: &User,
    inv: &invitation::Invitation,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    if inv.status != InvitationStatus::Pending {
        return Ok(AdminActionOutcome::NotOpen(inv.effective_status(now)));
    }
    if let Some(b) = breach(conn, env, inv)? {
        return Ok(AdminActionOutcome::NotAllowed(b));
    }
    invitation::extend(conn, inv.id, inv.expires_at.max(now) + EXTEND_BY)?;
    invitation::log(conn, &[inv.id], "extended", Some(actor.id), now)?;
    Ok(AdminActionOutcome::Done)
}

/// Cancels `inv` (the caller checked the actor may); false when it was not
/// open any more.
pub(super) fn cancel_checked(
    conn: &mut DbConn,
    actor: &User,
    inv: &invitation::Invitation,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    if invitation::close_if_open(conn, inv.id, InvitationStatus::Cancelled, now)? == 0 {
        return Ok(false);
    }
    invitation::log(conn, &[inv.id], "cancelled", Some(actor.id), now)?;
    Ok(true)
}

/// What the list's "With the selected" buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Resend,
    Cancel,
}

/// The most invitations one "With the selected" press acts on (a page holds 50).
pub const BULK_MAX: usize = 100;

/// How a "With the selected" press went, invitation by invitation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkReport {
    pub done: usize,
    /// Answered, cancelled or expired in the meantime.
    pub not_open: usize,
    /// Re-sent as often as a day allows, or the daily quota reached.
    pub limited: usize,
    /// Refused by the invitation policy now.
    pub not_allowed: usize,
}

/// Refuses a press on more than [`BULK_MAX`] invitations (a forged form).
pub fn check_bulk_size(ids: &[i64]) -> AppResult<()> {
    if ids.len() > BULK_MAX {
        return Err(AppError::bad_request(format!(
            "Select at most {BULK_MAX} invitations at once."
        )));
    }
    Ok(())
}

/// Resends or cancels the selected invitations of the group in one
/// transaction; each gets the outcome its own button would give. An id of
/// another group refuses the whole press (a forged form).
pub fn bulk(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    claim: &AdminClaim,
    actor: &User,
    ids: &[i64],
    action: BulkAction,
    now: PrimitiveDateTime,
) -> AppResult<BulkReport> {
    check_bulk_size(ids)?;
    db::write_tx(conn, |conn| {
        let access = claim.check(conn)?;
        let mut report = BulkReport::default();
        for &id in ids {
            let inv = of_group(conn, &access, id)?;
            match action {
                BulkAction::Cancel => match cancel_checked(conn, actor, &inv, now)? {
                    true => report.done += 1,
                    false => report.not_open += 1,
                },
                BulkAction::Resend => {
                    match resend_checked(conn, env, actor, &inv, &access.group.name, now)? {
                        AdminActionOutcome::Done => report.done += 1,
                        AdminActionOutcome::NotOpen(_) => report.not_open += 1,
                        AdminActionOutcome::QuotaReached | AdminActionOutcome::ResendLimit => {
                            report.limited += 1
                        }
                        AdminActionOutcome::NotAllowed(_) => report.not_allowed += 1,
                    }
                }
            }
        }
        Ok(report)
    })
}

/// One of a group admin's changes to an invitation already sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    /// "Resend invitation".
    Resend,
    /// "Generate new invitation".
    Renew,
    /// "Cancel invitation".
    Cancel,
    /// "Extend 7 days".
    Extend,
}

impl crate::services::App {
    /// Resends, renews, cancels or extends invitation `id` of the claimed group; the
    /// claim is checked in the change's own transaction.
    pub async fn change_invitation(
        &self,
        claim: AdminClaim,
        actor: &User,
        id: i64,
        change: AdminChange,
    ) -> AppResult<AdminActionOutcome> {
        let (app, actor, now) = (self.clone(), actor.clone(), self.clock.now());
        let outcome = db::run(&self.pool, move |c| {
            let env = app.invite_env();
            // The check and the change in one transaction: nothing changes
            // between them.
            db::write_tx(c, |c| {
                let access = claim.check(c)?;
                let inv = of_group(c, &access, id)?;
                match change {
                    AdminChange::Resend => {
                        resend_checked(c, &env, &actor, &inv, &access.group.name, now)
                    }
                    AdminChange::Renew => renew_checked(c, &env, &actor, &inv, now),
                    AdminChange::Extend => extend_checked(c, &env, &actor, &inv, now),
                    AdminChange::Cancel => Ok(match cancel_checked(c, &actor, &inv, now)? {
                        true => AdminActionOutcome::Done,
                        false => AdminActionOutcome::NotOpen(inv.effective_status(now)),
                    }),
                }
            })
        })
        .await?;
        if change == AdminChange::Resend && outcome == AdminActionOutcome::Done {
            self.mail_wakeup.notify_one();
        }
        Ok(outcome)
    }

    /// "With the selected": resends or cancels them in one transaction.
    pub async fn change_invitations(
        &self,
        claim: AdminClaim,
        actor: &User,
        ids: Vec<i64>,
        action: BulkAction,
    ) -> AppResult<BulkReport> {
        let (app, actor, now) = (self.clone(), actor.clone(), self.clock.now());
        let report = db::run(&self.pool, move |c| {
            bulk(c, &app.invite_env(), &claim, &actor, &ids, action, now)
        })
        .await?;
        if action == BulkAction::Resend && report.done > 0 {
            self.mail_wakeup.notify_one();
        }
        Ok(report)
    }
}
