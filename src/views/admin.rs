//! The site admin's page (templates/admin/).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "admin/index.html")]
pub struct AdminPage {
    pub ctx: Ctx,
    pub pending: Vec<User>,
    pub next_after: Option<i64>,
    /// Company accounts by name (one page).
    pub accounts: Vec<CompanyAccount>,
    pub accounts_next: Option<String>,
    /// The create-account form, kept with its errors.
    pub account_input: AccountInput,
    pub errors: FormErrors,
}

impl AdminPage {
    pub fn kinds(&self) -> [AccountKind; 3] {
        AccountKind::ALL
    }
}
