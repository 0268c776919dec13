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
    fill_member_keys(conn)?;
    Ok(applied)
}

/// Memberships from before `members_by_name` get their name keys here (a
/// natural sort key is not SQL). Every start looks, through the partial
/// index `memberships_unkeyed`, which is empty once this is done: a start
/// stopped half-way is finished by the next.
fn fill_member_keys(conn: &mut DbConn) -> diesel::QueryResult<()> {
    use crate::models::membership;
    const BATCH: i64 = 1_000;
    let mut after = 0;
    loop {
        let done = super::write_tx(conn, |c| {
            let rows = membership::unkeyed(c, after, BATCH)?;
            for (id, keys) in &rows {
                membership::set_keys(c, *id, keys)?;
            }
            Ok::<_, diesel::result::Error>(rows.last().map(|(id, _)| *id))
        })?;
        match done {
            Some(last) => after = last,
            None => return Ok(()),
        }
    }
}
