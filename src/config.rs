//! Settings from `GUILDHALL_*` environment variables. Every variable is listed
//! here with its default; README.md points at this file.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `GUILDHALL_DATABASE_URL` | `sqlite://data/guildhall.db` | `sqlite://PATH`, a plain path, or `postgres://…` |
//! | `GUILDHALL_BIND` | `127.0.0.1:8080` | address the server listens on |
//! | `GUILDHALL_BASE_URL` | `http://{BIND}` | public URL used in e-mailed links and the Origin check |
//! | `GUILDHALL_DATA_DIR` | `data` | secret key file, mail files (`mail/`) |
//! | `GUILDHALL_SECRET_KEY` | generated into `{DATA_DIR}/secret.key` | ≥ 64 bytes, base64; signs and encrypts session cookies |
//! | `GUILDHALL_SMTP_URL` | unset: mail written as .eml files under `{DATA_DIR}/mail` | lettre SMTP URL, e.g. `smtp://localhost:25` or `smtps://user:pass@host` |
//! | `GUILDHALL_MAIL_FROM` | `Guildhall <guildhall@localhost>` | sender of every mail |
//! | `GUILDHALL_SIGNUP` | `approval` | `open`, `approval` (a site admin approves) or `closed` |
//! | `GUILDHALL_SESSION_IDLE_MINUTES` | `1440` (24 h) | a session unused this long ends |
//! | `GUILDHALL_SESSION_MAX_DAYS` | `14` | a session ends this long after log-in whatever happens |
//! | `GUILDHALL_LOGIN_MAX_FAILURES_PER_ACCOUNT` | `5` | failed log-ins per account per window before refusing |
//! | `GUILDHALL_LOGIN_MAX_FAILURES_PER_IP` | `50` | failed log-ins per client address per window |
//! | `GUILDHALL_LOGIN_WINDOW_MINUTES` | `15` | the throttling window |
//! | `GUILDHALL_MAIL_RETRY_BASE_MS` | `2000` | first retry delay of the mail worker; doubles up to 10 minutes |
//! | `GUILDHALL_MAIL_MAX_ATTEMPTS` | `30` | attempts before a mail is marked failed |
//! | `GUILDHALL_MAIL_WORKER` | `on` | `off` runs a web server without a mail worker (another server delivers) |
//! | `GUILDHALL_MAIL_POLL_MS` | `1000` | how often the worker looks for due mail |
//! | `GUILDHALL_WEBHOOK_ALLOW_PRIVATE` | `false` | `true`: webhooks may post to loopback, private and link-local addresses (a receiver inside your network); otherwise such URLs are refused (SSRF) |
//! | `GUILDHALL_WEBHOOK_RETRY_BASE_MS` | `10000` | first retry delay of a failed webhook delivery; doubles up to 10 minutes |
//! | `GUILDHALL_WEBHOOK_MAX_ATTEMPTS` | `12` | attempts before a webhook delivery is marked failed (the hook's next event is then sent) |
//! | `GUILDHALL_INVITATION_TTL_DAYS` | `7` | an invitation expires this long after it was (re)sent |
//! | `GUILDHALL_INVITATION_REMINDER_DAYS` | `2,5` | the invitee of a pending invitation is reminded by mail this many days after it was (re)sent (each point before the link expires; empty: no reminders) |
//! | `GUILDHALL_REMINDER_POLL_SECONDS` | `60` | how often the mail worker's server looks for reminders due |
//! | `GUILDHALL_INVITES_PER_INVITER_PER_DAY` | `1000` | invitations and resends one person may send in 24 h |
//! | `GUILDHALL_INVITES_PER_GROUP_PER_DAY` | `5000` | invitations and resends of one group in 24 h |
//! | `GUILDHALL_RESENDS_PER_INVITATION_PER_DAY` | `3` | "Resend invitation" mails one invitation may get in 24 h |
//! | `GUILDHALL_TRUSTED_PROXIES` | unset | addresses or ranges (`10.0.0.0/8, ::1`) of reverse proxies whose `X-Forwarded-For` names the client (limits per address, the sessions page) |
//! | `GUILDHALL_DRAIN_SECONDS` | `0` | on SIGTERM or SIGINT, answer `/healthz` with 503 for this long while still serving, so a load balancer stops sending first; then stop accepting and finish what is in flight (`deploy/` uses 3) |
//! | `GUILDHALL_DISPOSABLE_DOMAINS` | the list shipped in `src/domain/disposable_domains.txt` | a file of disposable-address domains (one per line) for "Block disposable addresses" |
//! | `GUILDHALL_WORKERS` | number of cores | HTTP worker threads |
//! | `GUILDHALL_DB_POOL_SIZE` | `6` (SQLite) / `8` (PostgreSQL) | connections per server |
//! | `GUILDHALL_COUNT_QUERIES` | `false` | `true`: count each request's SQL statements into an `X-Query-Count` response header (tests, diagnosis) |
//! | `RUST_LOG` | `info` | log filter (tracing-subscriber syntax) |

use crate::domain::ReminderPoints;
use crate::domain::invitation_policy::Disposable;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    Open,
    Approval,
    Closed,
}

impl std::str::FromStr for SignupMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Self::Open),
            "approval" => Ok(Self::Approval),
            "closed" => Ok(Self::Closed),
            other => Err(format!(
                "GUILDHALL_SIGNUP must be open, approval or closed, not {other:?}"
            )),
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    /// Without a trailing slash.
    pub base_url: String,
    pub data_dir: PathBuf,
    /// `None`: generated into the data dir on first start.
    pub secret_key: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub signup: SignupMode,
    pub session_idle: Duration,
    pub session_max: Duration,
    pub login_max_failures_per_account: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window: Duration,
    pub mail_retry_base: Duration,
    pub mail_max_attempts: i32,
    /// Webhooks may post to private addresses (`GUILDHALL_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    pub webhook_retry_base: Duration,
    pub webhook_max_attempts: i32,
    pub mail_poll: Duration,
    pub invitation_ttl_days: i64,
    /// When pending invitations are reminded (`GUILDHALL_INVITATION_REMINDER_DAYS`).
    pub invitation_reminders: ReminderPoints,
    pub reminder_poll: Duration,
    pub invites_per_inviter_per_day: i64,
    pub invites_per_group_per_day: i64,
    pub resends_per_invitation_per_day: i64,
    pub workers: usize,
    pub db_pool_size: Option<u32>,
    /// Run the mail delivery worker inside `serve` (tests turn it off to drive it by hand).
    pub run_mail_worker: bool,
    pub trusted_proxies: Vec<crate::auth::client::Cidr>,
    /// Count each request's SQL statements into `X-Query-Count` (`db::query_count`).
    pub count_queries: bool,
    /// How long a stopping server keeps serving while `/healthz` says it
    /// is draining.
    pub drain: Duration,
    /// Domains refused by "Block disposable addresses": the shipped list,
    /// or the file `GUILDHALL_DISPOSABLE_DOMAINS` names.
    pub disposable: Arc<Disposable>,
}

impl std::fmt::Debug for Config {
    // Never print the secret key or SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("signup", &self.signup)
            .finish_non_exhaustive()
    }
}

/// Drops the password part of a URL for logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{name}: cannot read {v:?}"))),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let bind = var("GUILDHALL_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let base_url = var("GUILDHALL_BASE_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        url::Url::parse(&base_url)
            .map_err(|e| ConfigError(format!("GUILDHALL_BASE_URL {base_url:?}: {e}")))?;
        let signup = match var("GUILDHALL_SIGNUP") {
            None => SignupMode::Approval,
            Some(v) => v.parse().map_err(ConfigError)?,
        };
        let invitation_ttl_days = parse_var("GUILDHALL_INVITATION_TTL_DAYS", 7)?;
        let invitation_reminders = ReminderPoints::parse(
            &std::env::var("GUILDHALL_INVITATION_REMINDER_DAYS").unwrap_or_else(|_| "2,5".into()),
            invitation_ttl_days,
        )
        .map_err(|e| ConfigError(format!("GUILDHALL_INVITATION_REMINDER_DAYS: {e}")))?;
        Ok(Self {
            database_url: var("GUILDHALL_DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/guildhall.db".into()),
            bind,
            base_url,
            data_dir: var("GUILDHALL_DATA_DIR")
                .unwrap_or_else(|| "data".into())
                .into(),
            secret_key: var("GUILDHALL_SECRET_KEY"),
            smtp_url: var("GUILDHALL_SMTP_URL"),
            mail_from: var("GUILDHALL_MAIL_FROM")
                .unwrap_or_else(|| "Guildhall <guildhall@localhost>".into()),
            signup,
            session_idle: Duration::from_secs(
                60 * parse_var("GUILDHALL_SESSION_IDLE_MINUTES", 1440u64)?,
            ),
            session_max: Duration::from_secs(
                86_400 * parse_var("GUILDHALL_SESSION_MAX_DAYS", 14u64)?,
            ),
            login_max_failures_per_account: parse_var(
                "GUILDHALL_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                5,
            )?,
            login_max_failures_per_ip: parse_var("GUILDHALL_LOGIN_MAX_FAILURES_PER_IP", 50)?,
            login_window: Duration::from_secs(
                60 * parse_var("GUILDHALL_LOGIN_WINDOW_MINUTES", 15u64)?,
            ),
            mail_retry_base: Duration::from_millis(parse_var(
                "GUILDHALL_MAIL_RETRY_BASE_MS",
                2000u64,
            )?),
            mail_max_attempts: parse_var("GUILDHALL_MAIL_MAX_ATTEMPTS", 30)?,
            webhook_allow_private: parse_var("GUILDHALL_WEBHOOK_ALLOW_PRIVATE", false)?,
            webhook_retry_base: Duration::from_millis(parse_var(
                "GUILDHALL_WEBHOOK_RETRY_BASE_MS",
                10_000u64,
            )?),
            webhook_max_attempts: parse_var("GUILDHALL_WEBHOOK_MAX_ATTEMPTS", 12)?,
            mail_poll: Duration::from_millis(parse_var("GUILDHALL_MAIL_POLL_MS", 1000u64)?),
            invitation_ttl_days,
            invitation_reminders,
            reminder_poll: Duration::from_secs(parse_var(
                "GUILDHALL_REMINDER_POLL_SECONDS",
                60u64,
            )?),
            invites_per_inviter_per_day: parse_var("GUILDHALL_INVITES_PER_INVITER_PER_DAY", 1000)?,
            invites_per_group_per_day: parse_var("GUILDHALL_INVITES_PER_GROUP_PER_DAY", 5000)?,
            resends_per_invitation_per_day: parse_var(
                "GUILDHALL_RESENDS_PER_INVITATION_PER_DAY",
                3,
            )?,
            workers: parse_var(
                "GUILDHALL_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )?,
            db_pool_size: var("GUILDHALL_DB_POOL_SIZE")
                .map(|v| {
                    v.parse()
                        .map_err(|_| ConfigError("GUILDHALL_DB_POOL_SIZE: not a number".into()))
                })
                .transpose()?,
            trusted_proxies: crate::auth::client::parse_ranges(
                &var("GUILDHALL_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|e| ConfigError(format!("GUILDHALL_TRUSTED_PROXIES: {e}")))?,
            run_mail_worker: match var("GUILDHALL_MAIL_WORKER").as_deref().map(str::trim) {
                None | Some("on") | Some("true") | Some("1") => true,
                Some("off") | Some("false") | Some("0") => false,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "GUILDHALL_MAIL_WORKER must be on or off, not {other:?}"
                    )));
                }
            },
            count_queries: parse_var("GUILDHALL_COUNT_QUERIES", false)?,
            drain: Duration::from_secs(parse_var("GUILDHALL_DRAIN_SECONDS", 0u64)?),
            disposable: Arc::new(match var("GUILDHALL_DISPOSABLE_DOMAINS") {
                Some(path) => {
                    Disposable::from_text(&std::fs::read_to_string(&path).map_err(|e| {
                        ConfigError(format!("GUILDHALL_DISPOSABLE_DOMAINS ({path}): {e}"))
                    })?)
                }
                None => Disposable::from_text(Disposable::SHIPPED),
            }),
        })
    }

    /// Whether cookies must carry `Secure`.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of the base URL, for the Origin check.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }
}

impl Config {
    /// The host part of the base URL, for Message-IDs.
    pub fn host(&self) -> String {
        url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into())
    }
}
