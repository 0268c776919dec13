//! Invitations that lose the power behind them: when an inviter's role
//! changes or loses "manage members", or they are removed or leave, their
//! pending invitations are cancelled (a use case of its own, so the group
//! and role services need not import the invitation service).

use crate::db::DbConn;
use crate::models::invitation;
use time::PrimitiveDateTime;

/// Cancels the pending invitations of `who` that lost the power to invite
/// behind them (a role changed or lost "manage members", a member removed
/// or left), in the group and in every community below it, recording why.
pub fn revoke_unbacked(
    conn: &mut DbConn,
    who: invitation::Inviters,
    actor: Option<i64>,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<usize> {
    let ids = invitation::cancel_unbacked(conn, who, now)?;
    invitation::log(conn, &ids, "revoked", actor, now)?;
    Ok(ids.len())
}

/// Cancels every pending invitation `inviter` sent, recording why: they
/// were deactivated.
pub fn revoke_sent_by(
    conn: &mut DbConn,
    inviter: i64,
    actor: Option<i64>,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<usize> {
    let ids = invitation::cancel_sent_by(conn, inviter, now)?;
    invitation::log(conn, &ids, "revoked", actor, now)?;
    Ok(ids.len())
}
