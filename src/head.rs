//! HEAD on every GET route, in one place: actix routes HEAD to no `#[get]`
//! route, so without this every page (and `/healthz`) answered 404 to uptime
//! monitors that use HEAD.
//!
//! The request runs as a GET; actix-http itself sends only the head of a
//! response to a HEAD request (its codec remembers the method it parsed) and
//! keeps the body's Content-Length, so status and headers are GET's.
//! Handlers that write on GET ask `is_head` and skip the write: a HEAD never
//! changes state.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};

/// Marks a request that arrived as HEAD and runs as GET.
#[derive(Clone, Copy)]
struct Head;

pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.extensions_mut().insert(Head);
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// Whether this GET is really a HEAD (see `as_get`).
pub fn is_head(req: &HttpRequest) -> bool {
    req.extensions().get::<Head>().is_some()
}
