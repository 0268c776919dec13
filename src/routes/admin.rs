//! Site administration.

use super::see_other;
use crate::auth::SiteAdmin;
use crate::db;
use crate::error::AppResult;
use crate::models::user;
use crate::services::accounts;
use crate::startup::AppState;
use crate::views::AdminPage;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(admin_home).service(approve_user);
}

const PAGE: i64 = 50;

#[derive(Deserialize)]
struct AfterQuery {
    after: Option<i64>,
}

#[get("/admin")]
async fn admin_home(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    q: web::Query<AfterQuery>,
) -> AppResult<AdminPage> {
    let after = q.after.unwrap_or(0);
    let mut pending = db::run(&state.pool, move |c| {
        Ok(user::pending_approval(c, after, PAGE + 1)?)
    })
    .await?;
    let next_after = (pending.len() as i64 > PAGE).then(|| {
        pending.truncate(PAGE as usize);
        pending.last().map(|u| u.id).unwrap_or(after)
    });
    Ok(AdminPage {
        ctx: admin.ctx,
        pending,
        next_after,
    })
}

#[post("/admin/users/{id}/approve")]
async fn approve_user(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let now = state.clock.now();
    let done = db::run(&state.pool, move |c| accounts::approve(c, id, now)).await?;
    let u = db::run(&state.pool, move |c| Ok(user::find(c, id)?)).await?;
    if done {
        admin.ctx.flash(
            "success",
            format!("{} can log in now.", u.username_or_email()),
        );
    } else {
        admin.ctx.flash(
            "info",
            format!("{} was not waiting for approval.", u.username_or_email()),
        );
    }
    Ok(see_other("/admin"))
}
