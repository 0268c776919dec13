//! Row structs and the queries on them. Every query takes `&mut DbConn`.

pub mod email_verification;
pub mod login_attempt;
pub mod outbox;
pub mod user;

pub use user::User;
