//! A group's Suggestions page (`/groups/{slug}/suggestions`): "Suggest
//! someone" for members who may not invite; Approve / Decline, one or the
//! selected together, for those who manage members.

use super::{Unprocessable, see_other};
use crate::auth::{CurrentUser, GroupAdmin};
use crate::domain::FormErrors;
use crate::error::{AppError, AppResult};
use crate::policy::Denied;
use crate::services::suggestions::{DecideReport, Decision, Refusal, SuggestInput};
use crate::state::AppState;
use crate::views::SuggestionsView;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(suggestions_page)
        .service(decide)
        .service(suggest);
}

#[derive(Deserialize)]
struct After {
    after: Option<i64>,
}

async fn render(
    me: CurrentUser,
    state: &AppState,
    slug: &str,
    after: Option<i64>,
    typed: Option<(SuggestInput, FormErrors)>,
) -> AppResult<SuggestionsView> {
    let page = state
        .suggestions_page(slug.to_string(), &me.user, after)
        .await?;
    let (input, errors) = typed.unwrap_or_default();
    Ok(SuggestionsView {
        ctx: me.ctx,
        page,
        input,
        errors,
        now: state.clock.now(),
    })
}

#[get("/groups/{slug}/suggestions")]
async fn suggestions_page(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<After>,
) -> AppResult<SuggestionsView> {
    render(me, &state, &slug, q.after, None).await
}

/// A refusal in the words the form shows beside "Username or e-mail".
fn said(r: &Refusal) -> String {
    match r {
        Refusal::Form(_) | Refusal::Denied(_) => String::new(),
        Refusal::NoSuchUser => "There is no user with this username.".into(),
        Refusal::AlreadyMember => "They are a member already.".into(),
        Refusal::AlreadyInvited => "They are invited already.".into(),
        Refusal::AlreadySuggested => {
            "Someone suggested them already: those who manage the members will decide.".into()
        }
        Refusal::NotAllowed(b) => format!("Not allowed by {b}."),
        Refusal::QuotaReached => {
            "You have made as many suggestions as a day allows. Try again tomorrow.".into()
        }
    }
}

#[post("/groups/{slug}/suggestions")]
async fn suggest(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<SuggestInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    let back = format!("/groups/{slug}/suggestions");
    let errors = match state
        .suggest(slug.to_string(), &me.user, input.clone())
        .await?
    {
        Ok(()) => {
            me.ctx.flash(
                "success",
                "Your suggestion is sent: those who manage the members will decide.",
            );
            return Ok(see_other(&back));
        }
        Err(Refusal::Denied(Denied::NotAMember)) => return Err(AppError::forbidden()),
        Err(Refusal::Denied(d)) => {
            me.ctx.flash("error", d.message());
            return Ok(see_other(&back));
        }
        Err(Refusal::Form(e)) => e,
        Err(other) => {
            let mut e = FormErrors::default();
            e.add("invitee", said(&other));
            e
        }
    };
    Ok(render(me, &state, &slug, None, Some((input, errors)))
        .await?
        .unprocessable(&req))
}

/// Which suggestions a press decides, and how: a row's own button
/// (`approve` / `decline` = its id) or "With the selected" (`ids` and `do`).
fn read_press(pairs: Vec<(String, String)>) -> AppResult<(Vec<i64>, Decision)> {
    let mut ids = Vec::new();
    let mut decision = None;
    let id = |v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| AppError::bad_request("Not a suggestion."))
    };
    for (k, v) in pairs {
        match k.as_str() {
            "approve" | "decline" => {
                decision = Some(if k == "approve" {
                    Decision::Approve
                } else {
                    Decision::Decline
                });
                ids = vec![id(&v)?];
                break;
            }
            "ids" => ids.push(id(&v)?),
            "do" => {
                decision = match v.as_str() {
                    "approve" => Some(Decision::Approve),
                    "decline" => Some(Decision::Decline),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    let decision = decision.ok_or_else(|| AppError::bad_request("Choose Approve or Decline."))?;
    Ok((ids, decision))
}

/// The flash of a press, in one place.
fn report(ctx: &crate::auth::Ctx, r: &DecideReport) {
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut parts = Vec::new();
    if r.invited > 0 {
        parts.push(format!(
            "{} sent.",
            plural(r.invited, "invitation", "invitations")
        ));
    }
    if r.declined > 0 {
        parts.push(format!(
            "{} declined.",
            plural(r.declined, "suggestion", "suggestions")
        ));
    }
    if r.not_open > 0 {
        parts.push(format!(
            "{} decided already or past 14 days: left as {}.",
            plural(r.not_open, "suggestion was", "suggestions were"),
            if r.not_open == 1 {
                "it was"
            } else {
                "they were"
            }
        ));
    }
    for (who, why) in &r.refused {
        parts.push(format!("No invitation for {who}: {}.", why.label()));
    }
    let kind = if r.refused.is_empty() && r.not_open == 0 {
        "success"
    } else {
        "error"
    };
    ctx.flash(kind, parts.join(" "));
}

#[post("/groups/{slug}/suggestions/decide")]
async fn decide(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let back = format!("/groups/{}/suggestions", admin.claim.slug);
    let (ids, decision) = read_press(form.into_inner())?;
    if ids.is_empty() {
        admin
            .ctx
            .flash("error", "Select at least one suggestion first.");
        return Ok(see_other(&back));
    }
    let r = state
        .decide_suggestions(admin.claim.clone(), &admin.user, ids, decision)
        .await?;
    report(&admin.ctx, &r);
    Ok(see_other(&back))
}
