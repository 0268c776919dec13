use crate::db::DbConn;
use crate::db::schema::{group_ancestors, invitations, memberships, roles};
use crate::domain::{InvitationStatus, Permission, Permissions};
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// Names of the built-in roles (seeded by the groups migration). Code looks
/// them up to *assign* them; checks never compare names, only permissions.
pub const GROUP_ADMIN: &str = "GroupAdmin";
pub const GROUP_MEMBER: &str = "GroupMember";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = roles)]
pub struct Role {
    pub id: i64,
    pub group_id: Option<i64>,
    pub name: String,
    pub name_key: String,
    pub permissions: String,
    pub builtin: bool,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
}

impl Role {
    pub fn perms(&self) -> Permissions {
        Permissions::parse(&self.permissions)
    }
    /// Built-in roles work in every group; a custom role in the community
    /// that defines it and every community below (`path`: a group and its
    /// ancestors).
    pub fn usable_in(&self, path: &[i64]) -> bool {
        self.group_id.map_or(self.builtin, |g| path.contains(&g))
    }
}

/// The unique key of a role name: built-in roles share one namespace, each
/// group has its own (see the migration for why not (group_id, name)).
pub fn name_key(group_id: Option<i64>, name: &str) -> String {
    match group_id {
        None => format!("builtin:{}", name.to_lowercase()),
        Some(g) => format!("{g}:{}", name.to_lowercase()),
    }
}

/// The `roles.permissions` LIKE pattern of the roles holding `p`: the names
/// are comma-separated and none contains another, so a query finds holders
/// without loading any role first.
pub fn permission_pattern(p: Permission) -> String {
    format!("%{}%", p.as_str())
}

/// A role that has not been deleted.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Role>> {
    roles::table
        .find(id)
        .filter(roles::deleted_at.is_null())
        .select(Role::as_select())
        .first(conn)
        .optional()
}

pub fn builtin(conn: &mut DbConn, name: &str) -> QueryResult<Role> {
    roles::table
        .filter(roles::name_key.eq(name_key(None, name)))
        .select(Role::as_select())
        .first(conn)
}

/// Every role a member of a group may hold (`path`: the group and its
/// ancestors): the built-in ones first, then those of the group and of the
/// communities above it, by name.
pub fn for_path(conn: &mut DbConn, path: &[i64]) -> QueryResult<Vec<Role>> {
    // A top-level group (most of them) by `=`; a deeper one by its
    // ancestors in `group_ancestors` (the same path), not by an `eq_any`
    // list, which diesel on SQLite writes as `IN (?, ?)` and prepares anew
    // on every call. Both stay prepared.
    macro_rules! roles_where {
        ($on_path:expr) => {
            crate::native!(conn, |c| roles::table
                .filter(roles::group_id.is_null().or($on_path))
                .filter(roles::deleted_at.is_null())
                .order((roles::builtin.desc(), roles::name_key, roles::id))
                .select(Role::as_select())
                .load(c))
        };
    }
    match path {
        [group] => roles_where!(roles::group_id.eq(*group)),
        _ => roles_where!(
            roles::group_id.eq_any(
                group_ancestors::table
                    .filter(group_ancestors::group_id.eq(path[0]))
                    .select(group_ancestors::ancestor_id.nullable())
            )
        ),
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = roles, treat_none_as_default_value = false)]
pub struct NewRole<'a> {
    pub group_id: Option<i64>,
    pub name: &'a str,
    pub name_key: String,
    pub permissions: String,
    pub builtin: bool,
    pub created_at: PrimitiveDateTime,
}

/// Inserts a custom role; a unique violation on `roles_name_key` means the
/// name is taken in that group.
pub fn insert(conn: &mut DbConn, new: &NewRole<'_>) -> QueryResult<i64> {
    diesel::insert_into(roles::table)
        .values(new)
        .returning(roles::id)
        .get_result(conn)
}

/// Renames a custom role and sets its permissions. Only a live custom role
/// changes (0: it was deleted or is built in).
pub fn update(
    conn: &mut DbConn,
    id: i64,
    name: &str,
    name_key: &str,
    permissions: &str,
) -> QueryResult<usize> {
    diesel::update(
        roles::table
            .find(id)
            .filter(roles::builtin.eq(false))
            .filter(roles::deleted_at.is_null()),
    )
    .set((
        roles::name.eq(name),
        roles::name_key.eq(name_key),
        roles::permissions.eq(permissions),
    ))
    .execute(conn)
}

/// Deletes a custom role softly: the row stays (answered invitations and
/// the audit trail still name it) but leaves every list, and its name is
/// free again. Changing `name_key` (a unique key) also takes the strongest
/// row lock on PostgreSQL, so a membership or invitation inserted meanwhile
/// (its foreign key check locks the row too) is seen by the caller's count.
pub fn mark_deleted(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        roles::table
            .find(id)
            .filter(roles::builtin.eq(false))
            .filter(roles::deleted_at.is_null()),
    )
    .set((
        roles::deleted_at.eq(Some(now)),
        roles::name_key.eq(format!("deleted:{id}")),
    ))
    .execute(conn)
}

/// True when `name` is the name of a live role a member of `group_id` could
/// meet in a role list: a built-in one, one of the group or of a community
/// above it (`path`), or one of its managed communities below. `except`: the
/// role being renamed.
pub fn name_taken(
    conn: &mut DbConn,
    group_id: i64,
    path: &[i64],
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let below = group_ancestors::table
        .filter(group_ancestors::ancestor_id.eq(group_id))
        .select(group_ancestors::group_id.nullable());
    let candidates: Vec<(i64, Option<i64>, String)> = roles::table
        .filter(roles::deleted_at.is_null())
        .filter(
            roles::group_id
                .is_null()
                .or(roles::group_id.eq_any(path))
                .or(roles::group_id.eq_any(below)),
        )
        // Every key ends in ':<lower name>'; the exact test is below.
        .filter(
            roles::name_key
                .like(format!("%:{}", crate::db::like_literal(name)))
                .escape('\\'),
        )
        .select((roles::id, roles::group_id, roles::name_key))
        .load(conn)?;
    Ok(candidates
        .iter()
        .any(|(id, g, key)| Some(*id) != except && *key == name_key(*g, name)))
}

/// How many members of `group_id` hold each role there: (role id, count).
pub fn holders_in_group(conn: &mut DbConn, group_id: i64) -> QueryResult<Vec<(i64, i64)>> {
    memberships::table
        .filter(memberships::group_id.eq(group_id))
        .group_by(memberships::role_id)
        .select((memberships::role_id, diesel::dsl::count_star()))
        .load(conn)
}

/// How many memberships, in any group, hold the role.
pub fn count_holders(conn: &mut DbConn, role_id: i64) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::role_id.eq(role_id))
        .count()
        .get_result(conn)
}

/// How many invitations that can still be accepted offer the role.
pub fn count_open_offers(
    conn: &mut DbConn,
    role_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    invitations::table
        .filter(invitations::role_id.eq(role_id))
        .filter(invitations::status.eq(InvitationStatus::Pending.as_str()))
        .filter(invitations::expires_at.gt(now))
        .count()
        .get_result(conn)
}

/// The groups where every member who manages members does so through this
/// role: taking `manage_member` from it would leave them without one.
pub fn groups_managed_only_through(conn: &mut DbConn, role_id: i64) -> QueryResult<Vec<i64>> {
    let holding: Vec<i64> = memberships::table
        .filter(memberships::role_id.eq(role_id))
        .select(memberships::group_id)
        .distinct()
        .load(conn)?;
    if holding.is_empty() {
        return Ok(holding);
    }
    let others: Vec<i64> = memberships::table
        .inner_join(roles::table)
        .filter(memberships::group_id.eq_any(&holding))
        .filter(memberships::role_id.ne(role_id))
        .filter(roles::permissions.like(permission_pattern(Permission::ManageMember)))
        .select(memberships::group_id)
        .distinct()
        .load(conn)?;
    Ok(holding
        .into_iter()
        .filter(|g| !others.contains(g))
        .collect())
}
