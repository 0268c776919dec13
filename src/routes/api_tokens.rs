//! Personal access tokens (`/account/tokens`): the list, "Make token" (the
//! token is shown once, on the page the form redirects to) and "Revoke".

use super::{Confirmed, Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::services::api_tokens::TokenInput;
use crate::state::AppState;
use crate::views::{TokensView, confirm};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(tokens_page)
        .service(create_token)
        .service(revoke_token);
}

/// Session key of a token just made, shown once and removed.
const MADE: &str = "made_token";

#[get("/account/tokens")]
async fn tokens_page(me: CurrentUser, state: web::Data<AppState>) -> AppResult<TokensView> {
    let page = state.tokens_page(&me.user).await?;
    // Shown once: taken out of the session as it is rendered.
    let made: Option<(String, String)> = me.ctx.session.remove_as(MADE).and_then(Result::ok);
    Ok(TokensView {
        ctx: me.ctx,
        page,
        input: TokenInput::default(),
        errors: Default::default(),
        made,
    })
}

#[post("/account/tokens")]
async fn create_token(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let input = TokenInput::from_pairs(form.into_inner());
    match state.create_token(&me.user, input.clone()).await? {
        Ok(made) => {
            me.ctx
                .session
                .insert(MADE, (made.name, made.token))
                .map_err(|_| AppError::internal("session write failed"))?;
            Ok(see_other("/account/tokens#made"))
        }
        Err(errors) => {
            let page = state.tokens_page(&me.user).await?;
            Ok(TokensView {
                ctx: me.ctx,
                page,
                input,
                errors,
                made: None,
            }
            .unprocessable(&req))
        }
    }
}

#[post("/account/tokens/{id}/revoke")]
async fn revoke_token(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<Confirmed>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if form.confirmed.is_none() {
        let t = state.token_of(&me.user, id).await?;
        let action = format!("/account/tokens/{id}/revoke");
        return Ok(confirm::revoke_token(me.ctx, action, &t.name)
            .respond_to(&req)
            .map_into_boxed_body());
    }
    if state.revoke_token(&me.user, id).await? {
        me.ctx
            .flash("success", "The token is revoked: it no longer works.");
    } else {
        me.ctx.flash("info", "This token was revoked already.");
    }
    Ok(see_other(&format!("/account/tokens#token-{id}")))
}
