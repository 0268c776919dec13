//! The invitation policy of a community and of every community above it:
//! which addresses may be invited (and may accept), who may invite, and
//! that a managed community only narrows the rules above. A rule only ever
//! refuses: it never grants membership or access.

use super::{Denied, GroupAccess};
use crate::domain::Permission;
use crate::domain::invitation_policy::{
    Broken, Disposable, Rules, WhoMayInvite, Widening, domain_of,
};
use crate::models::invitation_policy::Level;

/// An invitation the policy refuses: the community whose rule it breaks,
/// and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub community: String,
    pub broken: Broken,
}

impl Breach {
    /// The rule, as a clause: "only addresses at example.com may be invited".
    pub fn rule(&self) -> String {
        match &self.broken {
            Broken::InvitationsOff => "invitations are off".into(),
            Broken::AdminsOnly => "only its admins may invite".into(),
            Broken::NotAllowed(list) => {
                format!("only addresses at {} may be invited", list.spoken())
            }
            Broken::Blocked(d) => format!("addresses at {d} may not be invited"),
            Broken::Disposable => "disposable addresses may not be invited".into(),
        }
    }
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}'s invitation policy: {}", self.community, self.rule())
    }
}

/// An address may be invited to (or accept an invitation to) a group whose
/// path has these `levels` (top first) only if no level's rule refuses it.
pub fn may_invite_address(
    levels: &[Level],
    address: &str,
    disposable: &Disposable,
) -> Result<(), Breach> {
    let domain = domain_of(address);
    for l in levels {
        if let Some(broken) = l.rules.breaks(&domain, disposable) {
            return Err(Breach {
                community: l.name.clone(),
                broken,
            });
        }
    }
    Ok(())
}

/// Where a level lets only admins invite, the inviter needs `manage_group`
/// as well as `manage_member` (`may_invite`).
pub fn may_invite_under(levels: &[Level], access: &GroupAccess) -> Result<(), Breach> {
    match levels.iter().find(|l| l.rules.who == WhoMayInvite::Admins) {
        Some(l) if !access.can(Permission::ManageGroup) => Err(Breach {
            community: l.name.clone(),
            broken: Broken::AdminsOnly,
        }),
        _ => Ok(()),
    }
}

/// The first level of the path that turned invitations off, as the rule
/// that refuses every address (the invite page says so instead of a form).
pub fn invitations_off(levels: &[Level]) -> Option<Breach> {
    levels.iter().find(|l| l.rules.off).map(|l| Breach {
        community: l.name.clone(),
        broken: Broken::InvitationsOff,
    })
}

/// A member suggests someone to invite ("Suggest someone") where a level of
/// the group's path says "Any member": a member of the group or of a
/// community above it. (Approving one is `may_invite`.)
pub fn may_suggest(levels: &[Level], access: &GroupAccess) -> Result<(), Denied> {
    if !access.has_access() {
        return Err(Denied::NotAMember);
    }
    if !levels.iter().any(|l| l.rules.who == WhoMayInvite::Members) {
        return Err(Denied::SuggestionsClosed);
    }
    Ok(())
}

/// A managed community's own rules may only narrow those above it: the
/// first level above they would widen, and how, as the sentence the form
/// shows.
pub fn may_narrow(own: &Rules, above: &[Level]) -> Result<(), String> {
    for l in above {
        if let Some(w) = own.widens(&l.rules) {
            return Err(match w {
                Widening::Domain(d) => format!(
                    "{} allows only addresses at {}: {d} would widen it.",
                    l.name,
                    l.rules.allowed.spoken()
                ),
                Widening::Subdomains => format!(
                    "{} allows {} without subdomains: a managed community cannot add them.",
                    l.name,
                    l.rules.allowed.spoken()
                ),
                Widening::WhoMayInvite => format!(
                    "In {} only admins may invite: a managed community cannot let more people invite.",
                    l.name
                ),
            });
        }
    }
    Ok(())
}
