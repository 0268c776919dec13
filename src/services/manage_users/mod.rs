//! Manage Users: a super user's view of their company account's people
//! (`people`: the list, one person, Active Login, a contact's invitation)
//! and the Add user wizard (`wizard`).

use crate::db::{self, DbConn};
use crate::domain::UserStatus;
use crate::error::AppResult;
use crate::models::user;
use time::PrimitiveDateTime;

mod people;
mod wizard;

pub use people::*;
pub use wizard::*;

/// Turns a login off: the user's sessions end at their next request and the
/// invitations they sent and that are still pending are cancelled.
pub fn deactivate(conn: &mut DbConn, user_id: i64, now: PrimitiveDateTime) -> AppResult<bool> {
    db::write_tx(conn, |conn| {
        let changed = user::change_status(
            conn,
            user_id,
            UserStatus::Active,
            UserStatus::Deactivated,
            now,
        )? == 1;
        if changed {
            crate::services::revocations::revoke_sent_by(conn, user_id, None, now)?;
        }
        Ok(changed)
    })
}
