//! One integration binary: every test runs against SQLite, and against
//! PostgreSQL when GUILDHALL_TEST_POSTGRES_URL is set (CI sets it).

mod helpers;

mod accounts;
mod accounts_admin;
mod browser;
mod browser_email_invitations;
mod browser_invitations;
mod browser_roles;
mod browser_wizard;
mod cli;
mod email_invitations;
mod groups;
mod invitations;
mod mail;
mod messages;
mod queries;
mod roles;
mod schema;
mod security;
mod wizard;
