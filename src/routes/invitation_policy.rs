//! A community's invitation policy page (`/groups/{slug}/policy`): the
//! rules, saving them, and cancelling the pending invitations they refuse.

use super::{Confirmed, Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::services::invitation_policy::PolicyInput;
use crate::state::AppState;
use crate::views::{PolicyPage, confirm};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(policy_page)
        .service(save_policy)
        .service(cancel_breaking);
}

async fn render(
    me: CurrentUser,
    state: &AppState,
    slug: &str,
    typed: Option<(PolicyInput, FormErrors)>,
) -> AppResult<PolicyPage> {
    let view = state.invitation_policy(slug, &me.user).await?;
    let (input, errors) =
        typed.unwrap_or_else(|| (PolicyInput::of(&view.own), FormErrors::default()));
    Ok(PolicyPage {
        ctx: me.ctx,
        access: view.access,
        above: view.above,
        input,
        errors,
        breaking: view.breaking,
        more_breaking: view.more_breaking,
    })
}

#[get("/groups/{slug}/policy")]
async fn policy_page(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<PolicyPage> {
    render(me, &state, &slug, None).await
}

#[post("/groups/{slug}/policy")]
async fn save_policy(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<PolicyInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    match state
        .save_invitation_policy(&slug, &me.user, input.clone())
        .await?
    {
        Ok(()) => {
            me.ctx.flash("success", "The invitation policy is saved.");
            Ok(see_other(&format!("/groups/{slug}/policy")))
        }
        Err(errors) => Ok(render(me, &state, &slug, Some((input, errors)))
            .await?
            .unprocessable(&req)),
    }
}

#[post("/groups/{slug}/policy/cancel")]
async fn cancel_breaking(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<Confirmed>,
) -> AppResult<HttpResponse> {
    if form.confirmed.is_none() {
        let view = state.invitation_policy(&slug, &me.user).await?;
        let items = view
            .breaking
            .iter()
            .map(|b| format!("{} to {}", b.email, b.group))
            .collect();
        return Ok(
            confirm::policy_cancel(me.ctx, &view.access, items, view.more_breaking)
                .respond_to(&req)
                .map_into_boxed_body(),
        );
    }
    let n = state.cancel_breaking_invitations(&slug, &me.user).await?;
    me.ctx.flash(
        "success",
        match n {
            0 => "No pending invitation breaks the rules.".to_string(),
            1 => "1 invitation is cancelled.".to_string(),
            n => format!("{n} invitations are cancelled."),
        },
    );
    Ok(see_other(&format!("/groups/{slug}/policy")))
}
