//! CSV imports of invitations and their rows (see the migration
//! `csv_imports`): the dry run's classes, then what sending came to.

use crate::db::DbConn;
use crate::db::schema::{csv_import_rows as row, csv_imports as imp};
use crate::domain::csv_invites::RowClass;
use diesel::prelude::*;
use time::{Duration, PrimitiveDateTime};

/// How long an import can be reopened.
const KEPT: Duration = Duration::days(30);
pub const WILL_INVITE: &str = "will_invite";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportState {
    /// The dry run is done; nothing was sent.
    Checked,
    Sending,
    Sent,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checked => "checked",
            Self::Sending => "sending",
            Self::Sent => "sent",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            _ => Self::Checked,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imp)]
pub struct Import {
    pub id: i64,
    pub group_id: i64,
    pub inviter_id: i64,
    pub file_name: String,
    state: String,
    pub rows_total: i32,
    pub will_invite: i32,
    pub rows_done: i32,
    pub lease_until: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
    pub finished_at: Option<PrimitiveDateTime>,
}

impl Import {
    pub fn state(&self) -> ImportState {
        ImportState::parse(&self.state)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = row)]
pub struct Row {
    pub id: i64,
    pub line: i32,
    pub entry: String,
    pub community: String,
    pub role: String,
    pub message: String,
    pub outcome: String,
    pub detail: String,
}

impl Row {
    pub fn class(&self) -> RowClass {
        RowClass::from_code(&self.outcome, &self.detail)
    }
    pub fn recipient(&self) -> crate::domain::Recipient {
        crate::domain::Recipient::parse(&self.entry)
    }
}

/// A row as the dry run classified it.
pub struct NewRow<'a> {
    pub line: i32,
    pub entry: &'a str,
    pub community: &'a str,
    pub role: &'a str,
    pub message: &'a str,
    pub class: RowClass,
}

/// Stores a checked file and its rows; returns the import's id. Imports
/// of this inviter older than `KEPT` go first.
pub fn create(
    conn: &mut DbConn,
    group_id: i64,
    inviter_id: i64,
    file_name: &str,
    rows: &[NewRow<'_>],
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::delete(
        imp::table
            .filter(imp::inviter_id.eq(inviter_id))
            .filter(imp::created_at.lt(now - KEPT)),
    )
    .execute(conn)?;
    let will = rows
        .iter()
        .filter(|r| r.class == RowClass::WillInvite)
        .count();
    let id: i64 = diesel::insert_into(imp::table)
        .values((
            imp::group_id.eq(group_id),
            imp::inviter_id.eq(inviter_id),
            imp::file_name.eq(file_name),
            imp::state.eq(ImportState::Checked.as_str()),
            imp::rows_total.eq(rows.len() as i32),
            imp::will_invite.eq(will as i32),
            imp::created_at.eq(now),
        ))
        .returning(imp::id)
        .get_result(conn)?;
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                row::import_id.eq(id),
                row::line.eq(r.line),
                row::entry.eq(r.entry),
                row::community.eq(r.community),
                row::role.eq(r.role),
                row::message.eq(r.message),
                row::outcome.eq(r.class.code()),
                row::detail.eq(r.class.detail()),
            )
        })
        .collect();
    // Eight binds a row, 500 rows a statement: under both backends' limits.
    for chunk in values.chunks(500) {
        crate::native!(&mut *conn, |c| diesel::insert_into(row::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(id)
}

/// The import `id` when `inviter` made it in `group` (anyone else's is as
/// good as missing).
pub fn find(conn: &mut DbConn, id: i64, inviter: i64, group: i64) -> QueryResult<Option<Import>> {
    imp::table
        .filter(imp::id.eq(id))
        .filter(imp::inviter_id.eq(inviter))
        .filter(imp::group_id.eq(group))
        .select(Import::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut DbConn, id: i64) -> QueryResult<Import> {
    imp::table
        .filter(imp::id.eq(id))
        .select(Import::as_select())
        .first(conn)
}

/// "Send N invitations": checked → sending, once. False when it was
/// pressed already (another tab, a double click).
pub fn start(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    Ok(diesel::update(
        imp::table
            .filter(imp::id.eq(id))
            .filter(imp::state.eq(ImportState::Checked.as_str())),
    )
    .set(imp::state.eq(ImportState::Sending.as_str()))
    .execute(conn)?
        == 1)
}

/// Takes import `id` (or, with `None`, the oldest one being sent whose
/// worker's lease ran out) for `lease`: the id taken, if any.
pub fn claim(
    conn: &mut DbConn,
    id: Option<i64>,
    now: PrimitiveDateTime,
    lease: Duration,
) -> QueryResult<Option<i64>> {
    let free = imp::state
        .eq(ImportState::Sending.as_str())
        .and(imp::lease_until.is_null().or(imp::lease_until.lt(now)));
    let candidate: Option<i64> = match id {
        Some(id) => Some(id),
        None => imp::table
            .filter(free)
            .order(imp::id)
            .select(imp::id)
            .first(conn)
            .optional()?,
    };
    let Some(id) = candidate else {
        return Ok(None);
    };
    // Conditional: of two servers after the same import, one takes it.
    let taken = diesel::update(imp::table.filter(imp::id.eq(id)).filter(free))
        .set(imp::lease_until.eq(now + lease))
        .execute(conn)?;
    Ok((taken == 1).then_some(id))
}

/// The next `limit` rows still to send, in the file's order.
pub fn unsent(conn: &mut DbConn, import: i64, limit: i64) -> QueryResult<Vec<Row>> {
    row::table
        .filter(row::import_id.eq(import))
        .filter(row::outcome.eq(WILL_INVITE))
        .order(row::line)
        .limit(limit)
        .select(Row::as_select())
        .load(conn)
}

/// Records what sending a row came to.
pub fn set_outcome(conn: &mut DbConn, row_id: i64, class: &RowClass) -> QueryResult<usize> {
    diesel::update(row::table.filter(row::id.eq(row_id)))
        .set((
            row::outcome.eq(class.code()),
            row::detail.eq(class.detail()),
        ))
        .execute(conn)
}

/// After a chunk: `n` more rows done, the lease renewed; or the import
/// finished when nothing is left.
pub fn advance(
    conn: &mut DbConn,
    id: i64,
    n: i32,
    finished: bool,
    now: PrimitiveDateTime,
    lease: Duration,
) -> QueryResult<usize> {
    let q = diesel::update(imp::table.filter(imp::id.eq(id)));
    if finished {
        q.set((
            imp::rows_done.eq(imp::rows_done + n),
            imp::state.eq(ImportState::Sent.as_str()),
            imp::lease_until.eq(None::<PrimitiveDateTime>),
            imp::finished_at.eq(now),
        ))
        .execute(conn)
    } else {
        q.set((
            imp::rows_done.eq(imp::rows_done + n),
            imp::lease_until.eq(now + lease),
        ))
        .execute(conn)
    }
}

/// How many rows have each outcome (by code), most frequent first.
pub fn counts(conn: &mut DbConn, import: i64) -> QueryResult<Vec<(String, i64)>> {
    let mut out: Vec<(String, i64)> = row::table
        .filter(row::import_id.eq(import))
        .group_by(row::outcome)
        .select((row::outcome, diesel::dsl::count_star()))
        .load(conn)?;
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// A page of rows: those with an outcome in `codes` (or, with `except`,
/// every other one), in the file's order from after line `after`.
pub fn page(
    conn: &mut DbConn,
    import: i64,
    codes: &[&str],
    except: bool,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    let q = row::table
        .filter(row::import_id.eq(import))
        .filter(row::line.gt(after))
        .order(row::line)
        .limit(limit)
        .select(Row::as_select());
    if except {
        q.filter(row::outcome.ne_all(codes)).load(conn)
    } else {
        q.filter(row::outcome.eq_any(codes)).load(conn)
    }
}
