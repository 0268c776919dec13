//! Guessing links: every opening of a `/join/{token}` page (and of a
//! password-reset or new-address link, page or form) takes
//! a hit from its address's window before the token is looked up, and a
//! link that exists gives it back. So however many guesses arrive at once,
//! one address gets at most `PER_WINDOW` lookups of links that do not exist
//! per window. (A 256-bit token cannot be guessed; this keeps scanners from
//! using the page as a free oracle and from loading the database.)

use crate::db::DbConn;
use crate::error::AppResult;
use crate::models::rate_limit;
use diesel::QueryResult;
use time::PrimitiveDateTime;

pub const PER_WINDOW: i64 = 30;
/// What the page says when the window is full.
pub const TOO_MANY: &str = "Too many links that do not exist were opened from your \
    address. Wait a few minutes, then open the link from your mail again.";
const WINDOW: time::Duration = time::Duration::minutes(15);
const PREFIX: &str = "join:ip:";

fn key(address: &str) -> String {
    format!("{PREFIX}{address}")
}

/// Takes one guess for `address`; false when its window is full.
fn take(conn: &mut DbConn, address: &str, now: PrimitiveDateTime) -> QueryResult<bool> {
    let since = now - WINDOW;
    rate_limit::prune(conn, PREFIX, since)?;
    rate_limit::take(conn, &key(address), PER_WINDOW, since, now)
}

/// The link existed: the guess does not count.
fn give_back(conn: &mut DbConn, address: &str) -> QueryResult<()> {
    rate_limit::give_back(conn, &key(address))?;
    Ok(())
}

/// Looks a link up (`look`) under `address`'s budget of guesses: `None`
/// when the budget is spent, else what was found; a lookup that `led`
/// somewhere gives its guess back. Every link page (`/join/…`,
/// `/links/…`, reset and new-address links) opens through it.
pub fn within_budget<T>(
    conn: &mut DbConn,
    address: &str,
    now: PrimitiveDateTime,
    look: impl FnOnce(&mut DbConn) -> AppResult<T>,
    led: impl FnOnce(&T) -> bool,
) -> AppResult<Option<T>> {
    if !take(conn, address, now)? {
        return Ok(None);
    }
    let found = look(conn)?;
    if led(&found) {
        give_back(conn, address)?;
    }
    Ok(Some(found))
}
