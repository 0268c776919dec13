//! Groups: create, join, ask to join, decide requests, leave, change roles
//! and remove members. Each use case is one write transaction; a refusal
//! rolls it back, so a refused action never leaves half-written rows.

use crate::db::{self, DbConn};
use crate::domain::{
    Audience, FormErrors, GroupDescription, GroupName, JoinMethod, Permission, Slug,
};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, NewAuditEvent};
use crate::models::invitation::Inviters;
use crate::models::membership::{self, NewMembership};
use crate::models::{
    Group, Membership, Role, User, company_account, group, join_request, role, webhook,
};
use crate::policy::{self, Denied, GroupAccess};
use crate::services::notifications::notify;
use crate::services::revocations::revoke_unbacked;
use serde::Deserialize;
use time::PrimitiveDateTime;

pub const SLUG_TAKEN: &str = "This address is taken.";

/// The create-group form as typed; kept to show it again with the errors.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub join_method: String,
    #[serde(default)]
    pub audience: String,
}

impl Default for GroupInput {
    fn default() -> Self {
        Self {
            name: String::new(),
            slug: String::new(),
            description: String::new(),
            join_method: JoinMethod::Open.as_str().into(),
            audience: Audience::Internal.as_str().into(),
        }
    }
}

/// A new group that passed every check.
#[derive(Debug, Clone)]
pub struct GroupSpec {
    pub name: GroupName,
    pub slug: Slug,
    pub description: GroupDescription,
    pub join_method: JoinMethod,
    pub audience: Audience,
}

impl GroupInput {
    pub fn parse(&self) -> Result<GroupSpec, FormErrors> {
        let mut e = FormErrors::default();
        let name = e.check("name", GroupName::parse(&self.name));
        // Left empty, the address follows the name.
        let slug = if self.slug.trim().is_empty() && !self.name.trim().is_empty() {
            Slug::suggest(&self.name)
        } else {
            self.slug.clone()
        };
        let slug = e.check("slug", Slug::parse(&slug));
        let description = e.check("description", GroupDescription::parse(&self.description));
        let join_method = e.check("join_method", JoinMethod::parse(&self.join_method));
        let audience = e.check("audience", Audience::parse(&self.audience));
        match (name, slug, description, join_method, audience) {
            (Some(name), Some(slug), Some(description), Some(join_method), Some(audience))
                if e.is_empty() =>
            {
                Ok(GroupSpec {
                    name,
                    slug,
                    description,
                    join_method,
                    audience,
                })
            }
            _ => Err(e),
        }
    }
}

/// What a group use case did (the routes say it in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Joined,
    Requested,
    RequestRefused,
    RequestApproved,
    /// Approved, but the person had become a member meanwhile.
    ApprovedAlreadyMember,
    Left,
    RoleChanged,
    RoleUnchanged,
    Removed,
    /// Set parent: the group stays where it was.
    PlaceUnchanged,
    /// Set parent: now a managed community of another.
    PlacedInside,
    /// Set parent: now at the top.
    PlacedAtTop,
}

/// Why a group use case changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A `policy` rule.
    Denied(Denied),
    /// Joining or asking to join a group one is in.
    AlreadyMember,
    AlreadyRequested,
    /// Join pressed on a group that takes members on request.
    AskToJoin,
    /// Ask to join pressed on an open group.
    JoinDirectly,
    RequestAnswered,
    /// Approving someone who became a member meanwhile (a race).
    MemberAlready,
    /// Leave pressed by someone who is not a member.
    NotYourGroup,
    LastAdminLeaving,
    /// The person acted on is not a member.
    NotAMember,
    /// A role change or removal would leave no one to manage members.
    LastAdminChanged,
    NoSuchCommunity,
    /// A community placed inside itself or one below it.
    Cycle,
    /// A community placed under one of another audience.
    OtherAudience,
}

impl From<Denied> for Refusal {
    fn from(d: Denied) -> Self {
        Refusal::Denied(d)
    }
}

/// Ok(what was done) or Err(why nothing was).
pub type Outcome = Result<Done, Refusal>;

/// Why a use case stopped. Every variant rolls the transaction back.
pub(crate) type Stop = super::Halt<Refusal>;

use super::Taken;
use super::outcome;

/// A unique violation is the race twin of a pre-check: the same refusal.
fn refuse_if_duplicate(e: diesel::result::Error, why: Refusal) -> Stop {
    if db::is_unique_violation(&e) {
        Stop::Refused(why)
    } else {
        e.into()
    }
}

fn segregated(conn: &mut DbConn, group: &Group, user_id: i64) -> Result<Option<i64>, Stop> {
    Ok(policy::may_enter_group(conn, group, user_id)??)
}

/// Records a membership change in the audit trail, under the subject's account.
#[allow(clippy::too_many_arguments)] // one row of named columns
fn audit_member(
    conn: &mut DbConn,
    actor: i64,
    subject: i64,
    account: Option<i64>,
    group: &Group,
    kind: &str,
    detail: &str,
    now: PrimitiveDateTime,
) -> Result<(), Stop> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: actor,
            subject_user_id: Some(subject),
            account_id: account,
            group_id: Some(group.id),
            kind,
            detail: &format!("{detail} ({})", group.name),
            created_at: now,
        },
    )?;
    Ok(())
}

/// Adds `user_id` to the group with `role_id`, copying the user's name and
/// username keys (the members page sorts and searches them).
/// Call it inside the caller's transaction; a unique violation on
/// `memberships_group_user` means "already a member".
pub fn add_member(
    conn: &mut DbConn,
    group_id: i64,
    user_id: i64,
    role_id: i64,
    invited_by: Option<i64>,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<usize> {
    let keys = membership::keys_of(conn, user_id)?;
    let added = membership::insert(
        conn,
        &NewMembership::new(group_id, user_id, role_id, keys, now, invited_by),
    )?;
    webhook::queue_membership(
        conn,
        group_id,
        "membership.added",
        user_id,
        role_id,
        invited_by,
        None,
        now,
    )?;
    Ok(added)
}

/// [`add_member`] unless they are a member already, with the audit line
/// that says why (one statement with it on PostgreSQL); whether they were
/// added.
pub fn add_member_once(
    conn: &mut DbConn,
    new: &NewMembership,
    audit: &NewAuditEvent<'_>,
) -> diesel::QueryResult<bool> {
    let Some(hooked) = membership::insert_unless_member(conn, new, audit)? else {
        return Ok(false);
    };
    if hooked {
        webhook::queue_membership(
            conn,
            new.group_id,
            "membership.added",
            new.user_id,
            new.role_id,
            new.invited_by,
            None,
            new.joined_at,
        )?;
    }
    Ok(true)
}

/// Ends membership `m` (leaving or removed by `actor`); the webhooks hear
/// of it in the same transaction.
fn end_membership(
    conn: &mut DbConn,
    m: &Membership,
    actor: i64,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<()> {
    membership::delete(conn, m.id)?;
    webhook::queue_membership(
        conn,
        m.group_id,
        "membership.removed",
        m.user_id,
        m.role_id,
        None,
        Some(actor),
        now,
    )
}

/// Creates a top-level group; the creator becomes its first `GroupAdmin`.
pub fn create_group(
    conn: &mut DbConn,
    creator: i64,
    spec: &GroupSpec,
    now: PrimitiveDateTime,
) -> AppResult<Result<Group, FormErrors>> {
    create_in(conn, creator, spec, None, now)
}

/// Creates a group, inside `parent` when given (a managed community takes
/// its main community's audience and account, so inherited access never
/// crosses the client/partner line). The caller checked the creator's right.
pub(crate) fn create_in(
    conn: &mut DbConn,
    creator: i64,
    spec: &GroupSpec,
    parent: Option<&Group>,
    now: PrimitiveDateTime,
) -> AppResult<Result<Group, FormErrors>> {
    let r = db::write_tx(conn, |conn| -> Result<Group, SlugHalt> {
        if group::slug_exists(conn, spec.slug.as_str())? {
            return Err(SlugHalt::Refused(Taken));
        }
        let id = group::insert(
            conn,
            &group::NewGroup {
                name: spec.name.as_str(),
                name_key: spec.name.key(),
                slug: spec.slug.as_str(),
                description: spec.description.as_str(),
                join_method: spec.join_method.as_str(),
                audience: parent.map_or(spec.audience.as_str(), |p| p.audience.as_str()),
                parent_id: parent.map(|p| p.id),
                created_by: creator,
                created_at: now,
                updated_at: now,
                account_id: parent.and_then(|p| p.account_id),
            },
        )
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                SlugHalt::Refused(Taken)
            } else {
                SlugHalt::from(e)
            }
        })?;
        let admin = role::builtin(conn, role::GROUP_ADMIN)?;
        add_member(conn, id, creator, admin.id, None, now)?;
        Ok(group::find(conn, id)?)
    });
    Ok(outcome(r)?.map_err(|Taken| {
        let mut e = FormErrors::default();
        e.add("slug", SLUG_TAKEN);
        e
    }))
}

type SlugHalt = super::Halt<Taken>;

/// Joins an open group as `GroupMember`.
pub fn join(
    conn: &mut DbConn,
    slug: &str,
    user: i64,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    outcome(db::write_tx(conn, |conn| {
        let a = GroupAccess::load(conn, slug, Some(user))?;
        if a.is_member() {
            return Err(Stop::Refused(Refusal::AlreadyMember));
        }
        match a.group.join_method() {
            JoinMethod::Open => {}
            JoinMethod::Request => {
                return Err(Stop::Refused(Refusal::AskToJoin));
            }
            JoinMethod::InviteOnly => return Err(AppError::not_found().into()),
        }
        let account = segregated(conn, &a.group, user)?;
        let member = role::builtin(conn, role::GROUP_MEMBER)?;
        add_member(conn, a.group.id, user, member.id, None, now)
            .map_err(|e| refuse_if_duplicate(e, Refusal::AlreadyMember))?;
        audit_member(
            conn,
            user,
            user,
            account,
            &a.group,
            audit::MEMBER_JOINED,
            "Joined",
            now,
        )?;
        Ok(Done::Joined)
    }))
}

/// Asks to join a group that takes members on request. There is one request
/// row per person and group; asking again after a refusal re-opens it.
pub fn request_to_join(
    conn: &mut DbConn,
    slug: &str,
    user: i64,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    outcome(db::write_tx(conn, |conn| {
        let a = GroupAccess::load(conn, slug, Some(user))?;
        if a.is_member() {
            return Err(Stop::Refused(Refusal::AlreadyMember));
        }
        match a.group.join_method() {
            JoinMethod::Request => {}
            JoinMethod::Open => return Err(Stop::Refused(Refusal::JoinDirectly)),
            JoinMethod::InviteOnly => return Err(AppError::not_found().into()),
        }
        segregated(conn, &a.group, user)?;
        match join_request::find(conn, a.group.id, user)? {
            Some(r) if r.status == join_request::Status::Pending => {
                return Err(Stop::Refused(Refusal::AlreadyRequested));
            }
            Some(r) => {
                join_request::reopen(conn, r.id, now)?;
            }
            None => {
                join_request::insert(conn, a.group.id, user, now)
                    .map_err(|e| refuse_if_duplicate(e, Refusal::AlreadyRequested))?;
            }
        }
        notify_managers_of_request(conn, &a, user, now)?;
        Ok(Done::Requested)
    }))
}

/// Admins who hear of a join request, at most.
const REQUEST_NOTIFIED: i64 = 50;

/// Tells the group's member managers that `user` asks to join.
fn notify_managers_of_request(
    conn: &mut DbConn,
    access: &GroupAccess,
    user: i64,
    now: PrimitiveDateTime,
) -> Result<(), Stop> {
    let group = &access.group;
    let requester = crate::models::user::find(conn, user)?;
    let text = format!("{} asks to join {}.", requester.display_name(), group.name);
    let link = format!("/groups/{}/members", group.slug);
    let mut managers = membership::user_ids_holding(
        conn,
        &access.ancestors,
        Permission::ManageMember,
        REQUEST_NOTIFIED,
    )?;
    // Someone may manage members both here and in a community above.
    managers.sort_unstable();
    managers.dedup();
    for admin in managers {
        notify(conn, admin, "join_request", &text, Some(&link), now)?;
    }
    Ok(())
}

/// Approves (adds the person as `GroupMember`) or refuses a pending request.
/// Needs `manage_member`.
pub fn decide_request(
    conn: &mut DbConn,
    slug: &str,
    actor: i64,
    request_id: i64,
    approve: bool,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    outcome(db::write_tx(conn, |conn| {
        let a = GroupAccess::load(conn, slug, Some(actor))?;
        policy::may_invite(&a)?;
        let decided = Stop::Refused(Refusal::RequestAnswered);
        let Some(r) = join_request::find_in_group(conn, a.group.id, request_id)? else {
            return Err(AppError::not_found().into());
        };
        if r.status != join_request::Status::Pending {
            return Err(decided);
        }
        let status = if approve {
            join_request::Status::Approved
        } else {
            join_request::Status::Refused
        };
        // Checked at approval too: the person's account may have changed
        // since they asked. A refusal leaves the request pending.
        let account = if approve {
            segregated(conn, &a.group, r.user_id)?
        } else {
            None
        };
        if join_request::decide(conn, r.id, status, actor, now)? == 0 {
            return Err(decided);
        }
        let verdict = if approve { "approved" } else { "refused" };
        notify(
            conn,
            r.user_id,
            "join_request_decided",
            &format!("Your request to join {} was {verdict}.", a.group.name),
            Some(&format!("/groups/{}", a.group.slug)),
            now,
        )?;
        if !approve {
            return Ok(Done::RequestRefused);
        }
        if membership::find_with_role(conn, a.group.id, r.user_id)?.is_some() {
            return Ok(Done::ApprovedAlreadyMember);
        }
        let member = role::builtin(conn, role::GROUP_MEMBER)?;
        add_member(conn, a.group.id, r.user_id, member.id, None, now)
            .map_err(|e| refuse_if_duplicate(e, Refusal::MemberAlready))?;
        audit_member(
            conn,
            actor,
            r.user_id,
            account,
            &a.group,
            audit::MEMBER_JOINED,
            "Join request approved",
            now,
        )?;
        Ok(Done::RequestApproved)
    }))
}

/// True when taking `target`'s membership away from the holders of
/// `manage_member` (by leaving, removal or a new role without it) would
/// leave the group with none. Locks the group row first (see `group::touch`).
fn would_leave_no_manager(
    conn: &mut DbConn,
    group_id: i64,
    target_role: &Role,
    new_role: Option<&Role>,
    now: PrimitiveDateTime,
) -> Result<bool, Stop> {
    if !target_role.perms().has(Permission::ManageMember)
        || new_role.is_some_and(|r| r.perms().has(Permission::ManageMember))
    {
        return Ok(false);
    }
    group::touch(conn, group_id, now)?;
    Ok(membership::count_holding(conn, group_id, Permission::ManageMember)? <= 1)
}

/// True when the viewer is one of `managers` (the group's holders of
/// `manage_member`) and the only one, so Leave would be refused (the page
/// says so instead of offering it). `leave` decides again when pressed.
pub fn is_last_manager(access: &GroupAccess, managers: i64) -> bool {
    access.membership.is_some()
        && access
            .role
            .as_ref()
            .is_some_and(|r| r.perms().has(Permission::ManageMember))
        && managers <= 1
}

/// Leaves a group. The last holder of `manage_member` cannot leave.
pub fn leave(
    conn: &mut DbConn,
    slug: &str,
    user: i64,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    outcome(db::write_tx(conn, |conn| {
        let a = GroupAccess::load(conn, slug, Some(user))?;
        let (Some(m), Some(r)) = (&a.membership, &a.role) else {
            return Err(Stop::Refused(Refusal::NotYourGroup));
        };
        if would_leave_no_manager(conn, a.group.id, r, None, now)? {
            return Err(Stop::Refused(Refusal::LastAdminLeaving));
        }
        end_membership(conn, m, user, now)?;
        let (account, _) = company_account::of_user(conn, user)?;
        audit_member(
            conn,
            user,
            user,
            account,
            &a.group,
            audit::MEMBER_LEFT,
            "Left",
            now,
        )?;
        // Invitations of someone who left cannot let anyone in (here or in
        // a community below, unless another membership still backs them).
        revoke_unbacked(conn, Inviters::User(user), Some(user), now)?;
        Ok(Done::Left)
    }))
}

/// The actor's access and the target's membership, after the checks every
/// member-management action shares: `manage_member`, and no acting on
/// someone who holds permissions the actor does not.
fn managed_target(
    conn: &mut DbConn,
    slug: &str,
    actor: i64,
    target: i64,
) -> Result<(GroupAccess, Membership, Role), Stop> {
    let a = GroupAccess::load(conn, slug, Some(actor))?;
    policy::may_invite(&a)?;
    let Some((m, r)) = membership::find_with_role(conn, a.group.id, target)? else {
        return Err(Stop::Refused(Refusal::NotAMember));
    };
    policy::may_manage_member(&a, &r)?;
    Ok((a, m, r))
}

/// What removing a member takes away, for the confirmation page.
pub struct Removal {
    pub member: String,
    pub group: String,
    /// Managed communities below the group, reached through it.
    pub managed: i64,
}

/// The confirmation's facts when `actor` may remove `target`; None when
/// not (the removal itself then says why, in its flash).
pub fn removal(
    conn: &mut DbConn,
    slug: &str,
    actor: i64,
    target: i64,
) -> AppResult<Option<Removal>> {
    match managed_target(conn, slug, actor, target) {
        Ok((a, m, _)) => Ok(Some(Removal {
            member: crate::models::user::find(conn, m.user_id)?.display_name(),
            group: a.group.name.clone(),
            managed: crate::models::group_tree::count_descendants(conn, a.group.id)?,
        })),
        Err(Stop::App(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// Gives a member another role: a built-in one or one of this group's own,
/// never one with permissions the actor lacks. Needs `manage_member`.
pub fn change_role(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    target: i64,
    role_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    outcome(db::write_tx(conn, |conn| {
        let (a, m, current) = managed_target(conn, slug, actor.id, target)?;
        let new_role = role::find(conn, role_id)?.ok_or(Denied::ForeignRole)?;
        policy::may_give_role(&a, actor, &new_role)?;
        if new_role.id == current.id {
            return Ok(Done::RoleUnchanged);
        }
        if would_leave_no_manager(conn, a.group.id, &current, Some(&new_role), now)? {
            return Err(Stop::Refused(Refusal::LastAdminChanged));
        }
        // A member whose account changed since joining (a client group member
        // now in a partner account) gets no new role there.
        let account = segregated(conn, &a.group, target)?;
        membership::set_role(conn, m.id, new_role.id)?;
        // Without the power to invite, their pending invitations end too.
        revoke_unbacked(conn, Inviters::User(m.user_id), Some(actor.id), now)?;
        audit_member(
            conn,
            actor.id,
            target,
            account,
            &a.group,
            audit::ROLE_CHANGED,
            &format!("Role changed from {} to {}", current.name, new_role.name),
            now,
        )?;
        Ok(Done::RoleChanged)
    }))
}

/// Removes a member. Needs `manage_member`; the last holder of
/// `manage_member` cannot be removed.
pub fn remove_member(
    conn: &mut DbConn,
    slug: &str,
    actor: i64,
    target: i64,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    outcome(db::write_tx(conn, |conn| {
        let (a, m, current) = managed_target(conn, slug, actor, target)?;
        if would_leave_no_manager(conn, a.group.id, &current, None, now)? {
            return Err(Stop::Refused(Refusal::LastAdminChanged));
        }
        end_membership(conn, &m, actor, now)?;
        let (account, _) = company_account::of_user(conn, m.user_id)?;
        audit_member(
            conn,
            actor,
            m.user_id,
            account,
            &a.group,
            audit::MEMBER_REMOVED,
            "Removed",
            now,
        )?;
        revoke_unbacked(conn, Inviters::User(m.user_id), Some(actor), now)?;
        Ok(Done::Removed)
    }))
}

/// The group actions as handlers call them: each takes what the request
/// carries, runs on the pool with the clock's time, and answers its outcome.
impl super::App {
    async fn on_group<T: Send + 'static>(
        &self,
        slug: &str,
        f: impl FnOnce(&mut DbConn, &str, PrimitiveDateTime) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let slug = slug.to_string();
        self.on_pool(move |c, now| f(c, &slug, now)).await
    }

    /// Creates a top-level group from its form; the form's errors otherwise.
    pub async fn create_group(
        &self,
        creator: i64,
        input: &GroupInput,
    ) -> AppResult<Result<Group, FormErrors>> {
        let spec = match input.parse() {
            Ok(spec) => spec,
            Err(errors) => return Ok(Err(errors)),
        };
        self.on_pool(move |c, now| create_group(c, creator, &spec, now))
            .await
    }

    pub async fn join_group(&self, slug: &str, user: i64) -> AppResult<Outcome> {
        self.on_group(slug, move |c, s, now| join(c, s, user, now))
            .await
    }

    pub async fn request_to_join(&self, slug: &str, user: i64) -> AppResult<Outcome> {
        self.on_group(slug, move |c, s, now| request_to_join(c, s, user, now))
            .await
    }

    pub async fn leave_group(&self, slug: &str, user: i64) -> AppResult<Outcome> {
        self.on_group(slug, move |c, s, now| leave(c, s, user, now))
            .await
    }

    pub async fn decide_request(
        &self,
        slug: &str,
        actor: i64,
        request: i64,
        approve: bool,
    ) -> AppResult<Outcome> {
        self.on_group(slug, move |c, s, now| {
            decide_request(c, s, actor, request, approve, now)
        })
        .await
    }

    pub async fn change_member_role(
        &self,
        slug: &str,
        actor: &User,
        target: i64,
        role_id: i64,
    ) -> AppResult<Outcome> {
        let actor = actor.clone();
        self.on_group(slug, move |c, s, now| {
            change_role(c, s, &actor, target, role_id, now)
        })
        .await
    }

    /// What removing `target` would do, for its confirmation page; None
    /// when the actor may not remove them (the POST then says why).
    pub async fn removal(&self, slug: &str, actor: i64, target: i64) -> AppResult<Option<Removal>> {
        let slug = slug.to_string();
        db::read(&self.pool, self.backend, move |c| {
            removal(c, &slug, actor, target)
        })
        .await
    }

    pub async fn remove_member(&self, slug: &str, actor: i64, target: i64) -> AppResult<Outcome> {
        self.on_group(slug, move |c, s, now| {
            remove_member(c, s, actor, target, now)
        })
        .await
    }
}
