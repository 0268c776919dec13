//! CSRF defence for every state-changing request: the Origin (or
//! Sec-Fetch-Site) must be this site, and the session's token must come back
//! in the `csrf_token` form field or the `X-CSRF-Token` header. Cookies are
//! SameSite=Lax on top of this.

use super::session;
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use actix_session::SessionExt;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

fn rejected(why: &str) -> actix_web::Error {
    tracing::warn!(why, "CSRF check failed");
    AppError::new(ErrorKind::CsrfRejected).into()
}

pub async fn verify(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.call(req).await;
    }
    if is_token_request(&req) {
        // A program with a personal access token: no cookie is read for it
        // (`routes::api_v1` authenticates by the token alone), and a page
        // of another site cannot send this header without a CORS
        // permission that Guildhall never gives.
        return next.call(req).await;
    }
    check_origin(&req)?;

    let expected: Option<String> = req.get_session().get(session::CSRF).ok().flatten();
    let Some(expected) = expected else {
        return Err(rejected("no token in session"));
    };
    if is_upload(&req) {
        // A file upload's token is in its multipart body, which only its
        // handler reads (`routes::csv_invites`): it is handed the token to
        // compare, and refuses the request without a match.
        req.extensions_mut().insert(Expected(expected));
        return next.call(req).await;
    }
    let provided = match req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(h) => Some(h.to_string()),
        None => {
            let body = req.extract::<web::Bytes>().await?;
            let token = form_field(&body, FIELD);
            req.set_payload(Payload::from(body));
            token
        }
    };
    match provided {
        Some(p) if super::tokens::equal(&p, &expected) => next.call(req).await,
        Some(_) => Err(rejected("token mismatch")),
        None => Err(rejected("token missing")),
    }
}

/// A request to `/api/v1/` that carries `Authorization: Bearer`.
fn is_token_request(req: &ServiceRequest) -> bool {
    req.path().starts_with("/api/v1/")
        && req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer "))
}

/// The session's CSRF token, for a handler that reads the form itself.
#[derive(Clone)]
pub struct Expected(pub String);

/// A multipart POST to the one route that takes a file ("Upload a CSV");
/// every other route reads url-encoded forms and checks here.
fn is_upload(req: &ServiceRequest) -> bool {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let path = req.path();
    multipart
        && path.starts_with("/groups/")
        && path.ends_with("/invite/csv")
        && path.matches('/').count() == 4
}

fn check_origin(req: &ServiceRequest) -> Result<(), actix_web::Error> {
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // Pages sent with `Referrer-Policy: no-referrer` (token pages) make
        // browsers send an opaque Origin; accept it only when the browser
        // vouches the request is same-origin (sandboxed frames send it too).
        Some("null") => {
            if fetch_site == Some(b"same-origin") {
                Ok(())
            } else {
                Err(rejected("opaque Origin"))
            }
        }
        Some(origin) => {
            let state = req.app_data::<web::Data<AppState>>();
            let configured = state.map(|s| s.origin.as_str()).unwrap_or("");
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
            if origin == configured || (!host.is_empty() && origin_host == host) {
                Ok(())
            } else {
                Err(rejected("foreign Origin"))
            }
        }
        // No Origin (old browsers, some same-origin form posts): a browser
        // that says the request is cross-site is refused; the token decides.
        None if fetch_site == Some(b"cross-site") => Err(rejected("cross-site fetch")),
        None => Ok(()),
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
