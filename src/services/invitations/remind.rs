//! Reminders before an invitation expires. A round (`App::queue_reminders`,
//! run beside the mail worker by `startup`) queues each due reminder in the
//! outbox; the mail worker delivers it like any other mail.

use super::*;

/// Invitations read per query of a round.
const ROUND: i64 = 200;

/// Queues the reminders due at `now`, each in its own transaction; returns
/// how many mails were queued.
pub fn queue_reminders(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    now: PrimitiveDateTime,
) -> AppResult<usize> {
    let points = &env.config.invitation_reminders;
    let mut queued = 0;
    // The latest point first: an invitation past two points (the server was
    // down through both) gets one reminder, not two.
    for (k, &before) in points.before_expiry().iter().enumerate().rev() {
        let point = i32::try_from(k).unwrap_or(i32::MAX);
        loop {
            let due = invitation::reminders_due(conn, now, before, point, ROUND)?;
            let (read, mut claimed) = (due.len(), 0);
            for inv in due {
                match remind(conn, env, inv.id, before, point, now)? {
                    Reminded::Mailed => (claimed, queued) = (claimed + 1, queued + 1),
                    Reminded::Quietly => claimed += 1,
                    Reminded::Lost => {}
                }
            }
            // Claimed rows leave the query; a full page of rows another
            // server claimed meanwhile ends the round (the next one goes on).
            if (read as i64) < ROUND || claimed == 0 {
                break;
            }
        }
    }
    Ok(queued)
}

enum Reminded {
    /// This round claimed the point and queued the mail.
    Mailed,
    /// Claimed, but nothing to mail: a wizard batch's other invitations
    /// (the first one's reminder names them all), or one the invitation
    /// policy now refuses (its link could not be accepted).
    Quietly,
    /// Another server claimed it first, or it changed meanwhile.
    Lost,
}

/// Claims reminder `point` of invitation `id` and queues its mail, in one
/// transaction: a reminder is either claimed and queued, or neither.
fn remind(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    id: i64,
    before: time::Duration,
    point: i32,
    now: PrimitiveDateTime,
) -> AppResult<Reminded> {
    db::write_tx(conn, |conn| {
        if invitation::claim_reminder(conn, id, now, before, point)? == 0 {
            return Ok(Reminded::Lost);
        }
        // Read after the claim, which holds the row: what the mail says is
        // what the invitation is now.
        let Some(inv) = invitation::find(conn, id)? else {
            return Ok(Reminded::Lost);
        };
        if inv.batch_id.is_some_and(|head| head != inv.id) {
            return Ok(Reminded::Quietly);
        }
        if breach(conn, env, &inv)?.is_some() {
            return Ok(Reminded::Quietly);
        }
        let mut names = vec![crate::models::group::find(conn, inv.group_id)?.name];
        for sibling in invitation::pending_siblings(conn, &inv)? {
            names.push(crate::models::group::find(conn, sibling.group_id)?.name);
        }
        let mail_id = mail_again(
            conn,
            env,
            &inv,
            &join_names(&names),
            inv.expires_at,
            true,
            now,
        )?;
        invitation::set_last_mail(conn, &[inv.id], mail_id)?;
        invitation::log(conn, &[inv.id], "reminded", None, now)?;
        Ok(Reminded::Mailed)
    })
}

/// Records the passing of pending invitations' dates, a transaction per
/// [`ROUND`], so that their history and the webhooks (`invitation.expired`)
/// hear of it when it happens, not when someone next looks. The status
/// stays 'pending' (it reads as expired; Extend and Resend still work on
/// the same link). Returns how many.
pub fn expire_due(conn: &mut DbConn, now: PrimitiveDateTime) -> AppResult<usize> {
    let mut done = 0;
    loop {
        let moved = db::write_tx(conn, |conn| -> AppResult<usize> {
            let ids = invitation::note_expired(conn, now, ROUND)?;
            invitation::log(conn, &ids, "expired", None, now)?;
            Ok(ids.len())
        })?;
        done += moved;
        if (moved as i64) < ROUND {
            return Ok(done);
        }
    }
}

impl crate::services::App {
    /// Records what expired (see [`expire_due`]) at the clock's time.
    pub async fn expire_invitations(&self) -> AppResult<usize> {
        self.on_pool(expire_due).await
    }

    /// One reminder round at the clock's time; wakes the mail worker when
    /// it queued any. Returns how many.
    pub async fn queue_reminders(&self) -> AppResult<usize> {
        if self.config.invitation_reminders.is_empty() {
            return Ok(0);
        }
        let app = self.clone();
        let n = self
            .on_pool(move |c, now| queue_reminders(c, &app.invite_env(), now))
            .await?;
        if n > 0 {
            self.mail_wakeup.notify_one();
        }
        Ok(n)
    }

    /// Runs a reminder round every `reminder_poll` until `shutdown` turns
    /// true (beside the mail worker: a server without one reminds nobody),
    /// and takes over CSV imports whose sender's lease ran out.
    pub async fn run_reminders(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.queue_reminders().await {
                tracing::error!(error = %e, "reminder round failed");
            }
            if let Err(e) = self.expire_invitations().await {
                tracing::error!(error = %e, "expiring invitations failed");
            }
            // CSV imports whose sender is gone (a crash, a restart).
            if let Err(e) = self.resume_csv_sends().await {
                tracing::error!(error = %e, "resuming CSV imports failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.reminder_poll) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }
}
