use crate::db::DbConn;
use crate::db::schema::{join_requests, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub use crate::domain::JoinRequestStatus as Status;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = join_requests)]
pub struct JoinRequest {
    pub id: i64,
    pub group_id: i64,
    pub user_id: i64,
    pub status: Status,
    pub created_at: PrimitiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<PrimitiveDateTime>,
}

pub fn find(conn: &mut DbConn, group_id: i64, user_id: i64) -> QueryResult<Option<JoinRequest>> {
    join_requests::table
        .filter(join_requests::group_id.eq(group_id))
        .filter(join_requests::user_id.eq(user_id))
        .select(JoinRequest::as_select())
        .first(conn)
        .optional()
}

pub fn find_in_group(
    conn: &mut DbConn,
    group_id: i64,
    id: i64,
) -> QueryResult<Option<JoinRequest>> {
    join_requests::table
        .filter(join_requests::id.eq(id))
        .filter(join_requests::group_id.eq(group_id))
        .select(JoinRequest::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConn,
    group_id: i64,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(join_requests::table)
        .values((
            join_requests::group_id.eq(group_id),
            join_requests::user_id.eq(user_id),
            join_requests::status.eq(Status::Pending),
            join_requests::created_at.eq(now),
        ))
        .execute(conn)
}

/// Makes a decided request pending again (the one row per person and group).
pub fn reopen(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        join_requests::table
            .find(id)
            .filter(join_requests::status.ne(Status::Pending)),
    )
    .set((
        join_requests::status.eq(Status::Pending),
        join_requests::created_at.eq(now),
        join_requests::decided_by.eq(None::<i64>),
        join_requests::decided_at.eq(None::<PrimitiveDateTime>),
    ))
    .execute(conn)
}

/// Decides a pending request; 0 when someone decided it first.
pub fn decide(
    conn: &mut DbConn,
    id: i64,
    status: Status,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        join_requests::table
            .find(id)
            .filter(join_requests::status.eq(Status::Pending)),
    )
    .set((
        join_requests::status.eq(status),
        join_requests::decided_by.eq(Some(by)),
        join_requests::decided_at.eq(Some(now)),
    ))
    .execute(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct PendingRow {
    pub id: i64,
    pub created_at: PrimitiveDateTime,
    pub username: Option<String>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl PendingRow {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    pub fn handle(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.email)
    }
}

/// The oldest pending requests of a group, with who asked: one query.
pub fn pending_for_group(
    conn: &mut DbConn,
    group_id: i64,
    limit: i64,
) -> QueryResult<Vec<PendingRow>> {
    join_requests::table
        .inner_join(users::table)
        .filter(join_requests::group_id.eq(group_id))
        .filter(join_requests::status.eq(Status::Pending))
        .order((join_requests::created_at, join_requests::id))
        .limit(limit)
        .select((
            join_requests::id,
            join_requests::created_at,
            users::username,
            users::email,
            users::first_name,
            users::last_name,
        ))
        .load(conn)
}
