//! Links mailed to prove a mailbox for an account change (password reset,
//! new e-mail address). Only the token's hash is stored.

use crate::db::DbConn;
use crate::db::schema::account_links as al;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// What a link is for, as stored in `purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailChange,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailChange => "email_change",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = al)]
pub struct AccountLink {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub new_email: Option<String>,
    pub new_email_key: Option<String>,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub expires_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::MaybeStamp)]
    pub used_at: Option<PrimitiveDateTime>,
}

pub struct NewLink<'a> {
    pub user_id: i64,
    pub purpose: Purpose,
    pub token_hash: &'a str,
    /// With `EmailChange`: the address and its key.
    pub new_email: Option<(&'a str, &'a str)>,
    pub expires_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewLink<'_>, now: PrimitiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(al::table)
        .values((
            al::user_id.eq(new.user_id),
            al::purpose.eq(new.purpose.as_str()),
            al::token_hash.eq(new.token_hash),
            al::new_email.eq(new.new_email.map(|(e, _)| e)),
            al::new_email_key.eq(new.new_email.map(|(_, k)| k)),
            al::expires_at.eq(new.expires_at),
            al::created_at.eq(now),
        ))
        .returning(al::id)
        .get_result(conn)
}

pub fn find_by_hash(
    conn: &mut DbConn,
    purpose: Purpose,
    token_hash: &str,
) -> QueryResult<Option<AccountLink>> {
    al::table
        .filter(al::token_hash.eq(token_hash))
        .filter(al::purpose.eq(purpose.as_str()))
        .select(AccountLink::as_select())
        .first(conn)
        .optional()
}

/// Marks the link used; 0 when it was used already (two clicks, one change).
pub fn mark_used(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(al::table.find(id).filter(al::used_at.is_null()))
        .set(al::used_at.eq(now))
        .execute(conn)
}

/// Retires every unused link of the user for `purpose`: a newer one, or the
/// change itself, makes them pointless.
pub fn retire_open(
    conn: &mut DbConn,
    user_id: i64,
    purpose: Purpose,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        al::table
            .filter(al::user_id.eq(user_id))
            .filter(al::purpose.eq(purpose.as_str()))
            .filter(al::used_at.is_null()),
    )
    .set(al::used_at.eq(now))
    .execute(conn)
}

/// Retires every unused link of the user, whatever its purpose (the
/// address they were mailed to is no longer the account's).
pub fn retire_all(conn: &mut DbConn, user_id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        al::table
            .filter(al::user_id.eq(user_id))
            .filter(al::used_at.is_null()),
    )
    .set(al::used_at.eq(now))
    .execute(conn)
}

/// The newest unused, unexpired e-mail change of the user, for the
/// account's e-mail page ("waiting for confirmation").
pub fn pending_email_change(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Option<AccountLink>> {
    al::table
        .filter(al::user_id.eq(user_id))
        .filter(al::purpose.eq(Purpose::EmailChange.as_str()))
        .filter(al::used_at.is_null())
        .filter(al::expires_at.gt(now))
        .order(al::id.desc())
        .select(AccountLink::as_select())
        .first(conn)
        .optional()
}
