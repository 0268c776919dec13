//! A community's invitation policy page: its own rules, the rules of the
//! communities above (read-only), saving them (a managed community may only
//! narrow what is above: `policy::may_narrow`), and the pending invitations
//! that break the rules now, with a way to cancel them. Needs
//! `manage_group` (`communities::managed_group`).

use crate::db::{self, DbConn};
use crate::domain::FormErrors;
use crate::domain::invitation_policy::{Disposable, DomainList, Rules, WhoMayInvite};
use crate::error::AppResult;
use crate::models::User;
use crate::models::audit::{self, NewAuditEvent};
use crate::models::invitation;
use crate::models::invitation_policy::{self, Level, PolicyCache, PolicyRow};
use crate::policy::{self, Breach, GroupAccess};
use crate::services::communities::managed_group;
use serde::Deserialize;
use time::PrimitiveDateTime;

/// The policy form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PolicyInput {
    #[serde(default)]
    pub allowed_domains: String,
    #[serde(default)]
    pub blocked_domains: String,
    pub include_subdomains: Option<String>,
    pub block_disposable: Option<String>,
    #[serde(default)]
    pub who_may_invite: String,
    pub invitations_off: Option<String>,
}

impl PolicyInput {
    pub fn of(r: &Rules) -> Self {
        let on = |b: bool| b.then(|| "on".to_string());
        Self {
            allowed_domains: r.allowed.iter().collect::<Vec<_>>().join("\n"),
            blocked_domains: r.blocked.iter().collect::<Vec<_>>().join("\n"),
            include_subdomains: on(r.include_subdomains),
            block_disposable: on(r.block_disposable),
            who_may_invite: r.who.as_str().to_string(),
            invitations_off: on(r.off),
        }
    }

    pub fn parse(&self) -> Result<Rules, FormErrors> {
        let mut e = FormErrors::default();
        let allowed = e.check("allowed_domains", DomainList::parse(&self.allowed_domains));
        let blocked = e.check("blocked_domains", DomainList::parse(&self.blocked_domains));
        let who = WhoMayInvite::parse(&self.who_may_invite);
        if who.is_none() {
            e.add("who_may_invite", "Choose who may invite.");
        }
        match (allowed, blocked, who) {
            (Some(allowed), Some(blocked), Some(who)) if e.is_empty() => Ok(Rules {
                allowed,
                blocked,
                include_subdomains: self.include_subdomains.is_some(),
                block_disposable: self.block_disposable.is_some(),
                who,
                off: self.invitations_off.is_some(),
            }),
            _ => Err(e),
        }
    }
}

/// A pending invitation the rules refuse now.
pub struct Breaking {
    pub id: i64,
    pub email: String,
    pub group: String,
    pub rule: Breach,
}

/// How many pending invitations the page lists (the cancel takes them all).
const LISTED: usize = 50;
/// Pending invitations read per statement while looking for those that break.
const SCAN: i64 = 500;

pub struct PolicyView {
    pub access: GroupAccess,
    /// The group's own rules (default: none).
    pub own: Rules,
    /// The communities above with rules, top first.
    pub above: Vec<Level>,
    pub breaking: Vec<Breaking>,
    /// More break the rules than are listed.
    pub more_breaking: bool,
}

/// The policy page of the group at `slug`.
pub fn page(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    disposable: &Disposable,
    now: PrimitiveDateTime,
) -> AppResult<PolicyView> {
    let access = managed_group(conn, slug, actor)?;
    let (own, above) = own_and_above(conn, access.group.id)?;
    let mut breaking = Vec::new();
    let more_breaking = !each_breaking(conn, access.group.id, disposable, now, |b| {
        breaking.push(b);
        breaking.len() < LISTED
    })?;
    Ok(PolicyView {
        access,
        own,
        above,
        breaking,
        more_breaking,
    })
}

fn own_and_above(conn: &mut DbConn, group_id: i64) -> AppResult<(Rules, Vec<Level>)> {
    let mut levels = invitation_policy::along_path(conn, group_id)?;
    let own = match levels.last() {
        Some(l) if l.group_id == group_id => levels.pop().map(|l| l.rules).unwrap_or_default(),
        _ => Rules::default(),
    };
    Ok((own, levels))
}

/// Calls `f` with each pending invitation under the group that its path's
/// rules refuse, until `f` says stop: false when stopped early.
fn each_breaking(
    conn: &mut DbConn,
    group_id: i64,
    disposable: &Disposable,
    now: PrimitiveDateTime,
    mut f: impl FnMut(Breaking) -> bool,
) -> AppResult<bool> {
    let mut cache = PolicyCache::default();
    let mut after = 0;
    loop {
        let rows = invitation::pending_under(conn, group_id, after, SCAN, now)?;
        let Some(last) = rows.last() else {
            return Ok(true);
        };
        after = last.0;
        let full = rows.len() as i64 == SCAN;
        for (id, email, gid, group) in rows {
            let levels = cache.levels(conn, gid)?;
            if let Err(rule) = policy::may_invite_address(levels, &email, disposable)
                && !f(Breaking {
                    id,
                    email,
                    group,
                    rule,
                })
            {
                return Ok(false);
            }
        }
        if !full {
            return Ok(true);
        }
    }
}

/// Saves the group's own rules. A managed community's may only narrow
/// those above it; the form says which rule above a change would widen.
pub fn save(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    input: &PolicyInput,
    now: PrimitiveDateTime,
) -> AppResult<Result<(), FormErrors>> {
    db::write_tx(conn, |conn| {
        let access = managed_group(conn, slug, actor)?;
        let rules = match input.parse() {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let (_, above) = own_and_above(conn, access.group.id)?;
        if let Err(msg) = policy::may_narrow(&rules, &above) {
            let mut e = FormErrors::default();
            e.add("allowed_domains", &msg);
            return Ok(Err(e));
        }
        invitation_policy::save(conn, &PolicyRow::of(access.group.id, &rules, actor.id, now))?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: actor.id,
                subject_user_id: None,
                account_id: access.group.account_id,
                group_id: Some(access.group.id),
                kind: audit::INVITATION_POLICY_CHANGED,
                detail: &summary(&rules),
                created_at: now,
            },
        )?;
        Ok(Ok(()))
    })
}

/// The rules in a line, for the audit trail.
fn summary(r: &Rules) -> String {
    let mut parts = Vec::new();
    if r.off {
        parts.push("invitations off".to_string());
    }
    if !r.allowed.is_empty() {
        parts.push(format!("allowed: {}", r.allowed.spoken()));
    }
    if !r.blocked.is_empty() {
        parts.push(format!("blocked: {}", r.blocked.spoken()));
    }
    if r.include_subdomains {
        parts.push("with subdomains".into());
    }
    if r.block_disposable {
        parts.push("disposable addresses blocked".into());
    }
    match r.who {
        WhoMayInvite::Admins => parts.push("only admins invite".into()),
        WhoMayInvite::Members => parts.push("members suggest".into()),
        WhoMayInvite::Managers => {}
    }
    if parts.is_empty() {
        "no rules".into()
    } else {
        parts.join("; ")
    }
}

/// Cancels every pending invitation under the group that the rules refuse
/// now, recording why: how many.
pub fn cancel_breaking(
    conn: &mut DbConn,
    slug: &str,
    actor: &User,
    disposable: &Disposable,
    now: PrimitiveDateTime,
) -> AppResult<usize> {
    db::write_tx(conn, |conn| {
        let access = managed_group(conn, slug, actor)?;
        let mut ids = Vec::new();
        each_breaking(conn, access.group.id, disposable, now, |b| {
            ids.push(b.id);
            true
        })?;
        let mut cancelled = 0;
        for chunk in ids.chunks(SCAN as usize) {
            let done = invitation::cancel_pending(conn, chunk, now)?;
            invitation::log(conn, &done, "cancelled", Some(actor.id), now)?;
            cancelled += done.len();
        }
        Ok(cancelled)
    })
}

/// The policy page and its changes, as handlers call them.
impl super::App {
    pub async fn invitation_policy(&self, slug: &str, actor: &User) -> AppResult<PolicyView> {
        let (slug, actor, disposable) = (
            slug.to_string(),
            actor.clone(),
            self.config.disposable.clone(),
        );
        self.on_pool(move |c, now| page(c, &slug, &actor, &disposable, now))
            .await
    }

    pub async fn save_invitation_policy(
        &self,
        slug: &str,
        actor: &User,
        input: PolicyInput,
    ) -> AppResult<Result<(), FormErrors>> {
        let (slug, actor) = (slug.to_string(), actor.clone());
        self.on_pool(move |c, now| save(c, &slug, &actor, &input, now))
            .await
    }

    pub async fn cancel_breaking_invitations(&self, slug: &str, actor: &User) -> AppResult<usize> {
        let (slug, actor, disposable) = (
            slug.to_string(),
            actor.clone(),
            self.config.disposable.clone(),
        );
        self.on_pool(move |c, now| cancel_breaking(c, &slug, &actor, &disposable, now))
            .await
    }
}
