//! Groups: directory, new, settings, roles, home, invite, invite result, Sent invitations and one invitation (templates/groups/).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "groups/index.html")]
pub struct GroupsPage {
    pub ctx: Ctx,
    pub entries: Vec<DirectoryEntry>,
    pub q: String,
    /// The link to the next page, if there is one.
    pub next_href: Option<String>,
}

impl GroupsPage {
    pub fn is_member(&self, e: &DirectoryEntry) -> bool {
        e.standing == Standing::Member
    }
    pub fn has_requested(&self, e: &DirectoryEntry) -> bool {
        e.standing == Standing::Requested
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/new.html")]
pub struct NewGroupPage {
    pub ctx: Ctx,
    pub input: GroupInput,
    pub errors: FormErrors,
    /// The main community a managed community is created in.
    pub parent: Option<Group>,
}

impl NewGroupPage {
    pub fn join_methods(&self) -> [JoinMethod; 3] {
        JoinMethod::ALL
    }
    pub fn audiences(&self) -> [Audience; 3] {
        Audience::ALL
    }
}

/// A group's settings: where it sits among communities.
#[derive(Template, WebTemplate)]
#[template(path = "groups/settings.html")]
pub struct GroupSettingsPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    /// The group's main community, if it has one.
    pub parent: Option<Group>,
    /// The `parent` field as typed, and its error.
    pub parent_input: String,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/roles.html")]
pub struct RolesPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    pub entries: Vec<RoleEntry>,
    /// The new-role form as typed, and its errors.
    pub input: RoleInput,
    pub errors: FormErrors,
}

/// A role of the roles page with its edit form (the role as it is, or as
/// typed when saving it was refused).
pub struct RoleEntry {
    pub line: RoleLine,
    pub input: RoleInput,
    pub errors: FormErrors,
    /// Its edit form starts open.
    pub open: bool,
}

impl RolesPage {
    pub fn all_perms(&self) -> [Permission; 5] {
        Permission::ALL
    }
    pub fn has_own(&self) -> bool {
        self.entries.iter().any(|e| e.line.is_own())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/show.html")]
pub struct GroupPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    /// The viewer's request to join is waiting.
    pub requested: bool,
    /// The communities above the group, the top one first.
    pub path: Vec<Group>,
    /// The community tree it is part of, from the top community down (empty
    /// for a group alone).
    pub tree: Vec<tree::TreeNode>,
    /// How many belong to the group itself (with `view_members`).
    pub member_count: i64,
    /// The newest members, newest first (empty without `view_members`).
    pub newest: Vec<crate::models::membership::Newest>,
    /// The viewer is its last admin: Leave would be refused.
    pub last_manager: bool,
    /// The viewer may not invite but may suggest someone.
    pub suggests: bool,
}

impl GroupPage {
    /// Nobody but the viewer yet: the page invites them to invite.
    pub fn is_empty_for_admin(&self) -> bool {
        self.can_manage_members() && self.member_count <= 1
    }
    /// The initials shown beside the count: the five newest.
    pub fn faces(&self) -> &[crate::models::membership::Newest] {
        &self.newest[..self.newest.len().min(5)]
    }
    pub fn can_manage_members(&self) -> bool {
        self.access.can(Permission::ManageMember)
    }
    pub fn can_view_members(&self) -> bool {
        self.access.can(Permission::ViewMembers)
    }
    pub fn can_manage_group(&self) -> bool {
        self.access.can(Permission::ManageGroup) || self.ctx.is_site_admin()
    }
    /// The community the viewer's inherited access comes from.
    pub fn inherited_from(&self) -> Option<(&str, &str)> {
        let i = self.access.inherited.as_ref()?;
        let g = self.path.iter().find(|g| g.id == i.from)?;
        Some((g.name.as_str(), i.role.name.as_str()))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/invite.html")]
pub struct InvitePage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    /// Other groups the inviter administers, for "Also invite to".
    pub also_groups: Vec<Group>,
    /// The managed communities below the group (empty for a plain group).
    pub managed: Vec<Group>,
    /// What the invitation grants, as the preview says it.
    pub reach: String,
    /// The roles the inviter may give.
    pub roles: Vec<Role>,
    pub selected_role: i64,
    pub input: InviteInput,
    pub errors: FormErrors,
    /// The invitation mail as the invitee will get it.
    pub preview: crate::mail::OutgoingMail,
    pub preview_open: bool,
    /// Invitations are off here (the policy's rule): no form.
    pub off: Option<crate::policy::Breach>,
}

impl InvitePage {
    /// What inviting to the whole community grants, for the page's script.
    pub fn whole_reach(&self) -> String {
        crate::services::invitations::whole_community(&self.access.group, self.managed.len())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/invite_result.html")]
pub struct InviteResultPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    pub result: crate::services::invite_reports::InviteResult,
}

impl InviteResultPage {
    /// The heading says how it went.
    pub fn heading(&self) -> &'static str {
        match (self.result.invited, self.result.refused) {
            (_, 0) => "Invitations sent",
            (0, _) => "No invitations sent",
            _ => "Some invitations not sent",
        }
    }

    pub fn summary(&self) -> String {
        self.result.summary.join(" · ")
    }

    fn again(&self) -> String {
        format!(
            "/groups/{}/invite?from={}",
            self.access.group.slug, self.result.report.id
        )
    }

    /// "Invite more": the same role, message and groups, an empty list.
    pub fn more_href(&self) -> String {
        self.again()
    }

    /// "Fix N entries": the refused entries back in the form.
    pub fn fix_href(&self) -> String {
        format!("{}&fix=1", self.again())
    }

    pub fn fix_label(&self) -> String {
        match self.result.refused {
            1 => "Fix 1 entry".into(),
            n => format!("Fix {n} entries"),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/invitations.html")]
pub struct InvitationsPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    pub rows: Vec<InvitationRow>,
    /// Each row's invitation link, for "Copy invitation link".
    pub links: Vec<String>,
    pub next_before: Option<i64>,
    pub now: time::PrimitiveDateTime,
    /// The tab shown, the search typed (may be empty), every tab's count.
    pub tab: InvitationStatus,
    pub q: String,
    pub counts: crate::models::invitation::TabCounts,
}

/// The tabs of a group's invitations page, in order, with their labels.
pub const INVITATION_TABS: [(InvitationStatus, &str); 5] = [
    (InvitationStatus::Pending, "Pending"),
    (InvitationStatus::Accepted, "Accepted"),
    (InvitationStatus::Declined, "Declined"),
    (InvitationStatus::Expired, "Expired"),
    (InvitationStatus::Cancelled, "Cancelled"),
];

impl InvitationsPage {
    pub fn status(&self, r: &InvitationRow) -> &'static str {
        crate::domain::InvitationStatus::effective(r.status, r.expires_at, self.now).as_str()
    }
    pub fn count(&self, tab: &InvitationStatus) -> i64 {
        self.counts.of(*tab)
    }
    pub fn tabs(&self) -> &'static [(InvitationStatus, &'static str)] {
        &INVITATION_TABS
    }
    pub fn tab_label(&self) -> &'static str {
        INVITATION_TABS
            .iter()
            .find(|(t, _)| *t == self.tab)
            .map_or("", |(_, l)| l)
    }
    /// The tab's address, keeping the search.
    pub fn tab_url(&self, tab: &InvitationStatus) -> String {
        let mut url = format!(
            "/groups/{}/invitations?status={}",
            self.access.group.slug,
            tab.as_str()
        );
        if !self.q.is_empty() {
            url.push_str("&q=");
            url.push_str(&crate::error::urlencode(&self.q));
        }
        url
    }
    /// The shown tab without the search.
    pub fn clear_url(&self) -> String {
        format!(
            "/groups/{}/invitations?status={}",
            self.access.group.slug,
            self.tab.as_str()
        )
    }
    /// The status bar's segments: (status, x, width) on a 0..1000 scale,
    /// every non-empty status at least 4 wide so a single one shows.
    pub fn bar_segments(&self) -> Vec<(&'static str, i64, i64)> {
        let total = self.counts.total().max(1);
        let mut x = 0;
        let mut out = Vec::new();
        for (t, _) in INVITATION_TABS.iter() {
            let n = self.counts.of(*t);
            if n == 0 {
                continue;
            }
            let w = (n * 1000 / total).max(4);
            out.push((t.as_str(), x, w));
            x += w;
        }
        out
    }
    /// The status bar in words, for screen readers.
    pub fn bar_label(&self) -> String {
        let parts: Vec<String> = INVITATION_TABS
            .iter()
            .map(|(t, l)| format!("{} {}", self.counts.of(*t), l.to_lowercase()))
            .collect();
        format!("Invitations by status: {}", parts.join(", "))
    }
    /// Rows that can still be resent or cancelled (pending, or expired
    /// without having been closed) get a checkbox.
    pub fn selectable(&self) -> bool {
        matches!(
            self.tab,
            InvitationStatus::Pending | InvitationStatus::Expired
        )
    }
    pub fn next_url(&self, before: &i64) -> String {
        format!("{}&before={before}", self.tab_url(&self.tab))
    }
    pub fn relative(&self, t: &time::PrimitiveDateTime) -> Relative {
        relative(t, &self.now)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "groups/invitation.html")]
pub struct InvitationPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    pub invitation: crate::models::invitation::Invitation,
    pub status: InvitationStatus,
    pub link: String,
    pub events: Vec<crate::models::invitation::EventRow>,
    /// The last mail sent for it.
    pub mail: Option<crate::models::outbox::OutboxMail>,
}

/// A community's invitation policy (`/groups/{slug}/policy`).
#[derive(Template, WebTemplate)]
#[template(path = "groups/policy.html")]
pub struct PolicyPage {
    pub ctx: Ctx,
    pub access: GroupAccess,
    /// The communities above with rules of their own, top first (read-only).
    pub above: Vec<crate::models::invitation_policy::Level>,
    pub input: crate::services::invitation_policy::PolicyInput,
    pub errors: FormErrors,
    pub breaking: Vec<crate::services::invitation_policy::Breaking>,
    pub more_breaking: bool,
}

impl PolicyPage {
    /// Which "Who may invite" choice is checked.
    pub fn who_is(&self, value: &str) -> bool {
        match self.input.who_may_invite.as_str() {
            "admins" | "members" => self.input.who_may_invite == value,
            _ => value == "managers",
        }
    }

    /// A community's rules in sentences, for the read-only list.
    pub fn said(&self, r: &crate::domain::invitation_policy::Rules) -> String {
        use crate::domain::invitation_policy::WhoMayInvite;
        let mut s = Vec::new();
        if r.off {
            s.push("Invitations are off.".to_string());
        }
        if !r.allowed.is_empty() {
            let subs = if r.include_subdomains {
                " and their subdomains"
            } else {
                ""
            };
            s.push(format!("Only addresses at {}{subs}.", r.allowed.spoken()));
        }
        if !r.blocked.is_empty() {
            s.push(format!("Never addresses at {}.", r.blocked.spoken()));
        }
        if r.block_disposable {
            s.push("No disposable addresses.".into());
        }
        s.push(match r.who {
            WhoMayInvite::Admins => "Only admins may invite.".into(),
            WhoMayInvite::Managers => "Anyone who manages members may invite.".into(),
            WhoMayInvite::Members => {
                "Anyone who manages members may invite; other members suggest someone.".into()
            }
        });
        s.join(" ")
    }
}

/// A group's suggestions (`/groups/{slug}/suggestions`): "Suggest someone"
/// for members who may not invite, Approve / Decline for those who do.
#[derive(Template, WebTemplate)]
#[template(path = "groups/suggestions.html")]
pub struct SuggestionsView {
    pub ctx: Ctx,
    pub page: crate::services::suggestions::SuggestionsPage,
    pub input: crate::services::suggestions::SuggestInput,
    pub errors: FormErrors,
    pub now: time::PrimitiveDateTime,
}

impl SuggestionsView {
    pub fn relative(&self, t: &time::PrimitiveDateTime) -> Relative {
        relative(t, &self.now)
    }

    /// Whether the "Suggest someone" form is shown: a member who may not
    /// invite, where the community takes suggestions.
    pub fn shows_form(&self) -> bool {
        !self.page.decides && self.page.may_suggest.is_ok()
    }

    /// Why a member who may not invite cannot suggest here, if so.
    pub fn closed(&self) -> Option<&'static str> {
        match self.page.may_suggest {
            Err(d) if !self.page.decides => Some(d.message()),
            _ => None,
        }
    }

    pub fn status_of(&self, s: &crate::models::suggestion::Suggestion) -> &'static str {
        s.effective_status(self.now).as_str()
    }
}

/// A group's multi-use join links (`/groups/{slug}/links`).
#[derive(Template, WebTemplate)]
#[template(path = "groups/links.html")]
pub struct LinksView {
    pub ctx: Ctx,
    pub page: crate::services::join_links::LinksPage,
    pub input: crate::services::join_links::LinkInput,
    pub errors: FormErrors,
    pub now: time::PrimitiveDateTime,
}

impl LinksView {
    pub fn relative(&self, t: &time::PrimitiveDateTime) -> Relative {
        relative(t, &self.now)
    }

    pub fn state_of(&self, l: &crate::models::join_link::JoinLink) -> &'static str {
        l.state(self.now).as_str()
    }

    pub fn is_active(&self, l: &crate::models::join_link::JoinLink) -> bool {
        l.state(self.now) == crate::models::join_link::LinkState::Active
    }

    pub fn role_selected(&self, id: &i64) -> bool {
        self.input.role_id.trim() == id.to_string()
            || (self.input.role_id.is_empty()
                && self
                    .page
                    .roles
                    .iter()
                    .any(|r| r.id == *id && r.name == crate::models::role::GROUP_MEMBER))
    }
}

/// "Upload a CSV" on a group's invite page.
#[derive(Template, WebTemplate)]
#[template(path = "groups/csv_upload.html")]
pub struct CsvUploadPage {
    pub ctx: Ctx,
    pub info: crate::services::csv_invites::UploadInfo,
    /// Why the last file was refused as a whole.
    pub error: Option<String>,
}

impl CsvUploadPage {
    pub fn max_rows(&self) -> usize {
        crate::domain::csv_invites::MAX_ROWS
    }
}

/// A CSV import: its dry run, then its progress and outcome.
#[derive(Template, WebTemplate)]
#[template(path = "groups/csv_import.html")]
pub struct CsvImportView {
    pub ctx: Ctx,
    pub page: crate::services::csv_invites::ImportPage,
    /// The refused rows listed start after this line.
    pub after: i32,
}

impl CsvImportView {
    pub fn state(&self) -> &'static str {
        self.page.import.state().as_str()
    }
    pub fn is_checked(&self) -> bool {
        self.page.import.state() == crate::models::csv_import::ImportState::Checked
    }
    pub fn is_sending(&self) -> bool {
        self.page.import.state() == crate::models::csv_import::ImportState::Sending
    }
    /// "12 will be invited", one per outcome, most first.
    pub fn counted(&self) -> Vec<String> {
        self.page
            .counts
            .iter()
            .map(|(code, n)| crate::domain::csv_invites::RowClass::counted(code, *n))
            .collect()
    }
    pub fn refused_total(&self) -> i64 {
        self.page
            .counts
            .iter()
            .filter(|(c, _)| !crate::domain::csv_invites::RowClass::from_code(c, "").is_success())
            .map(|(_, n)| n)
            .sum()
    }
    pub fn going_total(&self) -> i64 {
        self.page.import.rows_total as i64 - self.refused_total()
    }
    /// The next page of refused rows, when this one is full.
    pub fn next_href(&self) -> Option<String> {
        let last = self.page.refused.last()?;
        (self.page.refused.len() as i64 == crate::services::csv_invites::LISTED).then(|| {
            format!(
                "/groups/{}/invite/csv/{}?after={}",
                self.page.access.group.slug, self.page.import.id, last.line
            )
        })
    }
    pub fn label(&self, r: &crate::models::csv_import::Row) -> String {
        r.class().label()
    }
}

/// A community's webhooks (`/groups/{slug}/webhooks`).
#[derive(Template, WebTemplate)]
#[template(path = "groups/webhooks.html")]
pub struct WebhooksView {
    pub ctx: Ctx,
    pub page: crate::services::webhooks::HooksPage,
    pub input: crate::services::webhooks::HookInput,
    pub errors: FormErrors,
    /// A hook just made: its id and secret, shown this once.
    pub made: Option<(i64, String)>,
    pub now: time::PrimitiveDateTime,
}

impl WebhooksView {
    pub fn events(&self) -> &'static [(&'static str, &'static str)] {
        &crate::domain::webhook::EVENTS
    }
    pub fn relative(&self, t: &time::PrimitiveDateTime) -> Relative {
        relative(t, &self.now)
    }
}

/// One webhook and its deliveries (`/groups/{slug}/webhooks/{id}`).
#[derive(Template, WebTemplate)]
#[template(path = "groups/webhook.html")]
pub struct WebhookView {
    pub ctx: Ctx,
    pub page: crate::services::webhooks::HookPage,
    pub now: time::PrimitiveDateTime,
}

impl WebhookView {
    pub fn relative(&self, t: &time::PrimitiveDateTime) -> Relative {
        relative(t, &self.now)
    }
    /// The payload as sent, indented for reading.
    pub fn pretty(&self, payload: &str) -> String {
        serde_json::from_str::<serde_json::Value>(payload)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| payload.to_string())
    }
}
