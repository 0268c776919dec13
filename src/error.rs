//! One error type for the app: a kind that decides the response and an
//! optional cause that is logged, never shown.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    /// No power for this page: "You do not have access to this feature."
    Forbidden,
    /// CSRF token or Origin check failed.
    CsrfRejected,
    /// Not logged in (or the session ended): redirect to the log-in page.
    LoginRequired {
        next: String,
    },
    BadRequest(String),
    /// Input no field accepts (see `input_guard`): 422 with why.
    Invalid(String),
    /// A limit per address or account is reached: 429 with why.
    Throttled(String),
    Internal,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            Some(c) => write!(f, "{:?}: {c}", self.kind),
            None => write!(f, "{:?}", self.kind),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|c| c as _)
    }
}

impl AppError {
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, cause: None }
    }
    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound)
    }
    pub fn forbidden() -> Self {
        Self::new(ErrorKind::Forbidden)
    }
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest(msg.into()))
    }
    pub fn login_required(next: impl Into<String>) -> Self {
        Self::new(ErrorKind::LoginRequired { next: next.into() })
    }
    /// Whether the database refused a write for a unique index.
    pub fn is_unique_violation(&self) -> bool {
        self.cause
            .as_deref()
            .and_then(|c| c.downcast_ref::<diesel::result::Error>())
            .is_some_and(crate::db::is_unique_violation)
    }
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            cause: Some(cause.into()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Self::not_found(),
            other => Self::internal(other),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::internal(e)
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

pub const FORBIDDEN_TEXT: &str = "You do not have access to this feature.";

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Forbidden | ErrorKind::CsrfRejected => StatusCode::FORBIDDEN,
            ErrorKind::LoginRequired { .. } => StatusCode::SEE_OTHER,
            ErrorKind::BadRequest(_) => StatusCode::BAD_REQUEST,
            ErrorKind::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message): (&str, &str) = match &self.kind {
            ErrorKind::LoginRequired { next } => {
                let target = if next.is_empty() || next == "/" {
                    "/login".to_string()
                } else {
                    format!("/login?next={}", urlencode(next))
                };
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish();
            }
            ErrorKind::NotFound => ("Page not found", "There is nothing at this address."),
            ErrorKind::Forbidden => ("Access denied", FORBIDDEN_TEXT),
            ErrorKind::CsrfRejected => (
                "Form expired",
                "This form has expired or did not come from this site. \
                 Go back, reload the page and try again.",
            ),
            ErrorKind::BadRequest(msg) => ("Bad request", msg.as_str()),
            ErrorKind::Invalid(msg) => ("Input refused", msg.as_str()),
            ErrorKind::Throttled(msg) => ("Too many requests", msg.as_str()),
            ErrorKind::Internal => {
                tracing::error!(error = %self, "internal error");
                (
                    "Something went wrong",
                    "Something went wrong on our side. Please try again in a moment.",
                )
            }
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| message.to_string());
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Errors of the JSON API: the same kinds, answered as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self.0.kind {
            ErrorKind::LoginRequired { .. } => StatusCode::UNAUTHORIZED,
            _ => self.0.status_code(),
        }
    }
    fn error_response(&self) -> HttpResponse {
        let message = match &self.0.kind {
            ErrorKind::NotFound => "not found".to_string(),
            ErrorKind::Forbidden => FORBIDDEN_TEXT.to_string(),
            ErrorKind::CsrfRejected => "CSRF check failed".to_string(),
            ErrorKind::LoginRequired { .. } => "log in first".to_string(),
            ErrorKind::BadRequest(m) | ErrorKind::Invalid(m) | ErrorKind::Throttled(m) => m.clone(),
            ErrorKind::Internal => {
                tracing::error!(error = %self.0, "internal error");
                "internal error".to_string()
            }
        };
        HttpResponse::build(self.status_code()).json(serde_json::json!({ "error": message }))
    }
}

/// Errors of `/api/v1`: a status, a stable `code` a program can branch on
/// and a sentence for people, answered as
/// `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug)]
pub struct V1Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl V1Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        V1Error {
            status,
            code,
            message: message.into(),
        }
    }
}

impl<E: Into<AppError>> From<E> for V1Error {
    fn from(e: E) -> Self {
        let e: AppError = e.into();
        let (code, message) = match &e.kind {
            ErrorKind::NotFound => ("not_found", "Not found.".to_string()),
            ErrorKind::Forbidden => ("forbidden", FORBIDDEN_TEXT.to_string()),
            ErrorKind::CsrfRejected => ("csrf_rejected", "CSRF check failed.".to_string()),
            ErrorKind::LoginRequired { .. } => (
                "unauthorized",
                "Send a personal access token: Authorization: Bearer <token>.".to_string(),
            ),
            ErrorKind::BadRequest(m) => ("bad_request", m.clone()),
            ErrorKind::Invalid(m) => ("invalid", m.clone()),
            ErrorKind::Throttled(m) => ("rate_limited", m.clone()),
            ErrorKind::Internal => {
                tracing::error!(error = %e, "internal error");
                ("internal", "Something went wrong on our side.".to_string())
            }
        };
        let status = match e.kind {
            ErrorKind::LoginRequired { .. } => StatusCode::UNAUTHORIZED,
            _ => e.status_code(),
        };
        V1Error {
            status,
            code,
            message,
        }
    }
}

impl std::fmt::Display for V1Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for V1Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        }))
    }
}
