//! Group commit (`db::Writer`): pieces of work sent at once share a commit
//! on SQLite, yet each keeps what it wrote or loses it alone, and its caller
//! hears its own result only once the data can be read.

use crate::backend_tests;
use crate::helpers::*;
use diesel::prelude::*;
use guildhall::db::schema::notifications;
use guildhall::error::{AppError, AppResult, ErrorKind};
use guildhall::services::notifications::notify;

backend_tests!(pieces_sent_together_keep_or_lose_their_own_writes);

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
