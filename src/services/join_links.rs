//! Multi-use join links (`/groups/{slug}/links`): a group admin makes one
//! with a role, a number of uses, an expiry and optionally an allowed
//! e-mail domain, sees who used it, and disables it. Whoever opens it
//! (`/links/{token}`) and may (`policy::may_use_join_link`, the invitation
//! policy, segregation) joins with its role, once, while uses are left.

use crate::auth::tokens;
use crate::db::{self, DbConn};
use crate::domain::FormErrors;
use crate::domain::invitation_policy::DomainList;
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, NewAuditEvent};
use crate::models::join_link::{self, JoinLink, LinkState, NewJoinLink};
use crate::models::{Group, Role, User, invitation_policy, membership, role};
use crate::policy::{self, AdminClaim, Denied, GroupAccess};
use crate::services::invitations::{InviteEnv, grantable_roles};
use crate::services::{Halt, groups, link_guesses, outcome};
use serde::Deserialize;
use time::PrimitiveDateTime;

/// Most uses one link may have.
pub const MAX_USES: i32 = 1000;
/// Longest a link may live, in days.
pub const MAX_DAYS: i64 = 30;
/// Links listed on the page, newest first.
const SHOWN: i64 = 50;

/// The "New join link" form as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkInput {
    #[serde(default)]
    pub role_id: String,
    #[serde(default)]
    pub max_uses: String,
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub allowed_domain: String,
}

impl Default for LinkInput {
    fn default() -> Self {
        Self {
            role_id: String::new(),
            max_uses: "10".into(),
            days: "7".into(),
            allowed_domain: String::new(),
        }
    }
}

struct LinkSpec {
    role: Role,
    max_uses: i32,
    days: i64,
    domain: Option<String>,
}

impl LinkInput {
    fn parse(&self, grantable: &[Role]) -> Result<LinkSpec, FormErrors> {
        let mut e = FormErrors::default();
        let role = self
            .role_id
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| grantable.iter().find(|r| r.id == id).cloned());
        if role.is_none() {
            e.add("role_id", "Choose one of the roles you may give.");
        }
        let max_uses = match self.max_uses.trim().parse::<i32>() {
            Ok(n) if (1..=MAX_USES).contains(&n) => Some(n),
            _ => {
                e.add(
                    "max_uses",
                    format!("Enter a number of uses from 1 to {MAX_USES}."),
                );
                None
            }
        };
        let days = match self.days.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Some(n),
            _ => {
                e.add(
                    "days",
                    format!("Enter a number of days from 1 to {MAX_DAYS}."),
                );
                None
            }
        };
        let domain = match DomainList::parse(&self.allowed_domain) {
            Ok(list) if list.is_empty() => Some(None),
            Ok(list) if list.iter().count() == 1 => list.iter().next().map(|d| Some(d.to_string())),
            Ok(_) => {
                e.add("allowed_domain", "Enter one domain, or none.");
                None
            }
            Err(why) => {
                e.add("allowed_domain", why);
                None
            }
        };
        match (role, max_uses, days, domain) {
            (Some(role), Some(max_uses), Some(days), Some(domain)) if e.is_empty() => {
                Ok(LinkSpec {
                    role,
                    max_uses,
                    days,
                    domain,
                })
            }
            _ => Err(e),
        }
    }
}

/// Why a link was not made.
#[derive(Debug, Clone)]
pub enum CreateRefusal {
    Form(FormErrors),
    /// The community's invitation policy refuses it (invitations off, only
    /// admins invite, or the link's domain).
    NotAllowed(policy::Breach),
}

type CreateStop = Halt<CreateRefusal>;

impl From<Denied> for CreateRefusal {
    fn from(d: Denied) -> Self {
        CreateRefusal::Form({
            let mut e = FormErrors::default();
            e.add("role_id", d.message());
            e
        })
    }
}

/// Makes a link for the claimed group; returns its id.
pub fn create(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    claim: &AdminClaim,
    actor: &User,
    input: &LinkInput,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, CreateRefusal>> {
    outcome(db::write_tx(conn, |conn| -> Result<i64, CreateStop> {
        let access = claim.check(conn)?;
        let roles = grantable_roles(conn, &access, actor)?;
        let spec = input
            .parse(&roles)
            .map_err(|e| Halt::Refused(CreateRefusal::Form(e)))?;
        let levels = invitation_policy::along_path(conn, access.group.id)?;
        policy::may_invite_under(&levels, &access)
            .map_err(|b| Halt::Refused(CreateRefusal::NotAllowed(b)))?;
        // Invitations off, or a domain the policy refuses: the link could
        // let nobody in.
        let probe = format!(
            "someone@{}",
            spec.domain.as_deref().unwrap_or("link.invalid")
        );
        if let Err(b) = policy::may_invite_address(&levels, &probe, &env.config.disposable) {
            let relevant = spec.domain.is_some()
                || b.broken == crate::domain::invitation_policy::Broken::InvitationsOff;
            if relevant {
                return Err(Halt::Refused(CreateRefusal::NotAllowed(b)));
            }
        }
        let (nonce, _token, hash) = env.links.fresh();
        let id = join_link::insert(
            conn,
            &NewJoinLink {
                group_id: access.group.id,
                role_id: spec.role.id,
                created_by: actor.id,
                link_nonce: &nonce,
                token_hash: &hash,
                max_uses: spec.max_uses,
                allowed_domain: spec.domain.as_deref(),
                expires_at: now + time::Duration::days(spec.days),
            },
            now,
        )?;
        Ok(id)
    }))
}

/// "Disable link": false when it was disabled already.
pub fn disable(
    conn: &mut DbConn,
    claim: &AdminClaim,
    actor: &User,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    db::write_tx(conn, |conn| {
        let access = claim.check(conn)?;
        let link =
            join_link::find_in_group(conn, access.group.id, id)?.ok_or_else(AppError::not_found)?;
        Ok(join_link::disable(conn, link.id, actor.id, now)? == 1)
    })
}

/// What the admins' page shows.
pub struct LinksPage {
    pub access: GroupAccess,
    pub roles: Vec<Role>,
    /// Each link with its URL.
    pub links: Vec<(join_link::Listed, String)>,
}

/// A link's address, for the admins.
pub fn url_of(env: &InviteEnv<'_>, link: &JoinLink) -> String {
    format!(
        "{}/links/{}",
        env.config.base_url,
        env.links.token(&link.link_nonce)
    )
}

/// What `/links/{token}` shows.
pub struct LinkView {
    pub link: JoinLink,
    pub state: LinkState,
    pub group: Group,
    pub role_name: String,
}

/// Why a use of a link joined nobody.
#[derive(Debug, Clone)]
pub enum UseRefusal {
    /// Disabled, expired or used up.
    Closed(LinkState),
    AlreadyMember,
    Denied(Denied),
    NotAllowed(policy::Breach),
}

type UseStop = Halt<UseRefusal>;

impl From<Denied> for UseRefusal {
    fn from(d: Denied) -> Self {
        UseRefusal::Denied(d)
    }
}

fn find_link(conn: &mut DbConn, token: &str) -> AppResult<Option<(JoinLink, Group, String)>> {
    let Some(link) = join_link::find_by_token_hash(conn, &tokens::hash(token))? else {
        return Ok(None);
    };
    let group = crate::models::group::find(conn, link.group_id)?;
    let role_name = role::find(conn, link.role_id)?
        .map(|r| r.name)
        .unwrap_or_default();
    Ok(Some((link, group, role_name)))
}

/// Joins `me` to the link's group with its role, spending one use, in one
/// transaction; returns the group's slug and name.
pub fn use_link(
    conn: &mut DbConn,
    config: &crate::config::Config,
    me: &User,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<(String, String), UseRefusal>> {
    outcome(db::write_tx(conn, |conn| -> Result<_, UseStop> {
        let (link, group, _) = find_link(conn, token)?.ok_or_else(AppError::not_found)?;
        let state = link.state(now);
        if state != LinkState::Active {
            return Err(Halt::Refused(UseRefusal::Closed(state)));
        }
        if membership::find_with_role(conn, group.id, me.id)?.is_some()
            || join_link::used_by(conn, link.id, me.id)?
        {
            return Err(Halt::Refused(UseRefusal::AlreadyMember));
        }
        let removed = audit::was_removed(conn, group.id, me.id)?;
        policy::may_use_join_link(me, link.allowed_domain.as_deref(), removed)?;
        let levels = invitation_policy::along_path(conn, group.id)?;
        policy::may_invite_address(&levels, &me.email, &config.disposable)
            .map_err(|b| Halt::Refused(UseRefusal::NotAllowed(b)))?;
        let account = policy::may_enter_group(conn, &group, me.id)??;
        if join_link::spend_use(conn, link.id, now)? == 0 {
            // Used up (or disabled) by someone else a moment ago.
            return Err(Halt::Refused(UseRefusal::Closed(LinkState::UsedUp)));
        }
        join_link::record_use(conn, link.id, me.id, &me.display_name(), now)?;
        groups::add_member(conn, group.id, me.id, link.role_id, link.created_by, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: me.id,
                subject_user_id: Some(me.id),
                account_id: account,
                group_id: Some(group.id),
                kind: audit::MEMBER_JOINED,
                detail: &format!("Joined by link ({})", group.name),
                created_at: now,
            },
        )?;
        Ok((group.slug, group.name))
    }))
}

impl crate::services::App {
    /// The admins' page of the claimed group's join links.
    pub async fn join_links_page(&self, claim: AdminClaim, viewer: &User) -> AppResult<LinksPage> {
        let (app, viewer) = (self.clone(), viewer.clone());
        self.on_pool(move |c, _| {
            let access = claim.check(c)?;
            let roles = grantable_roles(c, &access, &viewer)?;
            let env = app.invite_env();
            let links = join_link::of_group(c, access.group.id, SHOWN)?
                .into_iter()
                .map(|l| {
                    let url = url_of(&env, &l.link);
                    (l, url)
                })
                .collect();
            Ok(LinksPage {
                access,
                roles,
                links,
            })
        })
        .await
    }

    pub async fn create_join_link(
        &self,
        claim: AdminClaim,
        actor: &User,
        input: LinkInput,
    ) -> AppResult<Result<i64, CreateRefusal>> {
        let (app, actor) = (self.clone(), actor.clone());
        self.on_pool(move |c, now| create(c, &app.invite_env(), &claim, &actor, &input, now))
            .await
    }

    pub async fn disable_join_link(
        &self,
        claim: AdminClaim,
        actor: &User,
        id: i64,
    ) -> AppResult<bool> {
        let actor = actor.clone();
        self.on_pool(move |c, now| disable(c, &claim, &actor, id, now))
            .await
    }

    /// The link's page: `None` when the client's address guessed too many
    /// links that do not exist (`link_guesses`), `Some(None)` for an
    /// unknown link.
    pub async fn open_join_link(
        &self,
        token: String,
        address: String,
    ) -> AppResult<Option<Option<LinkView>>> {
        self.on_pool(move |c, now| {
            let found = link_guesses::within_budget(
                c,
                &address,
                now,
                |c| find_link(c, &token),
                Option::is_some,
            )?;
            Ok(found.map(|f| {
                f.map(|(link, group, role_name)| LinkView {
                    state: link.state(now),
                    link,
                    group,
                    role_name,
                })
            }))
        })
        .await
    }

    pub async fn use_join_link(
        &self,
        me: &User,
        token: String,
    ) -> AppResult<Result<(String, String), UseRefusal>> {
        let (me, config) = (me.clone(), self.config.clone());
        self.on_pool(move |c, now| use_link(c, &config, &me, &token, now))
            .await
    }
}
