//! A community's roles page (`/groups/{slug}/roles`): the roles offered
//! there, and creating, changing and deleting the community's own roles.

use super::{Unprocessable, see_other};
use crate::auth::CurrentUser;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::services::roles::{Change, Done, Refused, RoleInput, RoleRule};
use crate::state::AppState;
use crate::views::members::count_of;
use crate::views::{RoleEntry, RolesPage};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(roles_page)
        .service(create_role)
        .service(save_role)
        .service(delete_role);
}

/// The form shown again: the new-role form or one role's edit form.
enum Retry {
    Create(RoleInput, FormErrors),
    Edit(i64, RoleInput, FormErrors),
}

async fn render(
    me: CurrentUser,
    state: &AppState,
    slug: String,
    retry: Option<Retry>,
) -> AppResult<RolesPage> {
    let view = state.roles_page(&slug, &me.user).await?;
    let (mut input, mut errors) = (RoleInput::default(), FormErrors::default());
    let mut edit = None;
    match retry {
        Some(Retry::Create(i, e)) => (input, errors) = (i, e),
        Some(Retry::Edit(id, i, e)) => edit = Some((id, i, e)),
        None => {}
    }
    let entries = view
        .lines
        .into_iter()
        .map(
            |line| match edit.take_if(|(id, _, _)| *id == line.role.id) {
                Some((_, input, errors)) => RoleEntry {
                    line,
                    input,
                    errors,
                    open: true,
                },
                None => RoleEntry {
                    input: RoleInput::of(&line.role),
                    line,
                    errors: FormErrors::default(),
                    open: false,
                },
            },
        )
        .collect();
    Ok(RolesPage {
        ctx: me.ctx,
        access: view.access,
        entries,
        input,
        errors,
    })
}

#[get("/groups/{slug}/roles")]
async fn roles_page(
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<RolesPage> {
    render(me, &state, slug.into_inner(), None).await
}

/// Done or refused with a message: flash and back to the page. A form
/// refusal: the page again with the form as typed, 422.
async fn answer(
    req: &HttpRequest,
    me: CurrentUser,
    state: &AppState,
    slug: String,
    change: Change,
    retry: impl FnOnce(FormErrors) -> Retry,
) -> AppResult<HttpResponse> {
    let to = format!("/groups/{slug}/roles");
    match change {
        Ok(done) => {
            me.ctx.flash("success", said_done(done));
            Ok(see_other(&to))
        }
        Err(Refused::Form(errors)) => {
            let page = render(me, state, slug, Some(retry(errors))).await?;
            Ok(page.unprocessable(req))
        }
        Err(Refused::Rule(why)) => {
            me.ctx.flash("error", said_refused(why));
            Ok(see_other(&to))
        }
    }
}

fn said_done(done: Done) -> String {
    match done {
        Done::Created(name) => format!("The role {name} has been created."),
        Done::Saved { name, revoked: 0 } => format!("The role {name} has been saved."),
        Done::Saved { name, revoked } => format!(
            "The role {name} has been saved. Its members can no longer invite: {} cancelled.",
            count_of(revoked as i64, "pending invitation", "pending invitations")
        ),
        Done::Unchanged => "Nothing changed.".into(),
        Done::Deleted(name) => format!("The role {name} has been deleted."),
    }
}

fn said_refused(why: RoleRule) -> String {
    let invitations = |n| count_of(n, "pending invitation", "pending invitations");
    match why {
        RoleRule::RoleAboveOwn => {
            "You cannot change or delete a role that has permissions you do not have.".into()
        }
        RoleRule::LastManagers => "In some groups only the holders of this role manage members: give someone there a role with manage_member first, or keep manage_member in this role.".into(),
        RoleRule::InUse { held: 0, offered } => format!(
            "This role is offered by {}; cancel them first.",
            invitations(offered)
        ),
        RoleRule::InUse { held, offered } => {
            let mut m = format!(
                "This role is held by {}; give them another role first.",
                count_of(held, "member", "members")
            );
            if offered > 0 {
                m.push_str(&format!(
                    " It is also offered by {}: cancel them first.",
                    invitations(offered)
                ));
            }
            m
        }
    }
}

#[post("/groups/{slug}/roles")]
async fn create_role(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let input = RoleInput::from_pairs(form.into_inner());
    let change = state.create_role(&slug, &me.user, input.clone()).await?;
    answer(&req, me, &state, slug, change, |e| Retry::Create(input, e)).await
}

#[post("/groups/{slug}/roles/{id}")]
async fn save_role(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let input = RoleInput::from_pairs(form.into_inner());
    let change = state.save_role(&slug, &me.user, id, input.clone()).await?;
    answer(&req, me, &state, slug, change, |e| {
        Retry::Edit(id, input, e)
    })
    .await
}

#[post("/groups/{slug}/roles/{id}/delete")]
async fn delete_role(
    req: HttpRequest,
    me: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let change = state.delete_role(&slug, &me.user, id).await?;
    answer(&req, me, &state, slug, change, |e| {
        Retry::Edit(id, RoleInput::default(), e)
    })
    .await
}
