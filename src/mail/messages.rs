//! The mails Guildhall sends, each a text and an HTML template.

use super::OutgoingMail;
use askama::Template;

#[derive(Template)]
#[template(path = "email/verify_email.txt")]
struct VerifyEmailText<'a> {
    name: &'a str,
    link: &'a str,
    hours: i64,
}

#[derive(Template)]
#[template(path = "email/verify_email.html")]
struct VerifyEmailHtml<'a> {
    name: &'a str,
    link: &'a str,
    hours: i64,
}

pub fn verify_email(to: &str, name: &str, link: &str, hours: i64) -> askama::Result<OutgoingMail> {
    Ok(OutgoingMail {
        kind: "verify_email",
        to: to.to_string(),
        subject: "Confirm your e-mail address for Guildhall".into(),
        text: VerifyEmailText { name, link, hours }.render()?,
        html: VerifyEmailHtml { name, link, hours }.render()?,
    })
}
