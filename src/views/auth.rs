//! Sign-in, sign-up, address checks and password reset pages (templates/auth/).

use super::*;

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
