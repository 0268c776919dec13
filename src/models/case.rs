//! Support cases and their comments.

use crate::db::DbConn;
use crate::db::schema::{case_comments, cases, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub const OPEN: &str = "open";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: i64,
    pub account_id: i64,
    pub raised_by: i64,
    pub title: String,
    pub description: String,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = cases, treat_none_as_default_value = false)]
pub struct NewCase<'a> {
    pub account_id: i64,
    pub raised_by: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub status: &'a str,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewCase<'_>) -> QueryResult<i64> {
    diesel::insert_into(cases::table)
        .values(new)
        .returning(cases::id)
        .get_result(conn)
}

/// The case with the username of who raised it.
pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<(Case, Option<String>)>> {
    cases::table
        .inner_join(users::table.on(users::id.eq(cases::raised_by)))
        .filter(cases::id.eq(id))
        .select((Case::as_select(), users::username))
        .first(conn)
        .optional()
}

/// Newest first, `limit` before the cursor id: every case of the account, or
/// (with `raised_by`) one person's cases of it. One query.
pub fn page(
    conn: &mut DbConn,
    account_id: i64,
    raised_by: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(Case, Option<String>)>> {
    let mut q = cases::table
        .inner_join(users::table.on(users::id.eq(cases::raised_by)))
        .filter(cases::account_id.eq(account_id))
        .order(cases::id.desc())
        .limit(limit)
        .select((Case::as_select(), users::username))
        .into_boxed();
    if let Some(u) = raised_by {
        q = q.filter(cases::raised_by.eq(u));
    }
    if let Some(b) = before {
        q = q.filter(cases::id.lt(b));
    }
    q.load(conn)
}

pub fn touch(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(cases::table.find(id))
        .set(cases::updated_at.eq(now))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_comments)]
pub struct CaseComment {
    pub id: i64,
    pub case_id: i64,
    pub author_id: i64,
    pub body: String,
    pub created_at: PrimitiveDateTime,
}

pub fn add_comment(
    conn: &mut DbConn,
    case_id: i64,
    author_id: i64,
    body: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(case_comments::table)
        .values((
            case_comments::case_id.eq(case_id),
            case_comments::author_id.eq(author_id),
            case_comments::body.eq(body),
            case_comments::created_at.eq(now),
        ))
        .execute(conn)
}

/// Oldest first, `limit` after the cursor id, with the authors' usernames.
pub fn comments(
    conn: &mut DbConn,
    case_id: i64,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(CaseComment, Option<String>)>> {
    case_comments::table
        .inner_join(users::table.on(users::id.eq(case_comments::author_id)))
        .filter(case_comments::case_id.eq(case_id))
        .filter(case_comments::id.gt(after.unwrap_or(0)))
        .order(case_comments::id)
        .limit(limit)
        .select((CaseComment::as_select(), users::username))
        .load(conn)
}
