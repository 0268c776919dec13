//! Loading a big table on PostgreSQL as its manual advises ("Populating a
//! Database"): rows go in by COPY into the table stripped of its secondary
//! indexes and foreign keys; then each index is built once, by sorting, and
//! each foreign key is checked by one join. At 1M users that is 10M
//! memberships, which row-by-row index and key maintenance (nine B-trees,
//! three key lookups) loaded at 20k rows/s.
//!
//! Everything runs inside the caller's transaction (PostgreSQL's DDL is
//! transactional): a seed that fails or is killed leaves the schema whole.

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

/// What [`strip`] took off a table, to put back with [`Stripped::restore`].
pub struct Stripped {
    table: &'static str,
    indexes: Vec<Named>,
    foreign_keys: Vec<Named>,
    triggers: Vec<String>,
}

/// Drops `table`'s indexes (all but the primary key's and those a
/// constraint owns) and its foreign keys, remembering their definitions as
/// the catalog gives them, so nothing here repeats the migrations; and
/// disables `triggers` (whose work the caller then does in bulk).
pub fn strip(
    c: &mut PgConnection,
    table: &'static str,
    triggers: &[&str],
) -> QueryResult<Stripped> {
    let indexes: Vec<Named> = diesel::sql_query(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def \
         FROM pg_index i \
         WHERE i.indrelid = $1::regclass AND NOT i.indisprimary \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
    )
    .bind::<Text, _>(table)
    .load(c)?;
    let foreign_keys: Vec<Named> = diesel::sql_query(
        "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def \
         FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'",
    )
    .bind::<Text, _>(table)
    .load(c)?;
    let mut ddl = String::new();
    for k in &foreign_keys {
        ddl += &format!("ALTER TABLE {table} DROP CONSTRAINT \"{}\";", k.name);
    }
    for i in &indexes {
        ddl += &format!("DROP INDEX {};", i.name);
    }
    for t in triggers {
        ddl += &format!("ALTER TABLE {table} DISABLE TRIGGER \"{t}\";");
    }
    c.batch_execute(&ddl)?;
    Ok(Stripped {
        table,
        indexes,
        foreign_keys,
        triggers: triggers.iter().map(|t| t.to_string()).collect(),
    })
}

impl Stripped {
    /// How many steps [`Stripped::restore`] takes (for a progress line).
    pub fn steps(&self) -> usize {
        self.indexes.len() + self.foreign_keys.len()
    }

    /// Builds the indexes again, checks and adds the foreign keys (calling
    /// `step` after each) and enables the triggers.
    pub fn restore(self, c: &mut PgConnection, mut step: impl FnMut()) -> QueryResult<()> {
        // Sorting in memory instead of in temporary files: 10M rows of an
        // index fit in this, for this transaction only.
        c.batch_execute("SET LOCAL maintenance_work_mem = '512MB'")?;
        for i in &self.indexes {
            c.batch_execute(&i.def)?;
            step();
        }
        for k in &self.foreign_keys {
            c.batch_execute(&format!(
                "ALTER TABLE {} ADD CONSTRAINT \"{}\" {}",
                self.table, k.name, k.def
            ))?;
            step();
        }
        for t in &self.triggers {
            c.batch_execute(&format!(
                "ALTER TABLE {} ENABLE TRIGGER \"{t}\"",
                self.table
            ))?;
        }
        Ok(())
    }
}
