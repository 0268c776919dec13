use crate::db::DbConn;
use crate::db::schema::{groups, join_requests, memberships, roles};
use crate::domain::{Audience, JoinMethod, Permission};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub slug: String,
    pub description: String,
    pub join_method: String,
    pub audience: String,
    pub parent_id: Option<i64>,
    pub created_by: i64,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub updated_at: PrimitiveDateTime,
    /// The client account a client support group belongs to.
    pub account_id: Option<i64>,
}

impl Group {
    /// Unknown values (a newer release) are treated as the most closed one.
    pub fn join_method(&self) -> JoinMethod {
        JoinMethod::parse(&self.join_method).unwrap_or(JoinMethod::InviteOnly)
    }
    pub fn audience(&self) -> Option<Audience> {
        Audience::parse(&self.audience).ok()
    }
    pub fn is_open(&self) -> bool {
        self.join_method() == JoinMethod::Open
    }
    pub fn is_on_request(&self) -> bool {
        self.join_method() == JoinMethod::Request
    }
    pub fn is_invite_only(&self) -> bool {
        self.join_method() == JoinMethod::InviteOnly
    }
    pub fn audience_label(&self) -> &'static str {
        self.audience().map(Audience::label).unwrap_or("")
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = groups, treat_none_as_default_value = false)]
pub struct NewGroup<'a> {
    pub name: &'a str,
    pub name_key: String,
    pub slug: &'a str,
    pub description: &'a str,
    pub join_method: &'a str,
    pub audience: &'a str,
    pub parent_id: Option<i64>,
    pub created_by: i64,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
    pub account_id: Option<i64>,
}

/// Inserts the group and its place in the community tree.
pub fn insert(conn: &mut DbConn, new: &NewGroup<'_>) -> QueryResult<i64> {
    let id = diesel::insert_into(groups::table)
        .values(new)
        .returning(groups::id)
        .get_result(conn)?;
    super::group_tree::insert_node(conn, id, new.parent_id)?;
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Group> {
    groups::table
        .find(id)
        .select(Group::as_select())
        .first(conn)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Group>> {
    groups::table
        .filter(groups::slug.eq(slug))
        .select(Group::as_select())
        .first(conn)
        .optional()
}

pub fn slug_exists(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        groups::table.filter(groups::slug.eq(slug)),
    ))
    .get_result(conn)
}

/// Takes the group's row lock (PostgreSQL) before rules that count members,
/// so two admins demoting each other at once cannot both pass the "last
/// admin" check. SQLite write transactions are serialised already.
pub fn touch(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(groups::table.find(id))
        .set(groups::updated_at.eq(now))
        .execute(conn)
}

/// Where the viewer stands with a group in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Member,
    Requested,
    None,
}

pub struct DirectoryEntry {
    pub group: Group,
    pub standing: Standing,
}

/// The directory: groups the viewer may see (open, on request, and
/// invitation-only ones they reach), by name, `limit` after the cursor
/// `(name_key, id)`. Three queries whatever the page.
pub fn directory(
    conn: &mut DbConn,
    viewer: i64,
    q: Option<&str>,
    after: Option<(&str, i64)>,
    limit: i64,
) -> QueryResult<Vec<DirectoryEntry>> {
    let mut query = groups::table
        .filter(
            groups::join_method
                .ne(JoinMethod::InviteOnly.as_str())
                .or(groups::id.eq_any(super::group_tree::reachable_by(viewer))),
        )
        .select(Group::as_select())
        .order((groups::name_key, groups::id))
        .limit(limit)
        .into_boxed();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            groups::name_key
                .like(crate::db::like_contains(q))
                .escape('\\'),
        );
    }
    if let Some((key, id)) = after {
        query = query.filter(
            groups::name_key
                .gt(key.to_string())
                .or(groups::name_key.eq(key.to_string()).and(groups::id.gt(id))),
        );
    }
    let rows: Vec<Group> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|g| g.id).collect();
    // Members of the group itself or of a community above it.
    let member_of = super::group_tree::reachable_among(conn, viewer, &ids)?;
    let ids: Vec<i64> = ids.into_iter().filter(|i| !member_of.contains(i)).collect();
    let requested: Vec<i64> = if ids.is_empty() {
        Vec::new()
    } else {
        join_requests::table
            .filter(join_requests::user_id.eq(viewer))
            .filter(join_requests::group_id.eq_any(&ids))
            .filter(join_requests::status.eq(super::join_request::Status::Pending))
            .select(join_requests::group_id)
            .load(conn)?
    };
    Ok(rows
        .into_iter()
        .map(|group| {
            let standing = if member_of.contains(&group.id) {
                Standing::Member
            } else if requested.contains(&group.id) {
                Standing::Requested
            } else {
                Standing::None
            };
            DirectoryEntry { group, standing }
        })
        .collect())
}

/// A group someone reaches, and how: their own membership or that of the
/// nearest community above.
#[derive(Debug, Clone)]
pub struct Reached {
    pub group: Group,
    pub role: String,
    pub joined_at: PrimitiveDateTime,
    /// The community the access comes from; None for a membership of the group itself.
    pub through: Option<String>,
}

diesel::alias!(groups as community: CommunityAlias);

/// The groups `user_id` reaches (their own and every one below them), by
/// name, at most `limit`: one query.
pub fn of_user(conn: &mut DbConn, user_id: i64, limit: i64) -> QueryResult<Vec<Reached>> {
    use crate::db::schema::group_ancestors as ga;
    let rows: Vec<(Group, i32, String, String, PrimitiveDateTime)> = ga::table
        .inner_join(groups::table.on(groups::id.eq(ga::group_id)))
        .inner_join(memberships::table.on(memberships::group_id.eq(ga::ancestor_id)))
        .inner_join(roles::table.on(roles::id.eq(memberships::role_id)))
        .inner_join(community.on(community.field(groups::id).eq(ga::ancestor_id)))
        .filter(memberships::user_id.eq(user_id))
        .order((groups::name_key, groups::id, ga::depth))
        // A group can come once per community above it the user is in.
        .limit(limit * 4)
        .select((
            Group::as_select(),
            ga::depth,
            community.field(groups::name),
            roles::name,
            memberships::joined_at,
        ))
        .load(conn)?;
    let mut out: Vec<Reached> = Vec::new();
    for (group, depth, from, role, joined_at) in rows {
        if out.last().is_some_and(|r| r.group.id == group.id) {
            continue;
        }
        if out.len() as i64 == limit {
            break;
        }
        out.push(Reached {
            group,
            role,
            joined_at,
            through: (depth > 0).then_some(from),
        });
    }
    Ok(out)
}

/// Other groups where `user_id`'s role lets them invite (holds
/// `manage_member`), by name: the invite form's "Also invite to".
pub fn managed_by(
    conn: &mut DbConn,
    user_id: i64,
    except: i64,
    limit: i64,
) -> QueryResult<Vec<Group>> {
    use crate::db::schema::roles;
    groups::table
        .inner_join(memberships::table.inner_join(roles::table))
        .filter(memberships::user_id.eq(user_id))
        .filter(groups::id.ne(except))
        .filter(roles::permissions.like(super::role::permission_pattern(Permission::ManageMember)))
        .order((groups::name_key, groups::id))
        .limit(limit)
        .select(Group::as_select())
        .load(conn)
}

/// Binds the group to a client account (None: to none).
pub fn set_account(
    conn: &mut DbConn,
    id: i64,
    account_id: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(groups::table.find(id))
        .set((
            groups::account_id.eq(account_id),
            groups::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The groups `user_id` belongs to, with their role there, by name.
pub fn with_roles_of(
    conn: &mut DbConn,
    user_id: i64,
) -> QueryResult<Vec<(Group, crate::models::Role)>> {
    groups::table
        .inner_join(memberships::table.inner_join(roles::table))
        .filter(memberships::user_id.eq(user_id))
        .order((groups::name_key, groups::id))
        .select((Group::as_select(), crate::models::Role::as_select()))
        .load(conn)
}
