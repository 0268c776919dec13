use crate::auth::Ctx;
use crate::db;
use crate::error::AppResult;
use crate::models::{group, user};
use crate::startup::AppState;
use crate::views::HomePage;
use actix_web::{get, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
}

/// How many of the viewer's groups the dashboard lists.
const MY_GROUPS: i64 = 10;

#[get("/")]
async fn home(ctx: Ctx, state: web::Data<AppState>) -> AppResult<HomePage> {
    let (needs_setup, my_groups) = match ctx.user.as_ref().map(|u| u.id) {
        None => (
            !db::run(&state.pool, |c| Ok(user::site_admin_exists(c)?)).await?,
            Vec::new(),
        ),
        Some(uid) => (
            false,
            db::run(&state.pool, move |c| Ok(group::of_user(c, uid, MY_GROUPS)?)).await?,
        ),
    };
    Ok(HomePage {
        ctx,
        needs_setup,
        my_groups,
    })
}
