//! Support cases (templates/cases/).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "cases/index.html")]
pub struct CasesPage {
    pub ctx: Ctx,
    /// False: the viewer is in no account (or not active in it).
    pub member: bool,
    pub all_of_account: bool,
    pub rows: Vec<(Case, Option<String>)>,
    pub next_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/new.html")]
pub struct NewCasePage {
    pub ctx: Ctx,
    pub member: bool,
    pub input: CaseInput,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases/show.html")]
pub struct CasePage {
    pub ctx: Ctx,
    pub case: Case,
    pub raised_by: String,
    pub comments: Vec<(CaseComment, Option<String>)>,
    pub next_href: Option<String>,
    pub body: String,
    pub errors: FormErrors,
}
