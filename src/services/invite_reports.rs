//! The result page of "Send Invitation": what each entry came to, kept so
//! the form can redirect to it (POST/redirect/GET), refusals first.

use crate::db::DbConn;
use crate::domain::InviteOutcome;
use crate::error::{AppError, AppResult};
use crate::models::invite_report::{self, Line, Report};
use crate::services::invitations::InviteInput;
use time::PrimitiveDateTime;

/// Entries of each kind a result page lists (a report holds at most what
/// one form takes, but the script's slices could append more).
const LISTED: i64 = 500;

/// One entry's result: what was typed, what came of it, and the groups
/// invited to when several were asked for.
pub struct EntryResult {
    pub entry: String,
    pub outcome: InviteOutcome,
    pub groups: String,
}

/// The report a script's later slice names (`Some(id)`): it must be
/// `inviter`'s in `group` (otherwise 404, before anything is sent). Inside
/// the list's transaction, as `record`.
pub fn existing(
    conn: &mut DbConn,
    report: Option<i64>,
    group_id: i64,
    inviter_id: i64,
) -> AppResult<Option<i64>> {
    let Some(id) = report else {
        return Ok(None);
    };
    invite_report::find(conn, id, inviter_id, group_id)?
        .map(|r| Some(r.id))
        .ok_or_else(AppError::not_found)
}

/// Appends the entries' results, in the order typed, to the `existing`
/// report, or to a new one with the form's settings; its id.
pub fn record(
    conn: &mut DbConn,
    existing: Option<i64>,
    group_id: i64,
    inviter_id: i64,
    input: &InviteInput,
    results: &[EntryResult],
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let lines: Vec<_> = results
        .iter()
        .map(|r| (r.entry.clone(), r.outcome.clone(), r.groups.clone()))
        .collect();
    let id = match existing {
        Some(id) => {
            invite_report::add_lines(conn, id, &lines)?;
            id
        }
        None => invite_report::create(conn, group_id, inviter_id, &input.settings(), &lines, now)?,
    };
    Ok(id)
}

/// A result page's content.
pub struct InviteResult {
    pub report: Report,
    /// Entries invited, all outcomes together.
    pub invited: i64,
    /// Entries refused.
    pub refused: i64,
    /// "300 invited", "1 already a member", …: invited first, then the
    /// refusals, most frequent first.
    pub summary: Vec<String>,
    pub refused_lines: Vec<Line>,
    pub invited_lines: Vec<Line>,
}

impl InviteResult {
    pub fn total(&self) -> i64 {
        self.invited + self.refused
    }
}

/// The report `id` as `viewer` made it in `group`; anyone else's is 404.
pub fn load(conn: &mut DbConn, id: i64, group_id: i64, viewer: i64) -> AppResult<InviteResult> {
    let report =
        invite_report::find(conn, id, viewer, group_id)?.ok_or_else(AppError::not_found)?;
    let (mut invited, mut refused, mut refusals) = (0, 0, Vec::new());
    for (code, n) in invite_report::counts(conn, id)? {
        let outcome = InviteOutcome::from_code(&code, "");
        if outcome.is_success() {
            invited += n;
        } else {
            refused += n;
            refusals.push(outcome.counted(n));
        }
    }
    let summary = std::iter::once(InviteOutcome::Invited.counted(invited))
        .chain(refusals)
        .collect();
    Ok(InviteResult {
        refused_lines: invite_report::lines(conn, id, false, LISTED)?,
        invited_lines: invite_report::lines(conn, id, true, LISTED)?,
        report,
        invited,
        refused,
        summary,
    })
}

/// The invite form again, from report `id`: its role, message and groups,
/// and, with `fix`, the refused entries in "Send to".
pub fn reopen(
    conn: &mut DbConn,
    id: i64,
    group_id: i64,
    viewer: i64,
    fix: bool,
) -> AppResult<InviteInput> {
    let report =
        invite_report::find(conn, id, viewer, group_id)?.ok_or_else(AppError::not_found)?;
    let send_to = if fix {
        invite_report::lines(conn, id, false, LISTED)?
            .into_iter()
            .map(|l| l.entry)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        String::new()
    };
    Ok(InviteInput::reopened(&report.form, send_to))
}
