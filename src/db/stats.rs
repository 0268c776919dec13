//! Schema introspection in common terms, so a test can check that both
//! backends' migrations produce the same tables, columns and indexes.

use super::DbConn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    /// One of `int`, `text`, `bool`, `timestamp`.
    pub kind: String,
    pub nullable: bool,
}

#[derive(QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    nullable: i64,
}

#[derive(QueryableByName)]
struct Idx {
    #[diesel(sql_type = Text)]
    name: String,
}

fn normalise(data_type: &str) -> String {
    let t = data_type.to_ascii_lowercase();
    if t.contains("int") || t == "bigserial" {
        "int".into()
    } else if t.contains("bool") {
        "bool".into()
    } else if t.starts_with("timestamp") {
        "timestamp".into()
    } else if t.contains("char") || t == "text" {
        "text".into()
    } else {
        t
    }
}

/// Every user table's columns, normalised and sorted.
pub fn columns(conn: &mut DbConn) -> QueryResult<Vec<ColumnInfo>> {
    let rows: Vec<Col> = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                    CASE WHEN p.\"notnull\" = 1 OR p.pk = 1 THEN 0 ELSE 1 END AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
               AND m.name <> '__diesel_schema_migrations'",
        )
        .load(c)?,
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT table_name::text, column_name::text, data_type::text, \
                    CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END::bigint AS nullable \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c)?,
    };
    let mut out: Vec<ColumnInfo> = rows
        .into_iter()
        .map(|r| ColumnInfo {
            table: r.table_name,
            column: r.column_name,
            kind: normalise(&r.data_type),
            nullable: r.nullable == 1,
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Names of the explicitly created indexes, sorted.
pub fn indexes(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let rows: Vec<Idx> = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        )
        .load(c)?,
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT indexname::text AS name FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' \
               AND tablename <> '__diesel_schema_migrations'",
        )
        .load(c)?,
    };
    let mut out: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    out.sort();
    Ok(out)
}
