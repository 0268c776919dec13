//! Suggestions to invite someone ("Suggest someone"), and their queries.

use crate::db::DbConn;
use crate::db::schema::{suggestions as sg, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub use crate::domain::SuggestionStatus as Status;

/// How long a suggestion waits for a decision.
pub const LIFETIME: time::Duration = time::Duration::days(14);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sg)]
pub struct Suggestion {
    pub id: i64,
    pub group_id: i64,
    pub suggester_id: i64,
    pub invitee: String,
    pub invitee_key: String,
    pub reason: String,
    pub status: Status,
    pub created_at: PrimitiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<PrimitiveDateTime>,
    pub invitation_id: Option<i64>,
}

impl Suggestion {
    /// Pending past its 14 days reads as expired.
    pub fn effective_status(&self, now: PrimitiveDateTime) -> Status {
        match self.status {
            Status::Pending if self.created_at + LIFETIME <= now => Status::Expired,
            s => s,
        }
    }

    pub fn expires_at(&self) -> PrimitiveDateTime {
        self.created_at + LIFETIME
    }
}

pub struct NewSuggestion<'a> {
    pub group_id: i64,
    pub suggester_id: i64,
    pub invitee: &'a str,
    pub invitee_key: &'a str,
    pub reason: &'a str,
}

/// Marks the pending suggestions of this person to this group that are past
/// their date as expired (so a new one may be made); returns whether one is
/// still pending.
pub fn expire_stale(
    conn: &mut DbConn,
    group_id: i64,
    invitee_key: &str,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let of = sg::table
        .filter(sg::group_id.eq(group_id))
        .filter(sg::invitee_key.eq(invitee_key))
        .filter(sg::status.eq(Status::Pending));
    diesel::update(of.filter(sg::created_at.le(now - LIFETIME)))
        .set(sg::status.eq(Status::Expired))
        .execute(conn)?;
    Ok(of.count().get_result::<i64>(conn)? > 0)
}

/// Inserts a pending suggestion; the unique index refuses a second pending
/// one for the same (group, invitee).
pub fn insert(
    conn: &mut DbConn,
    new: &NewSuggestion<'_>,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(sg::table)
        .values((
            sg::group_id.eq(new.group_id),
            sg::suggester_id.eq(new.suggester_id),
            sg::invitee.eq(new.invitee),
            sg::invitee_key.eq(new.invitee_key),
            sg::reason.eq(new.reason),
            sg::status.eq(Status::Pending),
            sg::created_at.eq(now),
        ))
        .returning(sg::id)
        .get_result(conn)
}

/// The suggestions among `ids` that belong to group `group_id` (another
/// group's are not returned), in id order.
pub fn in_group(conn: &mut DbConn, group_id: i64, ids: &[i64]) -> QueryResult<Vec<Suggestion>> {
    sg::table
        .filter(sg::id.eq_any(ids))
        .filter(sg::group_id.eq(group_id))
        .order(sg::id)
        .select(Suggestion::as_select())
        .load(conn)
}

/// Decides a pending, unexpired suggestion; 0 when it was decided (or
/// lapsed) first, so a decision happens once however many clicks race.
pub fn decide(
    conn: &mut DbConn,
    id: i64,
    to: Status,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sg::table
            .find(id)
            .filter(sg::status.eq(Status::Pending))
            .filter(sg::created_at.gt(now - LIFETIME)),
    )
    .set((
        sg::status.eq(to),
        sg::decided_by.eq(by),
        sg::decided_at.eq(now),
    ))
    .execute(conn)
}

/// Records the invitation an approval sent.
pub fn set_invitation(conn: &mut DbConn, id: i64, invitation_id: i64) -> QueryResult<usize> {
    diesel::update(sg::table.find(id))
        .set(sg::invitation_id.eq(invitation_id))
        .execute(conn)
}

/// A suggestion as the Suggestions page lists it.
#[derive(Debug, Clone, Queryable)]
pub struct Row {
    pub suggestion: Suggestion,
    pub suggester_username: Option<String>,
    pub suggester_first: String,
    pub suggester_last: String,
}

impl Row {
    pub fn suggester(&self) -> String {
        match &self.suggester_username {
            Some(u) => u.clone(),
            None => format!("{} {}", self.suggester_first, self.suggester_last),
        }
    }
}

/// The group's suggestions waiting for a decision (not past their date),
/// oldest first, from after `after` (an id), at most `limit`.
pub fn pending_page(
    conn: &mut DbConn,
    group_id: i64,
    now: PrimitiveDateTime,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    sg::table
        .inner_join(users::table.on(users::id.eq(sg::suggester_id)))
        .filter(sg::group_id.eq(group_id))
        .filter(sg::status.eq(Status::Pending))
        .filter(sg::created_at.gt(now - LIFETIME))
        .filter(sg::id.gt(after.unwrap_or(0)))
        .order(sg::id)
        .limit(limit)
        .select((
            Suggestion::as_select(),
            users::username.nullable(),
            users::first_name,
            users::last_name,
        ))
        .load(conn)
}

/// How many suggestions of the group wait for a decision.
pub fn count_pending(conn: &mut DbConn, group_id: i64, now: PrimitiveDateTime) -> QueryResult<i64> {
    sg::table
        .filter(sg::group_id.eq(group_id))
        .filter(sg::status.eq(Status::Pending))
        .filter(sg::created_at.gt(now - LIFETIME))
        .count()
        .get_result(conn)
}

/// What `suggester` suggested for the group, newest first (at most `limit`).
pub fn by_suggester(
    conn: &mut DbConn,
    group_id: i64,
    suggester: i64,
    limit: i64,
) -> QueryResult<Vec<Suggestion>> {
    sg::table
        .filter(sg::group_id.eq(group_id))
        .filter(sg::suggester_id.eq(suggester))
        .order(sg::id.desc())
        .limit(limit)
        .select(Suggestion::as_select())
        .load(conn)
}
