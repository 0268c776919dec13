//! `/static/{name}`: the stylesheet and script (`crate::assets`), served
//! with a long cache lifetime.

use crate::assets::{CSS, JS};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(asset);
}

#[get("/static/{name}")]
async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, kind) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        _ => {
            return actix_web::ResponseError::error_response(&crate::error::AppError::not_found());
        }
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}
