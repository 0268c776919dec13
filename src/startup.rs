//! Builds the application: pool and migrations, secret key, mail worker,
//! middleware and routes, bound to a listener (port 0 in tests).

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Backend, DbPool};
use crate::mail::{MailWorker, Mailer};
pub use crate::state::AppState;
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{self, DefaultHeaders};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Notify, watch};

/// SIGTERM (what service managers and rolling restarts send) and SIGINT
/// (Ctrl-C), whichever comes first.
struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

pub struct Application {
    port: u16,
    drain: std::time::Duration,
    server: Server,
    state: web::Data<AppState>,
    /// The mail worker and the webhook worker, run beside the server.
    worker: Option<(MailWorker, crate::webhooks::WebhookWorker)>,
}

/// Opens the pool and applies pending migrations.
pub fn open_database(config: &Config) -> Result<DbPool, StartError> {
    let pool = db::build_pool_with(
        &config.database_url,
        config.db_pool_size,
        config.count_queries,
    )
    .map_err(|e| StartError::Database(e.to_string()))?;
    let mut conn = pool
        .get()
        .map_err(|e| StartError::Database(e.to_string()))?;
    let applied = migrate(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    Ok(pool)
}

/// Pending migrations, then what a migration left for Rust to do (the
/// members' name keys, which are not SQL). Answers the migrations applied.
pub fn migrate(conn: &mut db::DbConn) -> Result<Vec<String>, StartError> {
    let applied = db::run_migrations(conn).map_err(|e| StartError::Database(e.to_string()))?;
    crate::services::members::fill_missing_keys(conn)
        .map_err(|e| StartError::Database(e.to_string()))?;
    Ok(applied)
}

/// The cookie key from `GUILDHALL_SECRET_KEY`, or from `{data_dir}/secret.key`,
/// created on first start so sessions survive restarts and are shared by servers
/// that share the data dir or the variable.
pub fn secret_key(config: &Config) -> Result<Key, StartError> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let decode = |s: &str| {
        STANDARD
            .decode(s.trim())
            .ok()
            .filter(|b| b.len() >= 64)
            .map(|b| Key::from(&b))
    };
    if let Some(s) = &config.secret_key {
        return decode(s).ok_or_else(|| {
            StartError::Config("GUILDHALL_SECRET_KEY must be at least 64 bytes, base64".into())
        });
    }
    let path = config.data_dir.join("secret.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        return decode(&s).ok_or_else(|| {
            StartError::Config(format!("{} does not hold a valid key", path.display()))
        });
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let key = Key::generate();
    let encoded = STANDARD.encode(key.master());
    if publish_private(&path, &encoded)? {
        tracing::info!(path = %path.display(), "generated a new secret key");
        return Ok(key);
    }
    // Another server sharing the data dir started at the same instant and
    // published its key first: use that one, so both sign alike.
    let s = std::fs::read_to_string(&path)?;
    decode(&s)
        .ok_or_else(|| StartError::Config(format!("{} does not hold a valid key", path.display())))
}

/// Writes `content` (owner-only) to `path` unless the file exists; answers
/// whether this call made it. Written aside and linked into place, so a
/// reader never sees a half-written file.
fn publish_private(path: &std::path::Path, content: &str) -> std::io::Result<bool> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let aside = path.with_extension(format!("{}.tmp", rand::random::<u64>()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&aside)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()?;
    let linked = std::fs::hard_link(&aside, path);
    std::fs::remove_file(&aside)?;
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

impl Application {
    pub fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Clock::default())
    }

    pub fn build_with_clock(config: Config, clock: Clock) -> Result<Self, StartError> {
        let listener = TcpListener::bind(&config.bind)?;
        Self::build_on(config, clock, listener)
    }

    /// On a listener bound beforehand (tests bind port 0 and keep it, so
    /// the base URL can name the port and nobody takes it in between).
    pub fn build_on(
        config: Config,
        clock: Clock,
        listener: TcpListener,
    ) -> Result<Self, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pool = open_database(&config)?;
        let writer = db::Writer::start(&pool, &config.database_url, config.count_queries)
            .map_err(|e| StartError::Database(e.to_string()))?;
        let key = secret_key(&config)?;
        let port = listener.local_addr()?.port();
        let backend = Backend::from_url(&config.database_url);

        let mailer = Mailer::new(config.smtp_url.as_deref(), config.data_dir.join("mail"))
            .map_err(StartError::Config)?;
        let from = config
            .mail_from
            .parse()
            .map_err(|e| StartError::Config(format!("GUILDHALL_MAIL_FROM: {e}")))?;
        let wakeup = Arc::new(Notify::new());
        let worker = MailWorker {
            writer: writer.clone(),
            pool: pool.clone(),
            mailer,
            from,
            clock: clock.clone(),
            retry_base: config.mail_retry_base,
            max_attempts: config.mail_max_attempts as i64,
            poll: config.mail_poll,
            wakeup: wakeup.clone(),
            outage: Default::default(),
        };

        let webhooks = crate::webhooks::WebhookWorker::new(
            writer.clone(),
            clock.clone(),
            config.webhook_allow_private,
            config.webhook_retry_base,
            config.webhook_max_attempts,
            config.mail_poll,
        )
        .map_err(StartError::Config)?;
        let state = web::Data::new(AppState {
            app: crate::services::App {
                pool,
                writer,
                config: Arc::new(config.clone()),
                clock,
                mail_wakeup: wakeup,
                backend,
                links: crate::auth::links::LinkKey::derive(key.master()),
            },
            origin: config.origin(),
            draining: Default::default(),
        });
        let server = Self::server(listener, state.clone(), key, &config)?;
        Ok(Self {
            port,
            drain: config.drain,
            server,
            state,
            worker: config.run_mail_worker.then_some((worker, webhooks)),
        })
    }

    fn server(
        listener: TcpListener,
        state: web::Data<AppState>,
        key: Key,
        config: &Config,
    ) -> Result<Server, StartError> {
        let secure = config.is_https();
        let count_queries = config.count_queries;
        // Per worker. Each worker's own reads (`db::read` on SQLite) hold
        // one connection; the blocking threads share the rest, so a read on
        // a worker thread never waits for a connection held by a thread
        // that is only queueing.
        let workers = config.workers.max(1);
        let blocking_threads =
            ((state.pool.max_size() as usize).saturating_sub(workers) / workers).max(1);
        let max_age =
            actix_web::cookie::time::Duration::seconds(config.session_max.as_secs() as i64);
        let server = HttpServer::new(move || {
            let session = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                .cookie_name("guildhall_session".into())
                .cookie_content_security(CookieContentSecurity::Private)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_secure(secure)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(max_age)
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            App::new()
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(256 * 1024))
                .wrap(middleware::from_fn(crate::auth::csrf::verify))
                // Before the CSRF check and every handler: no NUL or bad
                // encodings reach a form, a path parameter or the database.
                .wrap(middleware::from_fn(
                    crate::input_guard::reject_unusable_input,
                ))
                // From here in, a HEAD runs as the GET it asks about.
                .wrap(middleware::from_fn(crate::head::as_get))
                .wrap(session)
                .wrap(middleware::Condition::new(
                    count_queries,
                    middleware::from_fn(crate::db::query_count::middleware),
                ))
                .wrap(
                    DefaultHeaders::new()
                        .add(("Content-Security-Policy", CSP))
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .configure(crate::routes::config)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(crate::error::AppError::not_found())
                }))
        })
        .listen(listener)?
        .workers(workers)
        // Database work runs on the blocking pool and waits for one of the
        // pool's connections: threads beyond that only queue, and each one
        // costs memory (stack, allocator arena). 512 by default.
        .worker_max_blocking_threads(blocking_threads)
        .shutdown_timeout(10)
        // `run_until_signalled` stops it, after the drain.
        .disable_signals()
        .run();
        Ok(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// `serve`: runs until SIGTERM or SIGINT, then drains: `/healthz`
    /// answers 503 for the configured time while requests are still served
    /// (a balancer polling it stops sending; connections already queued are
    /// accepted and answered), then the server stops accepting, finishes
    /// what is in flight and the mail worker ends its round. A second
    /// signal cuts the drain short.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        // First, before any future is polled: the server already answers,
        // and a SIGTERM that came before the handlers were in place would
        // end the process at once instead of draining (seen in CI when the
        // stopper happened to be polled after the workers' first rounds).
        let mut signals = Signals::new()?;
        let handle = self.server.handle();
        let state = self.state.clone();
        let drain = self.drain;
        let stopper = async move {
            let name = signals.next().await;
            state.draining.store(true, Ordering::Relaxed);
            tracing::info!(
                signal = name,
                seconds = drain.as_secs_f32(),
                "draining: /healthz answers 503, then the server stops"
            );
            tokio::select! {
                _ = tokio::time::sleep(drain) => {}
                name = signals.next() => tracing::info!(signal = name, "drain cut short"),
            }
            tracing::info!("no longer accepting connections; finishing requests in flight");
            handle.stop(true).await;
            std::future::pending::<std::io::Result<()>>().await
        };
        tokio::select! {
            result = self.run_until_stopped() => result,
            error = stopper => error,
        }
    }

    /// Serves until the server is stopped, then stops the mail worker
    /// (and the reminder rounds beside it) after its current round. Tests run this and drop it to stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (tx, rx) = watch::channel(false);
        let server = async move {
            let result = self.server.await;
            let _ = tx.send(true);
            result
        };
        // One future for both, so dropping it (as tests do) stops the worker too.
        match self.worker {
            Some((mail, hooks)) => {
                let reminders = self.state.app.clone().run_reminders(rx.clone());
                tokio::join!(server, mail.run(rx.clone()), hooks.run(rx), reminders).0
            }
            None => server.await,
        }
    }
}
