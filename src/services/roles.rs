//! Custom roles: named sets of permissions defined on a community and
//! offered there and in every managed community below it. Holders of
//! `manage_group` (and site admins) create, rename, re-permission and delete
//! them. Nobody makes or changes a role so that it carries a permission they
//! do not hold themself in that group, nor touches a role that already does
//! (site admins excepted). Each change is one write transaction: a refusal
//! rolls it back, so nothing is half written.

use crate::db::{self, DbConn};
use crate::domain::{FormErrors, Permission, Permissions};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, NewAuditEvent};
use crate::models::invitation::Inviters;
use crate::models::{Group, Role, User, group_tree, role};
use crate::policy::{self, GroupAccess};
use crate::services::communities::managed_group;
use crate::services::revocations::revoke_unbacked;
use time::PrimitiveDateTime;

/// Longest role name, in characters.
pub const NAME_MAX: usize = 50;
pub const NAME_TAKEN: &str = "This name is taken: a built-in role, or a role of this community, of one above it or of one of its managed communities, has it.";
pub const NO_PERMISSION: &str = "Choose at least one permission.";
pub const PERMISSION_ABOVE_OWN: &str =
    "You cannot give a role permissions you do not have yourself.";
/// A role's name: 1–50 characters once trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a name.".into());
        }
        if s.chars().count() > NAME_MAX {
            return Err(format!("A role name has at most {NAME_MAX} characters."));
        }
        if s.chars().any(crate::domain::text::unusable_in_line) {
            return Err("The name contains characters that cannot be used.".into());
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The role form as typed: a name and the ticked permissions (a form
/// repeats `permissions`, so it is read from pairs).
#[derive(Debug, Default, Clone)]
pub struct RoleInput {
    pub name: String,
    pub permissions: Vec<String>,
}

impl RoleInput {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut input = RoleInput::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => input.name = v,
                "permissions" => input.permissions.push(v),
                _ => {}
            }
        }
        input
    }
    /// The form of an existing role, as its edit form starts.
    pub fn of(role: &Role) -> Self {
        RoleInput {
            name: role.name.clone(),
            permissions: role
                .perms()
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        }
    }
    pub fn has(&self, p: &Permission) -> bool {
        self.permissions.iter().any(|s| s == p.as_str())
    }
    /// Names this release does not know are ignored: they grant nothing.
    pub fn parse(&self) -> Result<RoleSpec, FormErrors> {
        let mut e = FormErrors::default();
        let name = e.check("name", RoleName::parse(&self.name));
        let perms: Permissions = self
            .permissions
            .iter()
            .filter_map(|s| Permission::parse(s))
            .collect();
        if perms == Permissions::none() {
            e.add("permissions", NO_PERMISSION);
        }
        match name {
            Some(name) if e.is_empty() => Ok(RoleSpec { name, perms }),
            _ => Err(e),
        }
    }
}

/// A role form that passed every check that needs no database.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    pub name: RoleName,
    pub perms: Permissions,
}

/// Where a role offered in a group comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    BuiltIn,
    /// Defined on a community above; edited on that community's page.
    Inherited(Box<Group>),
    /// The group's own.
    Own,
}

/// One role of the roles page.
#[derive(Debug, Clone)]
pub struct RoleLine {
    pub role: Role,
    pub origin: Origin,
    /// Members of this group (not of the communities around) holding it.
    pub holders: i64,
    /// The viewer may rename, re-permission and delete it here.
    pub editable: bool,
}

impl RoleLine {
    pub fn perms(&self) -> Vec<Permission> {
        self.role.perms().iter().collect()
    }
    pub fn is_own(&self) -> bool {
        matches!(self.origin, Origin::Own)
    }
    pub fn is_builtin(&self) -> bool {
        matches!(self.origin, Origin::BuiltIn)
    }
    /// The community above that defines it.
    pub fn defined_in(&self) -> Option<&Group> {
        match &self.origin {
            Origin::Inherited(g) => Some(g.as_ref()),
            _ => None,
        }
    }
}

pub struct RolesView {
    pub access: GroupAccess,
    pub lines: Vec<RoleLine>,
}

/// The roles offered in the group: built-in ones, the group's own, then
/// those of the communities above, nearest first. Needs `manage_group`.
pub fn page(conn: &mut DbConn, slug: &str, actor: &User) -> AppResult<RolesView> {
    let access = managed_group(conn, slug, actor)?;
    let roles = role::for_path(conn, &access.ancestors)?;
    let above = if access.ancestors.len() > 1 {
        group_tree::ancestors(conn, access.group.id)?
    } else {
        Vec::new()
    };
    let holders = role::holders_in_group(conn, access.group.id)?;
    let mut lines: Vec<(usize, RoleLine)> = roles
        .into_iter()
        .filter_map(|r| {
            let (rank, origin) = match r.group_id {
                None => (0, Origin::BuiltIn),
                Some(g) if g == access.group.id => (1, Origin::Own),
                Some(g) => {
                    // `for_path` only returns roles of the path: found.
                    let depth = access.ancestors.iter().position(|a| *a == g)?;
                    let group = above.iter().find(|a| a.id == g)?.clone();
                    (1 + depth, Origin::Inherited(Box::new(group)))
                }
            };
            let editable = matches!(origin, Origin::Own)
                && policy::may_grant(&access, actor, r.perms()).is_ok();
            let n = holders
                .iter()
                .find(|(id, _)| *id == r.id)
                .map_or(0, |(_, n)| *n);
            Some((
                rank,
                RoleLine {
                    role: r,
                    origin,
                    holders: n,
                    editable,
                },
            ))
        })
        .collect();
    lines.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb)
            .then_with(|| a.role.name.to_lowercase().cmp(&b.role.name.to_lowercase()))
    });
    Ok(RolesView {
        access,
        lines: lines.into_iter().map(|(_, l)| l).collect(),
    })
}

/// What a change of roles did (the roles page says it in words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Created(String),
    /// Saved; `revoked` pending invitations of members who could invite
    /// only through this role were cancelled.
    Saved {
        name: String,
        revoked: usize,
    },
    Unchanged,
    Deleted(String),
}

/// Why a change was not made.
#[derive(Debug)]
pub enum Refused {
    /// Show the form again with these errors (422).
    Form(FormErrors),
    /// Say why above the page.
    Rule(RoleRule),
}

/// A rule of roles that refused the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleRule {
    /// The role carries a permission the actor lacks (`policy::may_grant`).
    RoleAboveOwn,
    /// Dropping manage_member would leave some group with no one to manage
    /// its members.
    LastManagers,
    /// Deleting a role that members hold or pending invitations offer.
    InUse { held: i64, offered: i64 },
}

impl From<RoleRule> for Stop {
    fn from(r: RoleRule) -> Self {
        Stop::Refused(Refused::Rule(r))
    }
}

/// Ok(what was done) or the refusal.
pub type Change = Result<Done, Refused>;

type Stop = super::Halt<Refused>;

fn form_error(field: &'static str, msg: &str) -> Stop {
    let mut e = FormErrors::default();
    e.add(field, msg);
    Stop::Refused(Refused::Form(e))
}

use super::outcome;

/// A live custom role of this very group. Any other id (a built-in role, a
/// role of another community, even one above, a deleted one) is not found:
/// nothing is disclosed and nothing changes.
fn own_role(conn: &mut DbConn, access: &GroupAccess, id: i64) -> Result<Role, Stop> {
    match role::find(conn, id)? {
        Some(r) if !r.builtin && r.group_id == Some(access.group.id) => Ok(r),
        _ => Err(AppError::not_found().into()),
    }
}

/// The form, checked: its own rules, then the permissions the actor may
/// give and the names taken around the group, all errors at once.
fn check_input(
    conn: &mut DbConn,
    access: &GroupAccess,
    actor: &User,
    input: &RoleInput,
    except: Option<i64>,
) -> Result<RoleSpec, Stop> {
    let (spec, mut e) = match input.parse() {
        Ok(spec) => (Some(spec), FormErrors::default()),
        Err(e) => (None, e),
    };
    let perms: Permissions = input
        .permissions
        .iter()
        .filter_map(|s| Permission::parse(s))
        .collect();
    // `policy::may_grant`, in the words of the roles page.
    if policy::may_grant(access, actor, perms).is_err() {
        e.add("permissions", PERMISSION_ABOVE_OWN);
    }
    if let Ok(name) = RoleName::parse(&input.name)
        && role::name_taken(
            conn,
            access.group.id,
            &access.ancestors,
            name.as_str(),
            except,
        )?
    {
        e.add("name", NAME_TAKEN);
    }
    match spec {
        Some(spec) if e.is_empty() => Ok(spec),
        _ => Err(Stop::Refused(Refused::Form(e))),
    }
}

fn record(
    conn: &mut DbConn,
    actor: &User,
    group: &Group,
    kind: &str,
    detail: &str,
    now: PrimitiveDateTime,
) -> Result<(), Stop> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: actor.id,
            subject_user_id: None,
            account_id: group.account_id,
            group_id: Some(group.id),
            kind,
            detail: &format!("{detail} ({})", group.name),
            created_at: now,
        },
    )?;
    Ok(())
}

fn unique_is_taken(e: diesel::result::Error) -> Stop {
    if db::is_unique_violation(&e) {
        form_error("name", NAME_TAKEN)
    } else {
        e.into()
    }
}

/// Creates a custom role of the group at `slug` from the form.
pub fn create(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    input: &RoleInput,
    now: PrimitiveDateTime,
) -> AppResult<Change> {
    outcome(db::write_tx(conn, |conn| {
        let a = managed_group(conn, slug, actor)?;
        let spec = &check_input(conn, &a, actor, input, None)?;
        let name = spec.name.as_str();
        role::insert(
            conn,
            &role::NewRole {
                group_id: Some(a.group.id),
                name,
                name_key: role::name_key(Some(a.group.id), name),
                permissions: spec.perms.to_column(),
                builtin: false,
                created_at: now,
            },
        )
        .map_err(unique_is_taken)?;
        record(
            conn,
            actor,
            &a.group,
            audit::ROLE_CREATED,
            &format!(
                "Role {name} created with {}",
                spec.perms.to_column().replace(',', ", ")
            ),
            now,
        )?;
        Ok(Done::Created(name.to_string()))
    }))
}

/// Renames one of the group's own roles and sets its permissions.
pub fn save(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    role_id: i64,
    input: &RoleInput,
    now: PrimitiveDateTime,
) -> AppResult<Change> {
    outcome(db::write_tx(conn, |conn| {
        let a = managed_group(conn, slug, actor)?;
        let r = own_role(conn, &a, role_id)?;
        if policy::may_grant(&a, actor, r.perms()).is_err() {
            return Err(RoleRule::RoleAboveOwn.into());
        }
        let spec = &check_input(conn, &a, actor, input, Some(r.id))?;
        let name = spec.name.as_str();
        if name == r.name && spec.perms == r.perms() {
            return Ok(Done::Unchanged);
        }
        if r.perms().has(Permission::ManageMember)
            && !spec.perms.has(Permission::ManageMember)
            && !role::groups_managed_only_through(conn, r.id)?.is_empty()
        {
            return Err(RoleRule::LastManagers.into());
        }
        let column = spec.perms.to_column();
        let changed = role::update(
            conn,
            r.id,
            name,
            &role::name_key(Some(a.group.id), name),
            &column,
        )
        .map_err(unique_is_taken)?;
        if changed == 0 {
            // Deleted since it was read.
            return Err(AppError::not_found().into());
        }
        // Members who could invite only through this role cannot any more:
        // their pending invitations end (in the communities below too).
        let revoked = if r.perms().has(Permission::ManageMember)
            && !spec.perms.has(Permission::ManageMember)
        {
            revoke_unbacked(conn, Inviters::HoldingRole(r.id), Some(actor.id), now)?
        } else {
            0
        };
        let renamed = if name == r.name {
            format!("Role {name}")
        } else {
            format!("Role {} renamed to {name}", r.name)
        };
        record(
            conn,
            actor,
            &a.group,
            audit::ROLE_UPDATED,
            &format!(
                "{renamed}: permissions {} (were {})",
                column.replace(',', ", "),
                r.permissions.replace(',', ", ")
            ),
            now,
        )?;
        Ok(Done::Saved {
            name: name.to_string(),
            revoked,
        })
    }))
}

/// Deletes one of the group's own roles, unless a membership holds it (here
/// or in a managed community) or an invitation that can still be accepted
/// offers it.
pub fn delete(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    role_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<Change> {
    outcome(db::write_tx(conn, |conn| {
        let a = managed_group(conn, slug, actor)?;
        let r = own_role(conn, &a, role_id)?;
        if policy::may_grant(&a, actor, r.perms()).is_err() {
            return Err(RoleRule::RoleAboveOwn.into());
        }
        // Mark first, count after: the row lock this takes makes a
        // concurrent membership or invitation for the role either visible
        // to the counts or wait for this transaction (see `mark_deleted`).
        if role::mark_deleted(conn, r.id, now)? == 0 {
            return Err(AppError::not_found().into());
        }
        let held = role::count_holders(conn, r.id)?;
        let offered = role::count_open_offers(conn, r.id, now)?;
        if held > 0 || offered > 0 {
            return Err(RoleRule::InUse { held, offered }.into());
        }
        record(
            conn,
            actor,
            &a.group,
            audit::ROLE_DELETED,
            &format!("Role {} deleted", r.name),
            now,
        )?;
        Ok(Done::Deleted(r.name))
    }))
}

/// The roles page and its changes as handlers call them.
impl super::App {
    async fn on_roles<T: Send + 'static>(
        &self,
        slug: &str,
        actor: &User,
        f: impl FnOnce(&mut DbConn, &str, &User, PrimitiveDateTime) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let (slug, actor) = (slug.to_string(), actor.clone());
        self.on_pool(move |c, now| f(c, &slug, &actor, now)).await
    }

    pub async fn roles_page(&self, slug: &str, actor: &User) -> AppResult<RolesView> {
        self.on_roles(slug, actor, |c, s, a, _| page(c, s, a)).await
    }

    pub async fn create_role(
        &self,
        slug: &str,
        actor: &User,
        input: RoleInput,
    ) -> AppResult<Change> {
        self.on_roles(slug, actor, move |c, s, a, now| {
            create(c, s, a, &input, now)
        })
        .await
    }

    pub async fn save_role(
        &self,
        slug: &str,
        actor: &User,
        role_id: i64,
        input: RoleInput,
    ) -> AppResult<Change> {
        self.on_roles(slug, actor, move |c, s, a, now| {
            save(c, s, a, role_id, &input, now)
        })
        .await
    }

    pub async fn delete_role(&self, slug: &str, actor: &User, role_id: i64) -> AppResult<Change> {
        self.on_roles(slug, actor, move |c, s, a, now| {
            delete(c, s, a, role_id, now)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_permissions_are_checked() {
        assert!(RoleName::parse("  ").is_err());
        assert!(RoleName::parse(&"x".repeat(51)).is_err());
        assert_eq!(
            RoleName::parse(" Member manager ").unwrap().as_str(),
            "Member manager"
        );
        assert!(RoleName::parse(&"é".repeat(50)).is_ok());
        let input = RoleInput::from_pairs(vec![
            ("name".into(), "Helper".into()),
            ("permissions".into(), "view_members".into()),
            ("permissions".into(), "superpowers".into()),
        ]);
        let spec = input.parse().unwrap();
        assert_eq!(spec.perms.to_column(), "view_members");
        let none = RoleInput::from_pairs(vec![
            ("name".into(), "Helper".into()),
            ("permissions".into(), "superpowers".into()),
        ]);
        let e = none.parse().unwrap_err();
        assert_eq!(e.get("permissions"), Some(NO_PERMISSION));
    }
}
