//! `invitation_policies`: a community's own invitation rules, and the rules
//! along its path to the top (read in one query).

use crate::db::DbConn;
use crate::db::schema::{group_ancestors, groups, invitation_policies};
use crate::domain::invitation_policy::{DomainList, Rules, WhoMayInvite};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = invitation_policies)]
#[diesel(treat_none_as_null = true)]
pub struct PolicyRow {
    pub group_id: i64,
    pub allowed_domains: String,
    pub blocked_domains: String,
    pub include_subdomains: bool,
    pub block_disposable: bool,
    pub who_may_invite: String,
    pub invitations_off: bool,
    pub updated_by: Option<i64>,
    pub updated_at: PrimitiveDateTime,
}

impl PolicyRow {
    pub fn rules(&self) -> Rules {
        Rules {
            allowed: DomainList::from_stored(&self.allowed_domains),
            blocked: DomainList::from_stored(&self.blocked_domains),
            include_subdomains: self.include_subdomains,
            block_disposable: self.block_disposable,
            who: WhoMayInvite::parse(&self.who_may_invite).unwrap_or_default(),
            off: self.invitations_off,
        }
    }

    pub fn of(group_id: i64, r: &Rules, by: i64, now: PrimitiveDateTime) -> Self {
        Self {
            group_id,
            allowed_domains: r.allowed.stored(),
            blocked_domains: r.blocked.stored(),
            include_subdomains: r.include_subdomains,
            block_disposable: r.block_disposable,
            who_may_invite: r.who.as_str().to_string(),
            invitations_off: r.off,
            updated_by: Some(by),
            updated_at: now,
        }
    }
}

/// One level of a group's path that has rules: the community's id and
/// name, and its rules.
#[derive(Debug, Clone)]
pub struct Level {
    pub group_id: i64,
    pub name: String,
    pub rules: Rules,
}

/// The rules of `group_id` and of every community above it that has any,
/// top first.
pub fn along_path(conn: &mut DbConn, group_id: i64) -> QueryResult<Vec<Level>> {
    let rows: Vec<(String, PolicyRow)> = group_ancestors::table
        .inner_join(
            invitation_policies::table
                .on(invitation_policies::group_id.eq(group_ancestors::ancestor_id)),
        )
        .inner_join(groups::table.on(groups::id.eq(group_ancestors::ancestor_id)))
        .filter(group_ancestors::group_id.eq(group_id))
        .order(group_ancestors::depth.desc())
        .select((groups::name, PolicyRow::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(name, row)| Level {
            group_id: row.group_id,
            name,
            rules: row.rules(),
        })
        .collect())
}

/// The invitation policy along each group's path, read on first use.
#[derive(Default)]
pub struct PolicyCache(std::collections::HashMap<i64, Vec<Level>>);

impl PolicyCache {
    pub fn levels(&mut self, conn: &mut DbConn, group_id: i64) -> QueryResult<&[Level]> {
        use std::collections::hash_map::Entry;
        Ok(match self.0.entry(group_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(along_path(conn, group_id)?),
        })
    }
}

/// Writes the group's own rules (inside the caller's transaction). Two
/// first saves at once both find no row: the one whose insert loses to the
/// primary key (in its own savepoint, so the transaction lives on) updates
/// the winner's row instead.
pub fn save(conn: &mut DbConn, row: &PolicyRow) -> QueryResult<()> {
    let update = |c: &mut DbConn| {
        diesel::update(invitation_policies::table.find(row.group_id))
            .set(row)
            .execute(c)
    };
    if update(conn)? == 0 {
        let inserted = conn.transaction(|c| {
            diesel::insert_into(invitation_policies::table)
                .values(row)
                .execute(c)
        });
        match inserted {
            Err(e) if crate::db::is_unique_violation(&e) => {
                update(conn)?;
            }
            other => {
                other?;
            }
        }
    }
    Ok(())
}
