//! Site administration: approvals, company accounts, super users, audit.

use super::{Unprocessable, see_other};
use crate::auth::SiteAdmin;
use crate::db;
use crate::domain::FormErrors;
use crate::error::{AppResult, urlencode};
use crate::models::{audit, company_account, user};
use crate::services::company_accounts::{AccountInput, Done, Refusal};
use crate::state::AppState;
use crate::views::{AdminPage, AuditPage};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(admin_home)
        .service(approve_user)
        .service(create_account)
        .service(attach_user)
        .service(set_super_user)
        .service(attach_group)
        .service(admin_audit);
}

const PAGE: crate::db::PageSize = crate::db::PageSize(50);
const ACCOUNTS_PAGE: crate::db::PageSize = crate::db::PageSize(100);
pub(crate) const AUDIT_PAGE: crate::db::PageSize = crate::db::PageSize(50);

#[derive(Deserialize)]
struct AdminQuery {
    after: Option<i64>,
    accounts_after: Option<String>,
}

/// The admin page with the create-account form as given. Three queries.
async fn admin_page(
    admin: SiteAdmin,
    state: &AppState,
    after: Option<i64>,
    accounts_after: Option<String>,
    account_input: AccountInput,
    errors: FormErrors,
) -> AppResult<AdminPage> {
    let after = after.unwrap_or(0);
    let (mut pending, mut accounts) = db::run(&state.pool, move |c| {
        Ok((
            user::pending_approval(c, after, PAGE.fetch())?,
            company_account::page(c, accounts_after.as_deref(), ACCOUNTS_PAGE.fetch())?,
        ))
    })
    .await?;
    let next_after = PAGE.next(&mut pending, |u| u.id);
    let accounts_next = ACCOUNTS_PAGE.next(&mut accounts, |a| a.name_key.clone());
    Ok(AdminPage {
        ctx: admin.ctx,
        pending,
        next_after,
        accounts,
        accounts_next,
        account_input,
        errors,
    })
}

#[get("/admin")]
async fn admin_home(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    q: web::Query<AdminQuery>,
) -> AppResult<AdminPage> {
    let q = q.into_inner();
    admin_page(
        admin,
        &state,
        q.after,
        q.accounts_after,
        AccountInput::default(),
        FormErrors::default(),
    )
    .await
}

#[post("/admin/users/{id}/approve")]
async fn approve_user(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (done, u) = state.approve_user(id.into_inner()).await?;
    if done {
        admin.ctx.flash(
            "success",
            format!("{} can log in now.", u.username_or_email()),
        );
    } else {
        admin.ctx.flash(
            "info",
            format!("{} was not waiting for approval.", u.username_or_email()),
        );
    }
    Ok(see_other("/admin"))
}

#[post("/admin/accounts")]
async fn create_account(
    req: HttpRequest,
    admin: SiteAdmin,
    state: web::Data<AppState>,
    form: web::Form<AccountInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    let errors = match state.create_account(admin.user.id, &input).await? {
        Ok(_) => {
            admin.ctx.flash(
                "success",
                format!("The account {} has been created.", input.name.trim()),
            );
            return Ok(see_other("/admin"));
        }
        Err(errors) => errors,
    };
    let page = admin_page(admin, &state, None, None, input, errors).await?;
    Ok(page.unprocessable(&req))
}

/// `""` (the "No account" option) is None.
fn optional_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

#[derive(Deserialize)]
struct AttachForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    account_id: String,
}

/// What a change of accounts says, done or refused: every outcome's words.
fn flash_outcome(admin: &SiteAdmin, o: Result<Done, Refusal>) {
    match o {
        Ok(d) => admin.ctx.flash(
            "success",
            match d {
                Done::UserMoved => "The user's account has been changed.",
                Done::UserStayed => "This user is in this account already.",
                Done::SuperUserMade => "The user is a super user now.",
                Done::SuperUserUnmade => "The user is no longer a super user.",
                Done::SuperUserAlready(true) => "This user is a super user already.",
                Done::SuperUserAlready(false) => "This user is not a super user.",
                Done::GroupMoved => "The group's account has been changed.",
            },
        ),
        Err(r) => admin.ctx.flash(
            "error",
            match r {
                Refusal::NoSuchUser => "There is no user with this username.",
                Refusal::NoSuchAccount => "There is no such account.",
                Refusal::NoSuchGroup => "There is no group at this address.",
                Refusal::NoAccount => "This user belongs to no account: attach them to one first.",
                Refusal::NotClient => {
                    "Only a client group can belong to an account, and only to a client account."
                }
            },
        ),
    }
}

#[post("/admin/accounts/members")]
async fn attach_user(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    form: web::Form<AttachForm>,
) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let account = optional_id(&f.account_id);
    let o = state
        .attach_user(admin.user.id, f.username, account)
        .await?;
    flash_outcome(&admin, o);
    Ok(see_other("/admin"))
}

#[derive(Deserialize)]
struct SuperUserForm {
    #[serde(default)]
    username: String,
    on: bool,
}

#[post("/admin/super-users")]
async fn set_super_user(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    form: web::Form<SuperUserForm>,
) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let o = state
        .set_super_user(admin.user.id, f.username, f.on)
        .await?;
    flash_outcome(&admin, o);
    Ok(see_other("/admin"))
}

#[derive(Deserialize)]
struct GroupAccountForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    account_id: String,
}

#[post("/admin/groups/account")]
async fn attach_group(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    form: web::Form<GroupAccountForm>,
) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let account = optional_id(&f.account_id);
    let o = state.attach_group(admin.user.id, f.slug, account).await?;
    flash_outcome(&admin, o);
    Ok(see_other("/admin"))
}

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    pub user: Option<String>,
    pub before: Option<i64>,
}

/// An audit page of `account` (None: every event), filtered by username.
/// Three queries at most: the user, the events, their names.
pub(crate) async fn audit_page(
    ctx: crate::auth::Ctx,
    state: &AppState,
    account: Option<i64>,
    title: &'static str,
    path: &'static str,
    q: AuditQuery,
) -> AppResult<AuditPage> {
    let user = q.user.unwrap_or_default().trim().to_string();
    let (name, before) = (user.clone(), q.before);
    let found = db::run(&state.pool, move |c| {
        let subject = if name.is_empty() {
            None
        } else {
            match user::find_by_login(c, &name)? {
                Some(u) => Some(u.id),
                None => return Ok(None),
            }
        };
        Ok(Some(audit::page(
            c,
            account,
            subject,
            before,
            AUDIT_PAGE.fetch(),
        )?))
    })
    .await?;
    let unknown_user = found.is_none();
    let mut rows = found.unwrap_or_default();
    let next_href = AUDIT_PAGE.next(&mut rows, |last| {
        let mut href = format!("{path}?before={}", last.event.id);
        if !user.is_empty() {
            href.push_str(&format!("&user={}", urlencode(&user)));
        }
        href
    });
    Ok(AuditPage {
        ctx,
        title,
        path,
        rows,
        user,
        unknown_user,
        next_href,
    })
}

#[get("/admin/audit")]
async fn admin_audit(
    admin: SiteAdmin,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> AppResult<AuditPage> {
    audit_page(
        admin.ctx,
        &state,
        None,
        "Audit trail",
        "/admin/audit",
        q.into_inner(),
    )
    .await
}
