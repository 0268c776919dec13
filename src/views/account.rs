//! A person's own account pages and a super user's Manage Users pages (templates/account/).

use super::*;

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
    pub input: crate::services::manage_users::AddUserInput,
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

/// "Where you're logged in": the visitor's live sessions.
#[derive(Template, WebTemplate)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage {
    pub ctx: Ctx,
    pub sessions: Vec<crate::services::sessions::SessionLine>,
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

#[derive(Template, WebTemplate)]
#[template(path = "account/new.html")]
pub struct AddUserPage {
    pub ctx: Ctx,
    /// 1 details, 2 groups, 3 overview.
    pub step: u8,
    pub input: crate::services::manage_users::AddUserInput,
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

/// Personal access tokens (`/account/tokens`).
#[derive(Template, WebTemplate)]
#[template(path = "account/tokens.html")]
pub struct TokensView {
    pub ctx: Ctx,
    pub page: crate::services::api_tokens::TokensPage,
    pub input: crate::services::api_tokens::TokenInput,
    pub errors: FormErrors,
    /// (name, token) of the token just made: shown this once.
    pub made: Option<(String, String)>,
}

impl TokensView {
    pub fn scopes(&self) -> &'static [(&'static str, &'static str)] {
        &crate::services::api_tokens::SCOPES
    }
    pub fn expiries(&self) -> &'static [i64] {
        &crate::services::api_tokens::EXPIRY_DAYS
    }
    pub fn state_of(&self, t: &crate::models::api_token::ApiToken) -> &'static str {
        if t.revoked_at.is_some() {
            "revoked"
        } else if t.expires_at <= self.ctx.now {
            "expired"
        } else {
            "active"
        }
    }
}
