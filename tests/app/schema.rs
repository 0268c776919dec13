//! Both backends migrate from empty to the same schema.

use crate::helpers::*;
use guildhall::db::{self, stats};

fn migrate(url: &str) -> (Vec<stats::ColumnInfo>, Vec<String>, usize) {
    let pool = db::build_pool(url, Some(1)).expect("pool");
    let mut conn = pool.get().unwrap();
    let applied = db::run_migrations(&mut conn).expect("migrations");
    let again = db::run_migrations(&mut conn).expect("second run");
    assert!(again.is_empty(), "a second run applied {again:?}");
    (
        stats::columns(&mut conn).unwrap(),
        stats::indexes(&mut conn).unwrap(),
        applied.len(),
    )
}

#[test]
fn both_backends_migrate_to_the_same_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let sqlite = TestDb::create(Backend::Sqlite, tmp.path());
    let (cols, idx, applied) = migrate(&sqlite.url);
    assert!(applied >= 1);
    for table in [
        "users",
        "outbox",
        "outbox_bodies",
        "login_attempts",
        "email_verifications",
        "conversations",
        "conversation_members",
        "messages",
        "notifications",
        "groups",
        "roles",
        "memberships",
        "join_requests",
        "invitations",
        "invitation_events",
        "retired_invitation_links",
        "company_accounts",
        "audit_events",
        "cases",
        "case_comments",
    ] {
        assert!(cols.iter().any(|c| c.table == table), "no table {table}");
    }
    assert!(idx.contains(&"users_username_key".to_string()));
    assert!(
        cols.iter()
            .all(|c| ["int", "text", "bool", "timestamp"].contains(&c.kind.as_str())),
        "a column of an uncommon type: {:?}",
        cols.iter()
            .find(|c| !["int", "text", "bool", "timestamp"].contains(&c.kind.as_str()))
    );

    let pg = TestDb::create(Backend::Postgres, tmp.path());
    let (pg_cols, pg_idx, pg_applied) = migrate(&pg.url);
    assert_eq!(applied, pg_applied, "different migration counts");
    let only_sqlite: Vec<_> = cols.iter().filter(|c| !pg_cols.contains(c)).collect();
    let only_pg: Vec<_> = pg_cols.iter().filter(|c| !cols.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "schemas differ:\n only SQLite: {only_sqlite:#?}\n only PostgreSQL: {only_pg:#?}"
    );
    assert_eq!(idx, pg_idx, "index names differ");
}

#[test]
fn a_postgres_url_is_never_opened_as_a_sqlite_file() {
    assert_eq!(
        db::Backend::from_url("postgres://x@localhost/db"),
        db::Backend::Postgres
    );
    assert_eq!(
        db::Backend::from_url("postgresql://x@localhost/db"),
        db::Backend::Postgres
    );
    assert_eq!(
        db::Backend::from_url("sqlite://data/g.db"),
        db::Backend::Sqlite
    );
    assert_eq!(db::Backend::from_url("data/g.db"), db::Backend::Sqlite);
    // A PostgreSQL server that is not there fails with its own error, not a new file.
    let tmp = tempfile::tempdir().unwrap();
    let url = "postgres://nobody@127.0.0.1:1/nothing";
    let err = match db::build_pool(url, Some(1)) {
        Ok(_) => panic!("connected to a server that does not exist"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("onnect") || err.contains("feature"),
        "unexpected error: {err}"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
