//! What `/api/v1` reads, as JSON: a group, its members and its
//! invitations, each page after a keyset cursor. A token reaches a group
//! only when it is one of the token's communities or below one
//! (`TokenAuth::reaches`); any other group is "not found", like a group
//! one may not see. The same `policy` checks as the pages follow.

use crate::db::DbConn;
use crate::domain::InvitationStatus;
use crate::domain::rfc3339;
use crate::error::{AppError, AppResult};
use crate::models::invitation::{self, GroupFilter};
use crate::policy::{self, GroupAccess};
use crate::services::api_tokens::TokenAuth;
use crate::services::members::{self, Listing};
use serde::Serialize;
use time::PrimitiveDateTime;

/// Rows a list answers at most.
pub const PAGE: usize = 100;

#[derive(Debug, Serialize)]
pub struct ApiGroup {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The community it is managed by, if any.
    pub parent: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApiMember {
    pub username: String,
    pub name: String,
    pub role: String,
    pub joined_at: String,
    /// True when they belong to the group itself, not only to a community above.
    pub direct: bool,
}

#[derive(Debug, Serialize)]
pub struct ApiInvitation {
    pub id: i64,
    pub email: String,
    pub username: Option<String>,
    pub status: String,
    pub role: String,
    pub inviter: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub answered_at: Option<String>,
}

/// One page of a list and the cursor of the next, if any.
#[derive(Debug, Serialize)]
pub struct ApiPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The group `slug` as the token's user sees it, when the token reaches it.
pub fn reached(conn: &mut DbConn, auth: &TokenAuth, slug: &str) -> AppResult<GroupAccess> {
    let access = GroupAccess::load(conn, slug, Some(auth.user.id))?;
    if !auth.reaches(&access) {
        return Err(AppError::not_found());
    }
    Ok(access)
}

pub fn show_group(conn: &mut DbConn, auth: &TokenAuth, slug: &str) -> AppResult<ApiGroup> {
    let access = reached(conn, auth, slug)?;
    let parent = match access.group.parent_id {
        Some(id) => Some(crate::models::group::find(conn, id)?.slug),
        None => None,
    };
    Ok(ApiGroup {
        slug: access.group.slug,
        name: access.group.name,
        description: access.group.description,
        parent,
    })
}

/// Members by name after `after` (a cursor from an earlier page); the
/// members page's own rule (`policy::may_view_members`).
pub fn list_members(
    conn: &mut DbConn,
    auth: &TokenAuth,
    slug: &str,
    after: Option<&str>,
) -> AppResult<ApiPage<ApiMember>> {
    let access = reached(conn, auth, slug)?;
    policy::may_view_members(&access)?;
    let listing = Listing {
        after: after.and_then(crate::models::membership::parse_cursor),
        ..Default::default()
    };
    let mut rows = members::page(conn, &access, &listing, PAGE + 1)?;
    let next = (rows.len() > PAGE).then(|| {
        rows.truncate(PAGE);
        rows.last().map(|e| e.row.cursor())
    });
    Ok(ApiPage {
        items: rows
            .into_iter()
            .map(|e| ApiMember {
                username: e.row.handle().to_string(),
                name: e.row.display_name(),
                role: e.row.role_name.clone(),
                joined_at: rfc3339(e.row.joined_at),
                direct: e.direct,
            })
            .collect(),
        next: next.flatten(),
    })
}

fn api_invitation(r: invitation::GroupRow) -> ApiInvitation {
    ApiInvitation {
        id: r.id,
        email: r.invitee_email,
        username: r.invitee_username,
        status: r.status.as_str().to_string(),
        role: r.role_name,
        inviter: r.inviter_username,
        created_at: rfc3339(r.created_at),
        expires_at: rfc3339(r.expires_at),
        answered_at: r.answered_at.map(rfc3339),
    }
}

/// A group's invitations with `status`, newest first, older than
/// `before` (an id from an earlier page). Needs what the Invitations page
/// needs (`policy::admin_access`).
pub fn list_invitations(
    conn: &mut DbConn,
    auth: &TokenAuth,
    slug: &str,
    status: InvitationStatus,
    before: Option<i64>,
    now: PrimitiveDateTime,
) -> AppResult<ApiPage<ApiInvitation>> {
    let access = reached(conn, auth, slug)?;
    policy::may_invite(&access)?;
    let filter = GroupFilter {
        tab: status,
        q: None,
        before,
        now,
    };
    let mut rows = invitation::group_page(conn, access.group.id, &filter, PAGE as i64 + 1)?;
    let next = (rows.len() > PAGE).then(|| {
        rows.truncate(PAGE);
        rows.last().map(|r| r.id.to_string())
    });
    Ok(ApiPage {
        items: rows.into_iter().map(api_invitation).collect(),
        next: next.flatten(),
    })
}

/// One invitation of the group, by id.
pub fn show_invitation(
    conn: &mut DbConn,
    auth: &TokenAuth,
    slug: &str,
    id: i64,
    now: PrimitiveDateTime,
) -> AppResult<ApiInvitation> {
    let access = reached(conn, auth, slug)?;
    policy::may_invite(&access)?;
    invitation::group_row(conn, access.group.id, id, now)?
        .map(api_invitation)
        .ok_or_else(AppError::not_found)
}
