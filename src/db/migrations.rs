//! Embedded migrations, one folder per backend with the same names.

use super::DbConn;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

#[cfg(feature = "sqlite")]
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration; returns the names applied.
pub fn run_migrations(
    conn: &mut DbConn,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let applied: Vec<String> = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE)?,
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES)?,
    }
    .iter()
    .map(|v| v.to_string())
    .collect();
    Ok(applied)
}
