//! HTTP handlers, one module per area, each exposing `config`.

pub mod admin;
pub mod api;
pub mod api_tokens;
pub mod api_v1;
pub mod assets;
pub mod auth;
pub mod cases;
pub mod communities;
pub mod csv_invites;
pub mod groups;
pub mod health;
pub mod home;
pub mod invitation_policy;
pub mod invitations;
pub mod join;
pub mod join_links;
pub mod manage_users;
pub mod messages;
pub mod notifications;
pub mod passwords;
pub mod roles;
pub mod sessions;
pub mod suggestions;
pub mod webhooks;

use actix_web::web;

pub fn config(cfg: &mut web::ServiceConfig) {
    // Routes are tried in this order, and each dynamic one tried costs a
    // regex match (measured under W1: 4 % of the server's time with thirty
    // of them before /invitations): the pages people open most come first.
    // No two patterns overlap, except where noted.
    health::config(cfg);
    home::config(cfg);
    invitations::config(cfg);
    groups::config(cfg);
    messages::config(cfg);
    notifications::config(cfg);
    communities::config(cfg);
    roles::config(cfg);
    invitation_policy::config(cfg);
    suggestions::config(cfg);
    join_links::config(cfg);
    csv_invites::config(cfg);
    assets::config(cfg);
    auth::config(cfg);
    passwords::config(cfg);
    join::config(cfg);
    api::config(cfg);
    api_v1::config(cfg);
    admin::config(cfg);
    // Before account: /account/users/{id} would take "new" for an id.
    manage_users::config(cfg);
    sessions::config(cfg);
    api_tokens::config(cfg);
    webhooks::config(cfg);
    cases::config(cfg);
}

/// A 303 redirect, the answer to every successful form POST.
pub fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// A page shown again with what was wrong in its form: 422.
pub trait Unprocessable: actix_web::Responder + Sized {
    fn unprocessable(self, req: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        use actix_web::Responder;
        self.customize()
            .with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
            .respond_to(req)
            .map_into_boxed_body()
    }
}

impl<R: actix_web::Responder> Unprocessable for R {}

/// Token pages (verification and invitation links) never leak their address
/// through a Referer header.
pub fn no_referrer(mut resp: actix_web::HttpResponse) -> actix_web::HttpResponse {
    resp.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// The field a confirmation page's button adds to the POST it repeats:
/// without it, an irreversible action shows its confirmation first.
#[derive(serde::Deserialize)]
pub struct Confirmed {
    pub confirmed: Option<String>,
}
