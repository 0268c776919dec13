//! `/account/users/new`: the Add user wizard (super users). One POST
//! endpoint takes every step; the service re-checks all earlier steps each
//! time, so the hidden fields carrying them are never trusted.
//! The groups step's search is a submit button of the same POST form, not
//! a GET: a GET would put the contact's name and address (and the CSRF
//! token) in URLs and logs, and would drop the groups already ticked.
//! Registered before the other Manage Users routes, whose `/account/users/{id}` would
//! otherwise take "new" for an id.

use crate::auth::SuperUser;
use crate::domain::FormErrors;
use crate::error::AppResult;
use crate::routes::see_other;
use crate::services::manage_users::{self, AddUserInput, Refused};
use crate::state::AppState;
use crate::views::AddUserPage;
use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(new_form).service(new_step);
}

#[get("/account/users/new")]
async fn new_form(me: SuperUser) -> AddUserPage {
    AddUserPage {
        ctx: me.ctx,
        step: 1,
        input: AddUserInput::default(),
        errors: FormErrors::default(),
        shown: Vec::new(),
        offered: Vec::new(),
    }
}

#[post("/account/users/new")]
async fn new_step(
    req: HttpRequest,
    me: SuperUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let input = AddUserInput::from_pairs(url::form_urlencoded::parse(&body).into_owned());
    let adding = input.step == "overview" && input.action == "add";
    let manage_users::WizardStep {
        input,
        offered,
        details,
        added,
    } = state.wizard_step(me.user.id, input, adding).await?;
    let ok = FormErrors::default;
    let (step, errors) = match details {
        Err(errors) => (1, errors),
        Ok(_) => match (input.step.as_str(), input.action.as_str()) {
            ("details", _) => (2, ok()),
            ("groups", "back") => (1, ok()),
            ("groups", "search") => (2, ok()),
            ("groups", _) => match manage_users::check_groups(&offered, &input) {
                Ok(_) => (3, ok()),
                Err(e) => (2, e),
            },
            ("overview", "back") => (2, ok()),
            ("overview", "add") => match added {
                Some(Ok(id)) => {
                    me.ctx.flash(
                        "success",
                        format!(
                            "{} was added and invited: the invitation e-mail is on its way.",
                            input.email.trim()
                        ),
                    );
                    return Ok(see_other(&format!("/account/users/{id}")));
                }
                Some(Err(Refused::Details(e))) => (1, e),
                Some(Err(Refused::Groups(e))) => (2, e),
                None => (1, ok()),
            },
            _ => (1, ok()),
        },
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    let shown = manage_users::filter(&offered, &input.q);
    Ok(AddUserPage {
        ctx: me.ctx,
        step,
        input,
        errors,
        shown,
        offered,
    }
    .customize()
    .with_status(actix_web::http::StatusCode::from_u16(status).unwrap())
    .respond_to(&req)
    .map_into_boxed_body())
}
