//! Use cases, one transaction each. Handlers parse the request, call one of
//! these through `db::run`, and render or redirect.

pub mod accounts;
pub mod groups;
pub mod invitations;
pub mod login;
pub mod messages;
pub mod notifications;
