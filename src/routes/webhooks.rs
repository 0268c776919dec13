//! A community's webhooks (`/groups/{slug}/webhooks`): the list and "Add
//! webhook" (its secret shown once, on the page the form redirects to),
//! each hook's deliveries with "Send test event", "Redeliver" and "Delete
//! webhook".

use super::{Confirmed, Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::services::webhooks::HookInput;
use crate::state::AppState;
use crate::views::{WebhookView, WebhooksView, confirm};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(hooks_page)
        .service(create_hook)
        .service(hook_page)
        .service(send_test)
        .service(redeliver)
        .service(delete_hook);
}

/// Session key of a hook just made (its id and secret), shown once.
const MADE: &str = "made_webhook";

#[get("/groups/{slug}/webhooks")]
async fn hooks_page(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<WebhooksView> {
    let page = state.webhooks_page(slug.into_inner(), &me.user).await?;
    let made: Option<(i64, String)> = me.ctx.session.remove_as(MADE).and_then(Result::ok);
    Ok(WebhooksView {
        ctx: me.ctx,
        page,
        input: HookInput::fresh(),
        errors: Default::default(),
        made,
        now: state.clock.now(),
    })
}

#[post("/groups/{slug}/webhooks")]
async fn create_hook(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let input = HookInput::from_pairs(form.into_inner());
    match state
        .create_webhook(slug.clone(), &me.user, input.clone())
        .await?
    {
        Ok(made) => {
            me.ctx
                .session
                .insert(MADE, (made.id, made.secret))
                .map_err(|_| AppError::internal("session write failed"))?;
            Ok(see_other(&format!("/groups/{slug}/webhooks#made")))
        }
        Err(errors) => {
            let page = state.webhooks_page(slug, &me.user).await?;
            Ok(WebhooksView {
                ctx: me.ctx,
                page,
                input,
                errors,
                made: None,
                now: state.clock.now(),
            }
            .unprocessable(&req))
        }
    }
}

#[derive(Deserialize)]
struct Before {
    before: Option<i64>,
}

#[get("/groups/{slug}/webhooks/{id}")]
async fn hook_page(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<Before>,
) -> AppResult<WebhookView> {
    let (slug, id) = path.into_inner();
    let page = state.webhook_page(slug, &me.user, id, q.before).await?;
    Ok(WebhookView {
        ctx: me.ctx,
        page,
        now: state.clock.now(),
    })
}

#[post("/groups/{slug}/webhooks/{id}/test")]
async fn send_test(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    state.send_test_event(slug.clone(), &me.user, id).await?;
    me.ctx.flash(
        "success",
        "A test event is queued: reload this page to see how it was answered.",
    );
    Ok(see_other(&format!("/groups/{slug}/webhooks/{id}")))
}

#[post("/groups/{slug}/webhooks/{id}/deliveries/{delivery}/redeliver")]
async fn redeliver(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, delivery) = path.into_inner();
    state
        .redeliver(slug.clone(), &me.user, id, delivery)
        .await?;
    me.ctx.flash(
        "success",
        "The delivery is queued again, with the same X-Guildhall-Delivery.",
    );
    Ok(see_other(&format!("/groups/{slug}/webhooks/{id}")))
}

#[post("/groups/{slug}/webhooks/{id}/delete")]
async fn delete_hook(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<Confirmed>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    if form.confirmed.is_none() {
        let hook = state.webhook(slug.clone(), &me.user, id).await?;
        return Ok(confirm::delete_webhook(me.ctx, &slug, id, &hook.url)
            .respond_to(&req)
            .map_into_boxed_body());
    }
    state.delete_webhook(slug.clone(), &me.user, id).await?;
    me.ctx.flash("success", "The webhook is deleted.");
    Ok(see_other(&format!("/groups/{slug}/webhooks")))
}
