//! Askama page structs, one per template.

pub mod confirm;
pub mod members;
pub mod timeline;
pub mod tree;
pub use confirm::{ConfirmPage, InvitationChange};
pub use members::MembersPage;

use crate::auth::Ctx;
use crate::domain::{
    AccountKind, Audience, FormErrors, InvitationStatus, JoinMethod, MailStatus, Permission,
    UserStatus,
};
use crate::models::audit::AuditRow;
use crate::models::case::{Case, CaseComment};
use crate::models::company_account::CompanyAccount;
use crate::models::group::{DirectoryEntry, Standing};
use crate::models::invitation::{GroupRow as InvitationRow, InboxRow as InvitationInboxRow};
use crate::models::message::{InboxCursor, InboxRow};
use crate::models::notification::Notification;
use crate::models::{Group, Role, User};
use crate::policy::GroupAccess;
use crate::services::accounts::SignupInput;
use crate::services::cases::CaseInput;
use crate::services::company_accounts::AccountInput;
use crate::services::groups::GroupInput;
use crate::services::invitations::{InviteInput, LinkView};
use crate::services::messages::{ComposeInput, ConversationView};
use crate::services::passwords::LinkState;
use crate::services::roles::{RoleInput, RoleLine};
use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: Ctx,
    pub needs_setup: bool,
    /// Up to 10 of the viewer's groups, by name.
    pub my_groups: Vec<crate::models::group::Reached>,
    /// Up to 5 of the viewer's open invitations, newest first.
    pub pending: Vec<InvitationInboxRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub ctx: Ctx,
    pub login: String,
    pub next: String,
    pub error: Option<&'static str>,
    pub errors: FormErrors,
    /// Offer "Send the link again" (after the right password, unconfirmed address).
    pub offer_resend: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/signup.html")]
pub struct SignupPage {
    pub ctx: Ctx,
    pub input: SignupInput,
    pub errors: FormErrors,
    pub closed: bool,
    pub approval: bool,
    /// Signing up from an invitation link to this group.
    pub invited_to: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/setup.html")]
pub struct SetupPage {
    pub ctx: Ctx,
    pub input: SignupInput,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/check_email.html")]
pub struct CheckEmailPage {
    pub ctx: Ctx,
    pub email: String,
    pub approval: bool,
}

pub enum VerifyState {
    Ready,
    Used,
    Expired,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/verify_email.html")]
pub struct VerifyEmailPage {
    pub ctx: Ctx,
    pub token: String,
    pub state: VerifyState,
    /// The username the link confirms the address for.
    pub account: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    pub ctx: Ctx,
    pub pending: Vec<User>,
    pub next_after: Option<i64>,
    /// Company accounts by name (one page).
    pub accounts: Vec<CompanyAccount>,
    pub accounts_next: Option<String>,
    /// The create-account form, kept with its errors.
    pub account_input: AccountInput,
    pub errors: FormErrors,
}

impl AdminPage {
    pub fn kinds(&self) -> [AccountKind; 3] {
        AccountKind::ALL
    }
}

/// The audit trail: `/admin/audit` (every event) or `/account/audit` (one
/// account's).
#[derive(Template, WebTemplate)]
#[template(path = "audit/index.html")]
pub struct AuditPage {
    pub ctx: Ctx,
    pub title: &'static str,
    /// The page's own path, for the filter form and the next-page link.
    pub path: &'static str,
    pub rows: Vec<AuditRow>,
    pub user: String,
    /// The filter named nobody: say so rather than show everything.
    pub unknown_user: bool,
    pub next_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/users.html")]
pub struct ManageUsersPage {
    pub ctx: Ctx,
    pub account: CompanyAccount,
    pub users: Vec<User>,
    pub q: String,
    pub show_deactivated: bool,
    pub next_href: Option<String>,
    pub me: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/user.html")]
pub struct UserDetailPage {
    pub ctx: Ctx,
    pub subject: User,
    pub groups: Vec<crate::models::group::Reached>,
    pub history: Vec<AuditRow>,
    pub me: i64,
    /// While the subject is an unregistered contact with a pending invitation.
    pub invitation: Option<ContactInvitationView>,
    /// **Invite to Community**, while the subject is an unregistered contact
    /// with no open invitation.
    pub reinvite: Option<ReinviteView>,
}

/// The **Invite to Community** form of a contact's page: the wizard's
/// groups step (the offered groups, its search box), kept across a search
/// or a refusal.
pub struct ReinviteView {
    pub input: crate::services::add_user::AddUserInput,
    pub errors: FormErrors,
    /// Offered groups matching the search.
    pub shown: Vec<Group>,
    pub offered: Vec<Group>,
    pub ttl_days: i64,
}

impl ReinviteView {
    pub fn chosen(&self) -> Vec<&Group> {
        self.offered
            .iter()
            .filter(|g| self.input.has_group(&g.id))
            .collect()
    }
    pub fn is_shown(&self, id: &i64) -> bool {
        self.shown.iter().any(|g| g.id == *id)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/index.html")]
pub struct CasesPage {
    pub ctx: Ctx,
    /// False: the viewer is in no account (or not active in it).
    pub member: bool,
    pub all_of_account: bool,
    pub rows: Vec<(Case, Option<String>)>,
    pub next_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/new.html")]
pub struct NewCasePage {
    pub ctx: Ctx,
    pub member: bool,
    pub input: CaseInput,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/show.html")]
pub struct CasePage {
    pub ctx: Ctx,
    pub case: Case,
    pub raised_by: String,
    pub comments: Vec<(CaseComment, Option<String>)>,
    pub next_href: Option<String>,
    pub body: String,
    pub errors: FormErrors,
}

/// "Where you're logged in": the visitor's live sessions.
#[derive(Template, WebTemplate)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage {
    pub ctx: Ctx,
    pub sessions: Vec<crate::services::sessions::SessionLine>,
}

/// "Forgot your password?": the form, or its one answer for every address.
#[derive(Template, WebTemplate)]
#[template(path = "auth/forgot.html")]
pub struct ForgotPasswordPage {
    pub ctx: Ctx,
    pub email: String,
    pub errors: FormErrors,
    pub sent: bool,
}

/// A reset link's page: the new-password form while the link works.
#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
pub struct ResetPasswordPage {
    pub ctx: Ctx,
    pub token: String,
    pub state: LinkState,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct ChangePasswordPage {
    pub ctx: Ctx,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/email.html")]
pub struct ChangeEmailPage {
    pub ctx: Ctx,
    pub current: String,
    /// A new address waiting for its link to be opened.
    pub pending: Option<String>,
    pub email: String,
    pub errors: FormErrors,
}

impl ChangeEmailPage {
    pub fn hours(&self) -> i64 {
        crate::services::passwords::EMAIL_CHANGE_HOURS
    }
}

/// The page a link to a new address opens: its button confirms.
#[derive(Template, WebTemplate)]
#[template(path = "account/confirm_email.html")]
pub struct ConfirmEmailPage {
    pub ctx: Ctx,
    pub token: String,
    pub state: LinkState,
    pub errors: FormErrors,
}

/// A page with a heading and one paragraph.
#[derive(Template, WebTemplate)]
#[template(path = "simple.html")]
pub struct SimplePage {
    pub ctx: Ctx,
    pub title: &'static str,
    pub text: &'static str,
}

/// How pages show a time (UTC): "2026-11-30 14:05 UTC". Written straight
/// into the page: digits into a fixed buffer (no format description to
/// interpret, no String, no padding logic), and not passed through the HTML
/// escaper, since it holds only digits, '-', ':', ' ' and "UTC".
pub fn when(t: &time::PrimitiveDateTime) -> When {
    When(*t)
}

pub struct When(time::PrimitiveDateTime);

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.0;
        let mut buf = *b"0000-00-00 00:00 UTC";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        // Years outside 0..=9999 never reach a page (stamps are validated
        // dates of this era); clamp rather than print a wrong digit count.
        put(0, 4, t.year().clamp(0, 9999) as u32);
        put(5, 2, u8::from(t.month()).into());
        put(8, 2, t.day().into());
        put(11, 2, t.hour().into());
        put(14, 2, t.minute().into());
        // Only ASCII digits and the template's own ASCII were written.
        f.write_str(std::str::from_utf8(&buf).map_err(|_| std::fmt::Error)?)
    }
}

impl askama::filters::HtmlSafe for When {}

#[derive(Template, WebTemplate)]
#[template(path = "messages/inbox.html")]
pub struct InboxPage {
    pub ctx: Ctx,
    pub rows: Vec<InboxRow>,
    pub next: Option<InboxCursor>,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages/conversation.html")]
pub struct ConversationPage {
    pub ctx: Ctx,
    pub view: ConversationView,
    pub reply_body: String,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages/new.html")]
pub struct ComposePage {
    pub ctx: Ctx,
    pub input: ComposeInput,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/index.html")]
pub struct NotificationsPage {
    pub ctx: Ctx,
    pub rows: Vec<Notification>,
    pub next_before: Option<i64>,
    /// The newest notification shown: "Mark all as read" stops there.
    pub up_to: i64,
}

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

/// Two letters for an initials avatar: "Bob Tester" → "BT".
pub fn initials(first: &str, last: &str) -> String {
    first
        .chars()
        .next()
        .into_iter()
        .chain(last.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

/// One of eight avatar colours (CSS `avatar-0` … `avatar-7`), the same
/// for the same name on every page.
pub fn avatar_hue(first: &str, last: &str) -> u32 {
    first
        .bytes()
        .chain(last.bytes())
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 8
}

/// "3 hours ago", "in 6 days", shown with the exact time in its `title`.
pub fn relative(t: &time::PrimitiveDateTime, now: &time::PrimitiveDateTime) -> Relative {
    Relative { at: *t, now: *now }
}

pub struct Relative {
    at: time::PrimitiveDateTime,
    now: time::PrimitiveDateTime,
}

impl Relative {
    pub fn exact(&self) -> When {
        When(self.at)
    }
    /// The `datetime` attribute of `<time>`.
    pub fn iso(&self) -> String {
        let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        self.at.format(&f).unwrap_or_default()
    }
}

impl std::fmt::Display for Relative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.at - self.now;
        let future = d.is_positive();
        let secs = d.whole_seconds().unsigned_abs();
        // Rounded to the nearest unit: a link sent a minute ago "expires in 7 days".
        let (size, unit) = match secs {
            0..60 => return f.write_str(if future { "in a moment" } else { "just now" }),
            60..3600 => (60, "minute"),
            3600..86_400 => (3600, "hour"),
            86_400..2_592_000 => (86_400, "day"),
            2_592_000..31_536_000 => (2_592_000, "month"),
            _ => (31_536_000, "year"),
        };
        let n = (secs + size / 2) / size;
        let s = if n == 1 { "" } else { "s" };
        if future {
            write!(f, "in {n} {unit}{s}")
        } else {
            write!(f, "{n} {unit}{s} ago")
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "invitations/inbox.html")]
pub struct InvitationInboxPage {
    pub ctx: Ctx,
    pub rows: Vec<InvitationInboxRow>,
    /// Every open invitation of the visitor, this page's and the others.
    pub total: i64,
    /// Set on a later page: how many newer ones came before it.
    pub older_page: bool,
    /// The `before` of the next (older) page.
    pub next_before: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "invitations/join.html")]
pub struct JoinPage {
    pub ctx: Ctx,
    pub token: String,
    /// `None`: a link replaced by a newer one.
    pub view: Option<LinkView>,
    /// The logged-in user is the one the invitation was sent to.
    pub addressed_to_me: bool,
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

#[derive(Template, WebTemplate)]
#[template(path = "account/new.html")]
pub struct AddUserPage {
    pub ctx: Ctx,
    /// 1 details, 2 groups, 3 overview.
    pub step: u8,
    pub input: crate::services::add_user::AddUserInput,
    pub errors: FormErrors,
    /// Step 2: the offered groups matching the search.
    pub shown: Vec<Group>,
    /// Every offered group (to name the chosen ones and keep the chosen
    /// ones the search hides).
    pub offered: Vec<Group>,
}

impl AddUserPage {
    pub fn chosen(&self) -> Vec<&Group> {
        self.offered
            .iter()
            .filter(|g| self.input.has_group(&g.id))
            .collect()
    }
    pub fn is_shown(&self, id: &i64) -> bool {
        self.shown.iter().any(|g| g.id == *id)
    }
}

/// A contact's invitation as their detail page shows it.
pub struct ContactInvitationView {
    pub groups: String,
    pub link: String,
    pub status: InvitationStatus,
    pub expires: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_show_to_the_minute_in_utc() {
        let t = time::macros::datetime!(2026-01-05 03:07:59);
        assert_eq!(super::when(&t).to_string(), "2026-01-05 03:07 UTC");
        let t = time::macros::datetime!(0999-12-31 23:59:00);
        assert_eq!(super::when(&t).to_string(), "0999-12-31 23:59 UTC");
    }
}
