//! Sign-up, log-in, log-out, e-mail verification and the first-admin set-up.

use super::{Unprocessable, no_referrer, see_other};
use crate::auth::{Ctx, session};
use crate::config::SignupMode;
use crate::db;
use crate::domain::FormErrors;
use crate::error::urlencode;
use crate::error::{AppError, AppResult};
use crate::models::user;
use crate::services::invitations;
use crate::services::login::{self, LoginOutcome};
use crate::services::registration::{self, Resent, SignupInput, VerifyOutcome};
use crate::services::sessions;
use crate::state::AppState;
use crate::views::{
    CheckEmailPage, LoginPage, SetupPage, SignupPage, VerifyEmailPage, VerifyState,
};
use actix_web::{Either, HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(signup_form)
        .service(signup)
        .service(login_form)
        .service(login_submit)
        .service(logout)
        .service(resend_verification)
        .service(verify_email_page)
        .service(verify_email)
        .service(setup_form)
        .service(setup);
}

type Page<T> = AppResult<Either<T, HttpResponse>>;

fn signup_page(ctx: Ctx, state: &AppState, input: SignupInput, errors: FormErrors) -> SignupPage {
    SignupPage {
        ctx,
        input,
        errors,
        closed: state.config.signup == SignupMode::Closed,
        approval: state.config.signup == SignupMode::Approval,
        invited_to: None,
    }
}

#[derive(Deserialize)]
struct SignupQuery {
    invitation: Option<String>,
}

/// The open invitation behind a sign-up from a link, if any.
async fn invitation_of(
    state: &AppState,
    token: &str,
) -> AppResult<Option<crate::services::invitations::LinkView>> {
    if token.is_empty() {
        return Ok(None);
    }
    let (t, now) = (token.to_string(), state.clock.now());
    let found = db::run(&state.pool, move |c| invitations::link_view(c, &t, now)).await?;
    Ok(match found {
        invitations::LinkLookup::Found(v)
            if v.status == crate::domain::InvitationStatus::Pending =>
        {
            Some(v)
        }
        _ => None,
    })
}

#[get("/signup")]
async fn signup_form(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    q: web::Query<SignupQuery>,
) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other("/"));
    }
    let mut input = SignupInput::default();
    let token = q.into_inner().invitation.unwrap_or_default();
    let mut invited_to = None;
    if !token.is_empty() {
        // A link that cannot be answered any more goes back to its page, which says why.
        let Some(v) = invitation_of(&state, &token).await? else {
            return Ok(see_other(&format!("/join/{}", urlencode(&token))));
        };
        input.email = v.invitation.invitee_email.clone();
        input.invitation = token;
        // Added by a super user: the names (and phone) they entered.
        if let Some(c) = v.contact {
            input.first_name = c.first_name;
            input.last_name = c.last_name;
            input.country_code = c.country_code.unwrap_or_default();
            input.phone = c.phone.unwrap_or_default();
        }
        invited_to = Some(v.group_name);
    }
    let mut page = signup_page(ctx, &state, input, FormErrors::default());
    page.invited_to = invited_to;
    Ok(no_referrer(page.respond_to(&req).map_into_boxed_body()))
}

#[post("/signup")]
async fn signup(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    form: web::Form<SignupInput>,
) -> AppResult<HttpResponse> {
    let mut input = form.into_inner();
    if state.config.signup == SignupMode::Closed {
        return Err(AppError::forbidden());
    }
    let render_errors = |ctx, state: &AppState, mut input: SignupInput, errors, invited_to| {
        input.password.clear();
        let mut page = signup_page(ctx, state, input, errors);
        page.invited_to = invited_to;
        page.unprocessable(&req)
    };
    let invited = invitation_of(&state, input.invitation.trim()).await?;
    if !input.invitation.trim().is_empty() && invited.is_none() {
        return Ok(see_other(&format!(
            "/join/{}",
            urlencode(input.invitation.trim())
        )));
    }
    if let Some(v) = &invited {
        // The invitation is bound to its address, whatever the form says.
        input.email = v.invitation.invitee_email.clone();
    }
    let invited_to = invited.as_ref().map(|v| v.group_name.clone());
    let acc = match input.parse() {
        Ok(acc) => acc,
        Err(errors) => return Ok(render_errors(ctx, &state, input, errors, invited_to)),
    };
    // From a link, a notice may be queued (an unconfirmed account lost
    // the address); otherwise the confirmation mail.
    let result = state.sign_up(acc, invited.is_some()).await?;
    if let (Some(_), Ok(id)) = (&invited, &result) {
        // Logged in straight away, back to the invitation to answer it.
        start_session(&state, &req, &ctx, *id).await?;
        return Ok(see_other(&format!(
            "/join/{}",
            urlencode(input.invitation.trim())
        )));
    }
    match result {
        Ok(_) => {
            let email = input.email.trim().to_string();
            input.password.clear();
            Ok(CheckEmailPage {
                ctx,
                email,
                approval: state.config.signup == SignupMode::Approval,
            }
            .respond_to(&req)
            .map_into_boxed_body())
        }
        Err(errors) => Ok(render_errors(ctx, &state, input, errors, invited_to)),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[get("/login")]
async fn login_form(ctx: Ctx, q: web::Query<NextQuery>) -> Page<LoginPage> {
    let next = login::safe_next(q.next.as_deref());
    if ctx.user.is_some() {
        return Ok(Either::Right(see_other(&next)));
    }
    Ok(Either::Left(LoginPage {
        ctx,
        login: String::new(),
        next,
        error: None,
        errors: FormErrors::default(),
        offer_resend: false,
    }))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// The longest login (an e-mail address has at most 254 characters).
const LOGIN_MAX: usize = 320;

#[post("/login")]
async fn login_submit(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let next = login::safe_next(form.next.as_deref());
    let ip = crate::auth::client::address(&req);
    // No account has a longer name or address: not worth a lookup.
    let outcome =
        if form.login.trim().is_empty() || form.password.is_empty() || form.login.len() > LOGIN_MAX
        {
            LoginOutcome::Invalid
        } else {
            login::log_in(
                &state.pool,
                &state.config,
                state.clock.now(),
                &form.login,
                &form.password,
                &ip,
            )
            .await?
        };
    match outcome {
        LoginOutcome::LoggedIn(u) => {
            start_session(&state, &req, &ctx, u.id).await?;
            Ok(see_other(&next))
        }
        other => {
            if let LoginOutcome::EmailNotVerified(id) = other {
                let _ = ctx.session.insert(session::UNVERIFIED_USER, id);
            }
            let status = match other {
                LoginOutcome::Throttled => actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                _ => actix_web::http::StatusCode::UNAUTHORIZED,
            };
            Ok(LoginPage {
                ctx,
                login: form.login,
                next,
                error: Some(other.message()),
                errors: FormErrors::default(),
                offer_resend: matches!(other, LoginOutcome::EmailNotVerified(_)),
            }
            .customize()
            .with_status(status)
            .respond_to(&req)
            .map_into_boxed_body())
        }
    }
}

/// Writes a session record for `user_id` and puts its key in the cookie.
async fn start_session(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    user_id: i64,
) -> AppResult<()> {
    let key = state
        .begin_session(user_id, sessions::ClientInfo::of(req))
        .await?;
    session::log_in(&ctx.session, &key);
    Ok(())
}

/// Ends the session's record, so its cookie (or any copy of it) logs no one
/// in on any server, then the cookie itself.
pub(crate) async fn end_current_session(state: &AppState, ctx: &Ctx) -> AppResult<()> {
    if let (Some(u), Some(id)) = (&ctx.user, ctx.session_id) {
        state.end_session(u, id).await?;
    }
    session::log_out(&ctx.session);
    session::flash(&ctx.session, "info", "You are logged out.");
    Ok(())
}

#[post("/logout")]
async fn logout(
    ctx: Ctx,
    state: web::Data<AppState>,
    form: web::Form<NextQuery>,
) -> AppResult<HttpResponse> {
    end_current_session(&state, &ctx).await?;
    Ok(match form.into_inner().next {
        // e.g. back to an invitation link, to answer it with another account.
        Some(n) => see_other(&login::safe_next(Some(&n))),
        None => see_other("/login"),
    })
}

/// "Send the link again", offered on the log-in page right after the right
/// password was given for an unconfirmed address (the session remembers who).
#[post("/verify-email/resend")]
async fn resend_verification(ctx: Ctx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let Some(id) = ctx
        .session
        .remove_as::<i64>(session::UNVERIFIED_USER)
        .and_then(Result::ok)
    else {
        return Ok(see_other("/login"));
    };
    match state.resend_verification(id).await? {
        Resent::Sent => {
            ctx.flash(
                "success",
                "We sent you a new link. Open it to confirm your address.",
            );
        }
        Resent::TooMany => ctx.flash(
            "error",
            format!(
                "We have already sent {} new links in the last hour: check your mail (and its spam folder), or try again in an hour.",
                registration::RESENDS_PER_HOUR
            ),
        ),
        Resent::AlreadyConfirmed => ctx.flash(
            "info",
            "Your e-mail address is confirmed already: log in.",
        ),
        Resent::NoAddress => ctx.flash("error", LoginOutcome::AddressReleased.message()),
    }
    Ok(see_other("/login"))
}

/// The link from the mail opens this page; only its button (a POST) verifies,
/// so a mail scanner following links changes nothing.
#[get("/verify-email/{token}")]
async fn verify_email_page(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let t = token.clone();
    let now = state.clock.now();
    let found = db::run(
        &state.pool,
        move |c| match registration::find_verification(c, &t)? {
            Some(v) => {
                let account = crate::models::user::find(c, v.user_id)?;
                Ok(Some((v, account.username_or_email().to_string())))
            }
            None => Ok(None),
        },
    )
    .await?;
    let Some((v, account)) = found else {
        return Ok(no_referrer(actix_web::ResponseError::error_response(
            &AppError::not_found(),
        )));
    };
    let state = if v.used_at.is_some() {
        VerifyState::Used
    } else if v.expires_at <= now {
        VerifyState::Expired
    } else {
        VerifyState::Ready
    };
    let page = VerifyEmailPage {
        ctx,
        token,
        state,
        account,
    };
    Ok(no_referrer(page.respond_to(&req).map_into_boxed_body()))
}

#[post("/verify-email/{token}")]
async fn verify_email(
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (level, text) = match state.verify_email(token.into_inner()).await? {
        VerifyOutcome::Verified {
            awaiting_approval: true,
        } => (
            "success",
            "Your e-mail address is confirmed. A site administrator will approve your account; you can log in once it is approved.",
        ),
        VerifyOutcome::Verified {
            awaiting_approval: false,
        } => (
            "success",
            "Your e-mail address is confirmed. You can log in now.",
        ),
        VerifyOutcome::AlreadyUsed => ("info", "This link has been used already."),
        VerifyOutcome::Expired => ("error", "This link has expired."),
    };
    ctx.flash(level, text);
    Ok(no_referrer(see_other(if ctx.user.is_some() {
        "/"
    } else {
        "/login"
    })))
}

async fn setup_open(state: &AppState) -> AppResult<()> {
    if db::run(&state.pool, |c| Ok(user::site_admin_exists(c)?)).await? {
        return Err(AppError::not_found());
    }
    Ok(())
}

#[get("/setup")]
async fn setup_form(ctx: Ctx, state: web::Data<AppState>) -> AppResult<SetupPage> {
    setup_open(&state).await?;
    Ok(SetupPage {
        ctx,
        input: SignupInput::default(),
        errors: FormErrors::default(),
    })
}

#[post("/setup")]
async fn setup(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    form: web::Form<SignupInput>,
) -> AppResult<HttpResponse> {
    setup_open(&state).await?;
    let mut input = form.into_inner();
    input.country_code.clear();
    input.phone.clear();
    let result = match input.parse() {
        Ok(acc) => state.set_up_site_admin(acc).await?,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => {
            start_session(&state, &req, &ctx, id).await?;
            session::flash(
                &ctx.session,
                "success",
                "Welcome! You are the site administrator.",
            );
            Ok(see_other("/admin"))
        }
        Err(errors) => {
            input.password.clear();
            Ok(SetupPage { ctx, input, errors }.unprocessable(&req))
        }
    }
}
