//! A group's members list, with the members it inherits from the
//! communities above it, each row saying how the person has access; its
//! search, its role and access filters, and the open invitations shown as
//! "Invited" rows.
//!
//! Each community on the path is paged on its own index from the same
//! cursor and the pages are merged: the cost is one indexed range per
//! community above, whatever the page number or the number of members.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::models::invitation::{self, GroupRow as InvitedRow};
use crate::models::join_request::{self, PendingRow};
use crate::models::membership::{self, MemberCounts, MemberFilter, MemberRow};
use crate::models::{Role, User, role};
use crate::policy::{self, GroupAccess};
use serde::Deserialize;
use time::PrimitiveDateTime;

/// The longest search kept (longer ones are cut, never echoed whole): no
/// name (two of at most 100 characters) or username is longer.
pub const SEARCH_MAX: usize = 201;

/// Which people the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    /// Everyone with access: the group's own members and those of the
    /// communities above.
    #[default]
    Everyone,
    /// The group's own members.
    Direct,
    /// People with access only through a community above.
    Inherited,
    /// Open invitations to the group (member managers only).
    Invited,
}

impl Show {
    pub const ALL: [Show; 4] = [Show::Everyone, Show::Direct, Show::Inherited, Show::Invited];
    pub fn parse(s: &str) -> Option<Show> {
        Show::ALL.into_iter().find(|a| a.as_str() == s)
    }
    /// The value in the address ("" for everyone: the plain address).
    pub fn as_str(self) -> &'static str {
        match self {
            Show::Everyone => "",
            Show::Direct => "direct",
            Show::Inherited => "inherited",
            Show::Invited => "invited",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Show::Everyone => "Everyone",
            Show::Direct => "Direct members",
            Show::Inherited => "Inherited",
            Show::Invited => "Invited",
        }
    }
}

/// The members page's address as typed: search, role, access and cursors.
/// Anything unreadable is ignored (the plain list), never an error page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MembersQuery {
    pub q: Option<String>,
    pub role: Option<String>,
    pub access: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// What a members page lists, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Trimmed and cut to `SEARCH_MAX` characters; empty for none.
    pub q: String,
    pub role_id: Option<i64>,
    pub show: Show,
    /// Members: the last row of the previous page (`MemberRow::cursor`).
    pub after: Option<(String, i64)>,
    /// Invited: the last invitation id of the previous page.
    pub before: Option<i64>,
}

/// The address of a group's members list as a form names it in `back`
/// (the list's query string): rebuilt from the parameters the list knows,
/// so it never leads elsewhere nor carries more than a search's length.
pub fn list_url(slug: &str, back: &str) -> String {
    let query = serde_urlencoded::from_str::<MembersQuery>(back)
        .map(|q| q.parse().query(true))
        .unwrap_or_default();
    if query.is_empty() {
        format!("/groups/{slug}/members")
    } else {
        format!("/groups/{slug}/members?{query}")
    }
}

impl MembersQuery {
    pub fn parse(&self) -> Listing {
        let q = self.q.as_deref().unwrap_or("").trim();
        Listing {
            q: q.chars()
                .take(SEARCH_MAX)
                .collect::<String>()
                .trim()
                .to_string(),
            role_id: self.role.as_deref().and_then(|r| r.trim().parse().ok()),
            show: self
                .access
                .as_deref()
                .and_then(Show::parse)
                .unwrap_or_default(),
            after: self.after.as_deref().and_then(membership::parse_cursor),
            before: self.before.as_deref().and_then(|b| b.trim().parse().ok()),
        }
    }
}

impl Listing {
    pub fn is_filtered(&self) -> bool {
        !self.q.is_empty() || self.role_id.is_some() || self.show != Show::Everyone
    }
    /// The address's query for this listing, without the cursors unless
    /// `paged`: "q=ann&role=2&access=direct".
    pub fn query(&self, paged: bool) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            parts.push(("q", self.q.clone()));
        }
        if let Some(r) = self.role_id {
            parts.push(("role", r.to_string()));
        }
        if self.show != Show::Everyone {
            parts.push(("access", self.show.as_str().into()));
        }
        if paged {
            if let Some((k, id)) = &self.after {
                parts.push(("after", format!("{k}:{id}")));
            }
            if let Some(b) = self.before {
                parts.push(("before", b.to_string()));
            }
        }
        parts
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::error::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

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
    /// The viewer may change this membership's role and remove it here.
    pub manageable: bool,
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

/// Everything the members page shows.
pub struct MembersView {
    pub access: GroupAccess,
    pub listing: Listing,
    pub counts: MemberCounts,
    /// Every role a member may hold here (the role filter's choices).
    pub offered: Vec<Role>,
    /// The roles the viewer may give (empty without `manage_member`).
    pub grantable: Vec<Role>,
    /// May see the open invitations (the Invited rows).
    pub sees_invited: bool,
    pub members: Vec<MemberEntry>,
    pub invited: Vec<InvitedRow>,
    /// The next page's cursor (`after` for members, `before` for invited).
    pub next: Option<String>,
    pub pending: Vec<PendingRow>,
}

/// Join requests shown above the list.
const PENDING_SHOWN: i64 = 50;

/// Reads one members page for `viewer`: `per_page` rows after the cursor,
/// filtered as `listing` says. Needs `view_members`; the Invited rows and
/// join requests need what inviting needs.
pub fn view(
    conn: &mut DbConn,
    slug: &str,
    viewer: &User,
    mut listing: Listing,
    now: PrimitiveDateTime,
    per_page: crate::db::PageSize,
) -> AppResult<MembersView> {
    let access = GroupAccess::load(conn, slug, Some(viewer.id))?;
    policy::may_view_members(&access)?;
    let sees_invited = policy::may_invite(&access).is_ok();
    let offered = role::for_path(conn, &access.ancestors)?;
    let grantable: Vec<Role> = if sees_invited {
        offered
            .iter()
            .filter(|r| policy::may_grant(&access, viewer, r.perms()).is_ok())
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    // A role from elsewhere, or invitations for someone who may not see
    // them: the plain list rather than an error.
    if listing
        .role_id
        .is_some_and(|id| !offered.iter().any(|r| r.id == id))
    {
        listing.role_id = None;
    }
    if listing.show == Show::Invited && !sees_invited {
        listing.show = Show::Everyone;
    }
    let counts = membership::counts(conn, &access.ancestors, now)?;
    let (mut members, mut invited) = (Vec::new(), Vec::new());
    if listing.show == Show::Invited {
        invited = invitation::group_page(
            conn,
            access.group.id,
            &invitation::GroupFilter {
                tab: crate::domain::InvitationStatus::Pending,
                q: Some(listing.q.clone()).filter(|q| !q.is_empty()),
                before: listing.before,
                now,
            },
            per_page.fetch(),
        )?;
    } else {
        members = page(conn, &access, &listing, per_page.fetch() as usize)?;
        for e in &mut members {
            e.manageable = e.direct
                && offered
                    .iter()
                    .find(|r| r.id == e.row.role_id)
                    .is_some_and(|r| policy::may_manage_member(&access, r).is_ok());
        }
    }
    // Only one of the two lists is read.
    let next = per_page
        .next(&mut members, |e| e.row.cursor())
        .or_else(|| per_page.next(&mut invited, |r| r.id.to_string()));
    let pending = if sees_invited && counts.requested {
        join_request::pending_for_group(conn, access.group.id, PENDING_SHOWN)?
    } else {
        Vec::new()
    };
    Ok(MembersView {
        access,
        listing,
        counts,
        offered,
        grantable,
        sees_invited,
        members,
        invited,
        next,
        pending,
    })
}

/// Up to `limit` members after the listing's cursor, inherited ones
/// included as the listing says.
pub fn page(
    conn: &mut DbConn,
    access: &GroupAccess,
    listing: &Listing,
    limit: usize,
) -> AppResult<Vec<MemberEntry>> {
    let group = access.group.id;
    let after = listing.after.as_ref().map(|(k, id)| (k.as_str(), *id));
    let mut pages = Vec::with_capacity(access.ancestors.len());
    for (depth, id) in access.ancestors.iter().enumerate() {
        let shown = match listing.show {
            Show::Direct => depth == 0,
            Show::Inherited => depth > 0,
            Show::Everyone | Show::Invited => true,
        };
        if !shown {
            continue;
        }
        // A person is listed with their nearest membership: when that one
        // is filtered out (by role, or being direct), a farther one must not
        // stand in for it.
        let nearer_than = match (depth, listing.role_id, listing.show) {
            (0, _, _) => None,
            (d, Some(_), _) => Some((group, d as i32)),
            (_, None, Show::Inherited) => Some((group, 1)),
            _ => None,
        };
        let f = MemberFilter {
            role_id: listing.role_id,
            q: Some(listing.q.clone()).filter(|q| !q.is_empty()),
            nearer_than,
        };
        pages.push(membership::page(conn, *id, &f, after, limit as i64)?);
    }
    // The communities' names come with their rows (no query of their own).
    let names: std::collections::HashMap<i64, String> = pages
        .iter()
        .flatten()
        .map(|r| (r.group_id, r.group_name.clone()))
        .collect();
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(merge(pages, group, limit, name_of))
}

/// Merges pages sorted by (sort_key, user_id), the group's own first,
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
    all.sort_by(|(da, a), (db, b)| (&a.sort_key, a.user_id, da).cmp(&(&b.sort_key, b.user_id, db)));
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
            manageable: false,
        });
    }
    out
}

/// Memberships from before `members_by_name` get their name keys here (a
/// natural sort key is not SQL). Every start looks, through the partial
/// index `memberships_unkeyed`, which is empty once this is done: a start
/// stopped half-way is finished by the next.
pub fn fill_missing_keys(conn: &mut DbConn) -> diesel::QueryResult<()> {
    const BATCH: i64 = 1_000;
    let mut after = 0;
    loop {
        let done = crate::db::write_tx(conn, |c| {
            let rows = membership::unkeyed(c, after, BATCH)?;
            for (id, keys) in &rows {
                membership::set_keys(c, *id, keys)?;
            }
            Ok::<_, diesel::result::Error>(rows.last().map(|(id, _)| *id))
        })?;
        match done {
            Some(last) => after = last,
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, user_id: i64, group_id: i64) -> MemberRow {
        MemberRow {
            user_id,
            sort_key: key.into(),
            username_key: key.into(),
            joined_at: time::macros::datetime!(2026-11-30 12:00),
            role_id: 2,
            role_name: "GroupMember".into(),
            username: Some(key.into()),
            first_name: "F".into(),
            last_name: "L".into(),
            group_id,
            invited_by: None,
            group_name: String::new(),
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
