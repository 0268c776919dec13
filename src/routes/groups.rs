//! Groups: the directory, creating a group, a group's home and members page,
//! and the join / request / leave / role / remove / decide actions.

use super::{Unprocessable, see_other};
use crate::auth::{Ctx, CurrentUser};
use crate::db;
use crate::domain::{FormErrors, Permission};
use crate::error::{AppResult, urlencode};
use crate::models::{group, group_tree, join_request, membership};
use crate::policy::GroupAccess;
use crate::services::groups::{self, Done, GroupInput, Outcome, Refusal};
use crate::services::members;
use crate::state::AppState;
use crate::views::{GroupPage, GroupsPage, MembersPage, NewGroupPage, confirm};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    // `/groups/new` before `/groups/{slug}`.
    cfg.service(directory)
        .service(new_group_form)
        .service(create_group)
        .service(group_home)
        .service(members_page)
        .service(join_group)
        .service(request_to_join)
        .service(leave_group)
        .service(change_role)
        .service(remove_member)
        .service(approve_request)
        .service(refuse_request);
}

const DIRECTORY_PAGE: crate::db::PageSize = crate::db::PageSize(25);
const HOME_MEMBERS: i64 = 10;
const HOME_COMMUNITIES: i64 = 100;

#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    after: Option<String>,
}

/// Splits a `<key>:<id>` cursor (the key may hold ':', the id cannot).
fn parse_cursor(s: Option<&str>) -> Option<(String, i64)> {
    s.and_then(membership::parse_cursor)
}

#[get("/groups")]
async fn directory(
    me: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<DirectoryQuery>,
) -> AppResult<GroupsPage> {
    let DirectoryQuery { q, after } = q.into_inner();
    let q = q.unwrap_or_default().trim().to_string();
    let after = parse_cursor(after.as_deref());
    let viewer = me.user.id;
    let search = q.clone();
    let mut entries = db::run(&state.pool, move |c| {
        let after = after.as_ref().map(|(k, id)| (k.as_str(), *id));
        Ok(group::directory(
            c,
            viewer,
            Some(&search),
            after,
            DIRECTORY_PAGE.fetch(),
        )?)
    })
    .await?;
    let next_href = DIRECTORY_PAGE.next(&mut entries, |last| {
        let last = &last.group;
        let cursor = format!("{}:{}", last.name_key, last.id);
        let mut href = format!("/groups?after={}", urlencode(&cursor));
        if !q.is_empty() {
            href.push_str(&format!("&q={}", urlencode(&q)));
        }
        href
    });
    Ok(GroupsPage {
        ctx: me.ctx,
        entries,
        q,
        next_href,
    })
}

#[get("/groups/new")]
async fn new_group_form(me: CurrentUser) -> NewGroupPage {
    NewGroupPage {
        ctx: me.ctx,
        input: GroupInput::default(),
        errors: FormErrors::default(),
        parent: None,
    }
}

#[post("/groups")]
async fn create_group(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<GroupInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    match state.create_group(me.user.id, &input).await? {
        Ok(g) => {
            me.ctx
                .flash("success", format!("The group {} has been created.", g.name));
            Ok(see_other(&format!("/groups/{}", g.slug)))
        }
        Err(errors) => Ok(NewGroupPage {
            ctx: me.ctx,
            input,
            errors,
            parent: None,
        }
        .unprocessable(&req)),
    }
}

#[get("/groups/{slug}")]
async fn group_home(
    ctx: Ctx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<GroupPage> {
    let viewer = ctx.user.as_ref().map(|u| u.id);
    let slug = slug.into_inner();
    let (access, requested, path, tree, (counts, newest, suggests)) =
        db::run(&state.pool, move |c| {
            let access = GroupAccess::load(c, &slug, viewer)?;
            let requested = match viewer {
                Some(uid) if !access.has_access() && access.group.is_on_request() => {
                    join_request::find(c, access.group.id, uid)?
                        .is_some_and(|r| r.status == join_request::Status::Pending)
                }
                _ => false,
            };
            // The communities above, top first, for the breadcrumb.
            let mut path = if access.ancestors.len() > 1 {
                group_tree::ancestors(c, access.group.id)?.split_off(1)
            } else {
                Vec::new()
            };
            path.reverse();
            // The tree from the top community down; someone who reaches a
            // managed community but not the top one sees it from their group.
            let top = path.first().map_or(access.group.id, |g| g.id);
            let mut tree = community_tree(c, top, access.group.id, viewer)?;
            if tree.is_empty() && top != access.group.id {
                tree = community_tree(c, access.group.id, access.group.id, viewer)?;
            }
            // Members are shown newest first here; the members page has
            // them all (inherited ones too), by name.
            let counts = membership::home_counts(c, access.group.id)?;
            let newest = if access.can(Permission::ViewMembers) {
                membership::newest(c, access.group.id, HOME_MEMBERS)?
            } else {
                Vec::new()
            };
            // A member who may not invite may suggest someone where a
            // community says so (one more query, for them only).
            let suggests = viewer.is_some()
                && access.has_access()
                && !access.can(Permission::ManageMember)
                && crate::policy::may_suggest(
                    &crate::models::invitation_policy::along_path(c, access.group.id)?,
                    &access,
                )
                .is_ok();
            Ok((access, requested, path, tree, (counts, newest, suggests)))
        })
        .await?;
    let last_manager = groups::is_last_manager(&access, counts.managers);
    let member_count = if access.can(Permission::ViewMembers) {
        counts.members
    } else {
        0
    };
    Ok(GroupPage {
        ctx,
        access,
        requested,
        path,
        tree,
        member_count,
        newest,
        last_manager,
        suggests,
    })
}

/// One screen of members (about a screen's height of rows at 1280 px).
const MEMBERS_PAGE: crate::db::PageSize = crate::db::PageSize(25);

/// The community tree under `top` as `viewer` may see it, `current`
/// marked; empty for a group alone or a hidden top.
fn community_tree(
    c: &mut db::DbConn,
    top: i64,
    current: i64,
    viewer: Option<i64>,
) -> AppResult<Vec<crate::views::tree::TreeNode>> {
    let levels = group_tree::subtree(c, top, HOME_COMMUNITIES)?;
    if levels.len() < 2 {
        return Ok(Vec::new());
    }
    let invite_only: Vec<i64> = levels
        .iter()
        .filter(|(g, _)| g.is_invite_only())
        .map(|(g, _)| g.id)
        .collect();
    let reached = match viewer {
        Some(uid) => group_tree::reachable_among(c, uid, &invite_only)?,
        None => Vec::new(),
    };
    // An invitation-only group shows only to those who reach it
    // (`policy::may_view_group`); the groups below a hidden one stay hidden.
    Ok(crate::views::tree::build(levels, current, |g| {
        !g.is_invite_only() || reached.contains(&g.id)
    }))
}

#[get("/groups/{slug}/members")]
async fn members_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<members::MembersQuery>,
) -> AppResult<MembersPage> {
    let (slug, listing, now) = (slug.into_inner(), q.parse(), state.clock.now());
    let (me, view) = CurrentUser::with(&req, move |c, viewer| {
        members::view(c, &slug, viewer, listing, now, MEMBERS_PAGE)
    })
    .await?;
    Ok(MembersPage::new(me.ctx, view))
}

/// What a group action says when done: the words for every `Done`.
pub(crate) fn said_done(d: Done) -> &'static str {
    match d {
        Done::Joined => "Welcome! You are a member of this group now.",
        Done::Requested => "Your request to join has been sent to the group admins.",
        Done::RequestRefused => "The request has been refused.",
        Done::RequestApproved => "The request is approved: welcome to the new member.",
        Done::ApprovedAlreadyMember => "The request is approved; this person was a member already.",
        Done::Left => "You have left the group.",
        Done::RoleChanged => "The role has been changed.",
        Done::RoleUnchanged => "The role is unchanged.",
        Done::Removed => "The member has been removed.",
        Done::PlaceUnchanged => "Nothing changed.",
        Done::PlacedInside => "The group is now a managed community of its new main community.",
        Done::PlacedAtTop => "The group is no longer inside another community.",
    }
}

/// What a group action says when refused: the words for every `Refusal`.
pub(crate) fn said_refused(r: Refusal) -> &'static str {
    match r {
        Refusal::Denied(d) => d.message(),
        Refusal::AlreadyMember => "You are already a member of this group.",
        Refusal::AlreadyRequested => "Your request to join is waiting for a group admin.",
        Refusal::AskToJoin => "This group takes new members on request: ask to join.",
        Refusal::JoinDirectly => "This group is open: join it directly.",
        Refusal::RequestAnswered => "This request has been answered already.",
        Refusal::MemberAlready => "This person is a member already.",
        Refusal::NotYourGroup => "You are not a member of this group.",
        Refusal::LastAdminLeaving => {
            "You are the last group admin. Make another member a group admin before you leave."
        }
        Refusal::NotAMember => "This person is not a member of this group.",
        Refusal::LastAdminChanged => {
            "This is the last group admin: make another member a group admin first."
        }
        Refusal::NoSuchCommunity => "No community you manage has this address.",
        Refusal::Cycle => {
            "A community cannot be placed inside itself or inside one of its managed communities."
        }
        Refusal::OtherAudience => {
            "A managed community must have the audience and account of its main community."
        }
    }
}

/// Flashes the outcome of an action and goes back to `to`.
fn answer(ctx: &Ctx, outcome: Outcome, to: &str) -> HttpResponse {
    match outcome {
        Ok(d) => ctx.flash("success", said_done(d)),
        Err(r) => ctx.flash("error", said_refused(r)),
    }
    see_other(to)
}

#[post("/groups/{slug}/join")]
async fn join_group(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let o = state.join_group(&slug, me.user.id).await?;
    Ok(answer(&me.ctx, o, &format!("/groups/{slug}")))
}

#[post("/groups/{slug}/request")]
async fn request_to_join(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let o = state.request_to_join(&slug, me.user.id).await?;
    Ok(answer(&me.ctx, o, &format!("/groups/{slug}")))
}

#[post("/groups/{slug}/leave")]
async fn leave_group(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let o = state.leave_group(&slug, me.user.id).await?;
    // After leaving, an invitation-only group is no longer visible.
    let to = if o.is_ok() {
        "/groups".to_string()
    } else {
        format!("/groups/{slug}")
    };
    Ok(answer(&me.ctx, o, &to))
}

#[derive(Deserialize)]
struct RoleForm {
    role_id: i64,
    back: Option<String>,
}

#[post("/groups/{slug}/members/{user_id}/role")]
async fn change_role(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    let (slug, target) = path.into_inner();
    let o = state
        .change_member_role(&slug, &me.user, target, form.role_id)
        .await?;
    let back = form.back.as_deref().unwrap_or("");
    Ok(answer(&me.ctx, o, &members::list_url(&slug, back)))
}

#[derive(Deserialize)]
struct RemoveForm {
    confirmed: Option<String>,
    back: Option<String>,
}

#[post("/groups/{slug}/members/{user_id}/remove")]
async fn remove_member(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<RemoveForm>,
) -> AppResult<HttpResponse> {
    let (slug, target) = path.into_inner();
    let back = form.back.as_deref().unwrap_or("");
    if form.confirmed.is_none()
        && let Some(r) = state.removal(&slug, me.user.id, target).await?
    {
        return Ok(confirm::remove_member(me.ctx, &slug, target, r, back)
            .respond_to(&req)
            .map_into_boxed_body());
    }
    let o = state.remove_member(&slug, me.user.id, target).await?;
    Ok(answer(&me.ctx, o, &members::list_url(&slug, back)))
}

async fn decide(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    approve: bool,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let o = state.decide_request(&slug, me.user.id, id, approve).await?;
    Ok(answer(&me.ctx, o, &format!("/groups/{slug}/members")))
}

#[post("/groups/{slug}/requests/{id}/approve")]
async fn approve_request(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    decide(me, state, path, true).await
}

#[post("/groups/{slug}/requests/{id}/refuse")]
async fn refuse_request(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    decide(me, state, path, false).await
}
