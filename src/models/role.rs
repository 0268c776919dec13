use crate::db::DbConn;
use crate::db::schema::roles;
use crate::domain::Permissions;
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
    roles::table
        .filter(roles::group_id.is_null().or(roles::group_id.eq_any(path)))
        .filter(roles::deleted_at.is_null())
        .order((roles::builtin.desc(), roles::name_key, roles::id))
        .select(Role::as_select())
        .load(conn)
}
