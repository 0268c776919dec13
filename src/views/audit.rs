//! The audit trail (templates/audit/).

use super::*;

/// The audit trail: `/admin/audit` (every event) or `/account/audit` (one
/// account's).
#[derive(Template, WebTemplate)]
#[template(path = "audit/index.html")]
pub struct AuditPage {
    pub ctx: Ctx,
    pub title: &'static str,
    /// The page's own path, for the filter form and the next-page link.
    pub path: &'static str,
    pub rows: Vec<AuditRow>,
    pub user: String,
    /// The filter named nobody: say so rather than show everything.
    pub unknown_user: bool,
    pub next_href: Option<String>,
}
