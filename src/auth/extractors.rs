//! Request extractors: `Ctx` (any visitor: layout data, CSRF token, flashes),
//! `CurrentUser` (logged in) and `SiteAdmin`. On every request the cookie's
//! session key finds the session record and its user in one statement; the
//! record must be open (not logged out), of the user's current session epoch,
//! within the idle and absolute limits, and the user active. So log-out,
//! deactivation or "log out everywhere" act at the next request on every
//! server.

use super::session::{self, Flash};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::models::session::{self as session_record, Limits};
use crate::models::{User, badges as header_counts};
use crate::state::AppState;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;

/// Counts shown in the header of every page.
#[derive(Debug, Default, Clone)]
pub struct Badges {
    /// Conversations with unread messages.
    pub unread_messages: Badge,
    /// Unread notifications.
    pub notifications: Badge,
    pub pending_invitations: Badge,
}

/// A header count, counted up to `badges::CAP`: shown as "99+" from there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd)]
pub struct Badge(i64);

impl Badge {
    pub fn new(n: i64) -> Self {
        Badge(n.min(header_counts::CAP))
    }
}

impl PartialEq<i64> for Badge {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<i64> for Badge {
    fn partial_cmp(&self, other: &i64) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl std::fmt::Display for Badge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 >= header_counts::CAP {
            write!(f, "{}+", header_counts::CAP - 1)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// What every page needs: the visitor (if logged in), the CSRF token for its
/// forms, flash messages and the header badges.
pub struct Ctx {
    pub user: Option<User>,
    /// The visitor's session record, when logged in.
    pub session_id: Option<i64>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub badges: Badges,
    pub session: Session,
    /// The app's clock when the request came in: relative times are from it.
    pub now: time::PrimitiveDateTime,
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

/// A logged-in user asking to administer the group in the path's `{slug}`.
/// Extracting it reads nothing more: the claim is checked by the use case,
/// in the same database trip as what it reads or writes
/// (`policy::AdminClaim::check`), never in a trip of its own before.
pub struct GroupAdmin {
    pub user: User,
    pub ctx: Ctx,
    pub claim: crate::policy::AdminClaim,
}

/// An active super user of a company account: Manage Users, the account's
/// audit and all its cases.
pub struct SuperUser {
    pub user: User,
    pub account_id: i64,
    pub ctx: Ctx,
}

/// How long a session may go between updates of its last-seen time.
const SEEN_RESOLUTION: time::Duration = time::Duration::MINUTE;

/// A page's own reads, run in the same trip to the database as the
/// visitor's (see `CurrentUser::with`).
type PageLoad<T> = Box<dyn FnOnce(&mut db::DbConn, &User) -> AppResult<T> + Send>;

async fn load_ctx(req: &HttpRequest) -> AppResult<Ctx> {
    Ok(load_ctx_with::<()>(req, None, false).await?.0)
}

/// The visitor's context and, when the session is valid and `page` is
/// given, the page's data, loaded in one `db::read`. A page that reads all
/// the visitor's open invitations (`page_counts_invitations`) returns how
/// many with its data: the header shows that instead of counting them too.
async fn load_ctx_with<T: Send + 'static>(
    req: &HttpRequest,
    page: Option<PageLoad<(T, Option<i64>)>>,
    page_counts_invitations: bool,
) -> AppResult<(Ctx, Option<T>)> {
    let session = req.get_session();
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("AppState missing"))?
        .clone();
    let mut user = None;
    let mut session_id = None;
    let mut badges = Badges::default();
    let mut ended = false;
    let mut data = None;

    if let Ok(Some(key)) = session.get::<String>(session::KEY) {
        let key_hash = super::tokens::looks_valid(&key).then(|| super::tokens::hash(&key));
        let now = state.clock.now();
        let limits = Limits::of(&state.config);
        // One read: the session record, its user and the header counts in
        // one statement, then the page's own reads, only for a live session.
        let found = match key_hash {
            None => None,
            Some(key_hash) => {
                db::read(&state.pool, state.backend, move |c| {
                    let count_invitations = !page_counts_invitations;
                    let Some((u, record, counts)) =
                        session_record::find_with_user(c, &key_hash, now, count_invitations)?
                    else {
                        return Ok(None);
                    };
                    if !record.is_live_for(&u, now, limits) {
                        return Ok(None);
                    }
                    let (data, open) = match page {
                        Some(f) => {
                            let (data, open) = f(c, &u)?;
                            (Some(data), open)
                        }
                        None => (None, None),
                    };
                    let invites = open.or(counts.invitations).unwrap_or_default();
                    Ok(Some((
                        u,
                        record,
                        (counts.messages, counts.notes, invites),
                        data,
                    )))
                })
                .await?
            }
        };
        match found {
            Some((u, record, (unread_messages, notifications, pending_invitations), page_data)) => {
                if now - record.last_seen_at >= SEEN_RESOLUTION {
                    // A write, so not in the read above; at most once a
                    // minute per session. A failure only delays it.
                    let (id, stale) = (record.id, now - SEEN_RESOLUTION);
                    let touched = state
                        .writer
                        .run(move |c| Ok(session_record::touch(c, id, now, stale)?))
                        .await;
                    if let Err(e) = touched {
                        tracing::warn!(error = %e, "could not record a session's use");
                    }
                }
                badges = Badges {
                    unread_messages: Badge::new(unread_messages),
                    notifications: Badge::new(notifications),
                    pending_invitations: Badge::new(pending_invitations),
                };
                user = Some(u);
                session_id = Some(record.id);
                data = page_data;
            }
            None => {
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
    // A session that just ended keeps its flash for the log-in page; a HEAD
    // leaves it for the GET that shows it.
    let flashes = if req.method() == Method::GET && !ended && !crate::head::is_head(req) {
        session::take_flashes(&session)
    } else {
        Vec::new()
    };
    let ctx = Ctx {
        user,
        session_id,
        csrf,
        flashes,
        badges,
        session,
        now: state.clock.now(),
    };
    Ok((ctx, data))
}

/// Where to come back to after logging in: the page asked for (GETs only).
/// The page to return to after logging in: a GET's path and query, the
/// path alone when the query is longer than `RETURN_MAX` (an address is
/// never echoed whole into `Location:`), `/` when the path is too.
fn return_path(req: &HttpRequest) -> String {
    const RETURN_MAX: usize = 2_000;
    if req.method() != Method::GET {
        return "/".into();
    }
    let uri = req.uri();
    match uri.path_and_query() {
        Some(pq) if pq.as_str().len() <= RETURN_MAX => pq.as_str().to_string(),
        _ if uri.path().len() <= RETURN_MAX => uri.path().to_string(),
        _ => "/".into(),
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

impl CurrentUser {
    /// The signed-in visitor and a page's data, read in one `db::read`: for
    /// the busiest pages, which would otherwise make two trips to the
    /// database. `page` runs only for a valid session, and must only read.
    pub async fn with<T, F>(req: &HttpRequest, page: F) -> AppResult<(Self, T)>
    where
        T: Send + 'static,
        F: FnOnce(&mut db::DbConn, &User) -> AppResult<T> + Send + 'static,
    {
        let page = move |c: &mut db::DbConn, u: &User| Ok((page(c, u)?, None));
        Self::load(req, Box::new(page), false).await
    }

    /// `with` for a page that reads all the visitor's open invitations (up
    /// to `badges::CAP` at least): `page` returns its data and how many it
    /// read, which the header shows instead of counting them a second time.
    pub async fn with_open_invitations<T, F>(req: &HttpRequest, page: F) -> AppResult<(Self, T)>
    where
        T: Send + 'static,
        F: FnOnce(&mut db::DbConn, &User) -> AppResult<(T, i64)> + Send + 'static,
    {
        let page = move |c: &mut db::DbConn, u: &User| {
            let (data, open) = page(c, u)?;
            Ok((data, Some(open)))
        };
        Self::load(req, Box::new(page), true).await
    }

    async fn load<T: Send + 'static>(
        req: &HttpRequest,
        page: PageLoad<(T, Option<i64>)>,
        page_counts_invitations: bool,
    ) -> AppResult<(Self, T)> {
        let (ctx, data) = load_ctx_with(req, Some(page), page_counts_invitations).await?;
        match (ctx.user.clone(), data) {
            (Some(user), Some(data)) => Ok((CurrentUser { user, ctx }, data)),
            _ => Err(AppError::login_required(return_path(req))),
        }
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

impl FromRequest for GroupAdmin {
    type Error = AppError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let slug = req.match_info().get("slug").map(str::to_owned);
        let me = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let CurrentUser { user, ctx } = me.await?;
            let slug = slug.ok_or_else(AppError::not_found)?;
            let claim = crate::policy::AdminClaim {
                slug,
                viewer: user.id,
            };
            Ok(GroupAdmin { user, ctx, claim })
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
        crate::assets::version()
    }
}

#[cfg(test)]
mod tests {
    use super::Badge;

    #[test]
    fn badges_show_the_count_up_to_99_then_99_plus() {
        assert_eq!(Badge::new(0).to_string(), "0");
        assert_eq!(Badge::new(99).to_string(), "99");
        assert_eq!(Badge::new(100).to_string(), "99+");
        assert_eq!(Badge::new(5000).to_string(), "99+");
        assert!(Badge::new(3) > 0 && Badge::new(0) == 0);
    }
}
