//! Communities: a group's settings (its main community) and creating a
//! managed community inside one.

use super::{Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::routes::groups::{said_done, said_refused};
use crate::services::communities;
use crate::services::groups::GroupInput;
use crate::state::AppState;
use crate::views::{GroupSettingsPage, NewGroupPage};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
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
    let parent = state.managed_group(&slug, &me.user).await?.group;
    Ok(NewGroupPage {
        ctx: me.ctx,
        input: GroupInput {
            audience: parent.audience.clone(),
            ..GroupInput::default()
        },
        errors: FormErrors::default(),
        parent: Some(parent),
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
    let (parent, input, created) = state
        .create_community(&slug, &me.user, form.into_inner())
        .await?;
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
        .unprocessable(&req)),
    }
}

async fn settings_page(
    me: CurrentUser,
    state: &AppState,
    slug: &str,
    parent_input: Option<String>,
    errors: FormErrors,
) -> AppResult<GroupSettingsPage> {
    let (access, parent) = state.community_settings(slug, &me.user).await?;
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
    settings_page(me, &state, &slug, None, FormErrors::default()).await
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
    match state.place_community(&slug, &me.user, &form.parent).await? {
        Ok(d) => {
            me.ctx.flash("success", said_done(d));
            Ok(see_other(&format!("/groups/{slug}/settings")))
        }
        Err(r) => {
            let mut errors = FormErrors::default();
            errors.add("parent", said_refused(r));
            let typed = communities::typed_parent(&form.parent).to_string();
            let page = settings_page(me, &state, &slug, Some(typed), errors).await?;
            Ok(page.unprocessable(&req))
        }
    }
}
