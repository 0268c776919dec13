//! The application handle the use cases run on. A use case that is a
//! method of [`App`] picks where it runs itself (the SQLite writer for a
//! busy write, the pool for the rest), so a handler only extracts, calls
//! and renders.

use crate::auth::links::LinkKey;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Backend, DbConn, DbPool};
use crate::error::AppResult;
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

impl App {
    /// Runs a use case on the pool at the clock's time: where every use
    /// case runs that is not one of the busy writes (those go through the
    /// writer).
    pub(crate) async fn on_pool<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn, time::PrimitiveDateTime) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let now = self.clock.now();
        db::run(&self.pool, move |c| f(c, now)).await
    }

    /// [`Self::on_pool`] for a use case that may queue mail: the worker is
    /// woken after it (a needless wake-up costs one empty claim).
    pub(crate) async fn on_pool_mailing<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn, time::PrimitiveDateTime) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let out = self.on_pool(f).await?;
        self.mail_wakeup.notify_one();
        Ok(out)
    }
}
