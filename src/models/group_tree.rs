//! The community tree: `groups.parent_id` and its closure table
//! `group_ancestors` (one row per group and ancestor, the group itself at
//! depth 0). Every function that changes a parent keeps the two in step.

use crate::db::DbConn;
use crate::db::schema::{group_ancestors as ga, groups, memberships};
use crate::models::Group;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use time::PrimitiveDateTime;

/// Adds a new group's rows: itself, and its parent's ancestors one level up.
pub fn insert_node(conn: &mut DbConn, id: i64, parent: Option<i64>) -> QueryResult<()> {
    diesel::insert_into(ga::table)
        .values((ga::group_id.eq(id), ga::ancestor_id.eq(id), ga::depth.eq(0)))
        .execute(conn)?;
    if let Some(p) = parent {
        diesel::insert_into(ga::table)
            .values(ga::table.filter(ga::group_id.eq(p)).select((
                id.into_sql::<BigInt>(),
                ga::ancestor_id,
                ga::depth + 1.into_sql::<Integer>(),
            )))
            .into_columns((ga::group_id, ga::ancestor_id, ga::depth))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids of every group `user_id` reaches: those they belong to and every
/// group below them. A subquery, for filters.
#[diesel::dsl::auto_type]
pub fn reachable_by(user_id: i64) -> _ {
    ga::table
        .inner_join(memberships::table.on(memberships::group_id.eq(ga::ancestor_id)))
        .filter(memberships::user_id.eq(user_id))
        .select(ga::group_id)
}

/// Which of `ids` `user_id` reaches (directly or through a community above).
pub fn reachable_among(conn: &mut DbConn, user_id: i64, ids: &[i64]) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    reachable_by(user_id)
        .filter(ga::group_id.eq_any(ids))
        .distinct()
        .load(conn)
}

/// The group and its ancestors, nearest first (the group itself first).
pub fn ancestors(conn: &mut DbConn, id: i64) -> QueryResult<Vec<Group>> {
    ga::table
        .inner_join(groups::table.on(groups::id.eq(ga::ancestor_id)))
        .filter(ga::group_id.eq(id))
        .order(ga::depth)
        .select(Group::as_select())
        .load(conn)
}

/// Descendants of `id` (not itself), by name, at most `limit`.
pub fn descendants(conn: &mut DbConn, id: i64, limit: i64) -> QueryResult<Vec<Group>> {
    ga::table
        .inner_join(groups::table.on(groups::id.eq(ga::group_id)))
        .filter(ga::ancestor_id.eq(id))
        .filter(ga::depth.gt(0))
        .order((groups::name_key, groups::id))
        .limit(limit)
        .select(Group::as_select())
        .load(conn)
}

/// `root` and the groups below it with their depth under `root`, level by
/// level and by name within a level, at most `limit` (the nearest levels
/// first, so a cut never leaves a group without its parent).
pub fn subtree(conn: &mut DbConn, root: i64, limit: i64) -> QueryResult<Vec<(Group, i32)>> {
    ga::table
        .inner_join(groups::table.on(groups::id.eq(ga::group_id)))
        .filter(ga::ancestor_id.eq(root))
        .order((ga::depth, groups::name_key, groups::id))
        .limit(limit)
        .select((Group::as_select(), ga::depth))
        .load(conn)
}

/// How many descendants `id` has (a group with any is a community).
pub fn count_descendants(conn: &mut DbConn, id: i64) -> QueryResult<i64> {
    ga::table
        .filter(ga::ancestor_id.eq(id))
        .filter(ga::depth.gt(0))
        .count()
        .get_result(conn)
}

/// True when `candidate` is `id` or lies below it.
pub fn is_within(conn: &mut DbConn, candidate: i64, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ga::table
            .filter(ga::group_id.eq(candidate))
            .filter(ga::ancestor_id.eq(id)),
    ))
    .get_result(conn)
}

/// Moves the subtree rooted at `id` under `parent` (None: to the top). The
/// caller has checked that `parent` is not inside the subtree and holds the
/// write transaction. Statements: a fixed few, plus one per new ancestor.
pub fn move_subtree(
    conn: &mut DbConn,
    id: i64,
    parent: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let subtree: Vec<i64> = ga::table
        .filter(ga::ancestor_id.eq(id))
        .select(ga::group_id)
        .load(conn)?;
    let old_ancestors: Vec<i64> = ga::table
        .filter(ga::group_id.eq(id))
        .filter(ga::depth.gt(0))
        .select(ga::ancestor_id)
        .load(conn)?;
    diesel::delete(
        ga::table
            .filter(ga::group_id.eq_any(&subtree))
            .filter(ga::ancestor_id.eq_any(&old_ancestors)),
    )
    .execute(conn)?;
    if let Some(p) = parent {
        let new_ancestors: Vec<(i64, i32)> = ga::table
            .filter(ga::group_id.eq(p))
            .select((ga::ancestor_id, ga::depth))
            .load(conn)?;
        for (ancestor, depth) in new_ancestors {
            diesel::insert_into(ga::table)
                .values(ga::table.filter(ga::ancestor_id.eq(id)).select((
                    ga::group_id,
                    ancestor.into_sql::<BigInt>(),
                    ga::depth + (depth + 1).into_sql::<Integer>(),
                )))
                .into_columns((ga::group_id, ga::ancestor_id, ga::depth))
                .execute(conn)?;
        }
    }
    diesel::update(groups::table.find(id))
        .set((groups::parent_id.eq(parent), groups::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}
