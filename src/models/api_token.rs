//! Personal access tokens for `/api/v1` and the communities each is
//! limited to (see the migration `api_tokens`).

use crate::db::DbConn;
use crate::db::schema::{api_token_groups as atg, api_tokens as at, groups};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = at)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub expires_at: PrimitiveDateTime,
    pub created_at: PrimitiveDateTime,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub revoked_at: Option<PrimitiveDateTime>,
}

impl ApiToken {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(' ').any(|s| s == scope)
    }
    pub fn is_live(&self, now: PrimitiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub scopes: &'a str,
    pub expires_at: PrimitiveDateTime,
    pub groups: &'a [i64],
}

pub fn insert(conn: &mut DbConn, new: &NewToken<'_>, now: PrimitiveDateTime) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(at::table)
        .values((
            at::user_id.eq(new.user_id),
            at::name.eq(new.name),
            at::token_hash.eq(new.token_hash),
            at::prefix.eq(new.prefix),
            at::scopes.eq(new.scopes),
            at::expires_at.eq(new.expires_at),
            at::created_at.eq(now),
        ))
        .returning(at::id)
        .get_result(conn)?;
    let rows: Vec<_> = new
        .groups
        .iter()
        .map(|g| (atg::token_id.eq(id), atg::group_id.eq(*g)))
        .collect();
    crate::native!(&mut *conn, |c| diesel::insert_into(atg::table)
        .values(&rows)
        .execute(c))?;
    Ok(id)
}

/// The user's tokens, newest first, each with the names of its communities.
pub fn of_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(ApiToken, Vec<String>)>> {
    let tokens: Vec<ApiToken> = at::table
        .filter(at::user_id.eq(user_id))
        .order(at::id.desc())
        .limit(100)
        .select(ApiToken::as_select())
        .load(conn)?;
    let ids: Vec<i64> = tokens.iter().map(|t| t.id).collect();
    let names: Vec<(i64, String)> = atg::table
        .inner_join(groups::table)
        .filter(atg::token_id.eq_any(&ids))
        .order(groups::name)
        .select((atg::token_id, groups::name))
        .load(conn)?;
    Ok(tokens
        .into_iter()
        .map(|t| {
            let mine = names
                .iter()
                .filter(|(id, _)| *id == t.id)
                .map(|(_, n)| n.clone())
                .collect();
            (t, mine)
        })
        .collect())
}

/// Token `id` of `user_id` (None: not theirs, or none).
pub fn find_of_user(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<Option<ApiToken>> {
    at::table
        .filter(at::id.eq(id))
        .filter(at::user_id.eq(user_id))
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

/// The token whose hash is `hash`, with the ids of its communities.
pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<(ApiToken, Vec<i64>)>> {
    let Some(token) = at::table
        .filter(at::token_hash.eq(hash))
        .select(ApiToken::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let groups = atg::table
        .filter(atg::token_id.eq(token.id))
        .select(atg::group_id)
        .load(conn)?;
    Ok(Some((token, groups)))
}

/// Revokes the user's token `id`: `Some(true)` done now, `Some(false)`
/// revoked before, `None` when it is not theirs.
pub fn revoke(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Option<bool>> {
    let mine = at::table
        .filter(at::id.eq(id))
        .filter(at::user_id.eq(user_id));
    let done = diesel::update(mine.filter(at::revoked_at.is_null()))
        .set(at::revoked_at.eq(now))
        .execute(conn)?;
    if done == 1 {
        return Ok(Some(true));
    }
    let exists: i64 = mine.count().get_result(conn)?;
    Ok((exists == 1).then_some(false))
}

/// Notes a use, at most once a minute per token (not a write per request).
pub fn touch(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    let a_minute_ago = now - time::Duration::MINUTE;
    diesel::update(
        at::table.filter(at::id.eq(id)).filter(
            at::last_used_at
                .is_null()
                .or(at::last_used_at.lt(a_minute_ago)),
        ),
    )
    .set(at::last_used_at.eq(now))
    .execute(conn)
}
