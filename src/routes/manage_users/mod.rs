//! Manage Users (super users of a company account): the account's people,
//! one person's details and history, the Active Login toggle, the account's
//! audit trail; the Add user wizard in `wizard`.

use super::admin::{AuditQuery, audit_page};
use super::{Unprocessable, see_other};
use crate::auth::SuperUser;
use crate::db;
use crate::domain::{FormErrors, InvitationStatus, UserStatus};
use crate::error::{AppResult, urlencode};
use crate::models::{audit, company_account, group, user};
use crate::services::invitations;
use crate::services::manage_users::{
    self, AddUserInput, ContactDone, ContactRefusal, SwitchRefusal, Switched,
};
use crate::state::AppState;
use crate::views::confirm;
use crate::views::{
    AuditPage, ContactInvitationView, ManageUsersPage, ReinviteView, UserDetailPage,
};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

mod wizard;

pub fn config(cfg: &mut web::ServiceConfig) {
    // The wizard's `/account/users/new` before `/account/users/{id}`.
    wizard::config(cfg);
    cfg.service(users_page)
        .service(account_audit)
        .service(user_details)
        .service(set_active_login)
        .service(resend_contact_invitation)
        .service(renew_contact_invitation)
        .service(invite_to_community);
}

const USERS_PAGE: crate::db::PageSize = crate::db::PageSize(50);
const USER_GROUPS: i64 = 50;
const USER_HISTORY: i64 = 20;

#[derive(Deserialize)]
struct UsersQuery {
    q: Option<String>,
    show_deactivated: Option<String>,
    after: Option<String>,
}

#[get("/account/users")]
async fn users_page(
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
            USERS_PAGE.fetch(),
        )?;
        Ok((account, users))
    })
    .await?;
    let next_href = USERS_PAGE.next(&mut users, |last| {
        let last = last.email.to_lowercase();
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
    detail_page(me, &state, id.into_inner(), None).await
}

/// A contact's page; `form` keeps the **Invite to Community** form's input
/// and errors across a search or a refusal.
async fn detail_page(
    me: SuperUser,
    state: &web::Data<AppState>,
    target: i64,
    form: Option<(AddUserInput, FormErrors)>,
) -> AppResult<UserDetailPage> {
    let actor = me.user.id;
    let st = state.clone();
    let (subject, groups, history, invitation, reinvite) = db::run(&state.pool, move |c| {
        let (_, subject) = manage_users::load_target(c, actor, target)?;
        let groups = group::of_user(c, subject.id, USER_GROUPS)?;
        let history = audit::page(c, subject.account_id, Some(subject.id), None, USER_HISTORY)?;
        let env = st.invite_env();
        let now = st.clock.now();
        let invitation =
            manage_users::contact_invitation(c, &subject)?.map(|ci| ContactInvitationView {
                link: invitations::link_of(&env, &ci.invitation),
                status: ci.invitation.effective_status(now),
                expires: invitations::format_when(ci.invitation.expires_at),
                groups: ci.groups,
            });
        // No open invitation (none, cancelled or expired): offer a new one.
        let reinvite = if subject.status == UserStatus::Invited
            && invitation
                .as_ref()
                .is_none_or(|i| i.status != InvitationStatus::Pending)
        {
            let (_, offered) = manage_users::offered_groups(c, actor)?;
            let (input, errors) = form.unwrap_or_default();
            Some(ReinviteView {
                shown: manage_users::filter(&offered, &input.q),
                offered,
                input,
                errors,
                ttl_days: st.config.invitation_ttl_days,
            })
        } else {
            None
        };
        Ok((subject, groups, history, invitation, reinvite))
    })
    .await?;
    Ok(UserDetailPage {
        me: me.user.id,
        ctx: me.ctx,
        subject,
        groups,
        history,
        invitation,
        reinvite,
    })
}

/// **Invite to Community** on a contact's page with no open invitation
/// (the super user of the contact's account only). The search button
/// re-renders the page with the groups filtered, keeping the ticked ones.
#[post("/account/users/{id}/invite")]
async fn invite_to_community(
    req: HttpRequest,
    me: SuperUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let input = AddUserInput::from_pairs(url::form_urlencoded::parse(&body).into_owned());
    let (actor, target) = (me.user.id, id.into_inner());
    if input.action == "search" {
        let page = detail_page(me, &state, target, Some((input, FormErrors::default()))).await?;
        return Ok(page.respond_to(&req).map_into_boxed_body());
    }
    let result = state
        .invite_contact_to_community(actor, target, input.clone())
        .await?;
    match result {
        Ok(names) => {
            me.ctx.flash(
                "success",
                format!("Invited to {names}: the invitation e-mail is on its way."),
            );
            Ok(see_other(&format!("/account/users/{target}#invitation")))
        }
        Err(errors) => {
            let page = detail_page(me, &state, target, Some((input, errors.clone()))).await?;
            if page.reinvite.is_none() {
                // Registered or invited meanwhile: the form is gone, say why.
                if let Some(msg) = errors.get("groups") {
                    page.ctx.flash("error", msg.to_string());
                }
                return Ok(see_other(&format!("/account/users/{target}#invitation")));
            }
            Ok(page.unprocessable(&req))
        }
    }
}

#[derive(Deserialize)]
struct ActiveLoginForm {
    on: bool,
    /// Set by the confirmation page's button (turning off asks first).
    confirmed: Option<String>,
}

#[post("/account/users/{id}/active-login")]
async fn set_active_login(
    req: HttpRequest,
    me: SuperUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<ActiveLoginForm>,
) -> AppResult<HttpResponse> {
    let (actor, target, on) = (me.user.id, id.into_inner(), form.on);
    if !on && form.confirmed.is_none() {
        let them = db::read(&state.pool, state.backend, move |c| {
            Ok(manage_users::load_target(c, actor, target)?.1)
        })
        .await?;
        if them.is_active() {
            let name = them.display_name();
            return Ok(confirm::active_login_off(me.ctx, target, &name)
                .respond_to(&req)
                .map_into_boxed_body());
        }
    }
    match state.set_active_login(actor, target, on).await? {
        Ok(done) => me.ctx.flash(
            "success",
            match done {
                Switched::TurnedOn => "Active Login is on: they can log in again.",
                Switched::TurnedOff => {
                    "Active Login is off: their sessions have ended and they cannot log in."
                }
                Switched::Already(true) => "Active Login is on already.",
                Switched::Already(false) => "Active Login is off already.",
            },
        ),
        Err(why) => me.ctx.flash(
            "error",
            match why {
                SwitchRefusal::NotRegistered => {
                    "Only registered users (Community Users) have an Active Login to turn on or off."
                }
                SwitchRefusal::OwnLogin => "You cannot turn off your own Active Login.",
                SwitchRefusal::LastSuperUser => {
                    "This is the account's last super user: make someone else a super user first."
                }
            },
        ),
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
    match state.contact_invitation(me.user.id, target, renew).await? {
        Ok(done) => me.ctx.flash(
            "success",
            match done {
                ContactDone::Renewed => {
                    "A new invitation link was generated: the previous one no longer works."
                }
                ContactDone::Resent => "The invitation was sent again.",
            },
        ),
        Err(why) => me.ctx.flash(
            "error",
            match why {
                ContactRefusal::NoPendingInvitation => {
                    "This person has no pending invitation: they may have registered already."
                }
                ContactRefusal::QuotaReached => {
                    "The daily limit of invitations is reached: try again tomorrow."
                }
                ContactRefusal::ResendLimit => crate::routes::invitations::RESEND_LIMIT,
                ContactRefusal::NotOpen => "This invitation is no longer open.",
                ContactRefusal::NotAllowed => {
                    "The invitation policy of these groups refuses this address now: nothing was sent."
                }
            },
        ),
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
