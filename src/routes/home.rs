use crate::auth::Ctx;
use crate::db;
use crate::error::AppResult;
use crate::models::user;
use crate::startup::AppState;
use crate::views::HomePage;
use actix_web::{get, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
}

#[get("/")]
async fn home(ctx: Ctx, state: web::Data<AppState>) -> AppResult<HomePage> {
    let needs_setup = if ctx.user.is_none() {
        !db::run(&state.pool, |c| Ok(user::site_admin_exists(c)?)).await?
    } else {
        false
    };
    Ok(HomePage { ctx, needs_setup })
}
