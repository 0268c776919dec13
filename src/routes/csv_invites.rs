//! Invitations from a CSV file: "Upload a CSV" (`/groups/{slug}/invite/csv`),
//! the dry run's page with "Send N invitations" and then the progress and
//! outcome (`…/csv/{id}`), and the refused rows as a CSV (`…/refused.csv`).

use super::see_other;
use crate::auth::{GroupAdmin, csrf, tokens};
use crate::domain::csv_invites::{FileError, MAX_BYTES};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::views::{CsvImportView, CsvUploadPage};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder, get, post, web};
use futures_util::StreamExt;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_page)
        .service(upload)
        .service(import_page)
        .service(send)
        .service(refused_rows);
}

/// Room for the form's other parts and the multipart framing.
const FRAMING: usize = 64 * 1024;
/// A body this much larger than allowed is not even read to its end.
const DRAIN_MAX: usize = 32 * 1024 * 1024;

async fn render_upload(
    req: &HttpRequest,
    admin: GroupAdmin,
    state: &AppState,
    error: Option<FileError>,
) -> AppResult<HttpResponse> {
    let info = state
        .csv_upload_info(admin.claim.clone(), &admin.user)
        .await?;
    let status = match &error {
        None => StatusCode::OK,
        Some(FileError::TooBig) => StatusCode::PAYLOAD_TOO_LARGE,
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = CsvUploadPage {
        ctx: admin.ctx,
        info,
        error: error.map(|e| e.to_string()),
    };
    Ok(page
        .customize()
        .with_status(status)
        .respond_to(req)
        .map_into_boxed_body())
}

#[get("/groups/{slug}/invite/csv")]
async fn upload_page(
    req: HttpRequest,
    admin: GroupAdmin,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    render_upload(&req, admin, &state, None).await
}

/// The uploaded file: its name and bytes, or why it was refused unread.
async fn read_upload(
    req: &HttpRequest,
    mut payload: actix_multipart::Multipart,
) -> AppResult<Result<(String, Vec<u8>), FileError>> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES + FRAMING) {
        drain(payload).await;
        return Ok(Err(FileError::TooBig));
    }
    // The CSRF middleware left the token to this reader (a multipart body
    // is not url-encoded): the form sends it as its first part.
    let expected = req
        .extensions()
        .get::<csrf::Expected>()
        .map(|e| e.0.clone())
        .ok_or_else(|| AppError::new(ErrorKind::CsrfRejected))?;
    let mut token_ok = false;
    let mut file = None;
    // What parts other than the file held (read and dropped).
    let mut other = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| AppError::bad_request("The upload was cut short."))?;
        match field.name() {
            Some(csrf::FIELD) => {
                let v = field.bytes(256).await;
                let given = match v {
                    Ok(Ok(b)) => String::from_utf8_lossy(&b).into_owned(),
                    _ => String::new(),
                };
                token_ok = tokens::equal(&given, &expected);
            }
            Some("file") if token_ok => {
                let name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(clean_name)
                    .unwrap_or_default();
                let mut bytes = Vec::new();
                let mut seen = 0usize;
                while let Some(chunk) = field.next().await {
                    let chunk =
                        chunk.map_err(|_| AppError::bad_request("The upload was cut short."))?;
                    seen += chunk.len();
                    if seen > MAX_BYTES {
                        // Refused: the rest is read (not kept) so the
                        // answer reaches the browser, up to a point.
                        if drain_field(&mut field, &mut seen).await {
                            drop(field);
                            drain(payload).await;
                        }
                        return Ok(Err(FileError::TooBig));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {
                // Read and dropped: nothing else is asked for.
                if !drain_field(&mut field, &mut other).await {
                    return if token_ok {
                        Ok(Err(FileError::TooBig))
                    } else {
                        Err(AppError::new(ErrorKind::CsrfRejected))
                    };
                }
            }
        }
    }
    if !token_ok {
        tracing::warn!(
            why = "token missing or mismatched in upload",
            "CSRF check failed"
        );
        return Err(AppError::new(ErrorKind::CsrfRejected));
    }
    Ok(file.ok_or(FileError::Empty))
}

/// Reads what is left of a refused body (up to `DRAIN_MAX`), so the client
/// gets the answer instead of a connection reset mid-upload.
async fn drain(mut payload: actix_multipart::Multipart) {
    let mut seen = 0usize;
    while let Some(Ok(mut field)) = payload.next().await {
        if !drain_field(&mut field, &mut seen).await {
            return;
        }
    }
}

/// Reads the rest of one part, counting into `seen`; false once past
/// `DRAIN_MAX`.
async fn drain_field(field: &mut actix_multipart::Field, seen: &mut usize) -> bool {
    while let Some(Ok(chunk)) = field.next().await {
        *seen += chunk.len();
        if *seen > DRAIN_MAX {
            return false;
        }
    }
    true
}

/// A file name as the page shows it: no control characters, at most 100.
fn clean_name(name: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let name = crate::domain::text::cut(name.trim(), 100).to_string();
    if name.is_empty() {
        "upload.csv".into()
    } else {
        name
    }
}

#[post("/groups/{slug}/invite/csv")]
async fn upload(
    req: HttpRequest,
    admin: GroupAdmin,
    state: web::Data<AppState>,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let (name, bytes) = match read_upload(&req, payload).await? {
        Ok(file) => file,
        Err(e) => return render_upload(&req, admin, &state, Some(e)).await,
    };
    match state
        .check_csv(admin.claim.clone(), &admin.user, name, bytes)
        .await?
    {
        Ok(id) => Ok(see_other(&format!(
            "/groups/{}/invite/csv/{id}",
            admin.claim.slug
        ))),
        Err(e) => render_upload(&req, admin, &state, Some(e)).await,
    }
}

#[derive(serde::Deserialize)]
struct After {
    after: Option<i32>,
}

#[get("/groups/{slug}/invite/csv/{id}")]
async fn import_page(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<After>,
) -> AppResult<CsvImportView> {
    let after = q.after.unwrap_or(0).max(0);
    let page = state
        .csv_import_page(admin.claim.clone(), &admin.user, path.1, after)
        .await?;
    Ok(CsvImportView {
        ctx: admin.ctx,
        page,
        after,
    })
}

#[post("/groups/{slug}/invite/csv/{id}/send")]
async fn send(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let id = path.1;
    let started = state
        .start_csv_send(admin.claim.clone(), &admin.user, id)
        .await?;
    if !started {
        admin
            .ctx
            .flash("info", "These invitations were sent already.");
    }
    Ok(see_other(&format!(
        "/groups/{}/invite/csv/{id}",
        admin.claim.slug
    )))
}

#[get("/groups/{slug}/invite/csv/{id}/refused.csv")]
async fn refused_rows(
    admin: GroupAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (name, body) = state
        .csv_refused_rows(admin.claim.clone(), &admin.user, path.1)
        .await?;
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}
