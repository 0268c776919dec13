//! Manage Users (super users of a company account): the account's people,
//! one person's details and history, the Active Login toggle, the account's
//! audit trail.

use super::admin::{AuditQuery, audit_page};
use super::see_other;
use crate::auth::SuperUser;
use crate::db;
use crate::error::{AppResult, urlencode};
use crate::models::{audit, company_account, group, user};
use crate::services::account_users;
use crate::services::invitations::{self, InviteEnv};
use crate::startup::AppState;
use crate::views::{AuditPage, ContactInvitationView, ManageUsersPage, UserDetailPage};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(manage_users)
        .service(account_audit)
        .service(user_details)
        .service(set_active_login)
        .service(resend_contact_invitation)
        .service(renew_contact_invitation);
}

const USERS_PAGE: i64 = 50;
const USER_GROUPS: i64 = 50;
const USER_HISTORY: i64 = 20;

#[derive(Deserialize)]
struct UsersQuery {
    q: Option<String>,
    show_deactivated: Option<String>,
    after: Option<String>,
}

#[get("/account/users")]
async fn manage_users(
    me: SuperUser,
    state: web::Data<AppState>,
    q: web::Query<UsersQuery>,
) -> AppResult<ManageUsersPage> {
    let UsersQuery {
        q,
        show_deactivated,
        after,
    } = q.into_inner();
    let q = q.unwrap_or_default().trim().to_string();
    let show = show_deactivated.is_some_and(|v| !v.is_empty());
    let (account_id, search) = (me.account_id, q.clone());
    let (account, mut users) = db::run(&state.pool, move |c| {
        let account =
            company_account::find(c, account_id)?.ok_or_else(crate::error::AppError::not_found)?;
        let users = user::account_page(
            c,
            account_id,
            Some(&search),
            show,
            after.as_deref(),
            USERS_PAGE + 1,
        )?;
        Ok((account, users))
    })
    .await?;
    let next_href = (users.len() as i64 > USERS_PAGE).then(|| {
        users.truncate(USERS_PAGE as usize);
        let last = users[users.len() - 1].email.to_lowercase();
        let mut href = format!("/account/users?after={}", urlencode(&last));
        if !q.is_empty() {
            href.push_str(&format!("&q={}", urlencode(&q)));
        }
        if show {
            href.push_str("&show_deactivated=on");
        }
        href
    });
    Ok(ManageUsersPage {
        me: me.user.id,
        ctx: me.ctx,
        account,
        users,
        q,
        show_deactivated: show,
        next_href,
    })
}

#[get("/account/users/{id}")]
async fn user_details(
    me: SuperUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<UserDetailPage> {
    let (actor, target) = (me.user.id, id.into_inner());
    let st = state.clone();
    let (subject, groups, history, invitation) = db::run(&state.pool, move |c| {
        let (_, subject) = account_users::load_target(c, actor, target)?;
        let groups = group::of_user(c, subject.id, USER_GROUPS)?;
        let history = audit::page(c, subject.account_id, Some(subject.id), None, USER_HISTORY)?;
        let env = InviteEnv {
            config: &st.config,
            links: &st.links,
        };
        let now = st.clock.now();
        let invitation =
            account_users::contact_invitation(c, &subject)?.map(|ci| ContactInvitationView {
                link: invitations::link_of(&env, &ci.invitation),
                status: ci.invitation.effective_status(now),
                expires: invitations::format_when(ci.invitation.expires_at),
                groups: ci.groups,
            });
        Ok((subject, groups, history, invitation))
    })
    .await?;
    Ok(UserDetailPage {
        me: me.user.id,
        ctx: me.ctx,
        subject,
        groups,
        history,
        invitation,
    })
}

#[derive(Deserialize)]
struct ActiveLoginForm {
    on: bool,
}

#[post("/account/users/{id}/active-login")]
async fn set_active_login(
    me: SuperUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<ActiveLoginForm>,
) -> AppResult<HttpResponse> {
    let (actor, target, on, now) = (me.user.id, id.into_inner(), form.on, state.clock.now());
    let o = db::run(&state.pool, move |c| {
        account_users::set_active_login(c, actor, target, on, now)
    })
    .await?;
    match o {
        Ok(m) => me.ctx.flash("success", m),
        Err(m) => me.ctx.flash("error", m),
    }
    Ok(see_other("/account/users"))
}

#[get("/account/audit")]
async fn account_audit(
    me: SuperUser,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> AppResult<AuditPage> {
    audit_page(
        me.ctx,
        &state,
        Some(me.account_id),
        "Account history",
        "/account/audit",
        q.into_inner(),
    )
    .await
}

/// "Resend Invitation" / "Generate New Invitation" on an unregistered
/// contact's page (the super user of the contact's account only).
async fn contact_invitation(
    me: SuperUser,
    state: web::Data<AppState>,
    target: i64,
    renew: bool,
) -> AppResult<HttpResponse> {
    let (actor, st) = (me.user.id, state.clone());
    let o = db::run(&state.pool, move |c| {
        let env = InviteEnv {
            config: &st.config,
            links: &st.links,
        };
        account_users::contact_invitation_action(c, &env, actor, target, renew, st.clock.now())
    })
    .await?;
    match o {
        Ok(m) => {
            state.mail_wakeup.notify_one();
            me.ctx.flash("success", m)
        }
        Err(m) => me.ctx.flash("error", m),
    }
    Ok(see_other(&format!("/account/users/{target}#invitation")))
}

#[post("/account/users/{id}/invitation/resend")]
async fn resend_contact_invitation(
    me: SuperUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    contact_invitation(me, state, id.into_inner(), false).await
}

#[post("/account/users/{id}/invitation/renew")]
async fn renew_contact_invitation(
    me: SuperUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    contact_invitation(me, state, id.into_inner(), true).await
}
