//! Group commit (`db::Writer`): pieces of work sent at once share a commit
//! on SQLite, yet each keeps what it wrote or loses it alone, and its caller
//! hears its own result only once the data can be read.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::notifications;
use guildhall::error::{AppError, AppResult, ErrorKind};
use guildhall::services::notifications::notify;

backend_tests!(
    pieces_sent_together_keep_or_lose_their_own_writes,
    the_wal_starts_over_under_steady_writes,
);

const PW: &str = "correct horse battery";

async fn pieces_sent_together_keep_or_lose_their_own_writes(b: Backend) {
    let app = spawn_app(b).await;
    let ann = app.create_user("ann", PW);
    let now = app.clock.now();
    // 40 pieces at once; every fourth writes its note and then fails.
    let pieces: Vec<_> = (0..40)
        .map(|i| {
            let writer = app.writer().clone();
            tokio::spawn(async move {
                writer
                    .run(move |c| {
                        guildhall::db::write_tx(c, |c| -> AppResult<i64> {
                            let id = notify(c, ann, "test", &format!("note {i}"), None, now)?;
                            if i % 4 == 0 {
                                return Err(AppError::bad_request(format!("piece {i} refused")));
                            }
                            Ok(id)
                        })
                    })
                    .await
            })
        })
        .collect();
    let mut kept = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        match piece.await.unwrap() {
            Ok(id) => {
                assert_ne!(i % 4, 0, "piece {i} should have failed");
                kept.push((id, format!("note {i}")));
            }
            Err(e) => {
                assert_eq!(i % 4, 0, "piece {i} failed: {e}");
                assert_eq!(e.kind, ErrorKind::BadRequest(format!("piece {i} refused")));
            }
        }
    }
    assert_eq!(kept.len(), 30);
    // Each answer came after its commit: another connection reads exactly the
    // kept notes, under the ids their pieces were told.
    let mut stored: Vec<(i64, String)> = app.db(|c| {
        notifications::table
            .filter(notifications::user_id.eq(ann))
            .select((notifications::id, notifications::text))
            .load(c)
            .unwrap()
    });
    stored.sort();
    kept.sort();
    assert_eq!(stored, kept);
}

/// A steady stream of writes, each its own commit, over several checkpoint
/// periods: every write lands, and on SQLite the WAL starts over instead of
/// keeping every page ever written (the writer turns SQLite's automatic
/// checkpoints off and must checkpoint itself), on a busy machine too.
async fn the_wal_starts_over_under_steady_writes(b: Backend) {
    use std::time::{Duration, Instant};
    let app = spawn_app(b).await;
    let ann = app.create_user("ann", PW);
    let now = app.clock.now();
    let started = Instant::now();
    let mut commits: i64 = 0;
    while started.elapsed() < Duration::from_secs(4) {
        app.writer()
            .run(move |c| notify(c, ann, "test", "steady", None, now))
            .await
            .expect("write");
        commits += 1;
    }
    let landed: i64 = app.db(|c| {
        notifications::table
            .filter(notifications::user_id.eq(ann))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(landed, commits);
    if b == Backend::Sqlite {
        let db = app.config.database_url.trim_start_matches("sqlite://");
        let wal = std::fs::metadata(format!("{db}-wal")).map_or(0, |m| m.len());
        // Each commit appends about three 4 KiB pages (a table and two
        // indexes): a WAL never started over holds them all (94 MB after
        // 7,152 commits when tried). The writer starts it over at least
        // once a second however busy the machine (CHECKPOINT_OVERDUE), so
        // over 4 s the file (its largest size, which it keeps) holds at most
        // about a third of the pages written: bound at half.
        let half_of_all = commits as u64 * 3 * 4096 / 2;
        eprintln!("the WAL holds {wal} bytes after {commits} commits");
        assert!(
            wal < half_of_all,
            "the WAL holds {wal} bytes after {commits} commits"
        );
    }
}
