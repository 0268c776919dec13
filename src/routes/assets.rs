//! The stylesheet and script, compiled into the binary and served with a
//! long cache lifetime; their URLs carry a content hash.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use std::sync::OnceLock;

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(asset);
}

/// FNV-1a over both files: changes whenever either does.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in CSS.bytes().chain(JS.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{:08x}", h as u32)
    })
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
