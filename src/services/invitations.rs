//! Inviting people into a group, and answering or cancelling invitations.
//! Each invitee is its own transaction: one refusal never stops the others,
//! and nothing is written for an entry that fails.

use crate::auth::links::LinkKey;
use crate::auth::tokens;
use crate::config::Config;
use crate::db::{self, DbConn};
use crate::domain::{
    AnswerOutcome, FormErrors, InvitationStatus, InviteOutcome, Recipient, parse_recipients,
};
use crate::error::{AppError, AppResult};
use crate::mail::{self, messages::InvitationMail};
use crate::models::audit::{self, NewAuditEvent};
use crate::models::invitation::{self, NewInvitation};
use crate::models::{Group, Role, User, membership, rate_limit, role, send_count, user};
use crate::policy::{self, GroupAccess};
use crate::services::groups;
use crate::services::messages::{MessageRef, send_message_with_ref};
use crate::services::notifications::notify;
use serde::Deserialize;
use time::PrimitiveDateTime;

/// What a resend past the day's limit says.
pub const RESEND_LIMIT: &str = "This invitation has been sent again as often as a day allows: nothing was sent. Try again tomorrow.";

/// Longest optional message an inviter may add.
pub const MESSAGE_MAX: usize = 1000;

/// The invite form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct InviteInput {
    #[serde(default)]
    pub send_to: String,
    #[serde(default)]
    pub role_id: String,
    #[serde(default)]
    pub message: String,
    /// `preview` re-renders the form with the e-mail preview open.
    pub action: Option<String>,
    /// "Also invite to": ids of other groups the inviter administers.
    #[serde(skip)]
    pub also: Vec<i64>,
    /// On a community: `chosen` invites to the managed communities in
    /// `communities` only; anything else to the community and all of them.
    #[serde(skip)]
    pub scope: String,
    #[serde(skip)]
    pub communities: Vec<i64>,
}

impl InviteInput {
    /// From the raw form pairs: `also` may repeat, which serde_urlencoded
    /// cannot put in a Vec.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut input = InviteInput::default();
        for (k, v) in pairs {
            match k.as_str() {
                "send_to" => input.send_to = v,
                "role_id" => input.role_id = v,
                "message" => input.message = v,
                "action" => input.action = Some(v),
                "also" => push_id(&mut input.also, &v),
                "scope" => input.scope = v,
                "community" => push_id(&mut input.communities, &v),
                _ => {}
            }
        }
        input
    }
}

/// "2 entries are neither a username nor an e-mail address: "a@", "b c".
/// Correct or remove them." Names at most five, each cut short.
fn invalid_entries_message(invalid: &[&str]) -> String {
    const NAMED: usize = 5;
    let mut named: Vec<String> = invalid
        .iter()
        .take(NAMED)
        .map(|s| format!("\u{201c}{}\u{201d}", crate::domain::text::cut(s, 60)))
        .collect();
    if invalid.len() > NAMED {
        named.push(format!("and {} more", invalid.len() - NAMED));
    }
    let named = named.join(", ");
    match invalid.len() {
        1 => format!(
            "1 entry is neither a username nor an e-mail address: {named}. Correct or remove it."
        ),
        n => format!(
            "{n} entries are neither a username nor an e-mail address: {named}. Correct or remove them."
        ),
    }
}

impl InviteInput {
    /// The form without its list, url-encoded, as a report keeps it for
    /// "Invite more" and "Fix N entries".
    pub fn settings(&self) -> String {
        // Only what the form checked: a number, the message that passed
        // `parse`, and the scope as one of its two values.
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Ok(id) = self.role_id.trim().parse::<i64>() {
            out.append_pair("role_id", &id.to_string());
        }
        out.append_pair("message", self.message.trim());
        if self.only_chosen() {
            out.append_pair("scope", "chosen");
        }
        for id in &self.also {
            out.append_pair("also", &id.to_string());
        }
        for id in &self.communities {
            out.append_pair("community", &id.to_string());
        }
        out.finish()
    }

    /// The form reopened from `settings` with `send_to` in its list.
    pub fn reopened(settings: &str, send_to: String) -> Self {
        let mut input = Self::from_pairs(
            url::form_urlencoded::parse(settings.as_bytes())
                .into_owned()
                .collect(),
        );
        input.send_to = send_to;
        input
    }
}

fn push_id(ids: &mut Vec<i64>, v: &str) {
    if let Ok(id) = v.trim().parse()
        && !ids.contains(&id)
    {
        ids.push(id);
    }
}

pub const CHOOSE_COMMUNITY: &str = "Choose at least one managed community.";

impl InviteInput {
    /// Only some managed communities, not the community itself.
    pub fn only_chosen(&self) -> bool {
        self.scope == "chosen"
    }
}

/// What an invitation to a community grants, as the preview and the mail
/// say it: "Main + 12 managed communities", or the chosen ones by name.
pub fn reach(group: &Group, managed: &[Group], input: &InviteInput) -> String {
    if input.only_chosen() {
        let names: Vec<String> = managed
            .iter()
            .filter(|g| input.communities.contains(&g.id))
            .map(|g| g.name.clone())
            .collect();
        if names.is_empty() {
            "(the managed communities you choose)".into()
        } else {
            join_names(&names)
        }
    } else {
        whole_community(group, managed.len())
    }
}

/// "Main", "Main + 1 managed community", "Main + 12 managed communities".
pub fn whole_community(group: &Group, managed: usize) -> String {
    match managed {
        0 => group.name.clone(),
        1 => format!("{} + 1 managed community", group.name),
        n => format!("{} + {n} managed communities", group.name),
    }
}

/// A checked invite request.
pub struct InviteRequest {
    pub recipients: Vec<Recipient>,
    pub role: Role,
    pub message: Option<String>,
    /// How a group is named in the mail when it says more than the name
    /// (a community and its managed communities).
    pub labels: Vec<(i64, String)>,
}

/// The roles the viewer may hand out in this group: those it offers, and
/// only those `policy::may_grant` lets them give.
pub fn grantable_roles(
    conn: &mut DbConn,
    access: &GroupAccess,
    viewer: &User,
) -> AppResult<Vec<Role>> {
    Ok(role::for_path(conn, &access.ancestors)?
        .into_iter()
        .filter(|r| policy::may_grant(access, viewer, r.perms()).is_ok())
        .collect())
}

impl InviteInput {
    /// Checks the form against the roles the inviter may grant. A role id from
    /// another group or above the inviter's own is refused like an unknown one.
    pub fn parse(&self, grantable: &[Role]) -> Result<InviteRequest, FormErrors> {
        let mut e = FormErrors::default();
        let recipients = e
            .check(
                "send_to",
                parse_recipients(&self.send_to).map_err(|err| err.message()),
            )
            .filter(|list| {
                // Entries that cannot be anybody are the typist's to fix,
                // in the form, before anything is sent.
                let invalid: Vec<&str> = list
                    .iter()
                    .filter(|r| matches!(r, Recipient::Invalid(_)))
                    .map(Recipient::label)
                    .collect();
                if !invalid.is_empty() {
                    e.add("send_to", invalid_entries_message(&invalid));
                }
                invalid.is_empty()
            });
        let role = self
            .role_id
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| grantable.iter().find(|r| r.id == id).cloned());
        if role.is_none() {
            e.add("role_id", "Choose one of the roles you may give.");
        }
        let message = self.message.trim().replace("\r\n", "\n");
        if message.chars().count() > MESSAGE_MAX {
            e.add(
                "message",
                format!("A message has at most {MESSAGE_MAX} characters."),
            );
        }
        match (recipients, role) {
            (Some(recipients), Some(role)) if e.is_empty() => Ok(InviteRequest {
                recipients,
                role,
                message: (!message.is_empty()).then_some(message),
                labels: Vec::new(),
            }),
            _ => Err(e),
        }
    }
}

/// The "Also invite to" groups: each must be one where the inviter may
/// invite (a forged id is refused with 404 or 403, like its page would be).
pub fn extra_groups(conn: &mut DbConn, viewer: i64, ids: &[i64]) -> AppResult<Vec<GroupAccess>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let group = crate::models::group::find(conn, *id)?;
        let access = GroupAccess::load(conn, &group.slug, Some(viewer))?;
        policy::may_invite(&access)?;
        out.push(access);
    }
    Ok(out)
}

/// The chosen role must be one the inviter may give in every extra group too.
pub fn check_extra(
    req: InviteRequest,
    extra: &[GroupAccess],
    inviter: &User,
) -> Result<InviteRequest, FormErrors> {
    for a in extra {
        if policy::may_give_role(a, inviter, &req.role).is_err() {
            let mut e = FormErrors::default();
            e.add(
                "also",
                format!(
                    "The role {} cannot be given in {}.",
                    req.role.name, a.group.name
                ),
            );
            return Err(e);
        }
    }
    Ok(req)
}

/// Where an invitation from `access`'s form goes: the group itself (a
/// community with all its managed communities), or only the chosen managed
/// communities below it, each checked as its own invite page would be (one
/// that is not below it is "not found"). With the number of managed
/// communities the group has.
pub fn targets(
    conn: &mut DbConn,
    access: GroupAccess,
    viewer: i64,
    input: &InviteInput,
) -> AppResult<(Vec<GroupAccess>, usize)> {
    let managed = crate::models::group_tree::count_descendants(conn, access.group.id)? as usize;
    if !input.only_chosen() || managed == 0 {
        return Ok((vec![access], managed));
    }
    let chosen = extra_groups(conn, viewer, &input.communities)?;
    if chosen
        .iter()
        .any(|g| !g.ancestors[1..].contains(&access.group.id))
    {
        return Err(AppError::not_found());
    }
    Ok((chosen, managed))
}

/// The chosen role must be one the inviter may give in every target, and a
/// choice of managed communities must choose one. An invitation to a whole
/// community says so in its mail ("Main + 12 managed communities").
pub fn check_targets(
    req: InviteRequest,
    input: &InviteInput,
    targets: &[GroupAccess],
    managed: usize,
    inviter: &User,
) -> Result<InviteRequest, FormErrors> {
    let Some(first) = targets.first() else {
        let mut e = FormErrors::default();
        e.add("community", CHOOSE_COMMUNITY);
        return Err(e);
    };
    let mut req = check_extra(req, targets, inviter)?;
    if !input.only_chosen() && managed > 0 {
        req.labels
            .push((first.group.id, whole_community(&first.group, managed)));
    }
    Ok(req)
}

/// Why a transaction stopped: a plain outcome to report, or a real error.
enum Stop {
    Outcome(InviteOutcome),
    Failed(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Failed(e)
    }
}

impl From<askama::Error> for Stop {
    fn from(e: askama::Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// The expiry of an invitation sent now.
pub(crate) fn expires_at(config: &Config, now: PrimitiveDateTime) -> PrimitiveDateTime {
    now + time::Duration::days(config.invitation_ttl_days)
}

pub fn format_when(t: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.format(&f).unwrap_or_default()
}

/// The invitation mail as the invitee will see it, for the invite page's preview.
pub fn preview(
    config: &Config,
    groups: &str,
    about: Option<&str>,
    inviter: &User,
    role: Option<&Role>,
    message: Option<&str>,
    now: PrimitiveDateTime,
) -> AppResult<mail::OutgoingMail> {
    let m = mail::messages::invitation(&InvitationMail {
        to: "invitee@example.com",
        name: Some("(the invitee's first name)"),
        inviter: &inviter.display_name(),
        groups,
        role: role.map_or("(the role you choose)", |r| r.name.as_str()),
        message,
        registered: true,
        link: &format!("{}/invitations", config.base_url),
        expires: &format_when(expires_at(config, now)),
        about: about.filter(|d| !d.is_empty()),
    })?;
    Ok(m)
}

/// What inviting needs besides the database: settings and the link key.
pub struct InviteEnv<'a> {
    pub config: &'a Config,
    pub links: &'a LinkKey,
}

impl InviteEnv<'_> {
    pub fn join_url(&self, token: &str) -> String {
        format!("{}/join/{token}", self.config.base_url)
    }
}

/// True when the inviter or the group has used up today's invitations.
/// `in_flight`: invitations the inviter created in this transaction whose
/// 'sent' events are not written yet.
pub(crate) fn quota_reached(
    conn: &mut DbConn,
    config: &Config,
    inviter: i64,
    group_id: i64,
    in_flight: usize,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<bool> {
    Ok(
        send_count::by_inviter(conn, inviter, now)? + in_flight as i64
            >= config.invites_per_inviter_per_day
            || send_count::in_group(conn, group_id, now)? >= config.invites_per_group_per_day,
    )
}

/// Invites one entry of the form into `groups` (the page's group first, then
/// any "Also invite to" ones) in its own transaction: one invitation per
/// group, announced once. Returns the outcome and, when several groups were
/// asked for, the names of those the person was invited to.
pub fn invite_one(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    groups_: &[&GroupAccess],
    inviter: &User,
    req: &InviteRequest,
    recipient: &Recipient,
    now: PrimitiveDateTime,
) -> AppResult<(InviteOutcome, Vec<String>)> {
    if groups_.is_empty() {
        return Err(AppError::forbidden());
    }
    for a in groups_ {
        policy::may_invite(a)?;
    }
    let config = env.config;
    let result = db::write_tx(conn, |conn| -> Result<(InviteOutcome, Vec<String>), Stop> {
        let (invitee, address, success) = match recipient {
            Recipient::Invalid(_) => return Err(Stop::Outcome(InviteOutcome::InvalidEntry)),
            Recipient::Username(u) => match user::find_by_username(conn, &u.key())? {
                Some(found) => (Some(found), None, InviteOutcome::Invited),
                None => return Err(Stop::Outcome(InviteOutcome::NoSuchUser)),
            },
            Recipient::Email(e) => match user::find_by_email_key(conn, &e.key())? {
                // An account that never confirmed the address does not hold
                // it (`policy::may_claim_address`): the invitation goes to
                // the address, whose owner proves it by opening the link.
                Some(found)
                    if found.password_hash.is_some()
                        && policy::may_claim_address(&found).is_ok() =>
                {
                    (None, Some(e), InviteOutcome::InvitedByEmail)
                }
                Some(found) => (Some(found), None, InviteOutcome::InvitedInApp),
                None => (None, Some(e), InviteOutcome::InvitedByEmail),
            },
        };
        if let Some(u) = &invitee {
            if !u.is_active() || u.email_verified_at.is_none() {
                return Err(Stop::Outcome(InviteOutcome::AccountNotActive));
            }
            if u.id == inviter.id {
                return Err(Stop::Outcome(InviteOutcome::AlreadyMember));
            }
        }
        let (email, email_key) = match (&invitee, address) {
            (Some(u), _) => (u.email.clone(), u.email.to_lowercase()),
            (None, Some(a)) => (a.as_str().to_string(), a.key()),
            (None, None) => unreachable!("an entry is a user or an address"),
        };
        // Every group is checked first; what passes is written below.
        let mut chosen: Vec<Chosen<'_>> = Vec::new();
        let mut first_refusal = None;
        for access in groups_ {
            let group = &access.group;
            let refusal = if let Some(u) = &invitee {
                if membership::find_with_role(conn, group.id, u.id)?.is_some() {
                    Some(InviteOutcome::AlreadyMember)
                } else {
                    // Partners never into client groups, clients never into partner groups.
                    policy::may_enter_group(conn, group, u.id)?
                        .err()
                        .map(|why| InviteOutcome::NotAllowed(why.to_string()))
                }
            } else {
                None
            };
            let refusal = match refusal {
                Some(r) => Some(r),
                None if quota_reached(conn, config, inviter.id, group.id, chosen.len(), now)? => {
                    Some(InviteOutcome::QuotaReached)
                }
                None => {
                    let pending = invitation::expire_stale(conn, group.id, &email_key, now)?;
                    invitation::log(conn, &pending.expired, "expired", None, now)?;
                    // Checked first so one taken group does not abort the
                    // others; the unique index still decides a race.
                    pending.open.then_some(InviteOutcome::AlreadyInvited)
                }
            };
            if let Some(r) = refusal {
                first_refusal.get_or_insert(r);
                continue;
            }
            let label = req.labels.iter().find(|(g, _)| *g == group.id);
            let (nonce, token, token_hash) = env.links.fresh();
            chosen.push(Chosen {
                group_id: group.id,
                name: label.map_or(&group.name, |(_, l)| l),
                nonce,
                token,
                token_hash,
            });
        }
        let Some(first) = chosen.first() else {
            return Err(Stop::Outcome(
                first_refusal.unwrap_or(InviteOutcome::AlreadyInvited),
            ));
        };
        let names: Vec<String> = chosen.iter().map(|c| c.name.to_string()).collect();
        let groups_named = join_names(&names);
        // One group: its description says what it is; several: their names.
        let about = match (chosen.as_slice(), groups_) {
            ([_], [access]) => Some(access.group.description.as_str()).filter(|d| !d.is_empty()),
            _ => None,
        };
        let sent = Sent {
            groups: &groups_named,
            about,
            inviter,
            role: &req.role,
            message: req.message.as_deref(),
            expires_at: expires_at(config, now),
        };
        // The mail is queued first, so each invitation is written once,
        // already naming it (no UPDATE of the row just inserted).
        let mail_id = match &invitee {
            Some(u) => in_app_mail(conn, env, &sent, u, now)?,
            None => mail_link(conn, env, &sent, &email, None, &first.token, now)?,
        };
        let mut ids = Vec::with_capacity(chosen.len());
        for c in &chosen {
            let id = invitation::insert(
                conn,
                &NewInvitation {
                    group_id: c.group_id,
                    inviter_id: inviter.id,
                    invitee_user_id: invitee.as_ref().map(|u| u.id),
                    invitee_email: &email,
                    invitee_email_key: &email_key,
                    role_id: req.role.id,
                    message: req.message.as_deref(),
                    status: InvitationStatus::Pending.as_str(),
                    link_nonce: &c.nonce,
                    token_hash: &c.token_hash,
                    created_at: now,
                    sent_at: now,
                    expires_at: sent.expires_at,
                    batch_id: None,
                    last_mail_id: Some(mail_id),
                },
            )
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    Stop::Outcome(InviteOutcome::AlreadyInvited)
                } else {
                    e.into()
                }
            })?;
            ids.push(id);
        }
        // History, audit and quota counts of every group's invitation at once.
        let group_ids: Vec<i64> = chosen.iter().map(|c| c.group_id).collect();
        invitation::log_send(conn, &ids, &group_ids, "sent", inviter.id, now)?;
        if ids.len() > 1 {
            // One mail, one link: answering it answers every group of the batch.
            invitation::set_batch(conn, &ids, ids[0])?;
        }
        if let Some(u) = &invitee {
            announce_in_app(conn, &sent, u, ids[0], now)?;
        }
        let listed = if groups_.len() > 1 { names } else { Vec::new() };
        Ok((success, listed))
    });
    match result {
        Ok(o) => Ok(o),
        Err(Stop::Outcome(o)) => Ok((o, Vec::new())),
        Err(Stop::Failed(e)) => Err(e),
    }
}

/// A group an entry passed the checks for, with the new invitation's link.
struct Chosen<'a> {
    group_id: i64,
    /// As the messages name it (the community's label, or its name).
    name: &'a str,
    nonce: String,
    token: String,
    token_hash: String,
}

/// An invitation just sent (or re-sent), for the messages that announce it.
struct Sent<'a> {
    /// The group's name, or the batch's names joined ("A, B and C").
    groups: &'a str,
    /// The group's description, when to one group.
    about: Option<&'a str>,
    inviter: &'a User,
    role: &'a Role,
    message: Option<&'a str>,
    expires_at: PrimitiveDateTime,
}

/// A registered invitee hears of it by private message from the inviter
/// (referring to `invitation`, the first of the batch) and a notification,
/// besides the mail ([`in_app_mail`]).
fn announce_in_app(
    conn: &mut DbConn,
    sent: &Sent<'_>,
    invitee: &User,
    invitation: i64,
    now: PrimitiveDateTime,
) -> Result<(), Stop> {
    let group = sent.groups;
    let inviter_name = sent.inviter.display_name();
    let mut body = format!(
        "{inviter_name} invites you to join {group} as {}.",
        sent.role.name
    );
    if let Some(m) = sent.message {
        body.push_str("\n\n");
        body.push_str(m);
    }
    body.push_str("\n\nAccept or decline below, or in your invitations.");
    send_message_with_ref(
        conn,
        Some(sent.inviter.id),
        invitee.id,
        &format!("Invitation to {group}"),
        &body,
        Some(MessageRef {
            kind: "invitation",
            ref_id: invitation,
        }),
        now,
    )?;
    crate::services::notifications::notify_about(
        conn,
        invitee.id,
        "invitation",
        &format!("{inviter_name} invited you to {group}"),
        Some("/invitations"),
        Some(invitation),
        now,
    )?;
    Ok(())
}

/// Queues the mail to a registered invitee, pointing to their invitations;
/// returns its id.
fn in_app_mail(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    sent: &Sent<'_>,
    invitee: &User,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let link = format!("{}/invitations", env.config.base_url);
    queue_mail(
        conn,
        env,
        sent,
        &invitee.email,
        Some(&invitee.first_name),
        true,
        &link,
        now,
    )
}

/// Queues the mail with the invitation's own link, which they need to
/// register: for a plain address, or for a contact (a user without a login
/// yet) greeted by `name`; returns its id.
fn mail_link(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    sent: &Sent<'_>,
    to: &str,
    name: Option<&str>,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    queue_mail(conn, env, sent, to, name, false, &env.join_url(token), now)
}

/// Queues an invitation mail; returns its id, for the invitations it announces.
#[allow(clippy::too_many_arguments)]
fn queue_mail(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    sent: &Sent<'_>,
    to: &str,
    name: Option<&str>,
    registered: bool,
    link: &str,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let m = mail::messages::invitation(&InvitationMail {
        to,
        name,
        inviter: &sent.inviter.display_name(),
        groups: sent.groups,
        role: &sent.role.name,
        message: sent.message,
        registered,
        link,
        expires: &format_when(sent.expires_at),
        about: sent.about,
    })?;
    Ok(mail::enqueue(conn, &m, now, &env.config.host())?)
}

/// Finds an invitation of this group for an admin action (another group's
/// id is not found).
fn of_group(conn: &mut DbConn, access: &GroupAccess, id: i64) -> AppResult<invitation::Invitation> {
    invitation::find(conn, id)?
        .filter(|i| i.group_id == access.group.id)
        .ok_or_else(AppError::not_found)
}

#[derive(Debug, PartialEq, Eq)]
pub enum AdminActionOutcome {
    Done,
    /// Not pending any more (answered, cancelled or expired).
    NotOpen(InvitationStatus),
    QuotaReached,
    /// This invitation was re-sent as often as a day allows.
    ResendLimit,
}

/// "Resend invitation": mails the current link again and restarts the period.
pub fn resend(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    access: &GroupAccess,
    actor: &User,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    policy::may_invite(access)?;
    db::write_tx(conn, |conn| {
        let inv = of_group(conn, access, id)?;
        resend_checked(conn, env, actor, &inv, &access.group.name, now)
    })
}

/// Resends `inv` once the caller has checked `actor` may (a group admin of
/// its group, or the super user of the contact's account); inside the
/// caller's transaction. `groups` names what the mail invites to.
pub(crate) fn resend_checked(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: &User,
    inv: &invitation::Invitation,
    groups: &str,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    let status = inv.effective_status(now);
    // An expired invitation may be re-sent: that is what restarting is for.
    if !matches!(
        status,
        InvitationStatus::Pending | InvitationStatus::Expired
    ) || inv.status != InvitationStatus::Pending.as_str()
    {
        return Ok(AdminActionOutcome::NotOpen(status));
    }
    if quota_reached(conn, env.config, actor.id, inv.group_id, 0, now)? {
        return Ok(AdminActionOutcome::QuotaReached);
    }
    // Taken inside this transaction: clicks arriving at once queue on the
    // counter's row, and a resend that fails later gives its hit back.
    let day_ago = now - time::Duration::DAY;
    let key = format!("resend:{}", inv.id);
    if !rate_limit::take(
        conn,
        &key,
        env.config.resends_per_invitation_per_day,
        day_ago,
        now,
    )? {
        return Ok(AdminActionOutcome::ResendLimit);
    }
    rate_limit::prune(conn, "resend:", day_ago)?;
    let until = expires_at(env.config, now);
    invitation::restart(conn, inv.id, now, until)?;
    invitation::log_send(conn, &[inv.id], &[inv.group_id], "resent", actor.id, now)?;
    let inviter = user::find(conn, inv.inviter_id)?;
    let role = role::find(conn, inv.role_id)?.ok_or_else(AppError::not_found)?;
    let group = crate::models::group::find(conn, inv.group_id)?;
    let sent = Sent {
        groups,
        about: Some(group.description.as_str()).filter(|d| !d.is_empty()),
        inviter: &inviter,
        role: &role,
        message: inv.message.as_deref(),
        expires_at: until,
    };
    let token = env.links.token(&inv.link_nonce);
    let invitee = match inv.invitee_user_id {
        Some(uid) => Some(user::find(conn, uid)?),
        None => None,
    };
    let mail_id = match invitee {
        // A contact (no login yet) needs the link to register, like an address.
        Some(invitee) if invitee.status() != Some(crate::domain::UserStatus::Invited) => {
            in_app_mail(conn, env, &sent, &invitee, now)
        }
        Some(contact) => {
            let name = Some(contact.first_name.as_str());
            mail_link(conn, env, &sent, &contact.email, name, &token, now)
        }
        None => mail_link(conn, env, &sent, &inv.invitee_email, None, &token, now),
    }?;
    invitation::set_last_mail(conn, &[inv.id], mail_id)?;
    Ok(AdminActionOutcome::Done)
}

/// "Generate new invitation": a new link (every earlier one stops working at
/// once) and a new period. The admin copies or re-sends the new link.
pub fn renew(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    access: &GroupAccess,
    actor: &User,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    policy::may_invite(access)?;
    db::write_tx(conn, |conn| {
        let inv = of_group(conn, access, id)?;
        renew_checked(conn, env, actor, &inv, now)
    })
}

/// Renews `inv` once the caller has checked `actor` may; inside the
/// caller's transaction.
pub(crate) fn renew_checked(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: &User,
    inv: &invitation::Invitation,
    now: PrimitiveDateTime,
) -> AppResult<AdminActionOutcome> {
    if inv.status != InvitationStatus::Pending.as_str() {
        return Ok(AdminActionOutcome::NotOpen(inv.effective_status(now)));
    }
    let (nonce, _token, hash) = env.links.fresh();
    invitation::replace_link(conn, inv, &nonce, &hash, now)?;
    invitation::restart(conn, inv.id, now, expires_at(env.config, now))?;
    invitation::log(conn, &[inv.id], "renewed", Some(actor.id), now)?;
    Ok(AdminActionOutcome::Done)
}

/// "A", "A and B", "A, B and C": group names as a mail or a message says them.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Queues the one invitation mail of a wizard batch (a contact, several
/// groups, the first invitation's link) and records it on every invitation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mail_batch(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    inviter: &User,
    role: &Role,
    contact: &User,
    ids: &[i64],
    groups: &str,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let sent = Sent {
        groups,
        about: None,
        inviter,
        role,
        message: None,
        expires_at: expires_at(env.config, now),
    };
    let name = Some(contact.first_name.as_str());
    let mail_id = mail_link(conn, env, &sent, &contact.email, name, token, now)?;
    invitation::set_last_mail(conn, ids, mail_id)?;
    Ok(())
}

/// The link of an invitation, for "Copy invitation link" (admins only).
pub fn link_of(env: &InviteEnv<'_>, inv: &invitation::Invitation) -> String {
    env.join_url(&env.links.token(&inv.link_nonce))
}

/// Cancels every pending invitation `inviter` sent, recording why: they
/// were deactivated.
pub fn revoke_sent_by(
    conn: &mut DbConn,
    inviter: i64,
    actor: Option<i64>,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<usize> {
    let ids = invitation::cancel_sent_by(conn, inviter, now)?;
    invitation::log(conn, &ids, "revoked", actor, now)?;
    Ok(ids.len())
}

/// The invitee accepts or declines from their inbox.
pub fn answer(
    conn: &mut DbConn,
    me: &User,
    invitation_id: i64,
    accept: bool,
    now: PrimitiveDateTime,
) -> AppResult<(AnswerOutcome, String)> {
    db::write_tx(conn, |conn| {
        let inv = invitation::find(conn, invitation_id)?
            .filter(|i| i.invitee_user_id == Some(me.id))
            .ok_or_else(AppError::not_found)?;
        apply_answer(conn, me, &inv, accept, now)
    })
}

/// What declining answers, for the confirmation: the group, the inviter,
/// and the groups of the invitations sent with it (one link answers them
/// all). None when it is not `me`'s to decline or no longer open: the
/// answer itself then says why.
pub struct DeclinePreview {
    pub group: String,
    pub inviter: String,
    pub with_it: Vec<String>,
}

fn decline_preview_of(
    conn: &mut DbConn,
    me: &User,
    inv: &invitation::Invitation,
    siblings: bool,
    now: PrimitiveDateTime,
) -> AppResult<Option<DeclinePreview>> {
    if policy::may_answer_invitation(me, inv).is_err()
        || inv.effective_status(now) != InvitationStatus::Pending
    {
        return Ok(None);
    }
    let Some((group, inviter)) = invitation::names_of(conn, inv.id)? else {
        return Ok(None);
    };
    let mut with_it = Vec::new();
    if siblings {
        for s in invitation::pending_siblings(conn, inv)? {
            if policy::may_answer_invitation(me, &s).is_ok()
                && let Some((g, _)) = invitation::names_of(conn, s.id)?
            {
                with_it.push(g);
            }
        }
    }
    Ok(Some(DeclinePreview {
        group,
        inviter,
        with_it,
    }))
}

/// Before Decline in the inbox or a private message.
pub fn decline_preview(
    conn: &mut DbConn,
    me: &User,
    invitation_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<Option<DeclinePreview>> {
    match invitation::find(conn, invitation_id)? {
        Some(inv) if inv.invitee_user_id == Some(me.id) => {
            decline_preview_of(conn, me, &inv, false, now)
        }
        _ => Ok(None),
    }
}

/// Before Decline on an invitation link's page.
pub fn decline_preview_by_link(
    conn: &mut DbConn,
    me: &User,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<DeclinePreview>> {
    match find_by_link(conn, token)? {
        Some(Ok(inv)) => decline_preview_of(conn, me, &inv, true, now),
        _ => Ok(None),
    }
}

/// Why a link's invitation cannot be answered by this user.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Logged in with another (or an unverified) address: the invitation is
    /// bound to the address it was sent to.
    SentTo(String),
}

/// The invitation behind a link: `None` for an unknown (random or
/// tampered) token, `Err(())` for a link replaced by a newer one.
pub fn find_by_link(
    conn: &mut DbConn,
    token: &str,
) -> AppResult<Option<Result<invitation::Invitation, ()>>> {
    if !tokens::looks_valid(token) {
        return Ok(None);
    }
    let hash = tokens::hash(token);
    if let Some(inv) =
        invitation::find_by_token_hash(conn, &hash)?.filter(|i| tokens::equal(&i.token_hash, &hash))
    {
        return Ok(Some(Ok(inv)));
    }
    Ok(invitation::find_by_retired_hash(conn, &hash)?.map(|_| Err(())))
}

/// The invitee accepts or declines through the invitation's link.
pub fn answer_by_link(
    conn: &mut DbConn,
    me: &User,
    token: &str,
    accept: bool,
    now: PrimitiveDateTime,
) -> AppResult<Result<(AnswerOutcome, String), LinkRefusal>> {
    db::write_tx(conn, |conn| {
        let inv = match find_by_link(conn, token)? {
            Some(Ok(inv)) => inv,
            // A replaced link answers nothing; its page says it is no longer valid.
            Some(Err(())) | None => return Err(AppError::not_found()),
        };
        if policy::may_answer_invitation(me, &inv).is_err() {
            return Ok(Err(LinkRefusal::SentTo(inv.invitee_email)));
        }
        invitation::bind_invitee(conn, inv.id, me.id)?;
        let answered = apply_answer(conn, me, &inv, accept, now)?;
        if matches!(answered.0, AnswerOutcome::NoLongerOpen(_)) {
            return Ok(Ok(answered));
        }
        // The wizard's mail carried one link for the whole batch: its answer
        // answers the sibling invitations too (same transaction, so all or none).
        let mut names = vec![answered.1];
        for sibling in invitation::pending_siblings(conn, &inv)? {
            if policy::may_answer_invitation(me, &sibling).is_ok() {
                invitation::bind_invitee(conn, sibling.id, me.id)?;
                let (o, name) = apply_answer(conn, me, &sibling, accept, now)?;
                if !matches!(o, AnswerOutcome::NoLongerOpen(_)) {
                    names.push(name);
                }
            }
        }
        Ok(Ok((answered.0, join_names(&names))))
    })
}

/// Closes the invitation once (a conditional update decides; the
/// membership's unique index backs it up), adds the membership on accept,
/// records it and tells the inviter.
fn apply_answer(
    conn: &mut DbConn,
    me: &User,
    inv: &invitation::Invitation,
    accept: bool,
    now: PrimitiveDateTime,
) -> AppResult<(AnswerOutcome, String)> {
    let group = crate::models::group::find(conn, inv.group_id)?;
    let to = if accept {
        InvitationStatus::Accepted
    } else {
        InvitationStatus::Declined
    };
    let account = if accept {
        // The account may have changed since the invitation was sent.
        policy::may_enter_group(conn, &group, me.id)??
    } else {
        None
    };
    if invitation::close_if_open(conn, inv.id, to, now)? == 0 {
        return Ok((
            AnswerOutcome::NoLongerOpen(inv.effective_status(now)),
            group.name,
        ));
    }
    // Answered: its notification and private message are done with.
    crate::models::notification::mark_read_about(conn, me.id, "invitation", &[inv.id], now)?;
    crate::models::message::mark_read_announcing(conn, me.id, &[inv.id], now)?;
    if accept && membership::find_with_role(conn, group.id, me.id)?.is_none() {
        groups::add_member(
            conn,
            group.id,
            me.id,
            inv.role_id,
            Some(inv.inviter_id),
            now,
        )?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: me.id,
                subject_user_id: Some(me.id),
                account_id: account,
                group_id: Some(group.id),
                kind: audit::MEMBER_JOINED,
                detail: &format!("Joined by invitation ({})", group.name),
                created_at: now,
            },
        )?;
    }
    invitation::log(conn, &[inv.id], to.as_str(), Some(me.id), now)?;
    let verb = if accept { "accepted" } else { "declined" };
    notify(
        conn,
        inv.inviter_id,
        &format!("invitation_{verb}"),
        &format!(
            "{} {verb} your invitation to {}",
            me.display_name(),
            group.name
        ),
        Some(&format!("/groups/{}/invitations/{}", group.slug, inv.id)),
        now,
    )?;
    let outcome = if accept {
        AnswerOutcome::Accepted
    } else {
        AnswerOutcome::Declined
    };
    Ok((outcome, group.name))
}

/// A group admin cancels a pending invitation of *this* group (an id of
/// another group is not found). False when it was no longer open.
pub fn cancel(
    conn: &mut DbConn,
    access: &GroupAccess,
    actor: &User,
    invitation_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    policy::may_invite(access)?;
    db::write_tx(conn, |conn| {
        let inv = of_group(conn, access, invitation_id)?;
        cancel_checked(conn, actor, &inv, now)
    })
}

/// Cancels `inv` (the caller checked the actor may); false when it was not
/// open any more.
fn cancel_checked(
    conn: &mut DbConn,
    actor: &User,
    inv: &invitation::Invitation,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    if invitation::close_if_open(conn, inv.id, InvitationStatus::Cancelled, now)? == 0 {
        return Ok(false);
    }
    invitation::log(conn, &[inv.id], "cancelled", Some(actor.id), now)?;
    Ok(true)
}

/// What the list's "With the selected" buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Resend,
    Cancel,
}

/// The most invitations one "With the selected" press acts on (a page holds 50).
pub const BULK_MAX: usize = 100;

/// How a "With the selected" press went, invitation by invitation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkReport {
    pub done: usize,
    /// Answered, cancelled or expired in the meantime.
    pub not_open: usize,
    /// Re-sent as often as a day allows, or the daily quota reached.
    pub limited: usize,
}

/// Refuses a press on more than [`BULK_MAX`] invitations (a forged form).
pub fn check_bulk_size(ids: &[i64]) -> AppResult<()> {
    if ids.len() > BULK_MAX {
        return Err(AppError::bad_request(format!(
            "Select at most {BULK_MAX} invitations at once."
        )));
    }
    Ok(())
}

/// Resends or cancels the selected invitations of the group in one
/// transaction; each gets the outcome its own button would give. An id of
/// another group refuses the whole press (a forged form).
pub fn bulk(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    access: &GroupAccess,
    actor: &User,
    ids: &[i64],
    action: BulkAction,
    now: PrimitiveDateTime,
) -> AppResult<BulkReport> {
    policy::may_invite(access)?;
    check_bulk_size(ids)?;
    db::write_tx(conn, |conn| {
        let mut report = BulkReport::default();
        for &id in ids {
            let inv = of_group(conn, access, id)?;
            match action {
                BulkAction::Cancel => match cancel_checked(conn, actor, &inv, now)? {
                    true => report.done += 1,
                    false => report.not_open += 1,
                },
                BulkAction::Resend => {
                    match resend_checked(conn, env, actor, &inv, &access.group.name, now)? {
                        AdminActionOutcome::Done => report.done += 1,
                        AdminActionOutcome::NotOpen(_) => report.not_open += 1,
                        AdminActionOutcome::QuotaReached | AdminActionOutcome::ResendLimit => {
                            report.limited += 1
                        }
                    }
                }
            }
        }
        Ok(report)
    })
}

/// What the page of an invitation link shows.
pub struct LinkView {
    pub invitation: invitation::Invitation,
    pub status: InvitationStatus,
    pub group_name: String,
    pub group_slug: String,
    pub role_name: String,
    pub inviter_name: String,
    /// A contact added by a super user (Add user) not registered yet: what
    /// the super user entered, to start the sign-up form with.
    pub contact: Option<User>,
}

/// `None`: unknown token (404). `Some(Err(()))`: a replaced link.
pub fn link_view(
    conn: &mut DbConn,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<Result<LinkView, ()>>> {
    let inv = match find_by_link(conn, token)? {
        None => return Ok(None),
        Some(Err(())) => return Ok(Some(Err(()))),
        Some(Ok(inv)) => inv,
    };
    let group = crate::models::group::find(conn, inv.group_id)?;
    let role = role::find(conn, inv.role_id)?.ok_or_else(AppError::not_found)?;
    let inviter = user::find(conn, inv.inviter_id)?;
    // A wizard batch: the link answers every group of it, so it names them all.
    let mut names = vec![group.name];
    if inv.status == InvitationStatus::Pending.as_str() {
        for sibling in invitation::pending_siblings(conn, &inv)? {
            names.push(crate::models::group::find(conn, sibling.group_id)?.name);
        }
    }
    let contact = match inv.invitee_user_id {
        Some(id) => Some(user::find(conn, id)?).filter(|u| !u.is_registered()),
        None => None,
    };
    Ok(Some(Ok(LinkView {
        contact,
        status: inv.effective_status(now),
        invitation: inv,
        group_name: join_names(&names),
        group_slug: group.slug,
        role_name: role.name,
        inviter_name: inviter.display_name(),
    })))
}
