//! Notifications: `notify` for other use cases, the list, marking read.

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::models::notification::{self, NewNotification, Notification};
use time::PrimitiveDateTime;

pub const PAGE: crate::db::PageSize = crate::db::PageSize(25);

/// Adds a notification for `user_id`. Runs in the caller's transaction.
/// `link_path` is a path on this site (`/groups/x`), never a full URL, so a
/// notification can never send anyone elsewhere.
pub fn notify(
    conn: &mut DbConn,
    user_id: i64,
    kind: &str,
    text: &str,
    link_path: Option<&str>,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    notify_about(conn, user_id, kind, text, link_path, None, now)
}

/// `notify`, naming what it is about (`ref_id`: the invitation announced),
/// so it can be marked read when that is done with.
pub fn notify_about(
    conn: &mut DbConn,
    user_id: i64,
    kind: &str,
    text: &str,
    link_path: Option<&str>,
    ref_id: Option<i64>,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    check_link(link_path)?;
    Ok(notification::insert(
        conn,
        &NewNotification {
            user_id,
            kind,
            text,
            link_path,
            created_at: now,
            ref_id,
        },
    )?)
}

/// A notification links to a path on this site (`/groups/x`), never to a
/// full URL, so it can never send anyone elsewhere.
pub fn check_link(link_path: Option<&str>) -> AppResult<()> {
    match link_path {
        Some(p) if !p.starts_with('/') || p.starts_with("//") || p.contains('\\') => Err(
            AppError::bad_request("A notification links to a path on this site."),
        ),
        _ => Ok(()),
    }
}

/// A page of notifications, newest first, and the `before` of the next page.
pub fn list(
    conn: &mut DbConn,
    user_id: i64,
    before: Option<i64>,
) -> AppResult<(Vec<Notification>, Option<i64>)> {
    let mut rows = notification::page(conn, user_id, before.unwrap_or(i64::MAX), PAGE.fetch())?;
    let next = PAGE.next(&mut rows, |n| n.id);
    Ok((rows, next))
}

/// Marks one notification read; false if it is not `user_id`'s or was read.
pub fn mark_read(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    Ok(notification::mark_read(conn, user_id, id, now)? == 1)
}

/// Marks every notification up to `up_to_id` read (the newest the page
/// showed); returns how many.
pub fn mark_all_read(
    conn: &mut DbConn,
    user_id: i64,
    up_to_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<usize> {
    Ok(notification::mark_all_read(conn, user_id, up_to_id, now)?)
}

/// Marking notifications read, as handlers call it.
impl super::App {
    pub async fn mark_notification_read(&self, user: i64, id: i64) -> AppResult<bool> {
        self.on_pool(move |c, now| mark_read(c, user, id, now))
            .await
    }

    /// Marks read everything up to the newest the page showed.
    pub async fn mark_all_notifications_read(&self, user: i64, up_to: i64) -> AppResult<usize> {
        self.on_pool(move |c, now| mark_all_read(c, user, up_to, now))
            .await
    }
}
