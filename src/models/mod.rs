//! Row structs and the queries on them. Every query takes `&mut DbConn`.

pub mod badges;
pub mod email_verification;
pub mod login_attempt;
pub mod message;
pub mod notification;
pub mod outbox;
pub mod user;

pub use user::User;
