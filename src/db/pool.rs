//! The r2d2 pool. The backend is chosen from the URL scheme here, not by
//! MultiConnection's `establish` (SQLite would accept a postgres URL as a file name).

use super::DbConn;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

pub type DbPool = r2d2::Pool<ConnectionManager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` are PostgreSQL; `sqlite://PATH` or a bare path is SQLite.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Unsupported(String),
}

#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
    /// Put the statement counter (`db::query_count`) on every connection.
    count_queries: bool,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            backend: Backend::from_url(url),
            count_queries: false,
        }
    }

    /// With the per-request statement counter (`db::query_count`) on every
    /// connection it makes.
    pub fn counting(mut self, count_queries: bool) -> Self {
        self.count_queries = count_queries;
        self
    }
}

/// The file path of a SQLite URL (`sqlite://data/x.db` → `data/x.db`).
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = ConnError;

    fn connect(&self) -> Result<DbConn, ConnError> {
        let mut conn = self.connect_backend()?;
        if self.count_queries {
            conn.set_instrumentation(super::query_count::instrumentation());
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnError> {
        use diesel::connection::SimpleConnection;
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::connection::TransactionManager;
        type Tm = <DbConn as diesel::Connection>::TransactionManager;
        Tm::is_broken_transaction_manager(conn)
    }
}

impl ConnectionManager {
    fn connect_backend(&self) -> Result<DbConn, ConnError> {
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                use diesel::connection::SimpleConnection;
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))?;
                // busy_timeout first, so the other pragmas wait for a busy
                // database instead of failing; WAL lets readers run beside the
                // one writer; foreign keys are off by default; savepoints
                // (write_tx inside a `Writer` batch) keep their undo pages in
                // memory instead of a temporary file.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA temp_store = MEMORY;",
                )?;
                Ok(DbConn::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                use diesel::connection::SimpleConnection;
                let mut conn = diesel::PgConnection::establish(&self.url)?;
                // PostgreSQL's default cost of a random page read (4, four
                // sequential reads) is for spinning disks. Guildhall's hot
                // rows sit in memory or on SSD, for which 1.1 is the usual
                // setting. With 4 the planner hashed whole tables (all 1,002
                // groups of the 10k seed for the 20 of one inbox) and found
                // planning the inbox anew for each request (0.3-0.5 ms)
                // cheaper than keeping one plan for every user.
                conn.batch_execute("SET random_page_cost = 1.1")?;
                Ok(DbConn::Pg(conn))
            }
            #[allow(unreachable_patterns)]
            other => Err(ConnError::Unsupported(format!(
                "this binary was built without the `{}` feature; rebuild with `--features {}`",
                feature_of(other),
                feature_of(other)
            ))),
        }
    }
}

fn feature_of(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

pub fn build_pool(url: &str, size: Option<u32>) -> Result<DbPool, ConnError> {
    build_pool_with(url, size, false)
}

/// `build_pool`, with the per-request statement counter on every connection
/// when `count_queries` (see `db::query_count`).
pub fn build_pool_with(
    url: &str,
    size: Option<u32>,
    count_queries: bool,
) -> Result<DbPool, ConnError> {
    let manager = ConnectionManager::new(url).counting(count_queries);
    let backend = Backend::from_url(url);
    if backend == Backend::Sqlite
        && let Some(dir) = std::path::Path::new(sqlite_path(url)).parent()
        && !dir.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(dir);
    }
    // Open one connection first so a bad URL fails with its real error.
    manager.connect()?;
    // SQLite: one for each HTTP worker's reads (`db::read`) and a few for
    // the blocking pool.
    let default_size = match backend {
        Backend::Sqlite => 6,
        Backend::Postgres => 8,
    };
    r2d2::Pool::builder()
        .max_size(size.unwrap_or(default_size))
        .connection_timeout(std::time::Duration::from_secs(10))
        // r2d2 would run `is_valid` (a SELECT 1) on every checkout: a
        // statement per request step. A connection that broke shows in the
        // query's own error and `has_broken` keeps it out of the pool.
        .test_on_check_out(false)
        .build(manager)
        .map_err(|e| ConnError::Unsupported(e.to_string()))
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }

    /// The bundled SQLite carries the build flags of .cargo/config.toml
    /// (each measured with bench/run on the inbox page).
    #[test]
    fn sqlite_is_built_for_a_pooled_server() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut c)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        for wanted in ["THREADSAFE=2", "DEFAULT_MEMSTATUS=0", "ENABLE_QPSG"] {
            assert!(
                options.iter().any(|o| o == wanted),
                "{wanted} in {options:?}"
            );
        }
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "one page cache shared by every connection: {options:?}"
        );
    }
}
