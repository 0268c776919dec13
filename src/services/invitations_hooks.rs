//! Seams between account management and invitations.
//!
//! The invitations work (tables `invitations`, `invitation_events`) fills
//! these in; until then they do nothing. They run inside the caller's write
//! transaction, so whatever they write commits or rolls back with it.

use crate::db::DbConn;
use crate::error::AppResult;
use time::PrimitiveDateTime;

/// Called when `user_id`'s Active Login is turned off by `actor_id`, inside
/// that transaction: cancels the pending invitations `user_id` has sent
/// (and records who cancelled them and when).
pub fn on_user_deactivated(
    _conn: &mut DbConn,
    _user_id: i64,
    _actor_id: i64,
    _now: PrimitiveDateTime,
) -> AppResult<()> {
    Ok(())
}
