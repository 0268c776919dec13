//! Use cases, one transaction each. Handlers parse the request, call one of
//! these through `db::run`, and render or redirect.

pub mod account_users;
pub mod accounts;
pub mod add_user;
pub mod cases;
pub mod communities;
pub mod company_accounts;
pub mod groups;
pub mod invitations;
pub mod login;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod roles;
