//! Group rules: who sees a group, who invites into it, who manages it and
//! its members, which roles one may hand out, and who may enter it at all.

use super::{Denied, GroupAccess};
use crate::db::DbConn;
use crate::domain::{Audience, Permission, Permissions, segregation};
use crate::error::AppResult;
use crate::models::{Group, Role, User, company_account};

fn holds(access: &GroupAccess, p: Permission) -> Result<(), Denied> {
    if access.can(p) {
        Ok(())
    } else {
        Err(Denied::NoAccess)
    }
}

/// An invitation-only group is seen only by those with access to it (its
/// members and the members of a community above); to anyone else it does
/// not exist. Open and request-only groups are seen by everyone.
pub fn may_view_group(access: &GroupAccess) -> Result<(), Denied> {
    if access.has_access() || !access.group.is_invite_only() {
        Ok(())
    } else {
        Err(Denied::Hidden)
    }
}

/// The member list needs `view_members`.
pub fn may_view_members(access: &GroupAccess) -> Result<(), Denied> {
    holds(access, Permission::ViewMembers)
}

/// Inviting, and following the group's invitations (resend, renew, cancel,
/// join requests), needs `manage_member` here or in a community above.
pub fn may_invite(access: &GroupAccess) -> Result<(), Denied> {
    holds(access, Permission::ManageMember)
}

/// Site admins shape every community; anyone else needs `manage_group`.
pub fn may_manage_group(access: &GroupAccess, actor: &User) -> Result<(), Denied> {
    if actor.is_site_admin {
        Ok(())
    } else {
        holds(access, Permission::ManageGroup)
    }
}

/// Nobody grants a role above their own: a role (invited with, given to a
/// member, or made or edited on the roles page) may hold only permissions
/// the actor holds in the group. Site admins, who shape every community,
/// are not bound by it.
pub fn may_grant(access: &GroupAccess, actor: &User, perms: Permissions) -> Result<(), Denied> {
    if actor.is_site_admin || access.perms.covers(perms) {
        Ok(())
    } else {
        Err(Denied::RoleAboveOwn)
    }
}

/// A role handed out in the group must be one it offers (built in, its own
/// or a community's above) and one the actor may grant.
pub fn may_give_role(access: &GroupAccess, actor: &User, role: &Role) -> Result<(), Denied> {
    if !access.offers(role) {
        return Err(Denied::ForeignRole);
    }
    may_grant(access, actor, role.perms())
}

/// Changing a member's role or removing them needs `manage_member`, and
/// nobody acts on someone holding permissions they do not hold themself.
pub fn may_manage_member(access: &GroupAccess, target_role: &Role) -> Result<(), Denied> {
    holds(access, Permission::ManageMember)?;
    if access.perms.covers(target_role.perms()) {
        Ok(())
    } else {
        Err(Denied::MemberAboveOwn)
    }
}

/// Client/partner segregation for `user_id` entering `group` (or keeping a
/// membership whose role changes): Ok(the user's account id). One query;
/// every path that adds a membership or an invitation calls it inside its
/// transaction before writing. An audience written by a newer release is
/// taken as the strictest.
pub fn may_enter_group(
    conn: &mut DbConn,
    group: &Group,
    user_id: i64,
) -> AppResult<Result<Option<i64>, Denied>> {
    let (account, kind) = company_account::of_user(conn, user_id)?;
    Ok(segregated(group, account, kind))
}

/// `may_enter_group` for a user read in this transaction already: the
/// database is asked only for the kind of their company account, if any.
pub fn may_enter_group_as(
    conn: &mut DbConn,
    group: &Group,
    user: &User,
) -> AppResult<Result<Option<i64>, Denied>> {
    let kind = match user.account_id {
        Some(id) => company_account::kind_of(conn, id)?,
        None => None,
    };
    Ok(segregated(group, user.account_id, kind))
}

/// `may_enter_group` for a user whose account and its kind were read
/// with what adding them needs (`membership::joiner`).
pub fn may_enter_group_given(
    group: &Group,
    account: Option<i64>,
    kind: Option<crate::domain::AccountKind>,
) -> Result<Option<i64>, Denied> {
    segregated(group, account, kind)
}

fn segregated(
    group: &Group,
    account: Option<i64>,
    kind: Option<crate::domain::AccountKind>,
) -> Result<Option<i64>, Denied> {
    let audience = group.audience().unwrap_or(Audience::Client);
    segregation::may_join(kind, audience, group.account_id, account)
        .map(|()| account)
        .map_err(Denied::Segregated)
}
