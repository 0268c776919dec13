//! Who may enter which group: the segregation of clients and partners.
//!
//! One pure rule, called wherever a person enters a group or a membership
//! changes (join, join request and its approval, role change, and the
//! invitation paths), before anything is written.

use super::{AccountKind, Audience};

pub const PARTNER_IN_CLIENT_GROUP: &str = "Partners cannot be added to client groups";
pub const CLIENT_IN_PARTNER_GROUP: &str = "Clients cannot be added to partner groups";
pub const OTHER_CLIENT_ACCOUNT: &str =
    "This group belongs to another account: only its people can be added";

/// May a person whose account is of `user_kind` (None: no account, or the
/// account is unknown) with account id `user_account_id` be in a group for
/// `group_audience` bound to `group_account_id`?
///
/// - partners never enter client groups, clients never partner groups;
/// - a client group bound to an account takes that account's clients only
///   (plus internal staff, who support it);
/// - internal staff may enter any group;
/// - `internal`-audience groups are not restricted by this rule;
/// - a person without an account is neither client nor partner: they may
///   enter any group that is not bound to an account.
pub fn may_join(
    user_kind: Option<AccountKind>,
    group_audience: Audience,
    group_account_id: Option<i64>,
    user_account_id: Option<i64>,
) -> Result<(), &'static str> {
    match (user_kind, group_audience) {
        (Some(AccountKind::Internal), _) => Ok(()),
        (_, Audience::Internal) => Ok(()),
        (Some(AccountKind::Partner), Audience::Client) => Err(PARTNER_IN_CLIENT_GROUP),
        (Some(AccountKind::Client), Audience::Partner) => Err(CLIENT_IN_PARTNER_GROUP),
        (_, _) => match group_account_id {
            Some(g) if user_account_id != Some(g) || user_kind.is_none() => {
                Err(OTHER_CLIENT_ACCOUNT)
            }
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountKind::*;

    #[test]
    fn partners_and_clients_do_not_mix() {
        assert_eq!(
            may_join(Some(Partner), Audience::Client, None, Some(2)),
            Err(PARTNER_IN_CLIENT_GROUP)
        );
        assert_eq!(
            may_join(Some(Partner), Audience::Client, Some(1), Some(2)),
            Err(PARTNER_IN_CLIENT_GROUP)
        );
        assert_eq!(
            may_join(Some(Client), Audience::Partner, None, Some(1)),
            Err(CLIENT_IN_PARTNER_GROUP)
        );
        assert_eq!(
            may_join(Some(Partner), Audience::Partner, None, Some(2)),
            Ok(())
        );
        assert_eq!(
            may_join(Some(Client), Audience::Client, None, Some(1)),
            Ok(())
        );
    }

    #[test]
    fn client_groups_of_an_account() {
        assert_eq!(
            may_join(Some(Client), Audience::Client, Some(1), Some(1)),
            Ok(())
        );
        assert_eq!(
            may_join(Some(Client), Audience::Client, Some(1), Some(3)),
            Err(OTHER_CLIENT_ACCOUNT)
        );
        assert_eq!(
            may_join(None, Audience::Client, Some(1), None),
            Err(OTHER_CLIENT_ACCOUNT)
        );
        assert_eq!(may_join(None, Audience::Client, None, None), Ok(()));
        assert_eq!(may_join(None, Audience::Partner, None, None), Ok(()));
    }

    #[test]
    fn internal_staff_and_internal_groups() {
        for a in Audience::ALL {
            assert_eq!(may_join(Some(Internal), a, Some(1), Some(9)), Ok(()));
        }
        for k in [None, Some(Client), Some(Partner)] {
            assert_eq!(may_join(k, Audience::Internal, None, Some(4)), Ok(()));
        }
    }
}
