use crate::db;
use crate::error::AppResult;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;
use std::sync::atomic::Ordering;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz);
}

/// `ok` once the database answers; load balancers poll this. A server
/// that has been told to stop answers 503 `draining` while it still serves,
/// so the balancer takes it out before it stops accepting.
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let (mut response, body) = if state.draining.load(Ordering::Relaxed) {
        (HttpResponse::ServiceUnavailable(), "draining")
    } else {
        db::run(&state.pool, |c| Ok(c.batch_execute("SELECT 1")?)).await?;
        (HttpResponse::Ok(), "ok")
    };
    Ok(response
        .content_type("text/plain; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(body))
}
