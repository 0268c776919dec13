//! Delivers due outbox mail, retrying with exponential back-off while the
//! mail server is down. Several servers may run workers: rows are claimed
//! under a short lease that the worker renews while it works on them, so
//! none is sent twice, and a worker killed mid-round leaves its mail to the
//! next within seconds. Each mail's outcome is written as soon as the SMTP
//! server answers, so a crash repeats at most the mails in flight.

use super::Mailer;
use super::transport::SendError;
use crate::clock::Clock;
use crate::db;
use crate::domain::retry;
use crate::error::{AppError, AppResult};
use crate::models::outbox;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::PrimitiveDateTime;
use tokio::sync::{Notify, watch};

const BATCH: i64 = 50;
/// Mails in flight at once (the SMTP pool keeps up to 10 connections).
const PARALLEL_SENDS: usize = 8;
/// A claimed mail not settled or renewed within this time is claimable
/// again: after a crash, the mail waits at most this long (plus a poll).
const LEASE: Duration = Duration::from_secs(10);
/// How often a working worker renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// While the mail server stays down, the log says so this often.
const STILL_DOWN_EVERY: Duration = Duration::from_secs(300);

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
    /// Whether the mail server is down, shared by the worker's rounds.
    pub outage: Arc<Mutex<Outage>>,
}

/// The end of a lease starting at `now`, in whole milliseconds so that it
/// reads back equal on both backends (it marks whose claim a row is).
fn lease_from(now: PrimitiveDateTime) -> PrimitiveDateTime {
    db::whole_millis(now + LEASE)
}

/// The mail server's state as the log tells it: one line when it goes
/// down, one every [`STILL_DOWN_EVERY`] while it stays down, one when it
/// is back — not one per mail.
#[derive(Debug, Default)]
pub struct Outage {
    down_since: Option<Instant>,
    last_said: Option<Instant>,
    failures: u64,
}

/// A change worth a log line.
#[derive(Debug, PartialEq, Eq)]
pub enum OutageNews {
    Down,
    StillDown { for_: Duration, failures: u64 },
    Up { after: Duration, failures: u64 },
}

impl Outage {
    /// A mail could not be delivered for a reason that may pass.
    pub fn failed(&mut self, now: Instant) -> Option<OutageNews> {
        self.failures += 1;
        match (self.down_since, self.last_said) {
            (None, _) => {
                self.down_since = Some(now);
                self.last_said = Some(now);
                self.failures = 1;
                Some(OutageNews::Down)
            }
            (Some(since), Some(said)) if now.duration_since(said) >= STILL_DOWN_EVERY => {
                self.last_said = Some(now);
                Some(OutageNews::StillDown {
                    for_: now.duration_since(since),
                    failures: self.failures,
                })
            }
            _ => None,
        }
    }

    /// A mail was accepted by the mail server.
    pub fn delivered(&mut self, now: Instant) -> Option<OutageNews> {
        let since = self.down_since.take()?;
        self.last_said = None;
        Some(OutageNews::Up {
            after: now.duration_since(since),
            failures: std::mem::take(&mut self.failures),
        })
    }
}

/// A mail tried, on its way to be recorded; `done` tells its sender that
/// it was.
struct Settled {
    mail: outbox::OutboxMail,
    result: Result<(), SendError>,
    done: tokio::sync::oneshot::Sender<()>,
}

fn tell(news: Option<OutageNews>, reason: &str) {
    match news {
        None => {}
        Some(OutageNews::Down) => {
            tracing::warn!(reason, "mail server unreachable: mail waits and is retried")
        }
        Some(OutageNews::StillDown { for_, failures }) => tracing::warn!(
            down_secs = for_.as_secs(),
            failed_attempts = failures,
            reason,
            "mail server still unreachable"
        ),
        Some(OutageNews::Up { after, failures }) => tracing::info!(
            down_secs = after.as_secs(),
            failed_attempts = failures,
            "mail server reachable again"
        ),
    }
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

    /// One round: claim due mail and try each once, writing each outcome as
    /// soon as it is known, while the lease on the rest is renewed.
    /// Returns how many were claimed.
    pub async fn deliver_due(&self) -> AppResult<usize> {
        let lease = lease_from(self.clock.now());
        let now = self.clock.now();
        let ids = self
            .writer
            .run(move |c| Ok(outbox::claim_due(c, now, lease, BATCH)?))
            .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let claimed = ids.len();
        let held: Mutex<HashSet<i64>> = Mutex::new(ids.iter().copied().collect());
        let batch = db::run(&self.pool, move |c| Ok(outbox::load(c, &ids)?)).await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Settled>();
        let held_ref = &held;
        // Several mails at once: each SMTP exchange spends most of its time
        // waiting on the network, and the transport pools its connections.
        // A send's slot is free again only once its outcome is written, so
        // at most PARALLEL_SENDS mails are ever delivered but unrecorded.
        let sends = async move {
            futures_util::stream::iter(batch)
                .for_each_concurrent(PARALLEL_SENDS, |mail| {
                    let tx = tx.clone();
                    async move {
                        // A mail whose lease lapsed to another worker is theirs now.
                        if !held_ref.lock().expect("held").contains(&mail.id) {
                            return;
                        }
                        let id = mail.id;
                        let result = self.mailer.send(&self.from, &mail).await;
                        let (done, recorded) = tokio::sync::oneshot::channel();
                        if tx.send(Settled { mail, result, done }).is_ok() {
                            let _ = recorded.await;
                        }
                        held_ref.lock().expect("held").remove(&id);
                    }
                })
                .await;
            // `tx` ends here, and with it the recorder.
        };
        let work = async {
            tokio::join!(sends, self.record(rx));
        };
        tokio::select! {
            () = work => Ok(claimed),
            // Without a renewed lease the rest would go out twice: stop
            // and let the lease lapse.
            e = self.hold_lease(&held, lease) => Err(e),
        }
    }

    /// Writes outcomes as they come: all those waiting at once in one
    /// write (under load, one write for several mails; when quiet, one for
    /// each), then tells their senders.
    async fn record(&self, mut rx: tokio::sync::mpsc::UnboundedReceiver<Settled>) {
        while let Some(first) = rx.recv().await {
            let mut settled = vec![first];
            while let Ok(more) = rx.try_recv() {
                settled.push(more);
            }
            let now = self.clock.now();
            let mut sent = Vec::new();
            let mut unsent = Vec::new();
            let mut done = Vec::with_capacity(settled.len());
            for s in settled {
                let (id, attempts) = (s.mail.id, s.mail.attempts + 1);
                match s.result {
                    Ok(()) => {
                        tracing::info!(id, kind = %s.mail.kind, "mail sent");
                        tell(
                            self.outage
                                .lock()
                                .expect("outage")
                                .delivered(Instant::now()),
                            "",
                        );
                        sent.push(id);
                    }
                    Err(e) if e.permanent || attempts >= self.max_attempts => {
                        tracing::warn!(id, reason = %e.reason, "mail failed permanently");
                        unsent.push((id, None, e.reason));
                    }
                    Err(e) => {
                        let delay = retry::backoff(self.retry_base, attempts);
                        tracing::debug!(id, attempts, retry_in_ms = delay.as_millis() as u64, reason = %e.reason, "mail not sent, will retry");
                        tell(
                            self.outage.lock().expect("outage").failed(Instant::now()),
                            &e.reason,
                        );
                        let next =
                            now + time::Duration::try_from(delay).unwrap_or(time::Duration::MINUTE);
                        unsent.push((id, Some(next), e.reason));
                    }
                }
                done.push(s.done);
            }
            let written = self
                .writer
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
                .await;
            if let Err(e) = written {
                // The lease lapses and the mails are tried again.
                tracing::error!(error = %e, "mail worker: outcomes not recorded");
            }
            for d in done {
                let _ = d.send(());
            }
        }
    }

    /// Renews the lease on the mails of `held` until the round ends; drops
    /// from `held` those another worker took (its lease had lapsed).
    /// Returns only when a renewal cannot be written.
    async fn hold_lease(
        &self,
        held: &Mutex<HashSet<i64>>,
        mut lease: PrimitiveDateTime,
    ) -> AppError {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let ids: Vec<i64> = held.lock().expect("held").iter().copied().collect();
            let next = lease_from(self.clock.now());
            let kept = self
                .writer
                .run(move |c| Ok(outbox::renew(c, &ids, lease, next)?))
                .await;
            match kept {
                Ok(kept) => {
                    lease = next;
                    let kept: HashSet<i64> = kept.into_iter().collect();
                    held.lock().expect("held").retain(|id| kept.contains(id));
                }
                Err(e) => return e,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_told_once_then_every_few_minutes_then_when_it_ends() {
        let t0 = Instant::now();
        let mut o = Outage::default();
        assert_eq!(o.delivered(t0), None, "nothing to tell while up");
        assert_eq!(o.failed(t0), Some(OutageNews::Down));
        for s in 1..300 {
            assert_eq!(
                o.failed(t0 + Duration::from_secs(s)),
                None,
                "quiet at {s} s"
            );
        }
        assert_eq!(
            o.failed(t0 + STILL_DOWN_EVERY),
            Some(OutageNews::StillDown {
                for_: STILL_DOWN_EVERY,
                failures: 301
            })
        );
        assert_eq!(
            o.failed(t0 + STILL_DOWN_EVERY + Duration::from_secs(1)),
            None
        );
        assert_eq!(
            o.delivered(t0 + Duration::from_secs(400)),
            Some(OutageNews::Up {
                after: Duration::from_secs(400),
                failures: 302
            })
        );
        assert_eq!(o.delivered(t0 + Duration::from_secs(401)), None);
        assert_eq!(
            o.failed(t0 + Duration::from_secs(402)),
            Some(OutageNews::Down),
            "a new outage"
        );
    }

    #[test]
    fn a_lease_ends_on_a_whole_millisecond() {
        let now = time::macros::datetime!(2026-12-06 02:00:00.123_456_789);
        assert_eq!(
            lease_from(now),
            time::macros::datetime!(2026-12-06 02:00:10.123)
        );
    }
}
