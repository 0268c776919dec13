//! Communities: groups inside groups. A main community's members reach
//! every managed community below it with their role there (see
//! `policy::GroupAccess::load`); this module creates managed communities and moves
//! a group under another one, refusing cycles.

use crate::db::{self, DbConn};
use crate::domain::FormErrors;
use crate::error::{AppResult, ErrorKind};
use crate::models::{Group, User, group, group_tree};
use crate::policy::{self, GroupAccess};
use crate::services::groups::{self, Done, GroupInput, Outcome, Refusal};
use time::PrimitiveDateTime;

/// Loads a group whose settings, roles or managed communities `actor`
/// changes: 404 when hidden from them, 403 without `manage_group`.
pub fn managed_group(conn: &mut DbConn, slug: &str, actor: &User) -> AppResult<GroupAccess> {
    let access = if actor.is_site_admin {
        GroupAccess::load_unhidden(conn, slug, Some(actor.id))?
    } else {
        GroupAccess::load(conn, slug, Some(actor.id))?
    };
    policy::may_manage_group(&access, actor)?;
    Ok(access)
}

/// Creates a managed community inside the community at `parent_slug`
/// from its form, the check and the write in one transaction. The audience
/// is the main community's whatever the form says. Answers the main
/// community too, for the form shown again.
pub fn create_managed(
    conn: &mut DbConn,
    parent_slug: &str,
    actor: &User,
    input: &mut GroupInput,
    now: PrimitiveDateTime,
) -> AppResult<(Group, Result<Group, FormErrors>)> {
    db::write_tx(conn, |conn| {
        let parent = managed_group(conn, parent_slug, actor)?.group;
        input.audience = parent.audience.clone();
        let created = match input.parse() {
            Ok(spec) => groups::create_in(conn, actor.id, &spec, Some(&parent), now)?,
            Err(errors) => Err(errors),
        };
        Ok((parent, created))
    })
}

/// The group's settings page: the group and its main community.
pub fn settings(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
) -> AppResult<(GroupAccess, Option<Group>)> {
    let access = managed_group(conn, slug, actor)?;
    let parent = match access.group.parent_id {
        Some(id) => Some(group::find(conn, id)?),
        None => None,
    };
    Ok((access, parent))
}

/// The main community's address as people type it: a slug, a path
/// (`/groups/acme/`) or nothing (at the top).
pub fn typed_parent(typed: &str) -> &str {
    let typed = typed.trim().trim_matches('/');
    typed.strip_prefix("groups/").unwrap_or(typed)
}

/// Places the group at `slug` inside the community at `parent` (None: at
/// the top). Needs the right to manage both; refuses a cycle and a change
/// of audience. An unknown address and one the actor does not manage get
/// the same answer, so the form discloses no hidden group.
pub fn set_parent(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    parent: Option<&str>,
    now: PrimitiveDateTime,
) -> AppResult<Outcome> {
    crate::services::outcome(db::write_tx(conn, |conn| {
        let a = managed_group(conn, slug, actor)?;
        let target = match parent {
            Some(p) => {
                let pa = managed_group(conn, p, actor).map_err(|e| match e.kind {
                    ErrorKind::NotFound | ErrorKind::Forbidden => {
                        groups::Stop::Refused(Refusal::NoSuchCommunity)
                    }
                    _ => e.into(),
                })?;
                Some(pa.group)
            }
            None => None,
        };
        if target.as_ref().map(|p| p.id) == a.group.parent_id {
            return Ok(Done::PlaceUnchanged);
        }
        // Lock both rows in id order, then look at the tree: two moves that
        // would close a loop together are serialised and the second refused.
        let mut ids = vec![a.group.id];
        ids.extend(target.as_ref().map(|p| p.id));
        ids.sort_unstable();
        for id in ids {
            group::touch(conn, id, now)?;
        }
        if let Some(p) = &target {
            if group_tree::is_within(conn, p.id, a.group.id)? {
                return Err(groups::Stop::Refused(Refusal::Cycle));
            }
            if p.audience != a.group.audience || p.account_id != a.group.account_id {
                return Err(groups::Stop::Refused(Refusal::OtherAudience));
            }
        }
        group_tree::move_subtree(conn, a.group.id, target.as_ref().map(|p| p.id), now)?;
        Ok(match target {
            Some(_) => Done::PlacedInside,
            None => Done::PlacedAtTop,
        })
    }))
}

/// The community actions as handlers call them.
impl super::App {
    /// A group whose settings, roles or managed communities the actor
    /// changes (404 hidden, 403 without `manage_group`).
    pub async fn managed_group(&self, slug: &str, actor: &User) -> AppResult<GroupAccess> {
        let (slug, actor) = (slug.to_string(), actor.clone());
        db::run(&self.pool, move |c| managed_group(c, &slug, &actor)).await
    }

    pub async fn community_settings(
        &self,
        slug: &str,
        actor: &User,
    ) -> AppResult<(GroupAccess, Option<Group>)> {
        let (slug, actor) = (slug.to_string(), actor.clone());
        db::run(&self.pool, move |c| settings(c, &slug, &actor)).await
    }

    /// See [`create_managed`]; answers the form as the service left it.
    pub async fn create_community(
        &self,
        parent_slug: &str,
        actor: &User,
        mut input: GroupInput,
    ) -> AppResult<(Group, GroupInput, Result<Group, FormErrors>)> {
        let (slug, actor) = (parent_slug.to_string(), actor.clone());
        self.on_pool(move |c, now| {
            let (parent, created) = create_managed(c, &slug, &actor, &mut input, now)?;
            Ok((parent, input, created))
        })
        .await
    }

    /// Places the group under the community typed (see [`typed_parent`]).
    pub async fn place_community(
        &self,
        slug: &str,
        actor: &User,
        typed: &str,
    ) -> AppResult<Outcome> {
        let (slug, actor) = (slug.to_string(), actor.clone());
        let parent = typed_parent(typed).to_string();
        self.on_pool(move |c, now| {
            let parent = (!parent.is_empty()).then_some(parent.as_str());
            set_parent(c, &slug, &actor, parent, now)
        })
        .await
    }
}
