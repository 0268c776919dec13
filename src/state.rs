//! What every handler shares: the application handle the use cases run on
//! (`services::App`) and what only the web layer needs. `startup` builds
//! it; routes and the request extractors read it (its own module, so
//! neither imports the other's).

use crate::services::App;

/// Shared by every handler through `web::Data`; reads as the [`App`] it
/// holds (`state.pool`, `state.clock`, a use case `state.answer(…)`).
pub struct AppState {
    pub app: App,
    /// `scheme://host:port` of the base URL, for the CSRF Origin check.
    pub origin: String,
    /// Set when the server has been told to stop: `/healthz` then answers
    /// 503 so a load balancer sends nothing new (see `startup::drain_on_signal`).
    pub draining: std::sync::atomic::AtomicBool,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}
