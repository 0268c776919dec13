//! Log-in: throttled per account and per client address in the database (so
//! the limits hold across servers), with the same answer and the same argon2
//! work for an unknown name as for a wrong password.

use crate::auth::password;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::domain::UserStatus;
use crate::error::{AppError, AppResult};
use crate::models::{User, login_attempt, user};
use time::PrimitiveDateTime;

#[derive(Debug)]
pub enum LoginOutcome {
    LoggedIn(Box<User>),
    /// Wrong password or unknown account: the same message for both.
    Invalid,
    Throttled,
    /// The password was right; the user id lets the page offer a new link.
    EmailNotVerified(i64),
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
            Self::AwaitingApproval => {
                "Your account is waiting for approval by a site administrator."
            }
            Self::Deactivated => "Your login has been deactivated. Contact your administrator.",
        }
    }
}

fn account_key(login: &str) -> String {
    format!("acct:{}", login.trim().to_lowercase())
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
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
    let (max_acct, max_ip) = (
        config.login_max_failures_per_account,
        config.login_max_failures_per_ip,
    );
    let login_owned = login.to_string();
    let (acct2, ipk2) = (acct.clone(), ipk.clone());
    let found = db::run(pool, move |c| {
        if login_attempt::count_since(c, &acct2, since)? >= max_acct
            || login_attempt::count_since(c, &ipk2, since)? >= max_ip
        {
            return Ok(None);
        }
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
        db::run(pool, move |c| {
            db::write_tx(c, |c| {
                login_attempt::record(c, &acct, now)?;
                login_attempt::record(c, &ipk, now)?;
                login_attempt::prune(c, since)?;
                Ok(())
            })
        })
        .await?;
        return Ok(LoginOutcome::Invalid);
    }
    let u = found.expect("a password matched, so the user exists");
    db::run(pool, move |c| Ok(login_attempt::clear(c, &acct)?)).await?;
    Ok(match u.status() {
        Some(UserStatus::Active) if u.email_verified_at.is_none() => {
            LoginOutcome::EmailNotVerified(u.id)
        }
        Some(UserStatus::Active) => LoginOutcome::LoggedIn(Box::new(u)),
        Some(UserStatus::PendingApproval) if u.email_verified_at.is_none() => {
            LoginOutcome::EmailNotVerified(u.id)
        }
        Some(UserStatus::PendingApproval) => LoginOutcome::AwaitingApproval,
        Some(UserStatus::Deactivated) => LoginOutcome::Deactivated,
        // A contact without a login has no password, so cannot get here.
        Some(UserStatus::Invited) | None => LoginOutcome::Invalid,
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
