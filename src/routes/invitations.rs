//! Inviting members (`/groups/{slug}/invite`), the group's invitations tab,
//! and the invitee's inbox (`/invitations`) with Accept / Decline.

use super::see_other;
use crate::auth::{CurrentUser, GroupAdmin};
use crate::db;
use crate::domain::{AnswerOutcome, FormErrors, InvitationStatus};
use crate::error::{AppError, AppResult};
use crate::models::invitation;
use crate::policy::{self, GroupAccess};
use crate::services::invitations::{self, AdminChange, InviteInput};
use crate::services::invite_reports;
use crate::services::invite_send::{self, SendOutcome};
use crate::state::AppState;
use crate::views::{
    ConfirmPage, InvitationChange, InvitationInboxPage, InvitationPage, InvitationsPage,
    InvitePage, InviteResultPage,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    // The inbox first: every invitee opens it (see routes::config).
    cfg.service(inbox)
        .service(accept_invitation)
        .service(decline_invitation)
        .service(invite_form)
        .service(send_invitations)
        .service(invite_result)
        .service(bulk_invitations)
        .service(group_invitations)
        .service(cancel_invitation)
        .service(confirm_cancel)
        .service(confirm_renew)
        .service(invitation_detail)
        .service(resend_invitation)
        .service(resend_from_list)
        .service(renew_invitation)
        .service(extend_from_list)
        .service(extend_invitation);
}

const INBOX_SHOWN: crate::db::PageSize = crate::db::PageSize(100);
const TAB_PAGE: crate::db::PageSize = crate::db::PageSize(50);

/// `policy::admin_access` in its own trip to the database.
async fn admin_access(state: &AppState, slug: String, viewer: i64) -> AppResult<GroupAccess> {
    db::run(&state.pool, move |c| policy::admin_access(c, &slug, viewer)).await
}

async fn invite_page(
    me: CurrentUser,
    state: &AppState,
    access: GroupAccess,
    input: InviteInput,
    errors: FormErrors,
    preview_open: bool,
) -> AppResult<InvitePage> {
    let c = state.invite_choices(&me.user, &access, &input).await?;
    Ok(InvitePage {
        ctx: me.ctx,
        access,
        also_groups: c.also_groups,
        managed: c.managed,
        reach: c.reach,
        roles: c.roles,
        selected_role: c.selected_role,
        input,
        errors,
        preview: c.preview,
        preview_open,
        off: c.off,
    })
}

/// `?from={report}` reopens the form with a result's role, message and
/// groups ("Invite more"); `&fix=1` also puts its refused entries back.
#[derive(Deserialize)]
struct ReopenQuery {
    from: Option<i64>,
    fix: Option<String>,
}

#[get("/groups/{slug}/invite")]
async fn invite_form(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ReopenQuery>,
) -> AppResult<InvitePage> {
    let (slug, viewer) = (slug.into_inner(), me.user.id);
    let (from, fix) = (q.from, q.fix.is_some());
    let (access, input) = db::run(&state.pool, move |c| {
        let access = policy::admin_access(c, &slug, viewer)?;
        let input = match from {
            Some(id) => invite_reports::reopen(c, id, access.group.id, viewer, fix)?,
            None => InviteInput::default(),
        };
        Ok((access, input))
    })
    .await?;
    invite_page(me, &state, access, input, FormErrors::default(), false).await
}

fn result_url(slug: &str, report: i64) -> String {
    format!("/groups/{slug}/invite/results/{report}")
}

#[post("/groups/{slug}/invite")]
async fn send_invitations(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let input = InviteInput::from_pairs(form.into_inner());
    let (slug, chosen) = (slug.into_inner(), input.clone());
    // The visitor, the group and what the form may choose from: one read.
    let (me, scope) = CurrentUser::with(&req, move |c, viewer| {
        invite_send::send_scope(c, &slug, viewer, &chosen)
    })
    .await?;
    // The page's script sends a long list in slices and shows progress; it
    // first has the whole list checked, then each slice answers in JSON.
    // Without the script the whole list is one request.
    let json = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (page, status) = match state.send_invitations(&me.user, scope, input).await? {
        SendOutcome::Preview { access, input } => {
            let page = invite_page(me, &state, access, input, FormErrors::default(), true);
            (page.await?, StatusCode::OK)
        }
        SendOutcome::Invalid { .. } if json => {
            return Ok(HttpResponse::UnprocessableEntity()
                .json(serde_json::json!({ "error": "Please correct the form." })));
        }
        SendOutcome::Invalid {
            access,
            input,
            errors,
        } => {
            let page = invite_page(me, &state, access, input, errors, false);
            (page.await?, StatusCode::UNPROCESSABLE_ENTITY)
        }
        SendOutcome::Valid => return Ok(HttpResponse::Ok().json(serde_json::json!({ "ok": true }))),
        SendOutcome::Sent {
            slug,
            report,
            results,
        } => {
            let result = result_url(&slug, report);
            if !json {
                return Ok(see_other(&result));
            }
            let lines: Vec<_> = results
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "entry": l.entry,
                        "outcome": l.outcome.label(),
                        "groups": l.groups,
                        "ok": l.outcome.is_success(),
                    })
                })
                .collect();
            return Ok(HttpResponse::Ok().json(serde_json::json!({
                "report": report,
                "result": result,
                "lines": lines,
            })));
        }
    };
    Ok(page
        .customize()
        .with_status(status)
        .respond_to(&req)
        .map_into_boxed_body())
}

/// What one "Send Invitation" came to; only its sender sees it.
#[get("/groups/{slug}/invite/results/{id}")]
async fn invite_result(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<InviteResultPage> {
    let ((slug, id), viewer) = (path.into_inner(), me.user.id);
    let (access, result) = db::run(&state.pool, move |c| {
        let access = policy::admin_access(c, &slug, viewer)?;
        let result = invite_reports::load(c, id, access.group.id, viewer)?;
        Ok((access, result))
    })
    .await?;
    Ok(InviteResultPage {
        ctx: me.ctx,
        access,
        result,
    })
}

/// The invitations page's tab, search and cursor, as in its address.
#[derive(Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    before: Option<i64>,
}

/// The longest search kept (longer ones are cut, never echoed whole).
const SEARCH_MAX: usize = 100;

impl ListQuery {
    fn tab(&self) -> InvitationStatus {
        self.status
            .as_deref()
            .and_then(InvitationStatus::parse)
            .unwrap_or(InvitationStatus::Pending)
    }
    fn search(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(SEARCH_MAX).collect())
    }
}

/// The list's address for a tab and search (where bulk actions return).
fn list_url(slug: &str, tab: InvitationStatus, q: Option<&str>) -> String {
    let mut url = format!("/groups/{slug}/invitations?status={}", tab.as_str());
    if let Some(q) = q {
        url.push_str("&q=");
        url.push_str(&crate::error::urlencode(q));
    }
    url
}

#[get("/groups/{slug}/invitations")]
async fn group_invitations(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> AppResult<InvitationsPage> {
    let now = state.clock.now();
    let filter = invitation::GroupFilter {
        tab: q.tab(),
        q: q.search(),
        before: q.before,
        now,
    };
    let (slug, viewer, f) = (slug.into_inner(), me.user.id, filter.clone());
    // Access, the page and the counts: one read, on SQLite on this thread.
    let (access, mut rows, counts) = db::read(&state.pool, state.backend, move |c| {
        let access = policy::admin_access(c, &slug, viewer)?;
        let gid = access.group.id;
        let rows = invitation::group_page(c, gid, &f, TAB_PAGE.fetch())?;
        let counts = invitation::tab_counts(c, gid, now)?;
        Ok((access, rows, counts))
    })
    .await?;
    let next_before = TAB_PAGE.next(&mut rows, |r| r.id);
    let env = state.invite_env();
    // Only a pending invitation's link can be copied.
    let links = rows
        .iter()
        .map(|r| match r.status == InvitationStatus::Pending {
            true => env.join_url(&state.links.token(&r.link_nonce)),
            false => String::new(),
        })
        .collect();
    Ok(InvitationsPage {
        ctx: me.ctx,
        access,
        rows,
        links,
        next_before,
        now,
        tab: filter.tab,
        q: filter.q.unwrap_or_default(),
        counts,
    })
}

/// "With the selected": Resend or Cancel invitation for the ticked rows.
#[post("/groups/{slug}/invitations/bulk")]
async fn bulk_invitations(
    req: HttpRequest,
    admin: GroupAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (mut ids, mut action, mut list) = (Vec::new(), None, ListQuery::default());
    let mut confirmed = false;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "ids" => ids.push(
                v.parse::<i64>()
                    .map_err(|_| AppError::bad_request("Not an invitation."))?,
            ),
            "do" => {
                action = match v.as_ref() {
                    "resend" => Some(invitations::BulkAction::Resend),
                    "cancel" => Some(invitations::BulkAction::Cancel),
                    _ => None,
                }
            }
            "status" => list.status = Some(v.into_owned()),
            "q" => list.q = Some(v.into_owned()),
            "confirmed" => confirmed = true,
            _ => {}
        }
    }
    let back = list_url(&admin.claim.slug, list.tab(), list.search().as_deref());
    let Some(action) = action else {
        return Err(AppError::bad_request("Choose Resend or Cancel invitation."));
    };
    if ids.is_empty() {
        admin
            .ctx
            .flash("error", "Select at least one invitation first.");
        return Ok(see_other(&back));
    }
    invitations::check_bulk_size(&ids)?;
    if action == invitations::BulkAction::Cancel && !confirmed {
        // Cancelling is irreversible: name who loses their link first.
        let claim = admin.claim.clone();
        let (access, selected) = db::read(&state.pool, state.backend, move |c| {
            let access = claim.check(c)?;
            let selected = invitation::pending_among(c, access.group.id, &ids)?;
            Ok((access, selected))
        })
        .await?;
        let page = crate::views::confirm::bulk_cancel(
            admin.ctx,
            &access,
            selected,
            back,
            list.tab(),
            list.search().unwrap_or_default(),
        );
        return Ok(page.respond_to(&req).map_into_boxed_body());
    }
    let report = state
        .change_invitations(admin.claim.clone(), &admin.user, ids, action)
        .await?;
    let verb = match action {
        invitations::BulkAction::Resend => "resent",
        invitations::BulkAction::Cancel => "cancelled",
    };
    let mut text = format!("{} {verb}.", plural(report.done, "invitation"));
    if report.not_open > 0 {
        text.push_str(&format!(
            " {} no longer open: nothing changed for {}.",
            plural(report.not_open, "was"),
            if report.not_open == 1 { "it" } else { "them" }
        ));
    }
    if report.limited > 0 {
        text.push_str(&format!(
            " {} not resent: the daily limit of mails is reached.",
            plural(report.limited, "invitation")
        ));
    }
    if report.not_allowed > 0 {
        text.push_str(&format!(
            " {} not resent: the invitation policy refuses them now.",
            plural(report.not_allowed, "invitation")
        ));
    }
    let level = if report.done == 0 { "error" } else { "success" };
    admin.ctx.flash(level, text);
    Ok(see_other(&back))
}

/// "1 invitation", "3 invitations"; "1 was", "2 were".
fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, w) => format!("1 {w}"),
        (n, "was") => format!("{n} were"),
        (n, w) => format!("{n} {w}s"),
    }
}

#[post("/groups/{slug}/invitations/{id}/cancel")]
async fn cancel_invitation(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ReturnTo>,
) -> AppResult<HttpResponse> {
    change(admin, state, path.1, &form, AdminChange::Cancel).await
}

#[derive(Deserialize)]
struct InboxQuery {
    before: Option<i64>,
}

#[get("/invitations")]
async fn inbox(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<InboxQuery>,
) -> AppResult<InvitationInboxPage> {
    let now = state.clock.now();
    let before = q.before;
    let (me, (mut rows, total)) = CurrentUser::with_open_invitations(&req, move |c, user| {
        let rows = invitation::pending_for_user_before(
            c,
            user.id,
            now,
            before.unwrap_or(i64::MAX),
            INBOX_SHOWN.fetch(),
        )?;
        // The header's count is this total: counted once, here, and only
        // when the first page does not hold them all.
        let total = match before {
            None if rows.len() < INBOX_SHOWN.fetch() as usize => rows.len() as i64,
            _ => invitation::count_pending_for_user(c, user.id, now)?,
        };
        Ok(((rows, total), total))
    })
    .await?;
    let next_before = INBOX_SHOWN.next(&mut rows, |r| r.id);
    Ok(InvitationInboxPage {
        ctx: me.ctx,
        rows,
        total,
        older_page: before.is_some(),
        next_before,
    })
}

/// The flash an answer leaves, whether from the inbox or from a link.
pub(super) fn flash_answer(ctx: &crate::auth::Ctx, outcome: &AnswerOutcome, group: &str) {
    match outcome {
        AnswerOutcome::Accepted => ctx.flash("success", format!("Welcome to {group}!")),
        AnswerOutcome::Declined => {
            ctx.flash("info", format!("You declined the invitation to {group}."))
        }
        // `group` names the community whose rule refuses it.
        AnswerOutcome::NotAllowed => ctx.flash(
            "error",
            format!("This invitation is no longer allowed by {group}'s invitation policy."),
        ),
        AnswerOutcome::NoLongerOpen(status) => ctx.flash(
            "error",
            format!(
                "This invitation to {group} is {}: there is nothing to answer.",
                status.as_str()
            ),
        ),
    }
}

async fn answer(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: i64,
    accept: bool,
) -> AppResult<HttpResponse> {
    let (outcome, group) = state.answer_invitation(&me.user, id, accept).await?;
    flash_answer(&me.ctx, &outcome, &group);
    Ok(see_other("/invitations"))
}

#[post("/invitations/{id}/accept")]
async fn accept_invitation(
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    answer(me, state, id.into_inner(), true).await
}

#[post("/invitations/{id}/decline")]
async fn decline_invitation(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<super::Confirmed>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if form.confirmed.is_none()
        && let Some(p) = state.decline_preview(&me.user, id).await?
    {
        let action = format!("/invitations/{id}/decline");
        let page = crate::views::confirm::decline(me.ctx, action, "/invitations".into(), p);
        return Ok(page.respond_to(&req).map_into_boxed_body());
    }
    answer(me, state, id, false).await
}

#[get("/groups/{slug}/invitations/{id}")]
async fn invitation_detail(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<InvitationPage> {
    let (slug, id) = path.into_inner();
    let access = admin_access(&state, slug, me.user.id).await?;
    let gid = access.group.id;
    let (inv, events, mail) = db::run(&state.pool, move |c| {
        let inv = invitation::find(c, id)?
            .filter(|i| i.group_id == gid)
            .ok_or_else(crate::error::AppError::not_found)?;
        let events = invitation::events(c, id)?;
        let mail = match inv.last_mail_id {
            Some(m) => Some(crate::models::outbox::find(c, m)?),
            None => None,
        };
        Ok((inv, events, mail))
    })
    .await?;
    let env = state.invite_env();
    let link = invitations::link_of(&env, &inv);
    let status = inv.effective_status(state.clock.now());
    Ok(InvitationPage {
        ctx: me.ctx,
        access,
        invitation: inv,
        status,
        link,
        events,
        mail,
    })
}

/// The confirmation page before Cancel invitation / Generate new invitation:
/// the row menu and the detail page link here; only its button posts.
async fn confirm_change(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    from: web::Query<ReturnTo>,
    change: InvitationChange,
) -> AppResult<ConfirmPage> {
    let (slug, id) = path.into_inner();
    let access = admin_access(&state, slug, me.user.id).await?;
    let gid = access.group.id;
    let invitation = db::read(&state.pool, state.backend, move |c| {
        invitation::find(c, id)?
            .filter(|i| i.group_id == gid)
            .ok_or_else(AppError::not_found)
    })
    .await?;
    let status = invitation.effective_status(state.clock.now());
    Ok(crate::views::confirm::invitation_change(
        me.ctx,
        &access,
        &invitation,
        status,
        change,
        from.back(),
    ))
}

#[get("/groups/{slug}/invitations/{id}/cancel")]
async fn confirm_cancel(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    from: web::Query<ReturnTo>,
) -> AppResult<ConfirmPage> {
    confirm_change(me, state, path, from, InvitationChange::Cancel).await
}

#[get("/groups/{slug}/invitations/{id}/renew")]
async fn confirm_renew(
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    from: web::Query<ReturnTo>,
) -> AppResult<ConfirmPage> {
    confirm_change(me, state, path, from, InvitationChange::Renew).await
}

/// Back to where the admin pressed the button: the detail page or the list.
#[derive(Deserialize)]
struct ReturnTo {
    back: Option<String>,
}

impl ReturnTo {
    /// Only the two known places: never an address taken from the request.
    fn back(&self) -> &'static str {
        match self.back.as_deref() {
            Some("detail") => "detail",
            _ => "list",
        }
    }
}

fn back_to(slug: &str, id: i64, form: &ReturnTo) -> String {
    match form.back() {
        "detail" => format!("/groups/{slug}/invitations/{id}"),
        _ => format!("/groups/{slug}/invitations"),
    }
}

pub(crate) const RESEND_LIMIT: &str = "This invitation has been sent again as often as a day allows: nothing was sent. Try again tomorrow.";

fn report(ctx: &crate::auth::Ctx, outcome: invitations::AdminActionOutcome, change: AdminChange) {
    use invitations::AdminActionOutcome as O;
    let done = match change {
        AdminChange::Resend => "The invitation has been sent again; its validity starts over.",
        AdminChange::Renew => {
            "A new invitation link has been made; the old one no longer works. \
             Copy it or send it again."
        }
        AdminChange::Cancel => "The invitation is cancelled; its link no longer works.",
        AdminChange::Extend => "The invitation is extended by 7 days; its link stays the same.",
    };
    match outcome {
        O::Done => ctx.flash("success", done),
        O::NotOpen(s) => ctx.flash(
            "error",
            format!("This invitation is {}: nothing changed.", s.as_str()),
        ),
        O::QuotaReached => ctx.flash(
            "error",
            "The daily limit of invitations is reached: nothing was sent. Try again tomorrow.",
        ),
        O::ResendLimit => ctx.flash("error", RESEND_LIMIT),
        O::NotAllowed(b) => ctx.flash(
            "error",
            format!("Not allowed by {b}: nothing was sent. Cancel the invitation instead."),
        ),
    }
}

/// Resend, Generate new, Cancel and Extend: one use case, reported in one place,
/// back where the button was.
async fn change(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    id: i64,
    form: &ReturnTo,
    change: AdminChange,
) -> AppResult<HttpResponse> {
    let outcome = state
        .change_invitation(admin.claim.clone(), &admin.user, id, change)
        .await?;
    report(&admin.ctx, outcome, change);
    Ok(see_other(&back_to(&admin.claim.slug, id, form)))
}

/// The list's Resend buttons share one form (one CSRF token for the page,
/// not one a row); each button names its invitation.
#[derive(Deserialize)]
struct ResendOne {
    id: i64,
    back: Option<String>,
}

#[post("/groups/{slug}/invitations/resend")]
async fn resend_from_list(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    form: web::Form<ResendOne>,
) -> AppResult<HttpResponse> {
    let ResendOne { id, back } = form.into_inner();
    change(admin, state, id, &ReturnTo { back }, AdminChange::Resend).await
}

#[post("/groups/{slug}/invitations/{id}/resend")]
async fn resend_invitation(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ReturnTo>,
) -> AppResult<HttpResponse> {
    change(admin, state, path.1, &form, AdminChange::Resend).await
}

#[post("/groups/{slug}/invitations/{id}/renew")]
async fn renew_invitation(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ReturnTo>,
) -> AppResult<HttpResponse> {
    change(admin, state, path.1, &form, AdminChange::Renew).await
}

#[post("/groups/{slug}/invitations/extend")]
async fn extend_from_list(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    form: web::Form<ResendOne>,
) -> AppResult<HttpResponse> {
    let ResendOne { id, back } = form.into_inner();
    change(admin, state, id, &ReturnTo { back }, AdminChange::Extend).await
}

#[post("/groups/{slug}/invitations/{id}/extend")]
async fn extend_invitation(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ReturnTo>,
) -> AppResult<HttpResponse> {
    change(admin, state, path.1, &form, AdminChange::Extend).await
}
