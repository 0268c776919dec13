//! Communities: a group's settings (its main community) and creating a
//! managed community inside one.

use super::see_other;
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::models::group;
use crate::routes::groups::{said_done, said_refused};
use crate::services::communities;
use crate::services::groups::GroupInput;
use crate::state::AppState;
use crate::views::{GroupSettingsPage, NewGroupPage};
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use serde::Deserialize;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(new_community_form)
        .service(create_community)
        .service(settings)
        .service(set_parent);
}

#[get("/groups/{slug}/communities/new")]
async fn new_community_form(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<NewGroupPage> {
    let user = me.user.clone();
    let parent = db::run(&state.pool, move |c| {
        communities::managed_group(c, &slug, &user)
    })
    .await?;
    Ok(NewGroupPage {
        ctx: me.ctx,
        input: GroupInput {
            audience: parent.group.audience.clone(),
            ..GroupInput::default()
        },
        errors: FormErrors::default(),
        parent: Some(parent.group),
    })
}

#[post("/groups/{slug}/communities")]
async fn create_community(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<GroupInput>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let (user, s) = (me.user.clone(), slug.clone());
    let parent = db::run(&state.pool, move |c| {
        communities::managed_group(c, &s, &user)
    })
    .await?
    .group;
    let mut input = form.into_inner();
    // The audience is the main community's whatever the form says.
    input.audience = parent.audience.clone();
    let created = match input.parse() {
        Ok(spec) => {
            let (user, now) = (me.user.clone(), state.clock.now());
            db::run(&state.pool, move |c| {
                communities::create_managed(c, &slug, &user, &spec, now)
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match created {
        Ok(g) => {
            me.ctx.flash(
                "success",
                format!("The managed community {} has been created.", g.name),
            );
            Ok(see_other(&format!("/groups/{}", g.slug)))
        }
        Err(errors) => Ok(NewGroupPage {
            ctx: me.ctx,
            input,
            errors,
            parent: Some(parent),
        }
        .customize()
        .with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
        .respond_to(&req)
        .map_into_boxed_body()),
    }
}

async fn settings_page(
    me: CurrentUser,
    state: &AppState,
    slug: String,
    parent_input: Option<String>,
    errors: FormErrors,
) -> AppResult<GroupSettingsPage> {
    let user = me.user.clone();
    let (access, parent) = db::run(&state.pool, move |c| {
        let access = communities::managed_group(c, &slug, &user)?;
        let parent = match access.group.parent_id {
            Some(id) => Some(group::find(c, id)?),
            None => None,
        };
        Ok((access, parent))
    })
    .await?;
    let parent_input =
        parent_input.unwrap_or_else(|| parent.as_ref().map(|p| p.slug.clone()).unwrap_or_default());
    Ok(GroupSettingsPage {
        ctx: me.ctx,
        access,
        parent,
        parent_input,
        errors,
    })
}

#[get("/groups/{slug}/settings")]
async fn settings(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<GroupSettingsPage> {
    settings_page(me, &state, slug.into_inner(), None, FormErrors::default()).await
}

#[derive(Deserialize)]
struct ParentForm {
    #[serde(default)]
    parent: String,
}

#[post("/groups/{slug}/parent")]
async fn set_parent(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<ParentForm>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let typed = form
        .into_inner()
        .parent
        .trim()
        .trim_matches('/')
        .to_string();
    let typed = typed.strip_prefix("groups/").unwrap_or(&typed).to_string();
    let (user, s, p, now) = (
        me.user.clone(),
        slug.clone(),
        typed.clone(),
        state.clock.now(),
    );
    let outcome = db::run(&state.pool, move |c| {
        let parent = (!p.is_empty()).then_some(p.as_str());
        communities::set_parent(c, &s, &user, parent, now)
    })
    .await?;
    match outcome {
        Ok(d) => {
            me.ctx.flash("success", said_done(d));
            Ok(see_other(&format!("/groups/{slug}/settings")))
        }
        Err(r) => {
            let mut errors = FormErrors::default();
            errors.add("parent", said_refused(r));
            Ok(settings_page(me, &state, slug, Some(typed), errors)
                .await?
                .customize()
                .with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
                .respond_to(&req)
                .map_into_boxed_body())
        }
    }
}
