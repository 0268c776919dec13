//! Support cases: raised by a member of a company account, read by whoever
//! raised them and by the account's super users, by no one else.

use crate::db::{self, DbConn};
use crate::domain::{BoundedText, FormErrors};
use crate::error::{AppError, AppResult};
use crate::models::case::{self, Case, NewCase};
use crate::models::{User, user};
use crate::policy::{self, Denied};
use serde::Deserialize;
use time::PrimitiveDateTime;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct CaseInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
}

pub struct CaseSpec {
    pub title: BoundedText,
    pub description: BoundedText,
}

impl CaseInput {
    pub fn parse(&self) -> Result<CaseSpec, FormErrors> {
        let mut e = FormErrors::default();
        let title = e.check("title", BoundedText::parse(&self.title, "title", 3, 200));
        let description = e.check(
            "description",
            BoundedText::parse(&self.description, "description", 1, 10_000),
        );
        match (title, description) {
            (Some(title), Some(description)) if e.is_empty() => Ok(CaseSpec { title, description }),
            _ => Err(e),
        }
    }
}

pub fn parse_comment(body: &str) -> Result<BoundedText, String> {
    BoundedText::parse(body, "comment", 1, 10_000)
}

/// Raises a case for the user's account. The user is reloaded inside the
/// transaction: deactivated, or in no account, is refused (`may_raise_case`) and
/// nothing is written.
pub fn raise(
    conn: &mut DbConn,
    user_id: i64,
    spec: &CaseSpec,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, Denied>> {
    db::write_tx(conn, |conn| {
        let u = user::find(conn, user_id)?;
        let account = match policy::may_raise_case(&u) {
            Ok(account) => account,
            Err(denied) => return Ok(Err(denied)),
        };
        let id = case::insert(
            conn,
            &NewCase {
                account_id: account,
                raised_by: u.id,
                title: spec.title.as_str(),
                description: spec.description.as_str(),
                status: case::OPEN,
                created_at: now,
                updated_at: now,
            },
        )?;
        Ok(Ok(id))
    })
}

/// The case if `viewer` may read it; 404 otherwise (another account's case
/// is not disclosed).
pub fn visible(conn: &mut DbConn, viewer: &User, id: i64) -> AppResult<(Case, Option<String>)> {
    match case::find(conn, id)? {
        Some((c, by)) if policy::may_read_case(viewer, &c).is_ok() => Ok((c, by)),
        _ => Err(AppError::not_found()),
    }
}

/// Adds a comment to a case the user may read.
pub fn comment(
    conn: &mut DbConn,
    user_id: i64,
    case_id: i64,
    body: &BoundedText,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    db::write_tx(conn, |conn| {
        let u = user::find(conn, user_id)?;
        let (c, _) = visible(conn, &u, case_id)?;
        case::add_comment(conn, c.id, u.id, body.as_str(), now)?;
        case::touch(conn, c.id, now)?;
        Ok(())
    })
}

/// Support cases as handlers call them.
impl super::App {
    pub async fn raise_case(&self, user: i64, spec: CaseSpec) -> AppResult<Result<i64, Denied>> {
        self.on_pool(move |c, now| raise(c, user, &spec, now)).await
    }

    pub async fn comment_on_case(&self, user: i64, case: i64, body: BoundedText) -> AppResult<()> {
        self.on_pool(move |c, now| comment(c, user, case, &body, now))
            .await
    }
}
