//! Multi-use join links: the admins' page (`/groups/{slug}/links`: make
//! one, see its uses, "Disable link") and the link itself (`/links/{token}`:
//! opening it changes nothing; its button joins).

use super::{Unprocessable, no_referrer, see_other};
use crate::auth::{Ctx, CurrentUser, GroupAdmin};
use crate::domain::FormErrors;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::models::join_link::LinkState;
use crate::services::join_links::{CreateRefusal, LinkInput, UseRefusal};
use crate::services::link_guesses;
use crate::state::AppState;
use crate::views::{JoinLinkPage, LinksView};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(links_page)
        .service(create_link)
        .service(disable_link)
        .service(link_page)
        .service(use_link);
}

async fn render(
    admin: GroupAdmin,
    state: &AppState,
    typed: Option<(LinkInput, FormErrors)>,
) -> AppResult<LinksView> {
    let page = state
        .join_links_page(admin.claim.clone(), &admin.user)
        .await?;
    let (input, errors) = typed.unwrap_or_default();
    Ok(LinksView {
        ctx: admin.ctx,
        page,
        input,
        errors,
        now: state.clock.now(),
    })
}

#[get("/groups/{slug}/links")]
async fn links_page(admin: GroupAdmin, state: web::Data<AppState>) -> AppResult<LinksView> {
    render(admin, &state, None).await
}

#[post("/groups/{slug}/links")]
async fn create_link(
    req: HttpRequest,
    admin: GroupAdmin,
    state: web::Data<AppState>,
    form: web::Form<LinkInput>,
) -> AppResult<HttpResponse> {
    let input = form.into_inner();
    let slug = admin.claim.slug.clone();
    let errors = match state
        .create_join_link(admin.claim.clone(), &admin.user, input.clone())
        .await?
    {
        Ok(id) => {
            admin
                .ctx
                .flash("success", "The join link is made: copy it below.");
            return Ok(see_other(&format!("/groups/{slug}/links#link-{id}")));
        }
        Err(CreateRefusal::Form(e)) => e,
        Err(CreateRefusal::NotAllowed(b)) => {
            let mut e = FormErrors::default();
            e.add("allowed_domain", format!("Not allowed by {b}."));
            e
        }
    };
    Ok(render(admin, &state, Some((input, errors)))
        .await?
        .unprocessable(&req))
}

#[post("/groups/{slug}/links/{id}/disable")]
async fn disable_link(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let id = path.1;
    let done = state
        .disable_join_link(admin.claim.clone(), &admin.user, id)
        .await?;
    admin.ctx.flash(
        "success",
        if done {
            "The link is disabled: it no longer works."
        } else {
            "This link was disabled already."
        },
    );
    Ok(see_other(&format!(
        "/groups/{}/links#link-{id}",
        admin.claim.slug
    )))
}

#[get("/links/{token}")]
async fn link_page(
    req: HttpRequest,
    ctx: Ctx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let address = crate::auth::client::address(&req);
    let view = match state.open_join_link(token.clone(), address).await? {
        None => {
            return Err(AppError::new(ErrorKind::Throttled(
                link_guesses::TOO_MANY.into(),
            )));
        }
        Some(None) => {
            return Ok(no_referrer(actix_web::ResponseError::error_response(
                &AppError::not_found(),
            )));
        }
        Some(Some(v)) => v,
    };
    let status = if view.state == LinkState::Active {
        200
    } else {
        410
    };
    let page = JoinLinkPage { ctx, token, view };
    Ok(no_referrer(
        page.customize()
            .with_status(actix_web::http::StatusCode::from_u16(status).unwrap())
            .respond_to(&req)
            .map_into_boxed_body(),
    ))
}

#[post("/links/{token}")]
async fn use_link(
    me: CurrentUser,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    match state.use_join_link(&me.user, token.clone()).await? {
        Ok((slug, name)) => {
            me.ctx.flash("success", format!("Welcome to {name}."));
            Ok(see_other(&format!("/groups/{slug}")))
        }
        Err(why) => {
            me.ctx.flash(
                "error",
                match why {
                    UseRefusal::Closed(s) => {
                        format!("This link is {}: it no longer works.", s.as_str())
                    }
                    UseRefusal::AlreadyMember => {
                        "You are a member already, or used this link before.".to_string()
                    }
                    UseRefusal::Denied(d) => d.message().to_string(),
                    UseRefusal::NotAllowed(b) => format!("Not allowed by {b}."),
                },
            );
            Ok(see_other(&format!("/links/{token}")))
        }
    }
}
