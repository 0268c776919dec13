//! Group commit for SQLite's one writer.
//!
//! SQLite writes one transaction at a time, and a commit appends every page
//! it changed to the WAL. Busy write paths (sending and answering
//! invitations, the mail worker's bookkeeping) therefore hand their work to
//! one writer thread instead of taking turns on a lock: it runs whatever
//! work is queued, one piece after the other, inside one transaction and
//! commits them together. Pages the pieces share (the right-most leaves of
//! each table and index) reach the WAL once per batch, not once per
//! request, and no request waits for a sleeping thread to be woken to take
//! the lock. A piece keeps or loses its writes as it would on its own: each
//! `db::write_tx` in it is a savepoint, undone alone when it fails. Answers
//! go out only after the commit.
//!
//! The writer copies the WAL back into the database (a checkpoint) at most
//! every [`CHECKPOINT_EVERY`], after answering a batch, instead of SQLite's
//! automatic checkpoint inside the commit every 1,000 pages: a page written
//! again and again under load is copied once per period (the checkpoints
//! were 13 % of the writer's time under W3). That checkpoint stays on this
//! thread: the WAL starts over only after a checkpoint that no new commit
//! overtook, so checkpoints only beside the writer would let the WAL grow
//! without end. But most of a checkpoint's work (copying pages, syncing the
//! files) does run beside it: a helper thread checkpoints every
//! [`HELPER_CHECKPOINT_EVERY`], so the writer's own finds little left and
//! blocks the queue for less time (under W3 its checkpoints took 29 ms
//! each without the helper, 13 ms with it). The two take turns on a lock
//! without waiting for each other: whoever finds the other at it skips,
//! except the writer once its own checkpoint is [`CHECKPOINT_OVERDUE`]: on
//! a starved machine the helper held the turn nearly always, its PASSIVE
//! checkpoints never caught up with the commits, and the WAL never started
//! over (116 MB after 19,249 commits in a test run beside other work).
//!
//! On PostgreSQL, which takes concurrent writers itself, `Writer::run` is
//! `db::run`: the same closure on a pooled connection.

use super::pool::ConnError;
use super::{DbConn, DbPool};
use crate::error::AppResult;
#[cfg(feature = "sqlite")]
use {
    super::pool::ConnectionManager, super::query_count, crate::error::AppError,
    diesel::r2d2::ManageConnection,
};

/// Most pieces of work in one commit: bounds how long one batch holds the
/// database (and so the latency a piece can add to the others).
#[cfg(feature = "sqlite")]
const MAX_BATCH: usize = 64;

/// Least time between two checkpoints of the WAL (so at most this long's
/// worth of writes in the WAL).
#[cfg(feature = "sqlite")]
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// When the writer's own checkpoint is this late it no longer skips its turn
/// while the helper holds it (see `run`): the bound on the WAL's growth
/// under load.
#[cfg(feature = "sqlite")]
const CHECKPOINT_OVERDUE: std::time::Duration = std::time::Duration::from_secs(1);

/// Time between two checkpoints of the helper beside the writer.
#[cfg(feature = "sqlite")]
const HELPER_CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Where write work runs: a writer thread (SQLite) or the pool (PostgreSQL).
#[derive(Clone)]
pub struct Writer {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Pool(DbPool),
    #[cfg(feature = "sqlite")]
    Thread(std::sync::mpsc::Sender<Job>),
}

/// Runs a piece of work on the writer's connection and returns what to do
/// once the batch is committed (or failed to commit).
#[cfg(feature = "sqlite")]
type Job = Box<dyn FnOnce(&mut DbConn) -> Reply + Send>;
#[cfg(feature = "sqlite")]
type Reply = Box<dyn FnOnce(Option<&diesel::result::Error>) + Send>;

impl Writer {
    /// A writer for the pool's database: a thread with its own connection
    /// for SQLite, the pool itself for PostgreSQL.
    pub fn start(pool: &DbPool, url: &str, count_queries: bool) -> Result<Self, ConnError> {
        #[cfg(feature = "sqlite")]
        if super::Backend::from_url(url) == super::Backend::Sqlite {
            let manager = ConnectionManager::new(url).counting(count_queries);
            let conn = manager.connect()?;
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("sqlite-writer".into())
                .spawn(move || thread::run(manager, conn, rx))
                .map_err(|e| ConnError::Unsupported(e.to_string()))?;
            return Ok(Self {
                inner: Inner::Thread(tx),
            });
        }
        let _ = (url, count_queries); // for SQLite only
        Ok(Self {
            inner: Inner::Pool(pool.clone()),
        })
    }

    /// `run`, all or nothing on both backends: `f` is one transaction (on
    /// SQLite a savepoint of the batch, which commits or dies whole), so a
    /// request that writes many rows (a bulk invite) leaves all of them or
    /// none after a failure or a crash. The `db::write_tx`s inside it are
    /// savepoints: one entry refused by the database is undone alone.
    pub async fn run_atomic<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |c| super::write_tx(c, f)).await
    }

    /// Runs `f` as one piece of a write batch and answers with its result
    /// once the batch is committed. Each `db::write_tx` in `f` is a savepoint
    /// of the batch: kept when it succeeds, undone alone when it fails, as
    /// its own transaction would be; so is a statement outside one.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match &self.inner {
            Inner::Pool(pool) => super::run(pool, f).await,
            #[cfg(feature = "sqlite")]
            Inner::Thread(queue) => {
                let (answer, answered) = tokio::sync::oneshot::channel();
                let counter = query_count::request_counter();
                let job: Job = Box::new(move |conn| {
                    let result = {
                        let _counting = counter.map(query_count::Counting::enter);
                        f(conn)
                    };
                    Box::new(move |commit_failed| {
                        let result = match commit_failed {
                            Some(e) => Err(AppError::internal(e.to_string())),
                            None => result,
                        };
                        let _ = answer.send(result);
                    })
                });
                queue
                    .send(job)
                    .map_err(|_| AppError::internal("the database writer has stopped"))?;
                // A closed channel: the piece panicked or its batch could not begin.
                answered
                    .await
                    .map_err(|_| AppError::internal("the write was not carried out"))?
            }
        }
    }
}

#[cfg(feature = "sqlite")]
mod thread {
    use super::{
        CHECKPOINT_EVERY, CHECKPOINT_OVERDUE, HELPER_CHECKPOINT_EVERY, Job, MAX_BATCH, Reply,
    };
    use crate::db::DbConn;
    use crate::db::pool::ConnectionManager;
    use diesel::SqliteConnection;
    use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
    use diesel::r2d2::ManageConnection;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
    use std::sync::{Arc, Mutex};

    fn sqlite(conn: &mut DbConn) -> &mut SqliteConnection {
        #[allow(irrefutable_let_patterns)] // with only the sqlite feature
        let DbConn::Sqlite(inner) = conn else {
            unreachable!("the writer thread is started for SQLite only")
        };
        inner
    }

    /// The writer checkpoints when it chooses (see the module's doc).
    fn no_autocheckpoint(conn: &mut DbConn) {
        if let Err(e) = sqlite(conn).batch_execute("PRAGMA wal_autocheckpoint = 0") {
            tracing::warn!(error = %e, "the database writer keeps SQLite's automatic checkpoints");
        }
    }

    /// PASSIVE: never waits for readers; what a reader still needs stays
    /// in the WAL for the next one.
    fn checkpoint(conn: &mut DbConn) {
        if let Err(e) = sqlite(conn).batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }

    /// The checkpoint turn, if free. A poisoned lock guards no data, only
    /// turns: it is taken all the same.
    fn taken(
        lock: std::sync::TryLockResult<std::sync::MutexGuard<'_, ()>>,
    ) -> Option<std::sync::MutexGuard<'_, ()>> {
        match lock {
            Ok(turn) => Some(turn),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Starts the helper that checkpoints beside the writer (see the
    /// module's doc) until the returned sender is dropped. Without it (no
    /// connection, no thread) the writer does all of the work itself.
    fn start_helper(manager: &ConnectionManager, turn: Arc<Mutex<()>>) -> Option<Sender<()>> {
        let mut conn = manager
            .connect()
            .map_err(|e| tracing::warn!(error = %e, "no checkpoint helper: no connection"))
            .ok()?;
        let (alive, ended) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) =
                    ended.recv_timeout(HELPER_CHECKPOINT_EVERY)
                {
                    // The writer is at it: skip this round.
                    if let Some(_turn) = taken(turn.try_lock()) {
                        checkpoint(&mut conn);
                    }
                }
            })
            .map_err(|e| tracing::warn!(error = %e, "no checkpoint helper: no thread"))
            .ok()?;
        Some(alive)
    }

    pub(super) fn run(manager: ConnectionManager, mut conn: DbConn, queue: Receiver<Job>) {
        no_autocheckpoint(&mut conn);
        let checkpoint_turn = Arc::new(Mutex::new(()));
        let _helper = start_helper(&manager, checkpoint_turn.clone());
        let mut checkpointed = std::time::Instant::now();
        while let Ok(first) = queue.recv() {
            let _turn = crate::db::writer_turn();
            if let Err(e) =
                AnsiTransactionManager::begin_transaction_sql(sqlite(&mut conn), "BEGIN IMMEDIATE")
            {
                tracing::error!(error = %e, "the database writer could not begin a batch");
                drop(first); // its caller hears that the write was not carried out
                continue;
            }
            let mut replies: Vec<Reply> = Vec::new();
            let mut panicked = false;
            let mut next = Some(first);
            while let Some(job) = next.take() {
                match catch_unwind(AssertUnwindSafe(|| job(&mut conn))) {
                    Ok(reply) => replies.push(reply),
                    Err(_) => {
                        // The savepoint may be left open: give up the batch.
                        panicked = true;
                        break;
                    }
                }
                if replies.len() < MAX_BATCH {
                    next = queue.try_recv().ok();
                }
            }
            let outcome = if panicked {
                Err(diesel::result::Error::RollbackTransaction)
            } else {
                AnsiTransactionManager::commit_transaction(sqlite(&mut conn))
            };
            if outcome.is_err() {
                // A fresh connection: closing this one rolls back all of the
                // batch, whatever savepoints a panic left open.
                match manager.connect() {
                    Ok(fresh) => {
                        conn = fresh;
                        no_autocheckpoint(&mut conn);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the database writer could not reconnect");
                        let _ = AnsiTransactionManager::rollback_transaction(sqlite(&mut conn));
                    }
                }
            }
            for reply in replies {
                reply(outcome.as_ref().err());
            }
            // While the helper is at it, the writer goes on with the queue
            // and takes its turn after the next batch: it never waits for
            // the helper (whose checkpoint may take long on a slow disk).
            if checkpointed.elapsed() >= CHECKPOINT_EVERY {
                // ... unless the helper has held the turn every time for a
                // while (a starved machine: its slow checkpoints never catch
                // up with the commits, so only this one lets the WAL start
                // over): then the writer waits for its turn.
                let turn = if checkpointed.elapsed() >= CHECKPOINT_OVERDUE {
                    Some(
                        checkpoint_turn
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()),
                    )
                } else {
                    taken(checkpoint_turn.try_lock())
                };
                if let Some(_turn) = turn {
                    checkpoint(&mut conn);
                    checkpointed = std::time::Instant::now();
                }
            }
        }
    }
}
