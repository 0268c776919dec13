//! The application handle the use cases run on. A use case that is a
//! method of [`App`] picks where it runs itself (the SQLite writer for a
//! busy write, the pool for the rest), so a handler only extracts, calls
//! and renders.

use crate::auth::links::LinkKey;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Backend, DbPool};
use std::sync::Arc;
use tokio::sync::Notify;

/// The database, the writer, the configuration, the clock, the link key
/// and the mail worker's wake-up. Cheap to clone (its parts are shared).
#[derive(Clone)]
pub struct App {
    pub pool: DbPool,
    /// Busy write paths go through it (group commit on SQLite).
    pub writer: db::Writer,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// Wakes the mail worker right after a mail is queued.
    pub mail_wakeup: Arc<Notify>,
    pub backend: Backend,
    /// Makes invitation link tokens (see `auth::links`).
    pub links: LinkKey,
}
