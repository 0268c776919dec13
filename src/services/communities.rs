//! Communities: groups inside groups. A main community's members reach
//! every managed community below it with their role there (see
//! `policy::GroupAccess::load`); this module creates managed communities and moves
//! a group under another one, refusing cycles.

use crate::db::{self, DbConn};
use crate::domain::FormErrors;
use crate::error::{AppResult, ErrorKind};
use crate::models::{Group, User, group, group_tree};
use crate::policy::{self, GroupAccess};
use crate::services::groups::{self, Done, GroupSpec, Outcome, Refusal};
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

/// Creates a managed community inside the community at `parent_slug`.
pub fn create_managed(
    conn: &mut DbConn,
    parent_slug: &str,
    actor: &User,
    spec: &GroupSpec,
    now: PrimitiveDateTime,
) -> AppResult<Result<Group, FormErrors>> {
    let parent = managed_group(conn, parent_slug, actor)?;
    groups::create_in(conn, actor.id, spec, Some(&parent.group), now)
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
