use crate::auth::Ctx;
use crate::db;
use crate::error::AppResult;
use crate::models::{group, invitation, user};
use crate::state::AppState;
use crate::views::HomePage;
use actix_web::{get, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(home);
}

/// How many of the viewer's groups the dashboard lists.
const MY_GROUPS: i64 = 10;
/// How many open invitations the dashboard lists.
const PENDING_SHOWN: i64 = 5;

#[get("/")]
async fn home(ctx: Ctx, state: web::Data<AppState>) -> AppResult<HomePage> {
    let now = state.clock.now();
    let (needs_setup, my_groups, pending) = match ctx.user.as_ref().map(|u| u.id) {
        None => (
            !db::run(&state.pool, |c| Ok(user::site_admin_exists(c)?)).await?,
            Vec::new(),
            Vec::new(),
        ),
        Some(uid) => {
            let (groups, pending) = db::run(&state.pool, move |c| {
                Ok((
                    group::of_user(c, uid, MY_GROUPS)?,
                    invitation::pending_for_user(c, uid, now, PENDING_SHOWN)?,
                ))
            })
            .await?;
            (false, groups, pending)
        }
    };
    Ok(HomePage {
        ctx,
        needs_setup,
        my_groups,
        pending,
    })
}
