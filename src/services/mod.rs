//! Use cases, one transaction each. Handlers parse the request, call one of
//! these through `db::run`, and render or redirect.

pub mod api_tokens;
pub mod api_v1;
mod app;
pub mod cases;
pub mod communities;
pub mod company_accounts;
pub mod csv_invites;
pub mod groups;
pub mod invitation_policy;
pub mod invitations;
pub mod invite_reports;
pub mod invite_send;
pub mod join_links;
pub mod link_guesses;
pub mod login;
pub mod manage_users;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod passwords;
pub mod registration;
pub mod revocations;
pub mod roles;
pub mod sessions;
pub mod suggestions;
pub mod webhooks;

pub use app::App;

use crate::error::{AppError, AppResult};
use crate::policy::Denied;

/// Why a use case's transaction stopped: a refusal of the use case's own
/// kind `R`, shown to the user, or a real error. Either rolls it back.
pub(crate) enum Halt<R> {
    Refused(R),
    App(AppError),
}

impl<R> From<diesel::result::Error> for Halt<R> {
    fn from(e: diesel::result::Error) -> Self {
        Halt::App(e.into())
    }
}

impl<R> From<AppError> for Halt<R> {
    fn from(e: AppError) -> Self {
        Halt::App(e)
    }
}

impl<R> From<askama::Error> for Halt<R> {
    fn from(e: askama::Error) -> Self {
        Halt::App(e.into())
    }
}

/// The one refusal of creating something named: its name or address is
/// taken (by the pre-check or, in a race, the unique index).
pub(crate) struct Taken;

/// A rule's refusal: its own page (403 / 404) as an error, any other as
/// the use case's refusal.
impl<R: From<Denied>> From<Denied> for Halt<R> {
    fn from(d: Denied) -> Self {
        if d.is_page() {
            Halt::App(d.into())
        } else {
            Halt::Refused(d.into())
        }
    }
}

/// A use case's end as its caller sees it: Ok(what was done) or Err(why it
/// was refused); a real error stays an error.
pub(crate) fn outcome<D, R>(r: Result<D, Halt<R>>) -> AppResult<Result<D, R>> {
    match r {
        Ok(d) => Ok(Ok(d)),
        Err(Halt::Refused(r)) => Ok(Err(r)),
        Err(Halt::App(e)) => Err(e),
    }
}
