//! The result of one "Send Invitation": each entry's outcome, kept for the
//! result page the form redirects to (and that the script's slices append
//! to), so a reload shows the result again instead of sending again.

use crate::db::DbConn;
use crate::db::schema::{invite_report_lines as line, invite_reports as rep};
use crate::domain::InviteOutcome;
use diesel::prelude::*;
use std::sync::atomic::{AtomicI64, Ordering};
use time::{Duration, PrimitiveDateTime};

/// How long a result page can be reopened.
const KEPT: Duration = Duration::days(30);

/// The codes of the outcomes that are invitations.
const SUCCESSES: [&str; 3] = ["invited", "invited_in_app", "invited_by_email"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rep)]
pub struct Report {
    pub id: i64,
    pub group_id: i64,
    pub inviter_id: i64,
    /// The form without its list, url-encoded.
    pub form: String,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = line)]
pub struct Line {
    pub entry: String,
    pub outcome: String,
    pub detail: String,
    pub groups: String,
}

impl Line {
    pub fn outcome(&self) -> InviteOutcome {
        InviteOutcome::from_code(&self.outcome, &self.detail)
    }
}

/// A new report of `inviter` in `group` with its first `lines` (see
/// [`add_lines`]); its id. On PostgreSQL one statement (the report, then
/// its lines, were two round trips on every list). Reports older than
/// `KEPT` go at most once an hour (per process): pruning on every report
/// read the inviter's whole history each time (PostgreSQL planned it as a
/// scan of every report: 13,000 scans of 2,500 rows in 15 s of
/// invitations).
pub fn create(
    conn: &mut DbConn,
    group_id: i64,
    inviter_id: i64,
    form: &str,
    lines: &[(String, InviteOutcome, String)],
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    prune_once_an_hour(conn, now)?;
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use crate::db::{IdRow, Sql};
        use diesel::sql_types::{Array, BigInt, Text, Timestamp};
        let column = |f: fn(&(String, InviteOutcome, String)) -> &str| {
            lines
                .iter()
                .map(f)
                .collect::<Vec<_>>()
                .into_sql::<Array<Text>>()
        };
        let q = Sql::new(
            "WITH r AS (INSERT INTO invite_reports (group_id, inviter_id, form, created_at) \
                VALUES (?, ?, ?, ?) RETURNING id), \
             l AS (INSERT INTO invite_report_lines (report_id, entry, outcome, detail, groups) \
                SELECT r.id, t.e, t.o, t.d, t.g FROM r, \
                unnest(?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS t (e, o, d, g, n) \
                ORDER BY t.n) \
             SELECT id FROM r",
            (
                group_id.into_sql::<BigInt>(),
                inviter_id.into_sql::<BigInt>(),
                form.into_sql::<Text>(),
                now.into_sql::<Timestamp>(),
                column(|l| &l.0),
                column(|l| l.1.code()),
                column(|l| detail(&l.1)),
                column(|l| &l.2),
            ),
        );
        return Ok(q.get_result::<IdRow>(pg)?.id);
    }
    let id = diesel::insert_into(rep::table)
        .values((
            rep::group_id.eq(group_id),
            rep::inviter_id.eq(inviter_id),
            rep::form.eq(form),
            rep::created_at.eq(now),
        ))
        .returning(rep::id)
        .get_result(conn)?;
    add_lines(conn, id, lines)?;
    Ok(id)
}

/// What a line keeps beside its outcome's code: why, when not allowed.
fn detail(outcome: &InviteOutcome) -> &str {
    match outcome {
        InviteOutcome::NotAllowed(why) => why.as_str(),
        _ => "",
    }
}

fn prune_once_an_hour(conn: &mut DbConn, now: PrimitiveDateTime) -> QueryResult<()> {
    static PRUNED: AtomicI64 = AtomicI64::new(i64::MIN);
    let hour = now.assume_utc().unix_timestamp().div_euclid(3600);
    if PRUNED.swap(hour, Ordering::Relaxed) == hour {
        return Ok(());
    }
    let old = rep::table
        .filter(rep::created_at.lt(now - KEPT))
        .select(rep::id);
    diesel::delete(line::table.filter(line::report_id.eq_any(old))).execute(conn)?;
    diesel::delete(rep::table.filter(rep::created_at.lt(now - KEPT))).execute(conn)?;
    Ok(())
}

/// The report `id` when `inviter` made it in `group` (anyone else's is
/// as good as missing).
pub fn find(
    conn: &mut DbConn,
    id: i64,
    inviter_id: i64,
    group_id: i64,
) -> QueryResult<Option<Report>> {
    rep::table
        .filter(rep::id.eq(id))
        .filter(rep::inviter_id.eq(inviter_id))
        .filter(rep::group_id.eq(group_id))
        .select(Report::as_select())
        .first(conn)
        .optional()
}

/// Appends one line per entry, in the order given: (entry, outcome, groups).
pub fn add_lines(
    conn: &mut DbConn,
    report_id: i64,
    lines: &[(String, InviteOutcome, String)],
) -> QueryResult<usize> {
    let rows: Vec<_> = lines
        .iter()
        .map(|(entry, outcome, groups)| {
            (
                line::report_id.eq(report_id),
                line::entry.eq(entry.as_str()),
                line::outcome.eq(outcome.code()),
                line::detail.eq(detail(outcome)),
                line::groups.eq(groups.as_str()),
            )
        })
        .collect();
    // One line (a list of one, or a script's slice of one) as a statement
    // kept prepared; diesel prepares a batch insert again on every call.
    if let [row] = rows.as_slice() {
        let q = diesel::insert_into(line::table).values(*row);
        return crate::native!(&mut *conn, |c| q.execute(c));
    }
    // MultiConnection has no batch insert: each backend's own connection.
    // Five binds a row, chunks of 1,000 rows: under both backends' limits.
    let mut done = 0;
    for chunk in rows.chunks(1000) {
        done += crate::native!(&mut *conn, |c| diesel::insert_into(line::table)
            .values(chunk)
            .execute(c)?);
    }
    Ok(done)
}

/// How many entries had each outcome (by code), most frequent first.
pub fn counts(conn: &mut DbConn, report_id: i64) -> QueryResult<Vec<(String, i64)>> {
    let mut out: Vec<(String, i64)> = line::table
        .filter(line::report_id.eq(report_id))
        .group_by(line::outcome)
        .select((line::outcome, diesel::dsl::count_star()))
        .load(conn)?;
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// The first `limit` entries that were invited (`invited`) or refused, in
/// the order they were typed.
pub fn lines(
    conn: &mut DbConn,
    report_id: i64,
    invited: bool,
    limit: i64,
) -> QueryResult<Vec<Line>> {
    let q = line::table
        .filter(line::report_id.eq(report_id))
        .order(line::id)
        .limit(limit)
        .select(Line::as_select());
    if invited {
        q.filter(line::outcome.eq_any(SUCCESSES)).load(conn)
    } else {
        q.filter(line::outcome.ne_all(SUCCESSES)).load(conn)
    }
}
