//! What every handler shares: the database, the writer, the configuration,
//! the clock and the mail worker's wake-up. `startup` builds it; routes and
//! the request extractors read it (its own module, so neither imports the
//! other's).

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Backend, DbPool};
use std::sync::Arc;
use tokio::sync::Notify;

/// Shared by every handler through `web::Data`.
pub struct AppState {
    pub pool: DbPool,
    /// Busy write paths go through it (group commit on SQLite).
    pub writer: db::Writer,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// `scheme://host:port` of the base URL, for the CSRF Origin check.
    pub origin: String,
    /// Wakes the mail worker right after a mail is queued.
    pub mail_wakeup: Arc<Notify>,
    pub backend: Backend,
    /// Makes invitation link tokens (see `auth::links`).
    pub links: crate::auth::links::LinkKey,
}
