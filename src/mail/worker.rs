//! Delivers due outbox mail, retrying with exponential back-off while the
//! mail server is down. Several servers may run workers: rows are claimed
//! under a lease, so none is sent twice.

use super::Mailer;
use super::transport::SendError;
use crate::clock::Clock;
use crate::db;
use crate::error::AppResult;
use crate::models::outbox;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

const BATCH: i64 = 50;
/// Mails in flight at once (the SMTP pool keeps up to 10 connections).
const PARALLEL_SENDS: usize = 8;
/// A claimed mail not settled within this time is claimable again.
const LEASE_SECS: i64 = 300;
const MAX_BACKOFF: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub struct MailWorker {
    /// Claims and results are written through it (grouped with other writes
    /// on SQLite).
    pub writer: db::Writer,
    /// Where the claimed mails' bodies are read (not on SQLite's writer).
    pub pool: db::DbPool,
    pub mailer: Mailer,
    pub from: Mailbox,
    pub clock: Clock,
    pub retry_base: Duration,
    pub max_attempts: i64,
    pub poll: Duration,
    pub wakeup: Arc<Notify>,
}

/// Delay before attempt `attempts + 1`: base · 2^(attempts-1), at most 10 minutes.
pub fn backoff(base: Duration, attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    base.saturating_mul(1u32 << exp.min(16)).min(MAX_BACKOFF)
}

impl MailWorker {
    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("mail worker started");
        loop {
            let more = match self.deliver_due().await {
                Ok(n) => n as i64 == BATCH,
                Err(e) => {
                    tracing::error!(error = %e, "mail worker: delivery round failed");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                _ = self.wakeup.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        tracing::info!("mail worker stopped");
    }

    /// One round: claim due mail, try each once, then record every result
    /// in one write. Returns how many were tried.
    pub async fn deliver_due(&self) -> AppResult<usize> {
        let now = self.clock.now();
        let lease = now + time::Duration::seconds(LEASE_SECS);
        let ids = self
            .writer
            .run(move |c| Ok(outbox::claim_due(c, now, lease, BATCH)?))
            .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let batch = db::run(&self.pool, move |c| Ok(outbox::load(c, &ids)?)).await?;
        let tried = batch.len();
        // Several mails at once: each SMTP exchange spends most of its time
        // waiting on the network, and the transport pools its connections.
        let results: Vec<(outbox::OutboxMail, Result<(), SendError>)> =
            futures_util::stream::iter(batch)
                .map(|mail| async move {
                    let sent = self.mailer.send(&self.from, &mail).await;
                    (mail, sent)
                })
                .buffer_unordered(PARALLEL_SENDS)
                .collect()
                .await;
        let now = self.clock.now();
        let mut sent = Vec::new();
        let mut unsent = Vec::new();
        for (mail, result) in results {
            let attempts = mail.attempts + 1;
            match result {
                Ok(()) => {
                    tracing::info!(id = mail.id, kind = %mail.kind, "mail sent");
                    sent.push(mail.id);
                }
                Err(e) if e.permanent || attempts >= self.max_attempts => {
                    tracing::warn!(id = mail.id, reason = %e.reason, "mail failed permanently");
                    unsent.push((mail.id, None, e.reason));
                }
                Err(e) => {
                    let delay = backoff(self.retry_base, attempts);
                    tracing::warn!(id = mail.id, attempts, retry_in_ms = delay.as_millis() as u64, reason = %e.reason, "mail not sent, will retry");
                    let next =
                        now + time::Duration::try_from(delay).unwrap_or(time::Duration::MINUTE);
                    unsent.push((mail.id, Some(next), e.reason));
                }
            }
        }
        self.writer
            .run(move |c| {
                outbox::mark_sent(c, &sent, now)?;
                for (id, retry_at, reason) in unsent {
                    match retry_at {
                        Some(next) => outbox::mark_retry(c, id, next, &reason)?,
                        None => outbox::mark_failed(c, id, &reason)?,
                    };
                }
                Ok(())
            })
            .await?;
        Ok(tried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 1), Duration::from_secs(2));
        assert_eq!(backoff(base, 2), Duration::from_secs(4));
        assert_eq!(backoff(base, 5), Duration::from_secs(32));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }
}
