//! Log-in: throttled per account and per client address in the database (so
//! the limits hold across servers, and however many guesses arrive at once:
//! each takes its hit before the password is checked), with the same answer
//! and the same argon2 work for an unknown name as for a wrong password.

use crate::auth::{password, tokens};
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::domain::UserStatus;
use crate::error::{AppError, AppResult};
use crate::models::{User, rate_limit, user};
use time::PrimitiveDateTime;

#[derive(Debug)]
pub enum LoginOutcome {
    LoggedIn(Box<User>),
    /// Wrong password or unknown account: the same message for both.
    Invalid,
    Throttled,
    /// The password was right; the user id lets the page offer a new link.
    EmailNotVerified(i64),
    /// The password was right, but the account lost its unconfirmed address
    /// to someone who proved it: nothing can confirm it any more.
    AddressReleased,
    AwaitingApproval,
    Deactivated,
}

impl LoginOutcome {
    pub fn message(&self) -> &'static str {
        match self {
            Self::LoggedIn(_) => "",
            Self::Invalid => "Invalid username or password.",
            Self::Throttled => "Too many failed log-in attempts. Wait a few minutes and try again.",
            Self::EmailNotVerified(_) => {
                "Confirm your e-mail address first: open the link we sent you."
            }
            Self::AddressReleased => {
                "This account has no e-mail address any more: the person who receives mail at the address it was registered with proved it and took it. Sign up again with your own address."
            }
            Self::AwaitingApproval => {
                "Your account is waiting for approval by a site administrator."
            }
            Self::Deactivated => "Your login has been deactivated. Contact your administrator.",
        }
    }
}

/// Keys of bounded length whatever was typed: a 100 KB login name is hashed,
/// never stored.
fn account_key(login: &str) -> String {
    format!("login:acct:{}", tokens::hash(&login.trim().to_lowercase()))
}

fn ip_key(ip: &str) -> String {
    format!("login:ip:{ip}")
}

/// Takes one guess from the account's window and then from the address's,
/// in one transaction (a full address gives the account's hit back). True
/// when the password may be checked. The hits are taken before argon2 runs,
/// so N guesses arriving at once get at most the limit checked.
fn take_guess(
    c: &mut db::DbConn,
    (acct, ip): (&str, &str),
    (max_acct, max_ip): (i64, i64),
    since: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<bool> {
    let taken = db::write_tx(c, |c| {
        if !rate_limit::take(c, acct, max_acct, since, now)? {
            return Ok(false);
        }
        if !rate_limit::take(c, ip, max_ip, since, now)? {
            return Err(diesel::result::Error::RollbackTransaction);
        }
        Ok(true)
    });
    match taken {
        Err(diesel::result::Error::RollbackTransaction) => Ok(false),
        other => other,
    }
}

pub async fn log_in(
    pool: &DbPool,
    config: &Config,
    now: PrimitiveDateTime,
    login: &str,
    pass: &str,
    ip: &str,
) -> AppResult<LoginOutcome> {
    let (acct, ipk) = (account_key(login), ip_key(ip));
    let since =
        now - time::Duration::try_from(config.login_window).unwrap_or(time::Duration::MINUTE * 15);
    let limits = (
        config.login_max_failures_per_account,
        config.login_max_failures_per_ip,
    );
    let login_owned = login.to_string();
    let (acct2, ipk2) = (acct.clone(), ipk.clone());
    let found = db::run(pool, move |c| {
        if !take_guess(c, (&acct2, &ipk2), limits, since, now)? {
            return Ok(None);
        }
        rate_limit::prune(c, "login:", since)?;
        Ok(Some(user::find_by_login(c, &login_owned)?))
    })
    .await?;
    let Some(found) = found else {
        return Ok(LoginOutcome::Throttled);
    };

    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let pass = pass.to_string();
    let ok = actix_web::web::block(move || password::verify(&pass, stored.as_deref()))
        .await
        .map_err(AppError::internal)?;

    if !ok {
        return Ok(LoginOutcome::Invalid);
    }
    let u = found.expect("a password matched, so the user exists");
    // A right password: the account starts afresh, and the address gets its
    // hit back (only failures count against the people behind it).
    db::run(pool, move |c| {
        rate_limit::clear(c, &acct)?;
        rate_limit::give_back(c, &ipk)?;
        Ok(())
    })
    .await?;
    Ok(match u.status {
        UserStatus::Active | UserStatus::PendingApproval if u.address_released() => {
            LoginOutcome::AddressReleased
        }
        UserStatus::Active if u.email_verified_at.is_none() => LoginOutcome::EmailNotVerified(u.id),
        UserStatus::Active => LoginOutcome::LoggedIn(Box::new(u)),
        UserStatus::PendingApproval if u.email_verified_at.is_none() => {
            LoginOutcome::EmailNotVerified(u.id)
        }
        UserStatus::PendingApproval => LoginOutcome::AwaitingApproval,
        UserStatus::Deactivated => LoginOutcome::Deactivated,
        // A contact without a login has no password, so cannot get here.
        UserStatus::Invited => LoginOutcome::Invalid,
    })
}

/// `next` is followed only when it is a path on this site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n'])
                && !n.starts_with("/logout") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/groups?page=2")), "/groups?page=2");
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
