//! "Forgot your password?" (`/password/forgot`, `/password/reset/{token}`),
//! "Change password" (`/account/password`) and "Change e-mail address"
//! (`/account/email`, confirmed at `/account/email/{token}`).

use super::{Unprocessable, no_referrer, see_other};
use crate::auth::{Ctx, CurrentUser, client, session};
use crate::db;
use crate::domain::{EmailAddress, FormErrors};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::models::account_link::Purpose;
use crate::services::passwords::{self, LinkOutcome, LinkState};
use crate::state::AppState;
use crate::views::{
    ChangeEmailPage, ChangePasswordPage, ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage,
};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(forgot_form)
        .service(forgot)
        .service(reset_page)
        .service(reset)
        .service(password_form)
        .service(change_password)
        .service(email_form)
        .service(change_email)
        .service(confirm_email_page)
        .service(confirm_email);
}

#[derive(Deserialize)]
struct SentQuery {
    sent: Option<String>,
}

#[get("/password/forgot")]
async fn forgot_form(ctx: Ctx, q: web::Query<SentQuery>) -> ForgotPasswordPage {
    ForgotPasswordPage {
        ctx,
        email: String::new(),
        errors: FormErrors::default(),
        sent: q.sent.is_some(),
    }
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

const TOO_MANY_REQUESTS: &str =
    "Too many reset links were asked for from your address. Wait an hour and try again.";

/// One answer for every address, given before the address is looked up:
/// the lookup and the mail run after the response, so neither the page nor
/// its time says whether an account uses it.
#[post("/password/forgot")]
async fn forgot(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let raw = form.into_inner().email;
    let email = match EmailAddress::parse(&raw) {
        Ok(e) => e,
        Err(msg) => {
            // The shape of what was typed says nothing about accounts.
            let mut errors = FormErrors::default();
            errors.add("email", msg);
            let email = raw.chars().take(EmailAddress::MAX).collect();
            let page = ForgotPasswordPage {
                ctx,
                email,
                errors,
                sent: false,
            };
            return Ok(page.unprocessable(&req));
        }
    };
    if !state.take_reset_request(client::address(&req)).await? {
        return Err(AppError::new(ErrorKind::Throttled(
            TOO_MANY_REQUESTS.into(),
        )));
    }
    state.send_reset_link_later(email);
    Ok(see_other("/password/forgot?sent=1"))
}

/// The link's state, after a guess taken from the address's window; 404
/// for a link that does not exist.
async fn open(
    req: &HttpRequest,
    state: &AppState,
    purpose: Purpose,
    token: &str,
) -> AppResult<LinkState> {
    state
        .open_account_link(purpose, token.to_string(), client::address(req))
        .await?
        .ok_or_else(AppError::not_found)
}

#[get("/password/reset/{token}")]
async fn reset_page(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let link = open(&req, &state, Purpose::PasswordReset, &token).await?;
    let page = ResetPasswordPage {
        ctx,
        token,
        state: link,
        errors: FormErrors::default(),
    };
    Ok(no_referrer(page.respond_to(&req).map_into_boxed_body()))
}

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    password: String,
}

#[post("/password/reset/{token}")]
async fn reset(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let link = open(&req, &state, Purpose::PasswordReset, &token).await?;
    let page = |ctx, token, state, errors| ResetPasswordPage {
        ctx,
        token,
        state,
        errors,
    };
    if link != LinkState::Ready {
        return Ok(no_referrer(
            page(ctx, token, link, FormErrors::default())
                .respond_to(&req)
                .map_into_boxed_body(),
        ));
    }
    let outcome = state
        .reset_password(token.clone(), form.into_inner().password)
        .await?
        .ok_or_else(AppError::not_found)?;
    match outcome {
        LinkOutcome::Done(u) => {
            if ctx.user.as_ref().is_some_and(|me| me.id == u.id) {
                session::log_out(&ctx.session);
            }
            ctx.flash(
                "success",
                "Your password is changed and you are logged out everywhere. Log in with your new password.",
            );
            Ok(no_referrer(see_other("/login")))
        }
        LinkOutcome::Form(errors) => Ok(no_referrer(
            page(ctx, token, LinkState::Ready, errors).unprocessable(&req),
        )),
        LinkOutcome::Link(s) => Ok(no_referrer(
            page(ctx, token, s, FormErrors::default())
                .respond_to(&req)
                .map_into_boxed_body(),
        )),
        LinkOutcome::Denied(d) => Err(d.into()),
    }
}

#[get("/account/password")]
async fn password_form(me: CurrentUser) -> ChangePasswordPage {
    ChangePasswordPage {
        ctx: me.ctx,
        errors: FormErrors::default(),
    }
}

#[derive(Deserialize)]
struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

#[post("/account/password")]
async fn change_password(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<ChangePasswordForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let now = state.clock.now();
    let here = me
        .ctx
        .session_id
        .ok_or_else(|| AppError::internal("a logged-in request without a session record"))?;
    let checked = passwords::check_current_password(
        &state.pool,
        &state.config,
        &me.user,
        &form.current_password,
        now,
    )
    .await?;
    let hashed = match checked {
        Ok(()) => {
            passwords::new_password_hash(&me.user, &form.current_password, &form.password).await?
        }
        Err(errors) => Err(errors),
    };
    let hashed = match hashed {
        Ok(h) => h,
        Err(errors) => {
            let page = ChangePasswordPage {
                ctx: me.ctx,
                errors,
            };
            return Ok(page.unprocessable(&req));
        }
    };
    state
        .change_password(&me.user, here, hashed)
        .await?
        .map_err(AppError::from)?;
    me.ctx.flash(
        "success",
        "Your password is changed. You are logged out everywhere else.",
    );
    Ok(see_other("/account/password"))
}

async fn email_page(
    state: &AppState,
    me: CurrentUser,
    email: String,
    errors: FormErrors,
) -> AppResult<ChangeEmailPage> {
    let (u, now) = (me.user.clone(), state.clock.now());
    let pending = db::read(&state.pool, state.backend, move |c| {
        Ok(passwords::pending_email(c, &u, now)?)
    })
    .await?;
    Ok(ChangeEmailPage {
        ctx: me.ctx,
        current: me.user.email,
        pending,
        email,
        errors,
    })
}

#[get("/account/email")]
async fn email_form(me: CurrentUser, state: web::Data<AppState>) -> AppResult<ChangeEmailPage> {
    email_page(&state, me, String::new(), FormErrors::default()).await
}

#[derive(Deserialize)]
struct ChangeEmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

#[post("/account/email")]
async fn change_email(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<ChangeEmailForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let now = state.clock.now();
    let checked = passwords::check_current_password(
        &state.pool,
        &state.config,
        &me.user,
        &form.current_password,
        now,
    )
    .await?;
    let asked = match checked {
        Ok(()) => {
            state
                .request_email_change(&me.user, form.email.clone())
                .await?
        }
        Err(errors) => Err(errors),
    };
    match asked {
        // The page says where the link went, for as long as it waits.
        Ok(_) => Ok(see_other("/account/email")),
        Err(errors) => {
            let typed = form.email.chars().take(EmailAddress::MAX).collect();
            let page = email_page(&state, me, typed, errors).await?;
            Ok(page.unprocessable(&req))
        }
    }
}

#[get("/account/email/{token}")]
async fn confirm_email_page(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let link = open(&req, &state, Purpose::EmailChange, &token).await?;
    let page = ConfirmEmailPage {
        ctx,
        token,
        state: link,
        errors: FormErrors::default(),
    };
    Ok(no_referrer(page.respond_to(&req).map_into_boxed_body()))
}

#[post("/account/email/{token}")]
async fn confirm_email(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    open(&req, &state, Purpose::EmailChange, &token).await?;
    let outcome = state
        .confirm_email_change(token.clone())
        .await?
        .ok_or_else(AppError::not_found)?;
    let page = |ctx, token, state, errors| ConfirmEmailPage {
        ctx,
        token,
        state,
        errors,
    };
    match outcome {
        LinkOutcome::Done(_) => {
            ctx.flash("success", "Your e-mail address is changed.");
            let to = if ctx.user.is_some() {
                "/account/email"
            } else {
                "/login"
            };
            Ok(no_referrer(see_other(to)))
        }
        LinkOutcome::Form(errors) => Ok(no_referrer(
            page(ctx, token, LinkState::Ready, errors).unprocessable(&req),
        )),
        LinkOutcome::Link(s) => Ok(no_referrer(
            page(ctx, token, s, FormErrors::default())
                .respond_to(&req)
                .map_into_boxed_body(),
        )),
        LinkOutcome::Denied(d) => Err(d.into()),
    }
}
