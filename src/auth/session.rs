//! What the session cookie holds and the helpers around it. The cookie is
//! signed and encrypted by actix-session; nothing in it is trusted without a
//! database check (see `extractors`). A logged-in cookie holds the key of a
//! server-side session record (`models::session`), never the user's id.

use actix_session::Session;
use serde::{Deserialize, Serialize};

/// The key of the session's record: 256 random bits, stored only hashed.
pub const KEY: &str = "sid";
pub const CSRF: &str = "csrf";
pub const FLASH: &str = "flash";
/// A user who gave the right password but has not confirmed their e-mail.
pub const UNVERIFIED_USER: &str = "unverified";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    /// `info`, `success` or `error`.
    pub level: String,
    pub text: String,
}

pub fn flash(session: &Session, level: &str, text: impl Into<String>) {
    let mut all: Vec<Flash> = session.get(FLASH).ok().flatten().unwrap_or_default();
    all.push(Flash {
        level: level.into(),
        text: text.into(),
    });
    let _ = session.insert(FLASH, all);
}

pub fn take_flashes(session: &Session) -> Vec<Flash> {
    // `remove` marks the session changed even for a missing key, and a
    // changed session is encrypted and sent again as a cookie.
    if !session.contains_key(FLASH) {
        return Vec::new();
    }
    session
        .remove_as::<Vec<Flash>>(FLASH)
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF) {
        return t;
    }
    let token = super::tokens::random();
    let _ = session.insert(CSRF, &token);
    token
}

/// Starts a logged-in session (its record already written, `key` its key)
/// under a new id with a new CSRF token.
pub fn log_in(session: &Session, key: &str) {
    let flashes = take_flashes(session);
    session.clear();
    session.renew();
    let _ = session.insert(KEY, key);
    let _ = session.insert(CSRF, super::tokens::random());
    if !flashes.is_empty() {
        let _ = session.insert(FLASH, flashes);
    }
}

/// Ends the login but keeps a session for the flash message and a new CSRF token.
pub fn log_out(session: &Session) {
    session.clear();
    session.renew();
    let _ = session.insert(CSRF, super::tokens::random());
}
