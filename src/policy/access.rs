//! What a viewer holds in a group: their own membership and role, the
//! membership inherited from the nearest community above, and the
//! permissions all of these grant together. The group rules in `policy`
//! read it; nothing compares role names.

use crate::db::DbConn;
use crate::domain::{Permission, Permissions};
use crate::error::{AppError, AppResult};
use crate::models::{Group, Membership, Role, membership};

/// The group, the viewer's own membership and role (if any), the membership
/// they inherit from the nearest community above (if any), and the
/// permissions all of these grant together.
#[derive(Debug, Clone)]
pub struct GroupAccess {
    pub group: Group,
    pub membership: Option<Membership>,
    pub role: Option<Role>,
    pub inherited: Option<Inherited>,
    /// The group and the communities above it, nearest first.
    pub ancestors: Vec<i64>,
    pub perms: Permissions,
}

/// Access that comes from membership of a community above the group.
#[derive(Debug, Clone)]
pub struct Inherited {
    pub from: i64,
    pub role: Role,
}

impl GroupAccess {
    /// Loads the group by slug with the viewer's memberships of it and of
    /// every community above it, in one query. Unknown groups, and
    /// invitation-only groups the viewer has no access to, are both "not
    /// found": their existence is not disclosed.
    pub fn load(conn: &mut DbConn, slug: &str, viewer: Option<i64>) -> AppResult<GroupAccess> {
        let access = Self::load_unhidden(conn, slug, viewer)?;
        super::may_view_group(&access)?;
        Ok(access)
    }
    /// As `load`, but an invitation-only group is found whoever looks: for
    /// site admins, who shape every community.
    pub fn load_unhidden(
        conn: &mut DbConn,
        slug: &str,
        viewer: Option<i64>,
    ) -> AppResult<GroupAccess> {
        let rows = membership::along_path(conn, slug, viewer.unwrap_or(-1))?;
        let Some(group) = rows.first().map(|r| r.0.clone()) else {
            return Err(AppError::not_found());
        };
        let mut access = GroupAccess {
            group,
            membership: None,
            role: None,
            inherited: None,
            ancestors: Vec::with_capacity(rows.len()),
            perms: Permissions::none(),
        };
        for (_, ancestor, depth, m, r) in rows {
            access.ancestors.push(ancestor);
            let (Some(m), Some(r)) = (m, r) else { continue };
            access.perms = access.perms.union(r.perms());
            if depth == 0 {
                access.membership = Some(m);
                access.role = Some(r);
            } else if access.inherited.is_none() {
                access.inherited = Some(Inherited {
                    from: ancestor,
                    role: r,
                });
            }
        }
        Ok(access)
    }
    /// A member of the group itself (not only through a community above).
    pub fn is_member(&self) -> bool {
        self.membership.is_some()
    }
    /// A member of the group or of a community above it.
    pub fn has_access(&self) -> bool {
        self.membership.is_some() || self.inherited.is_some()
    }
    pub fn can(&self, p: Permission) -> bool {
        self.perms.has(p)
    }
    /// Built-in roles, and custom roles of this group or a community above.
    pub fn offers(&self, role: &Role) -> bool {
        role.usable_in(&self.ancestors)
    }
}

/// Someone asking to act as an admin (`may_invite`) of the group `slug`:
/// what a request carries, checked where it is used, inside the use case's
/// own database trip (and transaction, for a write), so the check and the
/// write it guards see the same rows.
#[derive(Debug, Clone)]
pub struct AdminClaim {
    pub slug: String,
    pub viewer: i64,
}

impl AdminClaim {
    /// The group as `viewer` holds it: "not found" when hidden, "forbidden"
    /// without the right to invite and manage invitations.
    pub fn check(&self, conn: &mut DbConn) -> AppResult<GroupAccess> {
        admin_access(conn, &self.slug, self.viewer)
    }
}

/// The group of a group admin's page or action: "not found" when hidden
/// from `viewer`, "forbidden" without the right to invite and manage
/// invitations.
pub fn admin_access(conn: &mut DbConn, slug: &str, viewer: i64) -> AppResult<GroupAccess> {
    let access = GroupAccess::load(conn, slug, Some(viewer))?;
    super::may_invite(&access)?;
    Ok(access)
}
