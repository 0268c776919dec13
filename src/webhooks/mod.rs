//! Webhook delivery: the HTTP client that posts a hook's events (signed,
//! to public addresses only unless `GUILDHALL_WEBHOOK_ALLOW_PRIVATE`, no
//! redirects, short timeouts) and the worker that takes them from the
//! database outbox (`models::webhook`) one at a time per hook, in order.

mod target;
mod worker;

pub use target::{TargetRefused, check_target};
pub use worker::WebhookWorker;
