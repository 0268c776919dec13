//! The database layer: one connection type over SQLite and PostgreSQL, the
//! pool, migrations, write transactions and the blocking helper.

mod conn;
mod keyset;
mod migrations;
mod native;
mod pool;
pub mod query_count;
pub mod schema;
mod stamp;
pub mod stats;
mod text_enum;
mod writer;

pub use conn::DbConn;
pub use keyset::PageSize;
pub use migrations::run_migrations;
pub use native::{Column, ColumnText, IdRow, Sql};
pub use pool::{Backend, DbPool, build_pool, build_pool_with};
pub use stamp::{MaybeStamp, Stamp, whole_millis};
pub use writer::Writer;

use crate::error::{AppError, AppResult};
#[cfg(feature = "sqlite")]
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

/// SQLite has one writer at a time. Writers of this process take turns on
/// this lock instead of meeting SQLITE_BUSY, whose busy handler sleeps in
/// growing steps (up to 100 ms): the lock hands over at once. Writers of
/// other processes on the same file still wait on `busy_timeout`.
#[cfg(feature = "sqlite")]
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This process's turn to write to SQLite.
#[cfg(feature = "sqlite")]
fn writer_turn() -> std::sync::MutexGuard<'static, ()> {
    // A panic while holding it leaves no transaction open (the connection
    // rolls back when dropped), so poisoning is ignored.
    SQLITE_WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether `conn` is inside a transaction (or a `Writer` batch).
pub fn in_transaction(conn: &mut DbConn) -> diesel::QueryResult<bool> {
    use diesel::connection::{AnsiTransactionManager as Ansi, TransactionManager};
    Ok(crate::native!(conn, |c| {
        Ansi::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_some()
    }))
}

/// Runs `f` in a write transaction. SQLite begins it IMMEDIATE so two writers
/// never deadlock upgrading a read lock. Inside a transaction already open
/// (a `Writer` batch) it is a savepoint of that transaction.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(inner) => {
            if AnsiTransactionManager::transaction_manager_status_mut(inner)
                .transaction_depth()?
                .is_some()
            {
                return conn.transaction(f);
            }
            let _turn = writer_turn();
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            let result = f(conn);
            #[allow(irrefutable_let_patterns)] // with only the sqlite feature
            let DbConn::Sqlite(inner) = conn else {
                unreachable!("the closure cannot change the variant")
            };
            match result {
                Ok(value) => {
                    if let Err(e) = AnsiTransactionManager::commit_transaction(inner) {
                        let _ = AnsiTransactionManager::rollback_transaction(inner);
                        return Err(e.into());
                    }
                    Ok(value)
                }
                Err(e) => {
                    AnsiTransactionManager::rollback_transaction(inner)?;
                    Err(e)
                }
            }
        }
        #[allow(unreachable_patterns)]
        _ => conn.transaction(f),
    }
}

/// Runs blocking diesel work on actix's blocking pool with a pooled connection.
pub async fn run<T, F>(pool: &DbPool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let counter = query_count::request_counter();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::internal)?;
        let _counting = counter.map(query_count::Counting::enter);
        f(&mut conn)
    })
    .await
    .map_err(AppError::internal)?
}

/// Runs read-only diesel work. On SQLite it runs right here, on the calling
/// (HTTP worker) thread: a bounded read costs less than the two thread
/// switches of a trip to the blocking pool, and SQLite readers never wait
/// for the writer. PostgreSQL reads wait on the network: they go to the
/// blocking pool as with `run`. `f` must not write (a write would wait for
/// SQLite's writer on this thread). On SQLite its statements share one read
/// transaction: one snapshot, and the WAL's locks taken once, not per
/// statement. On PostgreSQL each statement sees what was committed before it
/// (no transaction: two more round trips per page would buy only that the
/// header's counts never lag the page by a commit).
pub async fn read<T, F>(pool: &DbPool, backend: Backend, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    #[cfg(feature = "sqlite")]
    if backend == Backend::Sqlite {
        let mut conn = pool.get().map_err(AppError::internal)?;
        let _counting = query_count::request_counter().map(query_count::Counting::enter);
        return sqlite_read(&mut conn, f);
    }
    let _ = backend; // for SQLite only
    run(pool, f).await
}

/// `f` in an SQLite read transaction whose `BEGIN` and `COMMIT` stay
/// prepared on the connection: `Connection::transaction` hands them to
/// `sqlite3_exec`, which parses them again on every call (1.5 % of the
/// server's CPU under W1). diesel's transaction manager is not told, so `f`
/// cannot open a transaction of its own: it only reads. Whatever way `f`
/// ends, the transaction ends with it, so the connection goes back to the
/// pool with none open.
#[cfg(feature = "sqlite")]
fn sqlite_read<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
    fn exec(conn: &mut DbConn, sql: &'static str) -> QueryResult<usize> {
        #[allow(irrefutable_let_patterns)] // with only the sqlite feature
        let DbConn::Sqlite(inner) = conn else {
            unreachable!("an SQLite pool hands out SQLite connections")
        };
        Sql::new(sql, ()).execute(inner)
    }
    exec(conn, "BEGIN")?;
    let result = catch_unwind(AssertUnwindSafe(|| f(conn)));
    let end = if matches!(result, Ok(Ok(_))) {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = exec(conn, end);
    match result {
        Err(panic) => resume_unwind(panic),
        Ok(result) => {
            ended?;
            result
        }
    }
}

/// True when `e` is a unique-constraint violation (the "only once" rules).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// `q` lower-cased with LIKE's wildcards escaped (use with `.escape('\\')`),
/// so a search for "50%" means the text "50%".
pub fn like_literal(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The longest search term worth sending to the database: no name, username
/// or address searched is longer (an address has at most 254 characters), so
/// a longer term finds nothing either way. SQLite refuses a LIKE pattern over
/// 50,000 bytes ("pattern too complex"), which made a 60 KB search a 500.
pub const SEARCH_MAX: usize = 320;

/// `q` cut to `SEARCH_MAX` characters (see there).
pub fn search_term(q: &str) -> &str {
    match q.char_indices().nth(SEARCH_MAX) {
        Some((i, _)) => &q[..i],
        None => q,
    }
}

/// `%q%` for a LIKE "contains" search, wildcards in `q` taken literally.
pub fn like_contains(q: &str) -> String {
    format!("%{}%", like_literal(search_term(q)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_terms_are_cut_at_a_character() {
        assert_eq!(super::search_term("abc"), "abc");
        let long = "é".repeat(super::SEARCH_MAX + 5);
        assert_eq!(super::search_term(&long).chars().count(), super::SEARCH_MAX);
    }
}
