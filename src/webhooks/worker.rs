//! Takes due deliveries from the outbox and posts them. Each claimed row is
//! the oldest pending delivery of its hook, so a hook hears its events one
//! at a time and in order; different hooks are served side by side. A row
//! is held under a lease longer than a delivery can take: a worker killed
//! mid-delivery leaves it to the next after the lease (the receiver may
//! then get it twice, with the same `X-Guildhall-Delivery`).

use super::target::{GuardedResolver, literal_allowed, refusal_in};
use crate::clock::Clock;
use crate::db;
use crate::domain::webhook::signature;
use crate::error::AppResult;
use crate::models::webhook::{self, Attempt, Due};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, watch};

/// Deliveries in flight at once (at most one per hook).
const BATCH: i64 = 16;
/// The whole request, connection included, must finish within this.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Twice [`TIMEOUT`]: a live worker never loses its claim (the request ends
/// within the timeout, its settle is one short write), and after a crash
/// the delivery in flight goes again within 30 s of a worker's next round.
const LEASE: time::Duration = time::Duration::seconds(20);

#[derive(Clone)]
pub struct WebhookWorker {
    /// Claims and outcomes are written through it (grouped with other
    /// writes on SQLite, the pool on PostgreSQL).
    pub writer: db::Writer,
    pub clock: Clock,
    pub client: reqwest::Client,
    pub retry_base: Duration,
    pub max_attempts: i32,
    pub poll: Duration,
    pub allow_private: bool,
}

impl WebhookWorker {
    pub fn new(
        writer: db::Writer,
        clock: Clock,
        allow_private: bool,
        retry_base: Duration,
        max_attempts: i32,
        poll: Duration,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("Guildhall-Webhook/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(std::sync::Arc::new(GuardedResolver { allow_private }))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Self {
            writer,
            clock,
            client,
            retry_base,
            max_attempts,
            poll,
            allow_private,
        })
    }

    /// Runs until `shutdown` turns true. Each claimed delivery is posted in
    /// a task of its own (at most [`BATCH`] at once), so a slow receiver
    /// holds up only its own hook: when a delivery settles, its hook's next
    /// event is claimed at once.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(BATCH as usize));
        let settled = Arc::new(Notify::new());
        loop {
            let free = slots.available_permits();
            if free > 0 {
                match self.claim(free as i64).await {
                    Ok(due) => {
                        for d in due {
                            let Ok(slot) = slots.clone().acquire_owned().await else {
                                return;
                            };
                            let (me, settled) = (self.clone(), settled.clone());
                            tokio::spawn(async move {
                                if let Err(e) = me.deliver(d).await {
                                    tracing::error!(error = %e, "recording a webhook delivery failed");
                                }
                                drop(slot);
                                settled.notify_one();
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming webhook deliveries failed"),
                }
            }
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = settled.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Claims up to `limit` due deliveries (at most one per hook).
    async fn claim(&self, limit: i64) -> AppResult<Vec<Due>> {
        let now = self.clock.now();
        let lease = crate::db::whole_millis(now + LEASE);
        self.writer
            .run(move |c| Ok(webhook::claim(c, now, lease, limit)?))
            .await
    }

    /// Claims what is due now and delivers it, all of it before returning
    /// (tests drive workers by rounds); returns how many it tried.
    pub async fn round(&self) -> AppResult<usize> {
        let due = self.claim(BATCH).await?;
        let n = due.len();
        let tries = due.into_iter().map(|d| self.deliver(d));
        for result in futures_util::future::join_all(tries).await {
            result?;
        }
        Ok(n)
    }

    async fn deliver(&self, due: Due) -> AppResult<()> {
        let attempt = self.post(&due).await;
        if !attempt.delivered {
            tracing::info!(
                hook = due.hook_id,
                delivery = due.id,
                attempts = due.attempts + 1,
                error = attempt.error.as_deref().unwrap_or(""),
                "webhook delivery failed"
            );
        }
        let now = self.clock.now();
        self.writer
            .run(move |c| {
                webhook::settle(c, &due, &attempt, now)?;
                Ok(())
            })
            .await
    }

    /// One attempt: posts the payload, signed, and says how it went.
    async fn post(&self, due: &Due) -> Attempt {
        if let Err(refused) = literal_allowed(&due.url, self.allow_private) {
            return Attempt {
                status: None,
                ms: 0,
                error: Some(refused.to_string()),
                retry_at: None,
                delivered: false,
            };
        }
        let unix = self.clock.now().assume_utc().unix_timestamp();
        let started = Instant::now();
        let sent = self
            .client
            .post(&due.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Guildhall-Event", &due.event)
            .header("X-Guildhall-Delivery", &due.delivery_key)
            .header(
                "X-Guildhall-Signature",
                signature(&due.secret, unix, due.payload.as_bytes()),
            )
            .body(due.payload.clone())
            .send()
            .await;
        let ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        // Retried: what may pass (5xx, 408, 429, no answer). Not retried:
        // a redirect (never followed) or another 4xx (the receiver refuses
        // this request; "Redeliver" sends it again once that is fixed).
        let (status, error, retry) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None, false),
            Ok(r) if r.status().is_redirection() => (
                Some(r.status().as_u16()),
                Some(format!(
                    "Redirect to {} not followed",
                    r.headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|l| l.to_str().ok())
                        .unwrap_or("another address")
                )),
                false,
            ),
            Ok(r) => {
                let code = r.status();
                let passing = code.is_server_error() || matches!(code.as_u16(), 408 | 429);
                (
                    Some(code.as_u16()),
                    Some(format!("The receiver answered {code}")),
                    passing,
                )
            }
            Err(e) => match refusal_in(&e) {
                // Not worth retrying: the address is refused, not down.
                Some(refused) => (None, Some(refused.to_string()), false),
                None => (None, Some(describe(&e)), true),
            },
        };
        let delivered = error.is_none();
        let retry_at = (retry && due.attempts + 1 < self.max_attempts).then(|| {
            self.clock.now()
                + crate::domain::retry::backoff(self.retry_base, i64::from(due.attempts) + 1)
        });
        Attempt {
            status: status.map(i32::from),
            ms,
            error,
            retry_at,
            delivered,
        }
    }
}

/// A transport error in a sentence, without the URL (it may carry a token
/// in its query).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("No answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "Could not connect to the receiver".to_string()
    } else {
        "The request failed before an answer came".to_string()
    }
}
