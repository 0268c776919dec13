//! Site administration of company accounts: create them, attach users and
//! client groups to them, make and unmake super users. Every change is
//! audited in the same transaction.

use super::{Halt, Taken, outcome};
use crate::db::{self, DbConn};
use crate::domain::{AccountKind, AccountName, Audience, FormErrors};
use crate::error::AppResult;
use crate::models::audit::{self, NewAuditEvent};
use crate::models::company_account::{self, NewCompanyAccount};
use crate::models::{group, user};
use serde::Deserialize;
use time::PrimitiveDateTime;

pub const NAME_TAKEN: &str = "An account with this name exists already.";

/// What a change of accounts did (the admin page says it in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    UserMoved,
    /// The user was in that account already.
    UserStayed,
    SuperUserMade,
    SuperUserUnmade,
    /// Nothing to change: the user already was (`true`) or was not a super user.
    SuperUserAlready(bool),
    GroupMoved,
}

/// Why a change of accounts changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoSuchUser,
    NoSuchAccount,
    NoSuchGroup,
    /// A super user must belong to an account.
    NoAccount,
    /// Only a client group belongs to an account, and only to a client one.
    NotClient,
}

type Stop = Halt<Refusal>;

/// The create-account form as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
}

impl Default for AccountInput {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: AccountKind::Client.as_str().into(),
        }
    }
}

pub struct AccountSpec {
    pub name: AccountName,
    pub kind: AccountKind,
}

impl AccountInput {
    pub fn parse(&self) -> Result<AccountSpec, FormErrors> {
        let mut e = FormErrors::default();
        let name = e.check("name", AccountName::parse(&self.name));
        let kind = e.check("kind", AccountKind::parse(&self.kind));
        match (name, kind) {
            (Some(name), Some(kind)) if e.is_empty() => Ok(AccountSpec { name, kind }),
            _ => Err(e),
        }
    }
}

fn audit(
    conn: &mut DbConn,
    actor: i64,
    subject: Option<i64>,
    account: Option<i64>,
    kind: &str,
    detail: &str,
    now: PrimitiveDateTime,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: actor,
            subject_user_id: subject,
            account_id: account,
            group_id: None,
            kind,
            detail,
            created_at: now,
        },
    )?;
    Ok(())
}

/// Creates an account; a taken name (pre-check or the unique index, when two
/// admins race) is a form error on `name`.
pub fn create_account(
    conn: &mut DbConn,
    actor: i64,
    spec: &AccountSpec,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    let r = db::write_tx(conn, |conn| -> Result<i64, Halt<Taken>> {
        if company_account::name_exists(conn, &spec.name.key())? {
            return Err(Halt::Refused(Taken));
        }
        let id = company_account::insert(
            conn,
            &NewCompanyAccount {
                name: spec.name.as_str(),
                name_key: spec.name.key(),
                kind: spec.kind.as_str(),
                created_at: now,
            },
        )
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                Halt::Refused(Taken)
            } else {
                e.into()
            }
        })?;
        audit(
            conn,
            actor,
            None,
            Some(id),
            audit::ACCOUNT_CREATED,
            &format!(
                "Account {} ({}) created",
                spec.name.as_str(),
                spec.kind.as_str()
            ),
            now,
        )?;
        Ok(id)
    });
    Ok(outcome(r)?.map_err(|Taken| {
        let mut e = FormErrors::default();
        e.add("name", NAME_TAKEN);
        e
    }))
}

/// Links the user to an account (`None`: to none). Moving to another
/// account ends their super-user powers over the old one.
pub fn attach_user(
    conn: &mut DbConn,
    actor: i64,
    username: &str,
    account_id: Option<i64>,
    now: PrimitiveDateTime,
) -> AppResult<Result<Done, Refusal>> {
    outcome(db::write_tx(conn, |conn| {
        let Some(u) = user::find_by_username(conn, username)? else {
            return Err(Stop::Refused(Refusal::NoSuchUser));
        };
        let account = match account_id {
            Some(id) => Some(
                company_account::find(conn, id)?.ok_or(Stop::Refused(Refusal::NoSuchAccount))?,
            ),
            None => None,
        };
        if u.account_id == account_id {
            return Ok(Done::UserStayed);
        }
        user::set_account(conn, u.id, account_id, now)?;
        let detail = match &account {
            Some(a) => format!("{} attached to account {}", u.username_or_email(), a.name),
            None => format!("{} detached from their account", u.username_or_email()),
        };
        // Recorded under both accounts, so each one's audit view shows it.
        for acc in [u.account_id, account_id].into_iter().flatten() {
            audit(
                conn,
                actor,
                Some(u.id),
                Some(acc),
                audit::ACCOUNT_ATTACHED,
                &detail,
                now,
            )?;
        }
        Ok(Done::UserMoved)
    }))
}

/// Makes (or unmakes) a user a super user of the account they belong to.
pub fn set_super_user(
    conn: &mut DbConn,
    actor: i64,
    username: &str,
    on: bool,
    now: PrimitiveDateTime,
) -> AppResult<Result<Done, Refusal>> {
    outcome(db::write_tx(conn, |conn| {
        let Some(u) = user::find_by_username(conn, username)? else {
            return Err(Stop::Refused(Refusal::NoSuchUser));
        };
        let Some(account) = u.account_id else {
            return Err(Stop::Refused(Refusal::NoAccount));
        };
        if u.is_super_user == on {
            return Ok(Done::SuperUserAlready(on));
        }
        user::set_super_user(conn, u.id, on, now)?;
        let (kind, what) = if on {
            (audit::SUPER_USER_GRANTED, "made a super user")
        } else {
            (audit::SUPER_USER_REVOKED, "no longer a super user")
        };
        audit(
            conn,
            actor,
            Some(u.id),
            Some(account),
            kind,
            &format!("{} {what}", u.username_or_email()),
            now,
        )?;
        Ok(if on {
            Done::SuperUserMade
        } else {
            Done::SuperUserUnmade
        })
    }))
}

/// Binds a client group to a client account (its support group): then only
/// that account's people (and internal staff) may be in it.
pub fn attach_group(
    conn: &mut DbConn,
    actor: i64,
    slug: &str,
    account_id: Option<i64>,
    now: PrimitiveDateTime,
) -> AppResult<Result<Done, Refusal>> {
    outcome(db::write_tx(conn, |conn| {
        let Some(g) = group::find_by_slug(conn, slug.trim())? else {
            return Err(Stop::Refused(Refusal::NoSuchGroup));
        };
        if let Some(id) = account_id {
            let a =
                company_account::find(conn, id)?.ok_or(Stop::Refused(Refusal::NoSuchAccount))?;
            if a.kind() != Some(AccountKind::Client) || g.audience() != Some(Audience::Client) {
                return Err(Stop::Refused(Refusal::NotClient));
            }
        }
        group::set_account(conn, g.id, account_id, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: actor,
                subject_user_id: None,
                account_id,
                group_id: Some(g.id),
                kind: audit::GROUP_ATTACHED,
                detail: &format!("Group {} attached", g.name),
                created_at: now,
            },
        )?;
        Ok(Done::GroupMoved)
    }))
}

/// The site administrator's account changes as handlers call them.
impl super::App {
    /// Creates an account from its form; the form's errors otherwise.
    pub async fn create_account(
        &self,
        actor: i64,
        input: &AccountInput,
    ) -> AppResult<Result<i64, FormErrors>> {
        let spec = match input.parse() {
            Ok(spec) => spec,
            Err(errors) => return Ok(Err(errors)),
        };
        self.on_pool(move |c, now| create_account(c, actor, &spec, now))
            .await
    }

    pub async fn attach_user(
        &self,
        actor: i64,
        username: String,
        account: Option<i64>,
    ) -> AppResult<Result<Done, Refusal>> {
        self.on_pool(move |c, now| attach_user(c, actor, &username, account, now))
            .await
    }

    pub async fn set_super_user(
        &self,
        actor: i64,
        username: String,
        on: bool,
    ) -> AppResult<Result<Done, Refusal>> {
        self.on_pool(move |c, now| set_super_user(c, actor, &username, on, now))
            .await
    }

    pub async fn attach_group(
        &self,
        actor: i64,
        slug: String,
        account: Option<i64>,
    ) -> AppResult<Result<Done, Refusal>> {
        self.on_pool(move |c, now| attach_group(c, actor, &slug, account, now))
            .await
    }
}
