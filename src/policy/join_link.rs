//! Who may join a group by a multi-use join link. The link only lets in
//! those an invitation could: an active account with a confirmed address
//! at the link's domain (if it names one), never someone an admin removed
//! from the group; the community's invitation policy and client/partner
//! segregation are checked beside it by the use case.

use super::Denied;
use crate::domain::invitation_policy::domain_of;
use crate::models::User;

pub fn may_use_join_link(
    user: &User,
    allowed_domain: Option<&str>,
    removed_before: bool,
) -> Result<(), Denied> {
    if !user.is_active() {
        return Err(Denied::NoLogin);
    }
    if user.email_verified_at.is_none() {
        return Err(Denied::AddressUnconfirmed);
    }
    if removed_before {
        return Err(Denied::RemovedFromGroup);
    }
    if let Some(d) = allowed_domain {
        let domain = domain_of(&user.email);
        let under = domain.len() > d.len()
            && domain.ends_with(d)
            && domain.as_bytes()[domain.len() - d.len() - 1] == b'.';
        if domain != d && !under {
            return Err(Denied::OtherDomain);
        }
    }
    Ok(())
}
