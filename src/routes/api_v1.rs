//! The JSON API (`/api/v1`), for programs with a personal access token
//! (`Authorization: Bearer`; cookies are never read here). Every answer is
//! JSON; errors carry a stable `code` (`error::V1Error`). Reads are in
//! `services::api_v1`; writes are the pages' own use cases (the invite
//! form's `send_invitations`, the Invitations page's `change_invitation`),
//! so the same `policy` checks, quotas and outcomes apply. Described in
//! `/api/v1/openapi.json` (tests/app/api.rs checks it against the answers).

use crate::db;
use crate::domain::{InvitationStatus, InviteOutcome};
use crate::error::V1Error;
use crate::models::User;
use crate::policy::AdminClaim;
use crate::services::api_tokens::{self, TokenAuth, TokenRefusal};
use crate::services::api_v1::{self, ApiPage};
use crate::services::invitations::{AdminActionOutcome, AdminChange, InviteInput};
use crate::services::invite_send::SendOutcome;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi)
        .service(show_group)
        .service(list_members)
        .service(list_invitations)
        .service(create_invitations)
        .service(show_invitation)
        .service(change_invitation);
}

/// The API's description (OpenAPI 3.1), kept beside this file.
const OPENAPI: &str = include_str!("openapi.json");

#[get("/api/v1/openapi.json")]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

/// The request's token, checked (`api_tokens::authenticate`).
pub struct ApiAuth(pub TokenAuth);

impl FromRequest for ApiAuth {
    type Error = V1Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, V1Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| crate::error::AppError::internal("AppState missing"))?;
            let Some(bearer) = bearer else {
                return Err(V1Error::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Send a personal access token: Authorization: Bearer <token>.",
                ));
            };
            let now = state.clock.now();
            let checked = db::run(&state.pool, move |c| {
                api_tokens::authenticate(c, &bearer, now)
            })
            .await?;
            match checked {
                Ok(auth) => Ok(ApiAuth(auth)),
                Err(TokenRefusal::Invalid) => Err(V1Error::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "This token is unknown, expired or revoked.",
                )),
                Err(TokenRefusal::AccountInactive) => Err(V1Error::new(
                    StatusCode::FORBIDDEN,
                    "account_inactive",
                    "The account this token belongs to cannot log in now.",
                )),
                Err(TokenRefusal::Throttled) => Err(V1Error::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!(
                        "At most {} requests a minute per token. Wait a minute and try again.",
                        api_tokens::PER_MINUTE
                    ),
                )),
            }
        })
    }
}

impl ApiAuth {
    /// Refuses (403, `insufficient_scope`) unless the token has `scope`.
    fn needs(&self, scope: &str) -> Result<(), V1Error> {
        if self.0.token.has_scope(scope) {
            Ok(())
        } else {
            Err(V1Error::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This token lacks the scope {scope}."),
            ))
        }
    }
    fn user(&self) -> &User {
        &self.0.user
    }
}

/// Refuses text with control characters (NUL…) before it reaches a
/// database: what the form's input guard does for url-encoded bodies.
fn clean(s: &str, breaks: bool) -> Result<(), V1Error> {
    if s.chars()
        .any(|c| c.is_control() && !(breaks && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(V1Error::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            crate::input_guard::REFUSED,
        ));
    }
    Ok(())
}

#[get("/api/v1/groups/{slug}")]
async fn show_group(
    auth: ApiAuth,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, V1Error> {
    let slug = slug.into_inner();
    let group = db::run(&state.pool, move |c| api_v1::show_group(c, &auth.0, &slug)).await?;
    Ok(HttpResponse::Ok().json(group))
}

#[derive(Deserialize)]
struct Cursor {
    after: Option<String>,
    before: Option<i64>,
    status: Option<String>,
}

#[get("/api/v1/groups/{slug}/members")]
async fn list_members(
    auth: ApiAuth,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, V1Error> {
    auth.needs("members:read")?;
    let (slug, after) = (slug.into_inner(), q.into_inner().after);
    let page = db::run(&state.pool, move |c| {
        api_v1::list_members(c, &auth.0, &slug, after.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[get("/api/v1/groups/{slug}/invitations")]
async fn list_invitations(
    auth: ApiAuth,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, V1Error> {
    auth.needs("invitations:read")?;
    let q = q.into_inner();
    let status = match q.status.as_deref() {
        None => InvitationStatus::Pending,
        Some(s) => InvitationStatus::parse(s).ok_or_else(|| {
            V1Error::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "status is one of pending, accepted, declined, expired, cancelled.",
            )
        })?,
    };
    let (slug, now) = (slug.into_inner(), state.clock.now());
    let mut page: ApiPage<api_v1::ApiInvitation> = db::run(&state.pool, move |c| {
        api_v1::list_invitations(c, &auth.0, &slug, status, q.before, now)
    })
    .await?;
    // A pending one past its date is listed as expired.
    for i in &mut page.items {
        i.status = status.as_str().to_string();
    }
    Ok(HttpResponse::Ok().json(page))
}

#[get("/api/v1/groups/{slug}/invitations/{id}")]
async fn show_invitation(
    auth: ApiAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, V1Error> {
    auth.needs("invitations:read")?;
    let ((slug, id), now) = (path.into_inner(), state.clock.now());
    let inv = db::run(&state.pool, move |c| {
        api_v1::show_invitation(c, &auth.0, &slug, id, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(inv))
}

/// `POST …/invitations`: one or many, as the invite form sends them.
#[derive(Deserialize)]
struct NewInvitations {
    /// Usernames or e-mail addresses (at most 500).
    invitees: Vec<String>,
    /// A role's name; GroupMember when left out.
    role: Option<String>,
    message: Option<String>,
}

/// What became of one invitee.
#[derive(Serialize)]
struct EntryOutcome {
    invitee: String,
    /// `invited`, `invited_in_app`, `invited_by_email`, `already_member`,
    /// `already_invited`, `quota_reached`, `no_such_user`, `not_allowed`,
    /// `account_not_active`, `invalid_entry`.
    outcome: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Created {
    invited: usize,
    results: Vec<EntryOutcome>,
}

/// Makes sure the token reaches the group before a use case of the pages
/// runs there (which checks the rest, as for the page).
async fn reach(state: &AppState, auth: &ApiAuth, slug: &str) -> Result<(), V1Error> {
    let (a, s) = (auth.0.clone(), slug.to_string());
    db::run(&state.pool, move |c| api_v1::reached(c, &a, &s).map(drop)).await?;
    Ok(())
}

#[post("/api/v1/groups/{slug}/invitations")]
async fn create_invitations(
    auth: ApiAuth,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<NewInvitations>,
) -> Result<HttpResponse, V1Error> {
    auth.needs("invitations:write")?;
    let slug = slug.into_inner();
    let body = body.into_inner();
    for i in &body.invitees {
        clean(i, false)?;
    }
    let message = body.message.unwrap_or_default();
    clean(&message, true)?;
    let role = body.role.unwrap_or_else(|| "GroupMember".into());
    clean(&role, false)?;
    reach(&state, &auth, &slug).await?;
    let user = auth.user().clone();
    // The role by name among those the inviter may give here.
    let (s, u, name) = (slug.clone(), user.clone(), role.clone());
    let role_id = db::run(&state.pool, move |c| {
        let access = crate::policy::admin_access(c, &s, u.id)?;
        Ok(
            crate::services::invitations::grantable_roles(c, &access, &u)?
                .into_iter()
                .find(|r| r.name.eq_ignore_ascii_case(&name))
                .map(|r| r.id),
        )
    })
    .await?
    .ok_or_else(|| {
        V1Error::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_role",
            format!("{role} is not a role you may give in this group."),
        )
    })?;
    let input = InviteInput {
        send_to: body.invitees.join("\n"),
        role_id: role_id.to_string(),
        message,
        action: Some("send".into()),
        ..Default::default()
    };
    let (s, u, i) = (slug.clone(), user.clone(), input.clone());
    let scope = db::run(&state.pool, move |c| {
        crate::services::invite_send::send_scope(c, &s, &u, &i)
    })
    .await?;
    match state.send_invitations(&user, scope, input).await? {
        SendOutcome::Sent { results, .. } => {
            let invited = results.iter().filter(|r| r.outcome.is_success()).count();
            let results = results
                .into_iter()
                .map(|r| EntryOutcome {
                    invitee: r.entry,
                    outcome: r.outcome.code(),
                    message: r.outcome.label(),
                })
                .collect();
            Ok(HttpResponse::Ok().json(Created { invited, results }))
        }
        SendOutcome::Invalid { errors, .. } => Err(V1Error::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            errors.messages().join(" "),
        )),
        SendOutcome::Preview { .. } | SendOutcome::Valid => {
            Err(crate::error::AppError::internal("the API sent a preview").into())
        }
    }
}

#[derive(Serialize)]
struct Changed {
    /// `done`, `not_open`, `quota_reached`, `resend_limit`, `not_allowed`.
    outcome: &'static str,
    message: String,
    invitation: api_v1::ApiInvitation,
}

#[post("/api/v1/groups/{slug}/invitations/{id}/{action}")]
async fn change_invitation(
    auth: ApiAuth,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, String)>,
) -> Result<HttpResponse, V1Error> {
    auth.needs("invitations:write")?;
    let (slug, id, action) = path.into_inner();
    let change = match action.as_str() {
        "resend" => AdminChange::Resend,
        "extend" => AdminChange::Extend,
        "cancel" => AdminChange::Cancel,
        _ => return Err(crate::error::AppError::not_found().into()),
    };
    reach(&state, &auth, &slug).await?;
    let claim = AdminClaim {
        slug: slug.clone(),
        viewer: auth.user().id,
    };
    let outcome = state
        .change_invitation(claim, auth.user(), id, change)
        .await?;
    let (code, message) = match &outcome {
        AdminActionOutcome::Done => ("done", "Done.".to_string()),
        AdminActionOutcome::NotOpen(s) => (
            "not_open",
            format!("The invitation is {} already.", s.as_str()),
        ),
        AdminActionOutcome::QuotaReached => ("quota_reached", InviteOutcome::QuotaReached.label()),
        AdminActionOutcome::ResendLimit => (
            "resend_limit",
            "This invitation was sent again as often as a day allows.".to_string(),
        ),
        AdminActionOutcome::NotAllowed(b) => ("not_allowed", format!("Not allowed: {b}.")),
    };
    let now = state.clock.now();
    let invitation = db::run(&state.pool, move |c| {
        api_v1::show_invitation(c, &auth.0, &slug, id, now)
    })
    .await?;
    let status = if outcome == AdminActionOutcome::Done {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok(HttpResponse::build(status).json(Changed {
        outcome: code,
        message,
        invitation,
    }))
}
