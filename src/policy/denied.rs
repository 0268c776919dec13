//! Why a rule said no: one variant per rule, its Display the sentence the
//! person sees (as a flash, beside a field, or on the 403 page).

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Lacks the permission the action needs: the 403 page.
    NoAccess,
    /// An invitation-only group seen from outside: its existence is not
    /// disclosed (404).
    Hidden,
    RoleAboveOwn,
    MemberAboveOwn,
    ForeignRole,
    NotAMember,
    /// Partners never into client groups, clients never into partner groups,
    /// a client group bound to an account takes only that account's people.
    Segregated(&'static str),
    NotSuperUser,
    /// The person is not (or no longer) linked to a company account.
    AccountInactive,
    /// Someone of another company account: not disclosed (404).
    OtherAccount,
    /// Logged in with another address (or one not confirmed yet) than the
    /// one the invitation was sent to.
    NotTheInvitee,
    /// The account's login is off (deactivated) or it has none (a contact
    /// who never registered): no password to reset or change.
    NoLogin,
    /// The address belongs to an account that confirmed it: the person
    /// with the link logs in to it instead of signing up.
    AddressHeld,
    /// No community on the group's path lets members suggest someone.
    SuggestionsClosed,
    /// A join link needs a confirmed address.
    AddressUnconfirmed,
    /// An admin removed the person from the group: a join link does not
    /// let them back.
    RemovedFromGroup,
    /// The join link is for addresses at another domain.
    OtherDomain,
}

impl Denied {
    /// The sentence the person sees (also the Display).
    pub fn message(self) -> &'static str {
        match self {
            Denied::NoAccess | Denied::NotSuperUser => "You do not have access to this feature.",
            Denied::Hidden | Denied::OtherAccount => "Not found.",
            Denied::RoleAboveOwn => {
                "You cannot give a role with permissions you do not have yourself."
            }
            Denied::MemberAboveOwn => {
                "You cannot change a member who has permissions you do not have."
            }
            Denied::ForeignRole => "This role does not belong to this group.",
            Denied::NotAMember => "You are not a member of this group.",
            Denied::Segregated(why) => why,
            Denied::AccountInactive => "You are not a member of an Account",
            Denied::NotTheInvitee => "This invitation was sent to another e-mail address.",
            Denied::AddressHeld => {
                "An account with this e-mail address exists already: log in with it to answer the invitation."
            }
            Denied::SuggestionsClosed => {
                "This group does not take suggestions: ask one of its admins to invite someone."
            }
            Denied::AddressUnconfirmed => {
                "Confirm your e-mail address first (see the mail we sent you): this link works for a confirmed address."
            }
            Denied::RemovedFromGroup => {
                "You were removed from this group: ask one of its admins to invite you again."
            }
            Denied::OtherDomain => {
                "This link is for addresses at another domain: ask one of the group's admins for an invitation."
            }
            Denied::NoLogin => {
                "This account cannot log in (its login is off). Contact your administrator."
            }
        }
    }

    /// Whether the refusal is a page of its own (403 / 404) rather than a
    /// message shown beside what the person did.
    pub fn is_page(self) -> bool {
        matches!(
            self,
            Denied::NoAccess | Denied::NotSuperUser | Denied::Hidden | Denied::OtherAccount
        )
    }
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Denied {}

/// As a response: 404 for what is not disclosed, 403 for a missing power,
/// 400 with the sentence for the rest (paths that show it in the page map
/// the refusal themselves before it gets here).
impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Hidden | Denied::OtherAccount => AppError::not_found(),
            Denied::NoAccess | Denied::NotSuperUser => AppError::forbidden(),
            other => AppError::bad_request(other.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn pages_are_403_or_404() {
        assert_eq!(AppError::from(Denied::Hidden).kind, ErrorKind::NotFound);
        assert_eq!(AppError::from(Denied::NoAccess).kind, ErrorKind::Forbidden);
        assert_eq!(
            AppError::from(Denied::RoleAboveOwn).kind,
            ErrorKind::BadRequest(Denied::RoleAboveOwn.message().into())
        );
    }
}
