//! `/join/{token}`: the page an e-mailed or copied invitation link opens.
//! Opening it changes nothing (mail scanners follow links); only its buttons
//! (POSTs) answer, and only for the address the invitation was sent to.

use super::{Confirmed, no_referrer, see_other};
use crate::auth::{Ctx, CurrentUser};
use crate::domain::AnswerOutcome;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::policy;
use crate::services::invitations::{LinkLookup, LinkRefusal};
use crate::services::link_guesses;
use crate::state::AppState;
use crate::views::{JoinPage, confirm};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(join_page)
        .service(accept_by_link)
        .service(decline_by_link);
}

#[get("/join/{token}")]
async fn join_page(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let address = crate::auth::client::address(&req);
    let view = match state.open_link(token.clone(), address).await? {
        None => {
            let busy = AppError::new(ErrorKind::Throttled(link_guesses::TOO_MANY.into()));
            return Err(busy);
        }
        Some(LinkLookup::Unknown) => {
            return Ok(no_referrer(actix_web::ResponseError::error_response(
                &AppError::not_found(),
            )));
        }
        Some(LinkLookup::Replaced) => None,
        Some(LinkLookup::Found(v)) => Some(v),
    };
    let addressed_to_me = match (&view, &ctx.user) {
        (Some(v), Some(me)) => policy::may_answer_invitation(me, &v.invitation).is_ok(),
        _ => false,
    };
    let status = if view.is_some() { 200 } else { 410 };
    let page = JoinPage {
        ctx,
        token,
        view,
        addressed_to_me,
    };
    Ok(no_referrer(
        page.customize()
            .with_status(actix_web::http::StatusCode::from_u16(status).unwrap())
            .respond_to(&req)
            .map_into_boxed_body(),
    ))
}

async fn answer(
    me: CurrentUser,
    state: web::Data<AppState>,
    token: String,
    accept: bool,
) -> AppResult<HttpResponse> {
    let result = state
        .answer_invitation_by_link(&me.user, token.clone(), accept)
        .await?;
    let back = format!("/join/{token}");
    match result {
        Err(LinkRefusal::SentTo(address)) => {
            me.ctx.flash(
                "error",
                format!(
                    "This invitation was sent to {address}: log in with that address to answer it."
                ),
            );
            Ok(no_referrer(see_other(&back)))
        }
        Ok((outcome, group)) => {
            super::invitations::flash_answer(&me.ctx, &outcome, &group);
            // Still open elsewhere? The link's page says what it is now.
            let to = match outcome {
                AnswerOutcome::NoLongerOpen(_) | AnswerOutcome::NotAllowed => back.as_str(),
                AnswerOutcome::Accepted | AnswerOutcome::Declined => "/",
            };
            Ok(no_referrer(see_other(to)))
        }
    }
}

#[post("/join/{token}/accept")]
async fn accept_by_link(
    me: CurrentUser,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    answer(me, state, token.into_inner(), true).await
}

#[post("/join/{token}/decline")]
async fn decline_by_link(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<Confirmed>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    if form.confirmed.is_none()
        && let Some(p) = state
            .decline_preview_by_link(&me.user, token.clone())
            .await?
    {
        let here = format!("/join/{token}");
        let page = confirm::decline(me.ctx, format!("{here}/decline"), here, p);
        return Ok(no_referrer(page.respond_to(&req).map_into_boxed_body()));
    }
    answer(me, state, token, false).await
}
