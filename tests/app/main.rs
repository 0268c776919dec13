//! One integration binary: every test runs against SQLite, and against
//! PostgreSQL when GUILDHALL_TEST_POSTGRES_URL is set (CI sets it).

mod helpers;

mod accounts;
mod browser;
mod cli;
mod groups;
mod mail;
mod messages;
mod queries;
mod schema;
mod security;
