//! `db::read`, the read every page runs: on SQLite one snapshot for all its
//! statements, and however it ends (an answer, an error, a panic) its
//! connection goes back to the pool ready for the next read.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::notifications;
use guildhall::error::{AppError, AppResult};
use guildhall::services::notifications::notify;

backend_tests!(
    a_read_sees_one_snapshot_and_sees_the_next_commit_after_it,
    a_read_that_fails_or_panics_leaves_its_connection_ready,
);

fn notes_of(c: &mut guildhall::db::DbConn, user: i64) -> AppResult<i64> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user))
        .count()
        .get_result(c)?)
}

async fn read<T: Send + 'static>(
    app: &TestApp,
    f: impl FnOnce(&mut guildhall::db::DbConn) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    guildhall::db::read(app.pool(), app.state.backend, f).await
}

async fn a_read_sees_one_snapshot_and_sees_the_next_commit_after_it(b: Backend) {
    let app = spawn_app(b).await;
    let ann = app.create_user("ann", "correct horse battery");
    let now = app.clock.now();
    let pool = app.pool().clone();
    // Between the read's two counts, another connection commits a note.
    let (before, during) = read(&app, move |c| {
        let before = notes_of(c, ann)?;
        let mut other = pool.get().expect("a second connection");
        notify(&mut other, ann, "test", "written meanwhile", None, now)?;
        Ok((before, notes_of(c, ann)?))
    })
    .await
    .expect("the read answers");
    assert_eq!(before, 0);
    if b == Backend::Sqlite {
        // One snapshot: the page's rows and its header counts agree.
        assert_eq!(during, 0, "a read on SQLite sees one snapshot");
    }
    let after = read(&app, move |c| notes_of(c, ann)).await.unwrap();
    assert_eq!(after, 1, "the next read sees the commit");
}

async fn a_read_that_fails_or_panics_leaves_its_connection_ready(b: Backend) {
    let app = spawn_app(b).await;
    let ann = app.create_user("ann", "correct horse battery");
    let size = app.pool().max_size();
    // More failures than connections, each followed by a read that must
    // find its connection with no transaction left open.
    for i in 0..=size {
        let failed = read(&app, move |c| {
            notes_of(c, ann)?;
            Err::<(), _>(AppError::bad_request(format!("refused {i}")))
        })
        .await;
        assert!(failed.is_err(), "read {i} fails as its closure did");
        assert_eq!(read(&app, move |c| notes_of(c, ann)).await.unwrap(), 0);
    }
    for i in 0..=size {
        let pool = app.pool().clone();
        let backend = app.state.backend;
        let panicked = tokio::spawn(async move {
            guildhall::db::read(&pool, backend, move |c| -> AppResult<i64> {
                notes_of(c, ann)?;
                panic!("read {i} panics on purpose")
            })
            .await
        })
        .await;
        // SQLite reads on the calling thread: the panic reaches the task.
        // PostgreSQL reads on the blocking pool, which answers an error.
        match panicked {
            Err(e) => assert!(e.is_panic(), "read {i} panicked"),
            Ok(answer) => assert!(answer.is_err(), "read {i} cannot answer"),
        }
        assert_eq!(read(&app, move |c| notes_of(c, ann)).await.unwrap(), 0);
    }
}
