//! Mail: rendered from askama templates, queued in the `outbox` table inside
//! the transaction that caused it, and delivered by `worker` through lettre
//! (SMTP, or .eml files under the data dir when no SMTP URL is set).

pub mod messages;
mod transport;
pub mod worker;

pub use transport::{Mailer, SendError};
pub use worker::MailWorker;

use crate::db::DbConn;
use crate::models::outbox::{self, NewMail};
use diesel::QueryResult;
use time::PrimitiveDateTime;

/// A mail ready to queue: recipient, subject and both bodies.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queues `mail`; call it inside the transaction that caused the mail. The
/// Message-ID is fixed here so every delivery attempt carries the same one.
pub fn enqueue(
    conn: &mut DbConn,
    mail: &OutgoingMail,
    now: PrimitiveDateTime,
    host: &str,
) -> QueryResult<i64> {
    let random = crate::auth::tokens::random();
    let message_id = format!(
        "<{}.{}@{}>",
        now.assume_utc().unix_timestamp(),
        random,
        host
    );
    outbox::insert(
        conn,
        &NewMail {
            kind: mail.kind,
            recipient: &mail.to,
            subject: &mail.subject,
            text_body: &mail.text,
            html_body: &mail.html,
            message_id: &message_id,
            status: outbox::Status::Pending,
            next_attempt_at: now,
            created_at: now,
        },
    )
}
