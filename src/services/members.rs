//! A group's members list, with the members it inherits from the
//! communities above it, each row saying how the person has access.
//!
//! Each community on the path is paged on its own index from the same
//! cursor and the pages are merged: the cost is one indexed range per
//! community above, whatever the page number or the number of members.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::models::membership::{self, MemberRow};
use crate::models::{Group, group_tree};
use crate::policy::GroupAccess;

/// One person on the members list.
#[derive(Debug, Clone)]
pub struct MemberEntry {
    /// Their membership of the group itself when they have one, otherwise
    /// that of the nearest community above.
    pub row: MemberRow,
    /// True when they belong to the group itself.
    pub direct: bool,
    /// The communities above the group they belong to, nearest first.
    pub through: Vec<String>,
}

impl MemberEntry {
    /// "Direct", "Inherited from Main", "Direct; also through Main".
    pub fn access(&self) -> String {
        let names = self.through.join(", ");
        match (self.direct, names.is_empty()) {
            (true, true) => "Direct".into(),
            (true, false) => format!("Direct; also through {names}"),
            (false, _) => format!("Inherited from {names}"),
        }
    }
}

/// Up to `limit` members after the cursor, inherited ones included.
pub fn page(
    conn: &mut DbConn,
    access: &GroupAccess,
    after: Option<(&str, i64)>,
    limit: i64,
) -> AppResult<Vec<MemberEntry>> {
    let mut pages = Vec::with_capacity(access.ancestors.len());
    for id in &access.ancestors {
        pages.push(membership::page(conn, *id, after, limit)?);
    }
    let above: Vec<Group> = if access.ancestors.len() > 1 {
        group_tree::ancestors(conn, access.group.id)?
    } else {
        Vec::new()
    };
    let name_of = |id: i64| {
        above
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    };
    Ok(merge(pages, access.group.id, limit as usize, name_of))
}

/// Merges pages sorted by (username_key, user_id), the group's own first,
/// into at most `limit` people; a person found in several keeps the
/// nearest membership and lists the others.
fn merge(
    pages: Vec<Vec<MemberRow>>,
    group_id: i64,
    limit: usize,
    name_of: impl Fn(i64) -> String,
) -> Vec<MemberEntry> {
    // (key, user, position on the path): the nearest membership sorts first.
    let mut all: Vec<(usize, MemberRow)> = pages
        .into_iter()
        .enumerate()
        .flat_map(|(depth, rows)| rows.into_iter().map(move |r| (depth, r)))
        .collect();
    all.sort_by(|(da, a), (db, b)| {
        (&a.username_key, a.user_id, da).cmp(&(&b.username_key, b.user_id, db))
    });
    let mut out: Vec<MemberEntry> = Vec::with_capacity(limit);
    for (_, row) in all {
        if let Some(last) = out.last_mut()
            && last.row.user_id == row.user_id
        {
            last.through.push(name_of(row.group_id));
            continue;
        }
        if out.len() == limit {
            break;
        }
        let direct = row.group_id == group_id;
        let through = if direct {
            Vec::new()
        } else {
            vec![name_of(row.group_id)]
        };
        out.push(MemberEntry {
            row,
            direct,
            through,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, user_id: i64, group_id: i64) -> MemberRow {
        MemberRow {
            user_id,
            username_key: key.into(),
            joined_at: time::macros::datetime!(2026-11-30 12:00),
            role_id: 2,
            role_name: "GroupMember".into(),
            username: Some(key.into()),
            first_name: "F".into(),
            last_name: "L".into(),
            group_id,
            invited_by: None,
        }
    }

    #[test]
    fn merges_in_order_and_explains_access() {
        let own = vec![row("bob", 2, 10), row("dan", 4, 10)];
        let main = vec![row("alice", 1, 1), row("bob", 2, 1), row("carol", 3, 1)];
        let names = |id: i64| if id == 1 { "Main".into() } else { "?".into() };
        let out = merge(vec![own, main], 10, 3, names);
        let got: Vec<(&str, String)> = out
            .iter()
            .map(|e| (e.row.username_key.as_str(), e.access()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("alice", "Inherited from Main".to_string()),
                ("bob", "Direct; also through Main".to_string()),
                ("carol", "Inherited from Main".to_string()),
            ]
        );
        // bob's own membership wins over the inherited one.
        assert_eq!(out[1].row.group_id, 10);
    }

    #[test]
    fn stops_at_the_limit_of_people_not_rows() {
        let own = vec![row("a", 1, 10), row("b", 2, 10)];
        let main = vec![row("a", 1, 1), row("b", 2, 1)];
        let out = merge(vec![own, main], 10, 1, |_| "Main".into());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].through, vec!["Main".to_string()]);
    }
}
