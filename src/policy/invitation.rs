//! Who may answer an invitation.

use super::Denied;
use crate::models::User;
use crate::models::invitation::Invitation;

/// Only the person it was sent to, with a confirmed address: the user it
/// names, or the holder of the address it was mailed to.
pub fn may_answer_invitation(me: &User, inv: &Invitation) -> Result<(), Denied> {
    let addressed =
        inv.invitee_user_id == Some(me.id) || me.email.to_lowercase() == inv.invitee_email_key;
    if me.email_verified_at.is_some() && addressed {
        Ok(())
    } else {
        Err(Denied::NotTheInvitee)
    }
}
