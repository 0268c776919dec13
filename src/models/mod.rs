//! Row structs and the queries on them. Every query takes `&mut DbConn`.

pub mod account_link;
pub mod api_token;
pub mod audit;
pub mod badges;
pub mod case;
pub mod company_account;
pub mod csv_import;
pub mod email_verification;
pub mod group;
pub mod group_tree;
pub mod invitation;
pub mod invitation_policy;
pub mod invite_report;
pub mod join_link;
pub mod join_request;
pub mod membership;
pub mod message;
pub mod notification;
pub mod outbox;
pub mod rate_limit;
pub mod role;
pub mod send_count;
pub mod session;
pub mod suggestion;
pub mod user;
pub mod webhook;

pub use group::Group;
pub use membership::Membership;
pub use role::Role;
pub use user::User;
