//! Counts the SQL statements each request runs, when `GUILDHALL_COUNT_QUERIES`
//! is on (tests and diagnosis; off in production, where it costs nothing but
//! one failed task-local lookup per `db::run`).
//!
//! Every pooled connection then carries a diesel instrumentation that adds one
//! per `StartQuery` to the counter of the request its thread is working for.
//! A middleware gives each request a counter (a task-local, so it reaches
//! `db::run` through the extractors and the handler) and answers with the
//! total in the `X-Query-Count` header.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const HEADER: &str = "x-query-count";

tokio::task_local! {
    static REQUEST: Arc<AtomicU64>;
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<AtomicU64>>> = const { RefCell::new(None) };
}

/// The instrumentation put on every connection of a counting pool.
pub fn instrumentation() -> impl Instrumentation {
    |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            CURRENT.with(|c| {
                if let Some(n) = c.borrow().as_ref() {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }
}

/// The current request's counter, if it is being counted (called in async
/// context, before the work moves to a blocking thread).
pub fn request_counter() -> Option<Arc<AtomicU64>> {
    REQUEST.try_with(Arc::clone).ok()
}

/// While alive, statements run on this thread count for `counter`.
pub struct Counting(());

impl Counting {
    pub fn enter(counter: Arc<AtomicU64>) -> Self {
        CURRENT.with(|c| *c.borrow_mut() = Some(counter));
        Counting(())
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        CURRENT.with(|c| *c.borrow_mut() = None);
    }
}

/// Middleware: counts the request's statements into `X-Query-Count`.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let counter = Arc::new(AtomicU64::new(0));
    let mut res = REQUEST.scope(counter.clone(), next.call(req)).await?;
    res.headers_mut().insert(
        HeaderName::from_static(HEADER),
        HeaderValue::from(counter.load(Ordering::Relaxed)),
    );
    Ok(res)
}
