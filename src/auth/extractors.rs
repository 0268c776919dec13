//! Request extractors: `Ctx` (any visitor: layout data, CSRF token, flashes),
//! `CurrentUser` (logged in) and `SiteAdmin`. The user is reloaded from the
//! database on every request and the session is checked against the user's
//! status and session epoch, so deactivation or "log out everywhere" act at
//! the next request on every server.

use super::session::{self, Flash};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::models::{User, badges as header_counts, user};
use crate::startup::AppState;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::OptionalExtension;
use std::future::Future;
use std::pin::Pin;

/// Counts shown in the header of every page.
#[derive(Debug, Default, Clone)]
pub struct Badges {
    /// Conversations with unread messages.
    pub unread_messages: i64,
    /// Unread notifications.
    pub notifications: i64,
    pub pending_invitations: i64,
}

/// What every page needs: the visitor (if logged in), the CSRF token for its
/// forms, flash messages and the header badges.
pub struct Ctx {
    pub user: Option<User>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub badges: Badges,
    pub session: Session,
}

impl Ctx {
    pub fn flash(&self, level: &str, text: impl Into<String>) {
        session::flash(&self.session, level, text);
    }
    pub fn is_site_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_site_admin)
    }
}

pub struct CurrentUser {
    pub user: User,
    pub ctx: Ctx,
}

pub struct SiteAdmin {
    pub user: User,
    pub ctx: Ctx,
}

/// An active super user of a company account: Manage Users, the account's
/// audit and all its cases.
pub struct SuperUser {
    pub user: User,
    pub account_id: i64,
    pub ctx: Ctx,
}

/// How long a session may go between updates of its last-seen time.
const SEEN_RESOLUTION_SECS: i64 = 60;

async fn load_ctx(req: &HttpRequest) -> AppResult<Ctx> {
    let session = req.get_session();
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("AppState missing"))?
        .clone();
    let mut user = None;
    let mut badges = Badges::default();
    let mut ended = false;

    if let Ok(Some(uid)) = session.get::<i64>(session::USER_ID) {
        // One trip to the blocking pool: the user, then both header counts
        // in one query.
        let at = state.clock.now();
        let found = db::run(&state.pool, move |c| {
            let Some(u) = user::find(c, uid).optional()? else {
                return Ok(None);
            };
            let counts = if u.is_active() {
                header_counts::counts(c, uid, at)?
            } else {
                (0, 0, 0)
            };
            Ok(Some((u, counts)))
        })
        .await?;
        let now = state.clock.unix();
        match found {
            Some((u, (unread_messages, notifications, pending_invitations)))
                if session_is_valid(&session, &u, now, &state) =>
            {
                if now
                    - session
                        .get::<i64>(session::SEEN_AT)
                        .ok()
                        .flatten()
                        .unwrap_or(0)
                    > SEEN_RESOLUTION_SECS
                {
                    let _ = session.insert(session::SEEN_AT, now);
                }
                badges = Badges {
                    unread_messages,
                    notifications,
                    pending_invitations,
                };
                user = Some(u);
            }
            _ => {
                session::log_out(&session);
                session::flash(
                    &session,
                    "info",
                    "Your session has ended. Please log in again.",
                );
                ended = true;
            }
        }
    }
    // After any log-out above, which replaces the token.
    let csrf = session::csrf_token(&session);
    // A session that just ended keeps its flash for the log-in page.
    let flashes = if req.method() == Method::GET && !ended {
        session::take_flashes(&session)
    } else {
        Vec::new()
    };
    Ok(Ctx {
        user,
        csrf,
        flashes,
        badges,
        session,
    })
}

fn session_is_valid(session: &Session, u: &User, now: i64, state: &AppState) -> bool {
    let get = |k| session.get::<i64>(k).ok().flatten();
    let epoch_ok = get(session::EPOCH) == Some(u.session_epoch);
    let issued = get(session::ISSUED_AT).unwrap_or(0);
    let seen = get(session::SEEN_AT).unwrap_or(0);
    epoch_ok
        && u.is_active()
        && now - issued < state.config.session_max.as_secs() as i64
        && now - seen < state.config.session_idle.as_secs() as i64
}

/// Where to come back to after logging in: the page asked for (GETs only).
fn return_path(req: &HttpRequest) -> String {
    if req.method() == Method::GET {
        match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_string(),
            None => "/".into(),
        }
    } else {
        "/".into()
    }
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load_ctx(&req).await })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = load_ctx(&req).await?;
            match ctx.user.clone() {
                Some(user) => Ok(CurrentUser { user, ctx }),
                None => Err(AppError::login_required(return_path(&req))),
            }
        })
    }
}

impl FromRequest for SiteAdmin {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = load_ctx(&req).await?;
            match ctx.user.clone() {
                Some(user) if user.is_site_admin => Ok(SiteAdmin { user, ctx }),
                Some(_) => Err(AppError::forbidden()),
                None => Err(AppError::login_required(return_path(&req))),
            }
        })
    }
}

impl FromRequest for SuperUser {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let ctx = load_ctx(&req).await?;
            match ctx.user.clone() {
                Some(user) => match user.super_user_of() {
                    Some(account_id) => Ok(SuperUser {
                        user,
                        account_id,
                        ctx,
                    }),
                    None => Err(AppError::forbidden()),
                },
                None => Err(AppError::login_required(return_path(&req))),
            }
        })
    }
}

impl Ctx {
    /// Cache-busting version of the static files, for their URLs.
    pub fn asset_version(&self) -> &'static str {
        crate::routes::assets::version()
    }
}
