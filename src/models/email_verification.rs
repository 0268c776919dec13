use crate::db::DbConn;
use crate::db::schema::email_verifications as ev;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ev)]
pub struct EmailVerification {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub expires_at: PrimitiveDateTime,
    pub used_at: Option<PrimitiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    user_id: i64,
    token_hash: &str,
    expires_at: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(ev::table)
        .values((
            ev::user_id.eq(user_id),
            ev::token_hash.eq(token_hash),
            ev::expires_at.eq(expires_at),
            ev::created_at.eq(now),
        ))
        .returning(ev::id)
        .get_result(conn)
}

pub fn find_by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<EmailVerification>> {
    ev::table
        .filter(ev::token_hash.eq(token_hash))
        .select(EmailVerification::as_select())
        .first(conn)
        .optional()
}

/// Marks the link used; 0 when it was used already (two clicks, one verification).
pub fn mark_used(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(ev::table.find(id).filter(ev::used_at.is_null()))
        .set(ev::used_at.eq(now))
        .execute(conn)
}

/// Forgets every confirmation link of the user (their address went to
/// someone who proved it: no old link may confirm anything any more).
pub fn delete_for_user(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(ev::table.filter(ev::user_id.eq(user_id))).execute(conn)
}
