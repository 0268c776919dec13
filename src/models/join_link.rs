//! Multi-use join links and their uses.

use crate::db::DbConn;
use crate::db::schema::{join_link_uses as uses, join_links as jl, roles};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jl)]
pub struct JoinLink {
    pub id: i64,
    pub group_id: i64,
    pub role_id: i64,
    pub created_by: Option<i64>,
    pub link_nonce: String,
    pub token_hash: String,
    pub max_uses: i32,
    pub uses: i32,
    pub allowed_domain: Option<String>,
    pub expires_at: PrimitiveDateTime,
    pub disabled_at: Option<PrimitiveDateTime>,
    pub disabled_by: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

/// Whether a link can be used, as its page and the admins' list say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Disabled,
    Expired,
    UsedUp,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
            Self::UsedUp => "used up",
        }
    }
}

impl JoinLink {
    pub fn state(&self, now: PrimitiveDateTime) -> LinkState {
        if self.disabled_at.is_some() {
            LinkState::Disabled
        } else if self.expires_at <= now {
            LinkState::Expired
        } else if self.uses >= self.max_uses {
            LinkState::UsedUp
        } else {
            LinkState::Active
        }
    }
}

pub struct NewJoinLink<'a> {
    pub group_id: i64,
    pub role_id: i64,
    pub created_by: i64,
    pub link_nonce: &'a str,
    pub token_hash: &'a str,
    pub max_uses: i32,
    pub allowed_domain: Option<&'a str>,
    pub expires_at: PrimitiveDateTime,
}

pub fn insert(
    conn: &mut DbConn,
    new: &NewJoinLink<'_>,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(jl::table)
        .values((
            jl::group_id.eq(new.group_id),
            jl::role_id.eq(new.role_id),
            jl::created_by.eq(new.created_by),
            jl::link_nonce.eq(new.link_nonce),
            jl::token_hash.eq(new.token_hash),
            jl::max_uses.eq(new.max_uses),
            jl::allowed_domain.eq(new.allowed_domain),
            jl::expires_at.eq(new.expires_at),
            jl::created_at.eq(now),
        ))
        .returning(jl::id)
        .get_result(conn)
}

pub fn find_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<JoinLink>> {
    jl::table
        .filter(jl::token_hash.eq(hash))
        .select(JoinLink::as_select())
        .first(conn)
        .optional()
}

pub fn find_in_group(conn: &mut DbConn, group_id: i64, id: i64) -> QueryResult<Option<JoinLink>> {
    jl::table
        .filter(jl::id.eq(id))
        .filter(jl::group_id.eq(group_id))
        .select(JoinLink::as_select())
        .first(conn)
        .optional()
}

/// Spends one use of an active link: 1 when it was spent, 0 when the link
/// was disabled, expired or used up first. The condition decides however
/// many people use it at once.
pub fn spend_use(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        jl::table
            .find(id)
            .filter(jl::disabled_at.is_null())
            .filter(jl::expires_at.gt(now))
            .filter(jl::uses.lt(jl::max_uses)),
    )
    .set(jl::uses.eq(jl::uses + 1))
    .execute(conn)
}

/// Records who used the link; the unique index refuses a second use by the
/// same person.
pub fn record_use(
    conn: &mut DbConn,
    link_id: i64,
    user_id: i64,
    who: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(uses::table)
        .values((
            uses::link_id.eq(link_id),
            uses::user_id.eq(user_id),
            uses::who.eq(who),
            uses::used_at.eq(now),
        ))
        .execute(conn)
}

/// Whether `user_id` used this link already.
pub fn used_by(conn: &mut DbConn, link_id: i64, user_id: i64) -> QueryResult<bool> {
    Ok(uses::table
        .filter(uses::link_id.eq(link_id))
        .filter(uses::user_id.eq(user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// "Disable link": 1 when it was active (not disabled before).
pub fn disable(conn: &mut DbConn, id: i64, by: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(jl::table.find(id).filter(jl::disabled_at.is_null()))
        .set((jl::disabled_at.eq(now), jl::disabled_by.eq(by)))
        .execute(conn)
}

/// A link as the admins' list shows it, with its role's name.
pub struct Listed {
    pub link: JoinLink,
    pub role_name: String,
    /// Its uses, newest first (who, when).
    pub uses: Vec<(String, PrimitiveDateTime)>,
}

/// Uses listed per link, at most.
pub const USES_SHOWN: i64 = 50;

/// The group's links, newest first (at most `limit`), each with its
/// newest uses.
pub fn of_group(conn: &mut DbConn, group_id: i64, limit: i64) -> QueryResult<Vec<Listed>> {
    let links: Vec<(JoinLink, String)> = jl::table
        .inner_join(roles::table)
        .filter(jl::group_id.eq(group_id))
        .order(jl::id.desc())
        .limit(limit)
        .select((JoinLink::as_select(), roles::name))
        .load(conn)?;
    let mut out = Vec::with_capacity(links.len());
    for (link, role_name) in links {
        let used = uses::table
            .filter(uses::link_id.eq(link.id))
            .order(uses::id.desc())
            .limit(USES_SHOWN)
            .select((uses::who, uses::used_at))
            .load(conn)?;
        out.push(Listed {
            link,
            role_name,
            uses: used,
        });
    }
    Ok(out)
}
