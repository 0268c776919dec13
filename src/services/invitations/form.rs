//! The invite form: what was typed, checked against the roles and groups
//! the inviter may choose, and the reach it grants.

use super::*;

pub use crate::domain::MESSAGE_MAX;

/// The invite form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct InviteInput {
    #[serde(default)]
    pub send_to: String,
    #[serde(default)]
    pub role_id: String,
    #[serde(default)]
    pub message: String,
    /// "Tell me when it is accepted" (a checkbox: present when ticked).
    #[serde(default)]
    pub tell_me: Option<String>,
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
    /// The page's script sends a long list in slices: the later ones name
    /// the report the first one started.
    #[serde(skip)]
    pub report: Option<i64>,
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
                "tell_me" => input.tell_me = Some(v),
                "action" => input.action = Some(v),
                "also" => push_id(&mut input.also, &v),
                "scope" => input.scope = v,
                "community" => push_id(&mut input.communities, &v),
                "report" => input.report = v.trim().parse().ok(),
                _ => {}
            }
        }
        input
    }
}

/// "2 entries are neither a username nor an e-mail address: "a@", "b c".
/// Correct or remove them." Names at most five, each cut short.
pub(super) fn invalid_entries_message(invalid: &[&str]) -> String {
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
    /// Whether "Tell me when it is accepted" is ticked.
    pub fn tells_me(&self) -> bool {
        self.tell_me.is_some()
    }

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
        if self.tells_me() {
            out.append_pair("tell_me", "on");
        }
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

pub(super) fn push_id(ids: &mut Vec<i64>, v: &str) {
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
    /// "Tell me when it is accepted".
    pub tell_inviter: bool,
    /// How a group is named in the mail when it says more than the name
    /// (a community and its managed communities).
    pub labels: Vec<(i64, String)>,
}

/// Other groups offered under "Also invite to", at most.
const ALSO_SHOWN: i64 = 50;
/// Managed communities offered on a community's invite form, at most.
const MANAGED_SHOWN: i64 = 200;

/// What the invite form offers the inviter, and the mail as the invitee
/// would get it from what was typed.
pub struct InviteChoices {
    /// The roles the inviter may give.
    pub roles: Vec<Role>,
    /// Other groups the inviter administers, for "Also invite to" (the
    /// managed communities are offered under "Invite to" instead).
    pub also_groups: Vec<Group>,
    /// The managed communities below the group (empty for a plain group).
    pub managed: Vec<Group>,
    /// What the invitation grants, as the preview says it.
    pub reach: String,
    pub selected_role: i64,
    pub preview: mail::OutgoingMail,
    /// "Invitations off" at the group's level or above: the rule and whose.
    pub off: Option<policy::Breach>,
}

impl crate::services::App {
    /// The invite form's choices for `inviter` in `access`'s group, with
    /// `input`'s role (else GroupMember) chosen.
    pub async fn invite_choices(
        &self,
        inviter: &User,
        access: &GroupAccess,
        input: &InviteInput,
    ) -> AppResult<InviteChoices> {
        let (a, viewer) = (access.clone(), inviter.clone());
        let (roles, also_groups, managed, off) = db::run(&self.pool, move |c| {
            let levels = crate::models::invitation_policy::along_path(c, a.group.id)?;
            Ok((
                grantable_roles(c, &a, &viewer)?,
                crate::models::group::managed_by(c, viewer.id, a.group.id, ALSO_SHOWN)?,
                crate::models::group_tree::descendants(c, a.group.id, MANAGED_SHOWN)?,
                policy::invitations_off(&levels),
            ))
        })
        .await?;
        let also_groups: Vec<_> = also_groups
            .into_iter()
            .filter(|g| !managed.iter().any(|m| m.id == g.id))
            .collect();
        let chosen = input.role_id.trim().parse::<i64>().ok();
        let role = roles
            .iter()
            .find(|r| Some(r.id) == chosen)
            .or_else(|| roles.iter().find(|r| r.name == role::GROUP_MEMBER));
        let message = input.message.trim();
        let reach = reach(&access.group, &managed, input);
        // The group's description goes in when the invitation is to it alone.
        let about = (reach == access.group.name).then_some(access.group.description.as_str());
        let preview = preview(
            &self.config,
            &reach,
            about,
            inviter,
            role,
            (!message.is_empty()).then_some(message),
            self.clock.now(),
        )?;
        let selected_role = role.map(|r| r.id).unwrap_or_default();
        Ok(InviteChoices {
            roles,
            also_groups,
            managed,
            reach,
            selected_role,
            preview,
            off,
        })
    }
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
                tell_inviter: self.tells_me(),
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
