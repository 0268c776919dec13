//! "Where you're logged in" (`/account/sessions`): the visitor's sessions,
//! **Log out** of one, **Log out everywhere else**.

use super::auth::end_current_session;
use super::see_other;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::models::session::Limits;
use crate::services::sessions::{self, EndOutcome};
use crate::state::AppState;
use crate::views::SessionsPage;
use actix_web::{HttpResponse, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(list_sessions)
        .service(end_other_sessions)
        .service(end_session);
}

/// The visitor's own session record (there is one: they are logged in).
fn current(me: &CurrentUser) -> AppResult<i64> {
    me.ctx
        .session_id
        .ok_or_else(|| AppError::internal("a logged-in request without a session record"))
}

#[get("/account/sessions")]
async fn list_sessions(me: CurrentUser, state: web::Data<AppState>) -> AppResult<SessionsPage> {
    let (u, now, limits) = (
        me.user.clone(),
        state.clock.now(),
        Limits::of(&state.config),
    );
    let here = current(&me)?;
    let lines = db::read(&state.pool, state.backend, move |c| {
        sessions::live_sessions(c, &u, here, limits, now)
    })
    .await?;
    Ok(SessionsPage {
        ctx: me.ctx,
        sessions: lines,
    })
}

#[post("/account/sessions/{id}/end")]
async fn end_session(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if id == current(&me)? {
        end_current_session(&state, &me.ctx).await?;
        return Ok(see_other("/login"));
    }
    match state.end_session(&me.user, id).await? {
        EndOutcome::Ended => {
            me.ctx.flash("success", "That session is logged out.");
            Ok(see_other("/account/sessions"))
        }
        // Someone else's session, or one gone: nothing to say about it.
        EndOutcome::NotFound => Err(AppError::not_found()),
    }
}

#[post("/account/sessions/end-others")]
async fn end_other_sessions(
    me: CurrentUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let n = state.end_other_sessions(&me.user, current(&me)?).await?;
    me.ctx.flash(
        "success",
        match n {
            0 => "You were not logged in anywhere else.".to_string(),
            1 => "You are logged out everywhere else (1 other session).".to_string(),
            n => format!("You are logged out everywhere else ({n} other sessions)."),
        },
    );
    Ok(see_other("/account/sessions"))
}
