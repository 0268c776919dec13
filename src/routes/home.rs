use crate::auth::{Ctx, CurrentUser};
use crate::db;
use crate::error::AppResult;
use crate::models::user;
use crate::startup::AppState;
use crate::views::{HomePage, SimplePage};
use actix_web::{get, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(home).service(messages).service(notifications);
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

// The envelope and the bell in the header lead here; private messages and
// notifications themselves arrive with the messages issue.
#[get("/messages")]
async fn messages(me: CurrentUser) -> SimplePage {
    SimplePage {
        ctx: me.ctx,
        title: "Messages",
        text: "You have no private messages.",
    }
}

#[get("/notifications")]
async fn notifications(me: CurrentUser) -> SimplePage {
    SimplePage {
        ctx: me.ctx,
        title: "Notifications",
        text: "You have no notifications.",
    }
}
