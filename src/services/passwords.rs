//! Getting into an account and keeping it: "Forgot your password?" (a
//! mailed link, 1 hour, once), changing the password (current one
//! required) and changing the e-mail address (the new one confirms first).
//!
//! Every link is a 256-bit token of which only the hash is stored
//! (`account_links`); using one is a conditional UPDATE, so two clicks make
//! one change. Every mail-sending and guessing path takes a hit from an
//! atomic window (`rate_limits`) before it works.

use crate::auth::{password, tokens};
use crate::config::Config;
use crate::db::{self, DbConn};
use crate::domain::{EmailAddress, FormErrors, Password};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::mail;
use crate::models::account_link::{self, AccountLink, NewLink, Purpose};
use crate::models::{User, audit, rate_limit, session, user};
use crate::policy::{self, Denied};
use crate::services::link_guesses;
use diesel::QueryResult;
use time::{Duration, PrimitiveDateTime};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;
/// How long a link to confirm a new address works.
pub const EMAIL_CHANGE_HOURS: i64 = 24;

/// "Send me a link" per requesting address, per hour.
pub const REQUESTS_PER_ADDRESS: i64 = 10;
/// Reset mails to one mailbox, per hour, whoever asks.
pub const RESETS_PER_MAILBOX: i64 = 3;
/// Checks of the current password (change password or address), per user
/// and window: the same budget as log-in guesses.
const PASSWORD_CHECK_WINDOW: Duration = Duration::minutes(15);
/// Confirmation mails to new addresses, per user and day.
pub const EMAIL_CHANGES_PER_DAY: i64 = 5;

const HOUR: Duration = Duration::hours(1);

fn stamp(at: PrimitiveDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    at.format(&f).unwrap_or_default()
}

/// Takes one "Send me a link" from the requester's window; false when full.
/// Checked before the page answers (the answer may say "too many").
pub fn take_reset_request(
    conn: &mut DbConn,
    requester: &str,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    rate_limit::prune(conn, "reset:", now - HOUR)?;
    rate_limit::take(
        conn,
        &format!("reset:from:{requester}"),
        REQUESTS_PER_ADDRESS,
        now - HOUR,
        now,
    )
}

/// The work behind "Send me a link", done after the page has answered, so
/// that neither the answer nor its time tells whether `email` has an
/// account. Mails a reset link when it does, it may log in, and its mailbox
/// has not had `RESETS_PER_MAILBOX` this hour. True when a mail was queued.
pub fn send_reset_link(
    conn: &mut DbConn,
    config: &Config,
    email: &EmailAddress,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    let key = email.key();
    db::write_tx(conn, |c| {
        let mailbox = format!("reset:to:{}", tokens::hash(&key));
        if !rate_limit::take(c, &mailbox, RESETS_PER_MAILBOX, now - HOUR, now)? {
            return Ok(false);
        }
        let Some(u) = user::find_by_email_key(c, &key)? else {
            return Ok(false);
        };
        if policy::may_recover_login(&u).is_err() {
            return Ok(false);
        }
        // Only the newest link works: an older mail is not a way in.
        account_link::retire_open(c, u.id, Purpose::PasswordReset, now)?;
        let (token, hash) = tokens::generate();
        account_link::insert(
            c,
            &NewLink {
                user_id: u.id,
                purpose: Purpose::PasswordReset,
                token_hash: &hash,
                new_email: None,
                expires_at: now + Duration::minutes(RESET_MINUTES),
            },
            now,
        )?;
        let link = format!("{}/password/reset/{}", config.base_url, token);
        let m = mail::messages::password_reset(&u.email, &u.first_name, &link)?;
        mail::enqueue(c, &m, now, &config.host())?;
        Ok(true)
    })
}

/// Where a mailed link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Ready,
    /// Used, or replaced by a newer link.
    Used,
    Expired,
}

fn state_of(link: &AccountLink, now: PrimitiveDateTime) -> LinkState {
    if link.used_at.is_some() {
        LinkState::Used
    } else if link.expires_at <= now {
        LinkState::Expired
    } else {
        LinkState::Ready
    }
}

/// Looks a link up for the page it opens (or its form), taking a guess
/// from the address's window first, the one `/join/{token}` uses (given
/// back when the link exists). `Ok(None)` for a link that does not exist.
pub fn open_link(
    conn: &mut DbConn,
    purpose: Purpose,
    token: &str,
    address: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<LinkState>> {
    let found = link_guesses::within_budget(
        conn,
        address,
        now,
        |c| Ok(find_link(c, purpose, token)?),
        Option::is_some,
    )?
    .ok_or_else(|| AppError::new(ErrorKind::Throttled(link_guesses::TOO_MANY.into())))?;
    Ok(found.map(|l| state_of(&l, now)))
}

fn find_link(conn: &mut DbConn, purpose: Purpose, token: &str) -> QueryResult<Option<AccountLink>> {
    if !tokens::looks_valid(token) {
        return Ok(None);
    }
    let hash = tokens::hash(token);
    Ok(account_link::find_by_hash(conn, purpose, &hash)?
        .filter(|l| tokens::equal(&l.token_hash, &hash)))
}

/// What came of a link's form.
#[derive(Debug)]
pub enum LinkOutcome {
    /// Done; the user it was for.
    Done(Box<User>),
    Link(LinkState),
    Denied(Denied),
    Form(FormErrors),
}

/// Why a link's transaction stopped: a failure, or a form to show again
/// (rolled back, so the link works again once the form is fixed).
type Stop = super::Halt<FormErrors>;

/// Uses `token` as `purpose` in one transaction: still unused and
/// unexpired, the account still allowed to, then marked used and `apply`
/// runs. `None` for a link that does not exist.
fn redeem(
    conn: &mut DbConn,
    purpose: Purpose,
    token: &str,
    now: PrimitiveDateTime,
    apply: impl FnOnce(&mut DbConn, &AccountLink, &User) -> Result<(), Stop>,
) -> AppResult<Option<LinkOutcome>> {
    let done = db::write_tx(conn, |c| {
        let Some(link) = find_link(c, purpose, token)? else {
            return Ok(None);
        };
        match state_of(&link, now) {
            LinkState::Ready => {}
            other => return Ok(Some(LinkOutcome::Link(other))),
        }
        let u = user::find(c, link.user_id)?;
        if let Err(d) = policy::may_recover_login(&u) {
            return Ok(Some(LinkOutcome::Denied(d)));
        }
        if account_link::mark_used(c, link.id, now)? == 0 {
            return Ok(Some(LinkOutcome::Link(LinkState::Used)));
        }
        apply(c, &link, &u)?;
        Ok(Some(LinkOutcome::Done(Box::new(u))))
    });
    match done {
        Ok(outcome) => Ok(outcome),
        Err(Stop::Refused(errors)) => Ok(Some(LinkOutcome::Form(errors))),
        Err(Stop::App(e)) => Err(e),
    }
}

fn new_password(raw: &str, username: Option<&str>) -> Result<Password, FormErrors> {
    let mut e = FormErrors::default();
    match e.check("password", Password::parse(raw, username)) {
        Some(p) if e.is_empty() => Ok(p),
        _ => Err(e),
    }
}

fn hash(p: &Password) -> AppResult<String> {
    password::hash(p.expose()).map_err(|e| AppError::internal(e.to_string()))
}

fn record(
    c: &mut DbConn,
    u: &User,
    kind: &'static str,
    detail: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    audit::record(
        c,
        &audit::NewAuditEvent {
            actor_id: u.id,
            subject_user_id: Some(u.id),
            account_id: u.account_id,
            group_id: None,
            kind,
            detail,
            created_at: now,
        },
    )?;
    Ok(())
}

fn mail_password_changed(
    c: &mut DbConn,
    config: &Config,
    u: &User,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let forgot = format!("{}/password/forgot", config.base_url);
    let m = mail::messages::password_changed(&u.email, &u.first_name, &stamp(now), &forgot)?;
    mail::enqueue(c, &m, now, &config.host())?;
    Ok(())
}

/// Sets a new password from a reset link: every session of the user ends
/// (on every server), the link and any other reset link stop working, the
/// address counts as confirmed (the link was opened from its mailbox) and
/// a notice is mailed. The username is read again in the transaction for
/// the "not your username" rule.
pub fn reset_password(
    conn: &mut DbConn,
    config: &Config,
    token: &str,
    new: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<LinkOutcome>> {
    // Shape first (cheap), then argon2 outside the transaction; the
    // username rule is checked again inside, on the row it writes.
    if let Err(e) = new_password(new, None) {
        return Ok(Some(LinkOutcome::Form(e)));
    }
    let (token, new) = (token.to_string(), new.to_string());
    // A link that does not exist costs no argon2.
    if find_link(conn, Purpose::PasswordReset, &token)?.is_none() {
        return Ok(None);
    }
    let hashed = hash(&Password::parse(&new, None).map_err(AppError::internal)?)?;
    redeem(conn, Purpose::PasswordReset, &token, now, |c, _, u| {
        new_password(&new, u.username.as_deref()).map_err(Stop::Refused)?;
        user::set_password(c, u.id, &hashed, now)?;
        user::bump_session_epoch(c, u.id)?;
        user::mark_email_verified(c, u.id, now)?;
        account_link::retire_open(c, u.id, Purpose::PasswordReset, now)?;
        record(
            c,
            u,
            audit::PASSWORD_RESET,
            "Password reset from a mailed link",
            now,
        )?;
        mail_password_changed(c, config, u, now)?;
        Ok(())
    })
}

/// Takes one check of `u`'s current password; false when the window is full.
fn take_password_check(
    conn: &mut DbConn,
    config: &Config,
    u: &User,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let since = now - PASSWORD_CHECK_WINDOW;
    rate_limit::take(
        conn,
        &format!("pwcheck:user:{}", u.id),
        config.login_max_failures_per_account,
        since,
        now,
    )
}

const WRONG_PASSWORD: &str = "This is not your current password.";
const TOO_MANY_CHECKS: &str = "Too many wrong passwords. Wait a few minutes and try again.";

/// Checks `current` against `u`'s password with argon2, after taking a
/// hit from the user's window (given back when right). The form error when
/// wrong or throttled.
pub async fn check_current_password(
    pool: &db::DbPool,
    config: &Config,
    u: &User,
    current: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<(), FormErrors>> {
    let mut errors = FormErrors::default();
    if current.is_empty() {
        errors.add("current_password", "Enter your current password.");
        return Ok(Err(errors));
    }
    let (uc, cfg) = (u.clone(), config.clone());
    let allowed = db::run(pool, move |c| Ok(take_password_check(c, &cfg, &uc, now)?)).await?;
    if !allowed {
        errors.add("current_password", TOO_MANY_CHECKS);
        return Ok(Err(errors));
    }
    let (stored, typed) = (u.password_hash.clone(), current.to_string());
    let ok = actix_web::web::block(move || password::verify(&typed, stored.as_deref()))
        .await
        .map_err(AppError::internal)?;
    if !ok {
        errors.add("current_password", WRONG_PASSWORD);
        return Ok(Err(errors));
    }
    let key = format!("pwcheck:user:{}", u.id);
    db::run(pool, move |c| {
        rate_limit::clear(c, &key)?;
        Ok(())
    })
    .await?;
    Ok(Ok(()))
}

/// Changes the password of `u` (whose current password was just checked):
/// every other session ends, reset links stop working, a notice is mailed.
pub fn change_password(
    conn: &mut DbConn,
    config: &Config,
    u: &User,
    keep_session: i64,
    hashed: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<(), Denied>> {
    db::write_tx(conn, |c| {
        let u = user::find(c, u.id)?;
        if let Err(d) = policy::may_recover_login(&u) {
            return Ok(Err(d));
        }
        user::set_password(c, u.id, hashed, now)?;
        session::end_all_but(c, u.id, keep_session, now)?;
        account_link::retire_open(c, u.id, Purpose::PasswordReset, now)?;
        record(c, &u, audit::PASSWORD_CHANGED, "Password changed", now)?;
        mail_password_changed(c, config, &u, now)?;
        Ok(Ok(()))
    })
}

/// The new password of the change-password form, checked like at sign-up
/// and against the current one; hashed when good.
pub async fn new_password_hash(
    u: &User,
    current: &str,
    new: &str,
) -> AppResult<Result<String, FormErrors>> {
    let p = match new_password(new, u.username.as_deref()) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    if p.expose() == current {
        let mut e = FormErrors::default();
        e.add(
            "password",
            "The new password must differ from the current one.",
        );
        return Ok(Err(e));
    }
    let hashed = actix_web::web::block(move || hash(&p))
        .await
        .map_err(AppError::internal)??;
    Ok(Ok(hashed))
}

const EMAIL_TAKEN: &str = "An account with this e-mail address already exists.";

/// Asks for `u`'s address to become `raw` (whose password was just
/// checked): mails a link to the new address; nothing changes until it is
/// opened. Limited per user and day.
pub fn request_email_change(
    conn: &mut DbConn,
    config: &Config,
    u: &User,
    raw: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<(), FormErrors>> {
    let mut errors = FormErrors::default();
    let Some(email) = errors.check("email", EmailAddress::parse(raw)) else {
        return Ok(Err(errors));
    };
    let key = email.key();
    db::write_tx(conn, |c| {
        let u = user::find(c, u.id)?;
        if EmailAddress::parse(&u.email).is_ok_and(|old| old.key() == key) {
            errors.add("email", "This is your address already.");
            return Ok(Err(errors));
        }
        if user::find_by_email_key(c, &key)?.is_some() {
            errors.add("email", EMAIL_TAKEN);
            return Ok(Err(errors));
        }
        let day = now - Duration::days(1);
        rate_limit::prune(c, "email_change:", day)?;
        let window = format!("email_change:user:{}", u.id);
        if !rate_limit::take(c, &window, EMAIL_CHANGES_PER_DAY, day, now)? {
            errors.add(
                "email",
                format!(
                    "You asked for {EMAIL_CHANGES_PER_DAY} changes of address today. Try again tomorrow."
                ),
            );
            return Ok(Err(errors));
        }
        account_link::retire_open(c, u.id, Purpose::EmailChange, now)?;
        let (token, hash) = tokens::generate();
        account_link::insert(
            c,
            &NewLink {
                user_id: u.id,
                purpose: Purpose::EmailChange,
                token_hash: &hash,
                new_email: Some((email.as_str(), &key)),
                expires_at: now + Duration::hours(EMAIL_CHANGE_HOURS),
            },
            now,
        )?;
        let link = format!("{}/account/email/{}", config.base_url, token);
        let m = mail::messages::confirm_new_email(
            email.as_str(),
            &u.first_name,
            &link,
            EMAIL_CHANGE_HOURS,
        )?;
        mail::enqueue(c, &m, now, &config.host())?;
        Ok(Ok(()))
    })
}

/// The new address waiting for its confirmation, if any.
pub fn pending_email(
    conn: &mut DbConn,
    u: &User,
    now: PrimitiveDateTime,
) -> QueryResult<Option<String>> {
    Ok(account_link::pending_email_change(conn, u.id, now)?.and_then(|l| l.new_email))
}

/// Makes the link's new address the account's (the link proved the
/// mailbox) and mails a notice to the old one. Refused with a message when
/// another account took the address in the meantime.
pub fn confirm_email_change(
    conn: &mut DbConn,
    config: &Config,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<LinkOutcome>> {
    redeem(conn, Purpose::EmailChange, token, now, |c, link, u| {
        let (Some(email), Some(key)) = (link.new_email.as_deref(), link.new_email_key.as_deref())
        else {
            return Err(AppError::internal("an e-mail change link without its address").into());
        };
        let taken = || {
            let mut errors = FormErrors::default();
            errors.add("email", EMAIL_TAKEN);
            Stop::Refused(errors)
        };
        if user::find_by_email_key(c, key)?.is_some_and(|other| other.id != u.id) {
            return Err(taken());
        }
        match user::set_email(c, u.id, email, key, now) {
            Ok(_) => {}
            // Taken by a sign-up in between: the constraint decides.
            Err(e) if db::is_unique_violation(&e) => return Err(taken()),
            Err(e) => return Err(e.into()),
        }
        account_link::retire_open(c, u.id, Purpose::EmailChange, now)?;
        record(
            c,
            u,
            audit::EMAIL_CHANGED,
            &format!("E-mail address changed from {} to {email}", u.email),
            now,
        )?;
        let m = mail::messages::email_changed(&u.email, &u.first_name, email, &stamp(now))
            .map_err(AppError::from)?;
        mail::enqueue(c, &m, now, &config.host())?;
        Ok(())
    })
}

/// Password reset, password change and e-mail change, as handlers call
/// them (each wakes the mail worker for the notices it queued).
impl super::App {
    /// Counts a reset request from `requester`: false once over the limit.
    pub async fn take_reset_request(&self, requester: String) -> AppResult<bool> {
        self.on_pool(move |c, now| Ok(take_reset_request(c, &requester, now)?))
            .await
    }

    /// Queues the reset link (if the address has an account) in the
    /// background, so the answer takes as long for any address.
    pub fn send_reset_link_later(&self, email: EmailAddress) {
        let app = self.clone();
        actix_web::rt::spawn(async move {
            let config = app.config.clone();
            let sent = app
                .on_pool(move |c, now| send_reset_link(c, &config, &email, now))
                .await;
            match sent {
                Ok(true) => app.mail_wakeup.notify_one(),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "password reset: could not queue the link"),
            }
        });
    }

    /// The link's state (None: no such link), after a guess taken from the
    /// address's window.
    pub async fn open_account_link(
        &self,
        purpose: Purpose,
        token: String,
        address: String,
    ) -> AppResult<Option<LinkState>> {
        self.on_pool(move |c, now| open_link(c, purpose, &token, &address, now))
            .await
    }

    pub async fn reset_password(
        &self,
        token: String,
        new: String,
    ) -> AppResult<Option<LinkOutcome>> {
        let config = self.config.clone();
        self.on_pool_mailing(move |c, now| reset_password(c, &config, &token, &new, now))
            .await
    }

    /// Stores a new password hash, ending every session but `keep_session`.
    pub async fn change_password(
        &self,
        u: &User,
        keep_session: i64,
        hashed: String,
    ) -> AppResult<Result<(), Denied>> {
        let (config, u) = (self.config.clone(), u.clone());
        self.on_pool_mailing(move |c, now| {
            change_password(c, &config, &u, keep_session, &hashed, now)
        })
        .await
    }

    pub async fn request_email_change(
        &self,
        u: &User,
        raw: String,
    ) -> AppResult<Result<(), FormErrors>> {
        let (config, u) = (self.config.clone(), u.clone());
        self.on_pool_mailing(move |c, now| request_email_change(c, &config, &u, &raw, now))
            .await
    }

    pub async fn confirm_email_change(&self, token: String) -> AppResult<Option<LinkOutcome>> {
        let config = self.config.clone();
        self.on_pool_mailing(move |c, now| confirm_email_change(c, &config, &token, now))
            .await
    }
}
