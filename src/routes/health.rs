use crate::db;
use crate::error::AppResult;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use diesel::connection::SimpleConnection;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz);
}

/// `ok` once the database answers; load balancers poll this.
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    db::run(&state.pool, |c| Ok(c.batch_execute("SELECT 1")?)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body("ok"))
}
