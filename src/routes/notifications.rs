//! The notification center.

use super::see_other;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppResult;
use crate::services::notifications;
use crate::state::AppState;
use crate::views::NotificationsPage;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications)
        .service(mark_all_read)
        .service(mark_read);
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<i64>,
}

#[get("/notifications")]
async fn list_notifications(
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> AppResult<NotificationsPage> {
    let (uid, before) = (me.user.id, q.before);
    let (rows, next_before) =
        db::run(&state.pool, move |c| notifications::list(c, uid, before)).await?;
    let up_to = rows.first().map(|n| n.id).unwrap_or(0);
    Ok(NotificationsPage {
        ctx: me.ctx,
        rows,
        next_before,
        up_to,
    })
}

#[derive(Deserialize)]
struct ReadAllForm {
    up_to: Option<i64>,
}

#[post("/notifications/read-all")]
async fn mark_all_read(
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<ReadAllForm>,
) -> AppResult<HttpResponse> {
    let up_to = form.up_to.unwrap_or(i64::MAX);
    state.mark_all_notifications_read(me.user.id, up_to).await?;
    me.ctx
        .flash("success", "All notifications are marked as read.");
    Ok(see_other("/notifications"))
}

#[post("/notifications/{id:\\d+}/read")]
async fn mark_read(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    state
        .mark_notification_read(me.user.id, id.into_inner())
        .await?;
    Ok(see_other("/notifications"))
}
