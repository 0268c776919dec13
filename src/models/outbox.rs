//! The outbox: mail queued in the transaction that caused it, delivered later
//! by `mail::worker`.

use crate::db::DbConn;
use crate::db::schema::outbox;
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: PrimitiveDateTime,
    pub last_error: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub sent_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id: &'a str,
    pub status: &'a str,
    pub next_attempt_at: PrimitiveDateTime,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewMail<'_>) -> QueryResult<i64> {
    let q = diesel::insert_into(outbox::table)
        .values(new)
        .returning(outbox::id);
    crate::native!(conn, |c| q.get_result(c))
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<OutboxMail> {
    outbox::table
        .find(id)
        .select(OutboxMail::as_select())
        .first(conn)
}

/// Claims up to `limit` due mails until `lease_until` and counts the
/// attempt, in one statement of constant text (kept prepared; an `IN` list
/// of ids is written anew each time). On PostgreSQL `FOR UPDATE SKIP LOCKED`
/// keeps two servers off the same rows; on SQLite the write transaction does.
const CLAIM: &str = "UPDATE outbox SET locked_until = ?, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? \
        AND (locked_until IS NULL OR locked_until < ?) ORDER BY id LIMIT ?) \
    RETURNING id, kind, recipient, subject, text_body, html_body, message_id, status, \
        attempts, next_attempt_at, last_error, created_at, sent_at";
#[cfg(feature = "postgres")]
const CLAIM_PG: &str = "UPDATE outbox SET locked_until = ?, attempts = attempts + 1 \
    WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? \
        AND (locked_until IS NULL OR locked_until < ?) ORDER BY id LIMIT ? \
        FOR UPDATE SKIP LOCKED) \
    RETURNING id, kind, recipient, subject, text_body, html_body, message_id, status, \
        attempts, next_attempt_at, last_error, created_at, sent_at";

pub fn claim_due(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    lease_until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxMail>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let text = match conn {
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => CLAIM_PG,
        #[allow(unreachable_patterns)]
        _ => CLAIM,
    };
    let q = crate::db::Sql::new(
        text,
        (
            lease_until.into_sql::<Timestamp>(),
            now.into_sql::<Timestamp>(),
            now.into_sql::<Timestamp>(),
            limit.into_sql::<BigInt>(),
        ),
    );
    let mut mails: Vec<OutboxMail> = crate::native!(conn, |c| q.load(c))?;
    // RETURNING promises no order.
    mails.sort_unstable_by_key(|m| m.id);
    Ok(mails)
}

/// Marks the mails of `ids` sent: one statement for a worker's round.
pub fn mark_sent(conn: &mut DbConn, ids: &[i64], now: PrimitiveDateTime) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(now),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

pub fn mark_retry(
    conn: &mut DbConn,
    id: i64,
    next_attempt_at: PrimitiveDateTime,
    error: &str,
) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
}

pub fn mark_failed(conn: &mut DbConn, id: i64, error: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(FAILED),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
}

/// Mails not yet delivered (pending), for the worker's idle check and tests.
pub fn count_pending(conn: &mut DbConn) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(PENDING))
        .count()
        .get_result(conn)
}
