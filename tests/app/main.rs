//! One integration binary: every test runs against SQLite, and against
//! PostgreSQL when GUILDHALL_TEST_POSTGRES_URL is set (CI sets it).

mod helpers;

mod accounts;
mod accounts_admin;
mod audit;
mod browser;
mod browser_admin;
mod browser_bulk_invite;
mod browser_communities;
mod browser_email_invitations;
mod browser_invitation_list;
mod browser_invitations;
mod browser_passwords;
mod browser_roles;
mod browser_sessions;
mod browser_squat;
mod browser_wizard;
mod cli;
mod communities;
mod crawl;
mod email_invitations;
mod fuzz;
mod groups;
mod head;
mod hostile;
mod invitation_list;
mod invitations;
mod layers;
mod mail;
mod members;
mod messages;
mod notifications_clear;
mod passwords;
mod policy;
mod queries;
mod races;
mod reads;
mod roles;
mod schema;
mod security;
mod seed;
mod sessions;
mod squat;
mod wizard;
mod writer;
