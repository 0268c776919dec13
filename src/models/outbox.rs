//! The outbox: mail queued in the transaction that caused it, delivered later
//! by `mail::worker`.

use crate::db::DbConn;
use crate::db::schema::{outbox, outbox_bodies};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub use crate::domain::MailStatus as Status;

/// A mail with its bodies (`outbox` joined with `outbox_bodies`).
#[derive(Debug, Clone, Queryable)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub status: Status,
    pub attempts: i64,
    pub next_attempt_at: PrimitiveDateTime,
    pub last_error: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub sent_at: Option<PrimitiveDateTime>,
}

/// Mails with their bodies, each row an [`OutboxMail`] (its columns in its
/// order); callers add the filter and order.
macro_rules! mails {
    () => {
        outbox::table.inner_join(outbox_bodies::table).select((
            outbox::id,
            outbox::kind,
            outbox::recipient,
            outbox::subject,
            outbox_bodies::text_body,
            outbox_bodies::html_body,
            outbox::message_id,
            outbox::status,
            outbox::attempts,
            outbox::next_attempt_at,
            outbox::last_error,
            outbox::created_at,
            outbox::sent_at,
        ))
    };
}

#[derive(Debug)]
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id: &'a str,
    pub status: Status,
    pub next_attempt_at: PrimitiveDateTime,
    pub created_at: PrimitiveDateTime,
}

/// Queues a mail: its delivery state, then its bodies (written once, never
/// updated). On PostgreSQL one statement (a data-modifying WITH), on
/// SQLite, which has none, two.
pub fn insert(conn: &mut DbConn, new: &NewMail<'_>) -> QueryResult<i64> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use crate::db::{IdRow, Sql};
        use diesel::sql_types::{Text, Timestamp};
        let q = Sql::new(
            "WITH h AS (INSERT INTO outbox \
                (kind, recipient, subject, message_id, status, next_attempt_at, created_at) \
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id), \
             b AS (INSERT INTO outbox_bodies (outbox_id, text_body, html_body) \
                SELECT id, ?, ? FROM h) \
             SELECT id FROM h",
            (
                new.kind.into_sql::<Text>(),
                new.recipient.into_sql::<Text>(),
                new.subject.into_sql::<Text>(),
                new.message_id.into_sql::<Text>(),
                new.status.as_str().into_sql::<Text>(),
                new.next_attempt_at.into_sql::<Timestamp>(),
                new.created_at.into_sql::<Timestamp>(),
                new.text_body.into_sql::<Text>(),
                new.html_body.into_sql::<Text>(),
            ),
        );
        return Ok(q.get_result::<IdRow>(pg)?.id);
    }
    let head = diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(new.kind),
            outbox::recipient.eq(new.recipient),
            outbox::subject.eq(new.subject),
            outbox::message_id.eq(new.message_id),
            outbox::status.eq(new.status),
            outbox::next_attempt_at.eq(new.next_attempt_at),
            outbox::created_at.eq(new.created_at),
        ))
        .returning(outbox::id);
    let id: i64 = crate::native!(conn, |c| head.get_result(c))?;
    let bodies = diesel::insert_into(outbox_bodies::table).values((
        outbox_bodies::outbox_id.eq(id),
        outbox_bodies::text_body.eq(new.text_body),
        outbox_bodies::html_body.eq(new.html_body),
    ));
    crate::native!(conn, |c| bodies.execute(c))?;
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<OutboxMail> {
    mails!().filter(outbox::id.eq(id)).first(conn)
}

/// The mails of `ids`, in id order.
pub fn load(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<OutboxMail>> {
    mails!()
        .filter(outbox::id.eq_any(ids))
        .order(outbox::id)
        .load(conn)
}

/// Every queued mail, oldest first (for tests and small tools).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OutboxMail>> {
    mails!().order(outbox::id).load(conn)
}

/// Claims up to `limit` due mails until `lease_until` and counts the
/// attempt, in one statement of constant text (kept prepared; an `IN` list
/// of ids is written anew each time). Returns their ids in order; the
/// bodies are read apart (`load`), off SQLite's writer. Longest due first,
/// in the order of the index `outbox_due (status, next_attempt_at)`: a
/// claim reads its 50 rows, not the whole backlog (ordered by id, a backlog
/// of 50,000 mails was read and sorted on every claim). On PostgreSQL
/// `FOR UPDATE SKIP LOCKED` keeps two servers off the same rows; on SQLite
/// the write transaction does.
macro_rules! claim {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET locked_until = ?, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' \
             AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?) \
             ORDER BY next_attempt_at, id LIMIT ?",
            $lock,
            ") RETURNING id"
        )
    };
}
const CLAIM: &str = claim!("");
#[cfg(feature = "postgres")]
const CLAIM_PG: &str = claim!(" FOR UPDATE SKIP LOCKED");

pub fn claim_due(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    lease_until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
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
    let claimed: Vec<crate::db::IdRow> = crate::native!(conn, |c| q.load(c))?;
    let mut ids: Vec<i64> = claimed.into_iter().map(|c| c.id).collect();
    // RETURNING promises no order.
    ids.sort_unstable();
    Ok(ids)
}

/// Extends the lease of those of `ids` still pending and still held under
/// `held_until` (the lease's exact instant is the claim's mark: a worker
/// whose lease lapsed and was taken by another renews nothing). Returns the
/// ids still held.
pub fn renew(
    conn: &mut DbConn,
    ids: &[i64],
    held_until: PrimitiveDateTime,
    until: PrimitiveDateTime,
) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::status.eq(Status::Pending))
            .filter(outbox::locked_until.eq(held_until)),
    )
    .set(outbox::locked_until.eq(until))
    .returning(outbox::id);
    crate::native!(conn, |c| q.get_results(c))
}

/// Marks the mails of `ids` sent.
pub fn mark_sent(conn: &mut DbConn, ids: &[i64], now: PrimitiveDateTime) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::status.eq(Status::Sent),
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
            outbox::status.eq(Status::Failed),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
}

/// Mails not yet delivered (pending), for the worker's idle check and tests.
pub fn count_pending(conn: &mut DbConn) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(Status::Pending))
        .count()
        .get_result(conn)
}
