use crate::models::outbox::OutboxMail;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// Where mail goes: an SMTP server, or .eml files for a machine with none.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Debug)]
pub struct SendError {
    /// A permanent failure is not retried (bad address, 5xx answer).
    pub permanent: bool,
    pub reason: String,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, mail_dir: PathBuf) -> Result<Self, String> {
        match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("GUILDHALL_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&mail_dir)
                    .map_err(|e| format!("cannot create {}: {e}", mail_dir.display()))?;
                Ok(Self::Files(AsyncFileTransport::new(mail_dir)))
            }
        }
    }

    pub async fn send(&self, from: &Mailbox, mail: &OutboxMail) -> Result<(), SendError> {
        let permanent = |reason: String| SendError {
            permanent: true,
            reason,
        };
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| permanent(format!("bad recipient address: {e}")))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .message_id(Some(mail.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
        match self {
            Self::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                reason: e.to_string(),
            }),
            Self::Files(t) => t.send(message).await.map(|_| ()).map_err(|e| SendError {
                permanent: false,
                reason: e.to_string(),
            }),
        }
    }
}
