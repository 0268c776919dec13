//! JSON for the pages' progressive enhancement.

use crate::auth::Ctx;
use crate::db;
use crate::error::{ApiError, AppError};
use crate::models::user;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(users);
}

/// Suggestions shown at most.
const SUGGESTIONS: i64 = 10;

#[derive(Deserialize)]
struct UsersQuery {
    #[serde(default)]
    q: String,
    /// A group whose invite form asks: its members are left out (only for
    /// those who may invite there; otherwise ignored, so the answer says
    /// nothing about who belongs to a group one cannot see).
    group: Option<String>,
}

/// What a suggestion shows: never the e-mail address.
#[derive(Serialize)]
struct UserSuggestion {
    username: String,
    name: String,
}

/// Username autocomplete: active users whose username starts with `q`.
#[get("/api/users")]
async fn users(
    ctx: Ctx,
    state: web::Data<AppState>,
    q: web::Query<UsersQuery>,
) -> Result<HttpResponse, ApiError> {
    if ctx.user.is_none() {
        return Err(AppError::login_required("").into());
    }
    let UsersQuery { q, group } = q.into_inner();
    let prefix = q.trim().trim_start_matches('@').to_string();
    if prefix.is_empty() || prefix.chars().count() > 32 {
        return Ok(HttpResponse::Ok().json(Vec::<UserSuggestion>::new()));
    }
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let rows = db::run(&state.pool, move |c| {
        let not_in = match group.as_deref().filter(|g| g.len() <= 64) {
            Some(slug) => crate::policy::GroupAccess::load(c, slug, viewer)
                .ok()
                .filter(|a| crate::policy::may_invite(a).is_ok())
                .map(|a| a.group.id),
            None => None,
        };
        Ok(user::search_usernames(c, &prefix, not_in, SUGGESTIONS)?)
    })
    .await?;
    let out: Vec<UserSuggestion> = rows
        .into_iter()
        .filter_map(|(username, first, last)| {
            username.map(|username| UserSuggestion {
                username,
                name: format!("{first} {last}"),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}
