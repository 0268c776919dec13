//! Sessions as server-side records: begin one at log-in, list a user's
//! ("Where you're logged in"), end one or all but the current one.

use crate::auth::tokens;
use crate::db::{self, DbConn};
use crate::domain::device_name;
use crate::error::AppResult;
use crate::models::session::{self, Limits, NewSession, SessionRecord};
use crate::models::{User, user};
use time::PrimitiveDateTime;

/// What is kept of a User-Agent: enough to name the device.
const USER_AGENT_CHARS: usize = 256;

/// Where a log-in comes from, as the request tells.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: String,
    pub address: String,
}

impl ClientInfo {
    pub fn of(req: &actix_web::HttpRequest) -> Self {
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(USER_AGENT_CHARS)
            .collect();
        let address = crate::auth::client::address(req);
        ClientInfo {
            user_agent,
            address,
        }
    }
}

/// Starts a session for user `user_id` and returns its key, for the cookie
/// (only its hash is stored). Drops the user's sessions past the absolute
/// limit.
pub fn begin(
    conn: &mut DbConn,
    user_id: i64,
    from: &ClientInfo,
    limits: Limits,
    now: PrimitiveDateTime,
) -> AppResult<String> {
    let (key, key_hash) = tokens::generate();
    db::write_tx(conn, |c| {
        // Read in the transaction: the epoch the session starts in is current.
        let u = user::find(c, user_id)?;
        session::prune(c, u.id, now - limits.max)?;
        session::insert(
            c,
            &NewSession {
                key_hash: &key_hash,
                user_id: u.id,
                epoch: u.session_epoch,
                created_at: now,
                last_seen_at: now,
                user_agent: &from.user_agent,
                client_address: &from.address,
            },
        )?;
        Ok::<_, crate::error::AppError>(())
    })?;
    Ok(key)
}

/// The one rule for ending a session from "Where you're logged in": only
/// its own user may, and only while it is open.
pub fn may_end_session(actor: &User, target: &SessionRecord) -> bool {
    target.user_id == actor.id && target.ended_at.is_none()
}

#[derive(Debug, PartialEq, Eq)]
pub enum EndOutcome {
    Ended,
    /// Not there, not the actor's, or ended already: the same answer for all.
    NotFound,
}

/// Ends session `id` if `actor` may end it.
pub fn end_session(
    conn: &mut DbConn,
    actor: &User,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<EndOutcome> {
    db::write_tx(conn, |c| {
        let Some(target) = session::find(c, id)? else {
            return Ok(EndOutcome::NotFound);
        };
        if !may_end_session(actor, &target) {
            return Ok(EndOutcome::NotFound);
        }
        Ok(match session::end(c, target.id, actor.id, now)? {
            0 => EndOutcome::NotFound,
            _ => EndOutcome::Ended,
        })
    })
}

/// "Log out everywhere else": ends every session of `actor` but `current`;
/// returns how many.
pub fn end_other_sessions(
    conn: &mut DbConn,
    actor: &User,
    current: i64,
    now: PrimitiveDateTime,
) -> AppResult<usize> {
    db::write_tx(conn, |c| {
        Ok(session::end_all_but(c, actor.id, current, now)?)
    })
}

/// One line of "Where you're logged in".
#[derive(Debug, Clone)]
pub struct SessionLine {
    pub id: i64,
    pub device: String,
    pub address: String,
    pub last_seen: PrimitiveDateTime,
    pub started: PrimitiveDateTime,
    pub current: bool,
}

/// The sessions that still log `u` in, the current one first.
pub fn live_sessions(
    conn: &mut DbConn,
    u: &User,
    current: i64,
    limits: Limits,
    now: PrimitiveDateTime,
) -> AppResult<Vec<SessionLine>> {
    let mut lines: Vec<SessionLine> = session::open_of_user(conn, u.id, now - limits.max)?
        .into_iter()
        .filter(|s| s.is_live_for(u, now, limits))
        .map(|s| SessionLine {
            id: s.id,
            device: device_name(&s.user_agent),
            address: s.client_address,
            last_seen: s.last_seen_at,
            started: s.created_at,
            current: s.id == current,
        })
        .collect();
    // Stable: the others keep their most-recent-first order.
    lines.sort_by_key(|l| !l.current);
    Ok(lines)
}

/// Ending sessions from the sessions page, as handlers call it.
impl super::App {
    pub async fn end_session(&self, actor: &User, id: i64) -> AppResult<EndOutcome> {
        let actor = actor.clone();
        self.on_pool(move |c, now| end_session(c, &actor, id, now))
            .await
    }

    /// Ends every session of `actor` but `current`: how many ended.
    pub async fn end_other_sessions(&self, actor: &User, current: i64) -> AppResult<usize> {
        let actor = actor.clone();
        self.on_pool(move |c, now| end_other_sessions(c, &actor, current, now))
            .await
    }
}

impl super::App {
    /// Opens a session for a user who just proved who they are: its key,
    /// for the cookie.
    pub async fn begin_session(&self, user: i64, from: ClientInfo) -> AppResult<String> {
        let limits = Limits::of(&self.config);
        self.on_pool(move |c, now| begin(c, user, &from, limits, now))
            .await
    }
}
