//! Askama page structs, one per template.

use crate::auth::Ctx;
use crate::domain::FormErrors;
use crate::models::User;
use crate::models::message::{InboxCursor, InboxRow};
use crate::models::notification::Notification;
use crate::services::accounts::SignupInput;
use crate::services::messages::{ComposeInput, ConversationView};
use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: Ctx,
    pub needs_setup: bool,
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
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    pub ctx: Ctx,
    pub pending: Vec<User>,
    pub next_after: Option<i64>,
}

/// A page with a heading and one paragraph.
#[derive(Template, WebTemplate)]
#[template(path = "simple.html")]
pub struct SimplePage {
    pub ctx: Ctx,
    pub title: &'static str,
    pub text: &'static str,
}

/// How pages show a time (UTC).
pub fn when(t: &time::PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&f).unwrap_or_default()
}

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
