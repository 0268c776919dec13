//! Input hygiene in one place: every path, query string and form body is
//! refused before any handler sees it when it holds bytes that no field of
//! Guildhall accepts — NUL and other control characters (tabs and line
//! breaks are fine in a form), or percent-encodings that are not UTF-8. A
//! database never sees them (PostgreSQL refuses NUL in text with an error),
//! and nothing of such a request is stored or echoed.
//!
//! A bad path is "not found" (404); a bad query or form is 422 with a
//! sentence saying why, as a page or, under `/api/`, as JSON.

use crate::error::{ApiError, AppError, ErrorKind};
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;

/// Longest path Guildhall serves (slugs, ids and 43-character tokens fit
/// many times over); a longer one is not found, and never echoed.
const PATH_MAX: usize = 512;
pub const REFUSED: &str = "Your input contains characters that cannot be used \
    (such as NUL or other control characters). Nothing was saved.";

/// Percent-decodes `raw` (and `+` as a space where `plus` is set) and says
/// whether the result is UTF-8 without control characters, `\t`, `\r` and
/// `\n` allowed only where `breaks` is set.
fn clean(raw: &[u8], plus: bool, breaks: bool) -> bool {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    match std::str::from_utf8(&out) {
        Ok(s) => !s
            .chars()
            .any(|c| c.is_control() && !(breaks && matches!(c, '\t' | '\r' | '\n'))),
        Err(_) => false,
    }
}

fn refused(req: &ServiceRequest, kind: ErrorKind) -> actix_web::Error {
    let e = AppError::new(kind);
    if req.path().starts_with("/api/v1/") {
        crate::error::V1Error::from(e).into()
    } else if req.path().starts_with("/api/") {
        ApiError(e).into()
    } else {
        e.into()
    }
}

pub async fn reject_unusable_input(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.uri().path().as_bytes();
    if path.len() > PATH_MAX || !clean(path, false, false) {
        return Err(refused(&req, ErrorKind::NotFound));
    }
    if let Some(q) = req.uri().query()
        && !clean(q.as_bytes(), true, false)
    {
        return Err(refused(&req, ErrorKind::Invalid(REFUSED.into())));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let body = req.extract::<web::Bytes>().await?;
        let ok = clean(&body, true, true);
        req.set_payload(Payload::from(body));
        if !ok {
            return Err(refused(&req, ErrorKind::Invalid(REFUSED.into())));
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn what_passes_and_what_does_not() {
        assert!(clean(b"login=bob&password=a+b%21", true, true));
        assert!(clean(
            "message=Gr%C3%BC%C3%9Fe%0D%0Abis+bald".as_bytes(),
            true,
            true
        ));
        assert!(clean(b"/groups/big-team/members", false, false));
        assert!(clean(b"100%", true, true), "a lone percent sign is itself");
        assert!(!clean(b"login=a%00b", true, true), "NUL");
        assert!(!clean(b"/groups/%00", false, false));
        assert!(!clean(b"q=%0A", true, false), "no line break in a query");
        assert!(!clean(b"name=%C3%28", true, true), "invalid UTF-8");
        assert!(!clean(b"name=%FF", true, true));
        assert!(!clean(b"x=%1B%5B31m", true, true), "escape sequence");
    }
}
