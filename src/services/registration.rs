//! Registration: sign-up, the first site admin, e-mail verification and
//! the site admin's approval.

use crate::auth::{password, tokens};
use crate::config::{Config, SignupMode};
use crate::db::{self, DbConn};
use crate::domain::{
    CountryCode, EmailAddress, FormErrors, Password, PersonName, PhoneNumber, UserStatus, Username,
};
use crate::error::{AppError, AppResult};
use crate::mail;
use crate::models::user::{self, NewUser, Taken};
use crate::models::{User, email_verification, rate_limit};
use serde::Deserialize;
use time::PrimitiveDateTime;

/// How long an e-mail verification link works.
pub const VERIFY_HOURS: i64 = 48;

/// The sign-up form as typed; kept to show it again with the errors.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SignupInput {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub country_code: String,
    #[serde(default)]
    pub phone: String,
    /// The token of the invitation link the visitor signs up from.
    #[serde(default)]
    pub invitation: String,
}

/// A sign-up that passed every check.
#[derive(Debug)]
pub struct NewAccount {
    pub username: Username,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
    pub country_code: Option<CountryCode>,
    pub phone: Option<PhoneNumber>,
}

impl SignupInput {
    pub fn parse(&self) -> Result<NewAccount, FormErrors> {
        let mut e = FormErrors::default();
        let username = e.check("username", Username::parse(&self.username));
        let first_name = e.check(
            "first_name",
            PersonName::parse(&self.first_name, "first name"),
        );
        let last_name = e.check("last_name", PersonName::parse(&self.last_name, "last name"));
        let email = e.check("email", EmailAddress::parse(&self.email));
        let password = e.check(
            "password",
            Password::parse(&self.password, Some(self.username.trim())),
        );
        let country_code = e.check(
            "country_code",
            CountryCode::parse_optional(&self.country_code),
        );
        let phone = e.check("phone", PhoneNumber::parse_optional(&self.phone));
        match (
            username,
            first_name,
            last_name,
            email,
            password,
            country_code,
            phone,
        ) {
            (
                Some(username),
                Some(first_name),
                Some(last_name),
                Some(email),
                Some(password),
                Some(country_code),
                Some(phone),
            ) if e.is_empty() => Ok(NewAccount {
                username,
                first_name,
                last_name,
                email,
                password,
                country_code,
                phone,
            }),
            _ => Err(e),
        }
    }
}

const USERNAME_TAKEN: &str = "This username is already taken.";
const EMAIL_TAKEN: &str = "An account with this e-mail address already exists.";

fn taken_errors(taken: &[Taken]) -> FormErrors {
    let mut e = FormErrors::default();
    for t in taken {
        match t {
            Taken::Username => e.add("username", USERNAME_TAKEN),
            Taken::Email => e.add("email", EMAIL_TAKEN),
        }
    }
    e
}

/// Inserts the user; a unique violation (a race with another sign-up) becomes
/// the same form error as the pre-check.
fn insert_user(
    conn: &mut DbConn,
    acc: &NewAccount,
    hash: &str,
    status: UserStatus,
    site_admin: bool,
    verified_at: Option<PrimitiveDateTime>,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    let taken = user::taken(conn, &acc.username.key(), &acc.email.key())?;
    if !taken.is_empty() {
        return Ok(Err(taken_errors(&taken)));
    }
    let new = NewUser {
        username: Some(acc.username.as_str()),
        username_key: Some(acc.username.key()),
        email: acc.email.as_str(),
        email_key: acc.email.key(),
        first_name: acc.first_name.as_str(),
        last_name: acc.last_name.as_str(),
        country_code: acc.country_code.as_ref().map(CountryCode::as_str),
        phone: acc.phone.as_ref().map(PhoneNumber::as_str),
        password_hash: Some(hash),
        status,
        is_site_admin: site_admin,
        email_verified_at: verified_at,
        approved_at: (status == UserStatus::Active).then_some(now),
        session_epoch: 0,
        created_at: now,
        updated_at: now,
        account_id: None,
        is_super_user: false,
        seeded: false,
    };
    // In a savepoint: on PostgreSQL a unique violation (the same address
    // signed up at the same instant elsewhere) aborts the transaction it
    // happens in, and the form still has to say which field is taken.
    match db::write_tx(conn, |c| user::insert(c, &new)) {
        Ok(id) => Ok(Ok(id)),
        Err(e) if db::is_unique_violation(&e) => {
            let taken = user::taken(conn, &acc.username.key(), &acc.email.key())?;
            Ok(Err(taken_errors(&taken)))
        }
        Err(e) => Err(e.into()),
    }
}

fn hash_password(p: &Password) -> AppResult<String> {
    password::hash(p.expose()).map_err(|e| AppError::internal(e.to_string()))
}

/// Creates a verification link for `user_id` and queues its mail.
fn send_verification(
    conn: &mut DbConn,
    config: &Config,
    user_id: i64,
    to: &str,
    name: &str,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let (token, hash) = tokens::generate();
    email_verification::insert(
        conn,
        user_id,
        &hash,
        now + time::Duration::hours(VERIFY_HOURS),
        now,
    )?;
    let link = format!("{}/verify-email/{}", config.base_url, token);
    let account = crate::models::user::find(conn, user_id)?;
    let m =
        mail::messages::verify_email(to, name, account.username_or_email(), &link, VERIFY_HOURS)?;
    mail::enqueue(conn, &m, now, &config.host())?;
    Ok(())
}

/// Registers a visitor. The account waits for e-mail verification, and in
/// `approval` mode also for a site admin.
pub fn register(
    conn: &mut DbConn,
    config: &Config,
    acc: &NewAccount,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    if config.signup == SignupMode::Closed {
        return Err(AppError::forbidden());
    }
    let status = match config.signup {
        SignupMode::Open => UserStatus::Active,
        _ => UserStatus::PendingApproval,
    };
    let hash = hash_password(&acc.password)?;
    db::write_tx(conn, |conn| {
        let id = match insert_user(conn, acc, &hash, status, false, None, now)? {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        };
        send_verification(
            conn,
            config,
            id,
            acc.email.as_str(),
            acc.first_name.as_str(),
            now,
        )?;
        Ok(Ok(id))
    })
}

/// Registers a visitor from an invitation link sent to `acc.email`: the link
/// proves the mailbox, and the inviter vouched, so the account is active and
/// verified at once (unless sign-up is closed).
///
/// Nobody squats an address: an account that has the address but never
/// confirmed it loses it here (`policy::may_claim_address`), in the same
/// transaction as the new account is created: its address is released
/// (`user::release_unconfirmed_email`), its confirmation links are deleted
/// and its other mailed links retired, and a notice goes to the address.
/// If anything after the release fails (the username is taken), all of it
/// is rolled back. An account that confirmed the address keeps it: the form
/// says to log in instead.
pub fn register_invited(
    conn: &mut DbConn,
    config: &Config,
    acc: &NewAccount,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    if config.signup == SignupMode::Closed {
        return Err(AppError::forbidden());
    }
    let hash = hash_password(&acc.password)?;
    let result = db::write_tx(conn, |conn| -> Result<i64, Undo> {
        if let Some(holder) = user::find_by_email_key(conn, &acc.email.key())? {
            // A contact added by a super user (the Add user wizard) already has a
            // row with this address: it becomes the registered user, keeping its
            // id, account and invitations.
            if holder.status == UserStatus::Invited && holder.password_hash.is_none() {
                return register_contact(conn, &holder, acc, &hash, now)?.map_err(Undo::Form);
            }
            if let Err(denied) = crate::policy::may_claim_address(&holder) {
                return Err(Undo::Form(held_errors(denied)));
            }
            if user::find_by_username(conn, &acc.username.key())?.is_some() {
                return Err(Undo::Form(taken_errors(&[Taken::Username])));
            }
            // Confirmed in the meantime (the conditional UPDATE saw it):
            // the insert below then reports the address as held.
            if user::release_unconfirmed_email(conn, holder.id, &acc.email.key(), now)? == 1 {
                release_links(conn, config, &holder, now)?;
            }
        }
        match insert_user(conn, acc, &hash, UserStatus::Active, false, Some(now), now)? {
            Ok(id) => Ok(id),
            Err(mut e) => {
                if e.get("email") == Some(EMAIL_TAKEN) {
                    e = held_errors(crate::policy::Denied::AddressHeld);
                }
                Err(Undo::Form(e))
            }
        }
    });
    match result {
        Ok(id) => Ok(Ok(id)),
        Err(Undo::Form(e)) => Ok(Err(e)),
        Err(Undo::App(e)) => Err(e),
    }
}

/// A sign-up from a link that must leave nothing behind: the form errors
/// roll the transaction back like any other error.
enum Undo {
    Form(FormErrors),
    App(AppError),
}

impl From<AppError> for Undo {
    fn from(e: AppError) -> Self {
        Undo::App(e)
    }
}

impl From<diesel::result::Error> for Undo {
    fn from(e: diesel::result::Error) -> Self {
        Undo::App(e.into())
    }
}

fn held_errors(denied: crate::policy::Denied) -> FormErrors {
    let mut e = FormErrors::default();
    e.add("email", denied.message());
    e
}

/// After `holder` lost its unconfirmed address: none of the links mailed to
/// it works any more (a confirmation link must not confirm the address for
/// the account that lost it, nor attach the invitations sent to it), and
/// the address is told why, by mail.
fn release_links(
    conn: &mut DbConn,
    config: &Config,
    holder: &User,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    email_verification::delete_for_user(conn, holder.id)?;
    crate::models::account_link::retire_all(conn, holder.id, now)?;
    let at = now
        .format(&time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]"
        ))
        .unwrap_or_default();
    let m = mail::messages::address_released(
        &holder.email,
        &holder.first_name,
        holder.username_or_email(),
        &at,
    )?;
    mail::enqueue(conn, &m, now, &config.host())?;
    crate::models::audit::record(
        conn,
        &crate::models::audit::NewAuditEvent {
            actor_id: holder.id,
            subject_user_id: Some(holder.id),
            account_id: holder.account_id,
            group_id: None,
            kind: crate::models::audit::ADDRESS_RELEASED,
            detail: &format!(
                "Lost the unconfirmed address {} to a sign-up from an invitation link",
                holder.email
            ),
            created_at: now,
        },
    )?;
    Ok(())
}

fn register_contact(
    conn: &mut DbConn,
    contact: &User,
    acc: &NewAccount,
    hash: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    if user::find_by_username(conn, &acc.username.key())?.is_some() {
        return Ok(Err(taken_errors(&[Taken::Username])));
    }
    let r = user::ContactRegistration {
        username: acc.username.as_str(),
        username_key: acc.username.key(),
        first_name: acc.first_name.as_str(),
        last_name: acc.last_name.as_str(),
        country_code: acc.country_code.as_ref().map(CountryCode::as_str),
        phone: acc.phone.as_ref().map(PhoneNumber::as_str),
        password_hash: hash,
    };
    match user::register_contact(conn, contact.id, &r, now) {
        Ok(1) => {
            // The contact's name and username are new: so are the keys
            // of any membership the members page sorts and searches.
            crate::models::membership::rekey_user(conn, contact.id)?;
            crate::models::audit::record(
                conn,
                &crate::models::audit::NewAuditEvent {
                    actor_id: contact.id,
                    subject_user_id: Some(contact.id),
                    account_id: contact.account_id,
                    group_id: None,
                    kind: crate::models::audit::CONTACT_REGISTERED,
                    detail: &format!("Registered from an invitation as {}", acc.username.as_str()),
                    created_at: now,
                },
            )?;
            Ok(Ok(contact.id))
        }
        // Registered by a twin request in the meantime.
        Ok(_) => Ok(Err(taken_errors(&[Taken::Email]))),
        Err(e) if db::is_unique_violation(&e) => Ok(Err(taken_errors(&[Taken::Username]))),
        Err(e) => Err(e.into()),
    }
}

/// Creates a site admin: active, approved and verified. With `only_first`
/// (the `/setup` page) it refuses once any site admin exists.
pub fn create_site_admin(
    conn: &mut DbConn,
    acc: &NewAccount,
    only_first: bool,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    let hash = hash_password(&acc.password)?;
    db::write_tx(conn, |conn| {
        if only_first {
            // Two set-up forms sent at once: the lock (PostgreSQL) or the
            // IMMEDIATE transaction (SQLite) lets one of them through.
            #[cfg(feature = "postgres")]
            #[allow(irrefutable_let_patterns)] // with only the postgres feature
            if let DbConn::Pg(pg) = conn {
                use diesel::RunQueryDsl;
                diesel::sql_query("SELECT pg_advisory_xact_lock(7301)").execute(pg)?;
            }
            if user::site_admin_exists(conn)? {
                return Err(AppError::not_found());
            }
        }
        insert_user(conn, acc, &hash, UserStatus::Active, true, Some(now), now)
    })
}

/// Confirmation mails resent per user, and per address, in an hour.
pub const RESENDS_PER_HOUR: i64 = 3;
const HOUR: time::Duration = time::Duration::hours(1);

/// What "Send the link again" did.
#[derive(Debug, PartialEq, Eq)]
pub enum Resent {
    Sent,
    /// The hour's resends to this user or this address are used up.
    TooMany,
    /// Confirmed meanwhile: nothing to send.
    AlreadyConfirmed,
    /// The account lost its address to someone who proved it.
    NoAddress,
}

/// Sends a new verification link to a user who proved their password but has
/// not confirmed the address, if the hour's window of the user and of the
/// address both have room: each is one conditional write (`rate_limit::take`)
/// taken before the mail is queued, so however many clicks arrive at once, at
/// most `RESENDS_PER_HOUR` mails leave per user and per address.
pub fn resend_verification(
    conn: &mut DbConn,
    config: &Config,
    user_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<Resent> {
    db::write_tx(conn, |conn| {
        let u = user::find(conn, user_id)?;
        if u.email_verified_at.is_some() {
            return Ok(Resent::AlreadyConfirmed);
        }
        if u.address_released() {
            return Ok(Resent::NoAddress);
        }
        let since = now - HOUR;
        rate_limit::prune(conn, "verify:", since)?;
        let mailbox = format!("verify:to:{}", tokens::hash(&u.email.to_lowercase()));
        if !rate_limit::take(
            conn,
            &format!("verify:user:{}", u.id),
            RESENDS_PER_HOUR,
            since,
            now,
        )? || !rate_limit::take(conn, &mailbox, RESENDS_PER_HOUR, since, now)?
        {
            return Ok(Resent::TooMany);
        }
        send_verification(conn, config, u.id, &u.email, &u.first_name, now)?;
        Ok(Resent::Sent)
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Verified; `awaiting_approval` when a site admin must still approve.
    Verified {
        awaiting_approval: bool,
    },
    AlreadyUsed,
    Expired,
}

/// Looks a verification link up; `None` for an unknown token.
pub fn find_verification(
    conn: &mut DbConn,
    token: &str,
) -> AppResult<Option<email_verification::EmailVerification>> {
    if !tokens::looks_valid(token) {
        return Ok(None);
    }
    let hash = tokens::hash(token);
    Ok(email_verification::find_by_hash(conn, &hash)?
        .filter(|v| tokens::equal(&v.token_hash, &hash)))
}

/// Confirms an e-mail address from its link (a POST from the link's page).
pub fn verify_email(
    conn: &mut DbConn,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<VerifyOutcome> {
    db::write_tx(conn, |conn| {
        let v = find_verification(conn, token)?.ok_or_else(AppError::not_found)?;
        if v.used_at.is_some() {
            return Ok(VerifyOutcome::AlreadyUsed);
        }
        if v.expires_at <= now {
            return Ok(VerifyOutcome::Expired);
        }
        // The user's row first, then the link's, as a sign-up that takes the
        // address does (`register_invited`): the two never wait on each other
        // crosswise. An account that lost its address confirms nothing.
        user::mark_email_verified(conn, v.user_id, now)?;
        let u: User = user::find(conn, v.user_id)?;
        if u.address_released() {
            return Err(AppError::not_found());
        }
        if email_verification::mark_used(conn, v.id, now)? == 0 {
            return Ok(VerifyOutcome::AlreadyUsed);
        }
        Ok(VerifyOutcome::Verified {
            awaiting_approval: u.status == UserStatus::PendingApproval,
        })
    })
}

/// A site admin approves an account waiting for it. False if it was not waiting.
pub fn approve(conn: &mut DbConn, user_id: i64, now: PrimitiveDateTime) -> AppResult<bool> {
    db::write_tx(conn, |conn| {
        Ok(user::change_status(
            conn,
            user_id,
            UserStatus::PendingApproval,
            UserStatus::Active,
            now,
        )? == 1)
    })
}

impl super::App {
    /// Lets a user waiting for approval log in: whether they were waiting,
    /// and who they are.
    pub async fn approve_user(&self, id: i64) -> AppResult<(bool, crate::models::User)> {
        self.on_pool(move |c, now| Ok((approve(c, id, now)?, user::find(c, id)?)))
            .await
    }
}

/// Sign-up, e-mail confirmation and the first site administrator, as
/// handlers call them (each wakes the mail worker for what it queued).
impl super::App {
    /// Registers an account; `from_link`: the address came with an
    /// invitation link, so it is confirmed already.
    pub async fn sign_up(
        &self,
        acc: NewAccount,
        from_link: bool,
    ) -> AppResult<Result<i64, FormErrors>> {
        let config = self.config.clone();
        self.on_pool_mailing(move |c, now| {
            if from_link {
                register_invited(c, &config, &acc, now)
            } else {
                register(c, &config, &acc, now)
            }
        })
        .await
    }

    pub async fn resend_verification(&self, user: i64) -> AppResult<Resent> {
        let config = self.config.clone();
        self.on_pool_mailing(move |c, now| resend_verification(c, &config, user, now))
            .await
    }

    pub async fn verify_email(&self, token: String) -> AppResult<VerifyOutcome> {
        self.on_pool(move |c, now| verify_email(c, &token, now))
            .await
    }

    /// The first site administrator, from /setup.
    pub async fn set_up_site_admin(&self, acc: NewAccount) -> AppResult<Result<i64, FormErrors>> {
        self.on_pool(move |c, now| create_site_admin(c, &acc, true, now))
            .await
    }
}
