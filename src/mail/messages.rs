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

/// What an invitation mail says; also rendered as the preview on the invite page.
pub struct InvitationMail<'a> {
    pub to: &'a str,
    /// The invitee's first name when they have an account.
    pub name: Option<&'a str>,
    pub inviter: &'a str,
    /// One group's name, or several joined ("A, B and C").
    pub groups: &'a str,
    pub role: &'a str,
    pub message: Option<&'a str>,
    /// Registered users go to their inbox, others to the sign-up link.
    pub registered: bool,
    pub link: &'a str,
    pub expires: &'a str,
}

#[derive(Template)]
#[template(path = "email/invitation.txt")]
struct InvitationText<'a> {
    name: Option<&'a str>,
    inviter: &'a str,
    groups: &'a str,
    role: &'a str,
    message: Option<&'a str>,
    registered: bool,
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    name: Option<&'a str>,
    inviter: &'a str,
    groups: &'a str,
    role: &'a str,
    message: Option<&'a str>,
    registered: bool,
    link: &'a str,
    expires: &'a str,
}

pub fn invitation(m: &InvitationMail<'_>) -> askama::Result<OutgoingMail> {
    let text = InvitationText {
        name: m.name,
        inviter: m.inviter,
        groups: m.groups,
        role: m.role,
        message: m.message,
        registered: m.registered,
        link: m.link,
        expires: m.expires,
    }
    .render()?;
    let html = InvitationHtml {
        name: m.name,
        inviter: m.inviter,
        groups: m.groups,
        role: m.role,
        message: m.message,
        registered: m.registered,
        link: m.link,
        expires: m.expires,
    }
    .render()?;
    Ok(OutgoingMail {
        kind: "invitation",
        to: m.to.to_string(),
        // Names can hold anything; lettre encodes the header, and line
        // breaks are dropped here so nothing can start a new header line.
        subject: format!("{} invited you to {}", m.inviter, m.groups).replace(['\r', '\n'], " "),
        text,
        html,
    })
}

/// "A", "A and B", "A, B and C".
pub fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_mail_escapes_html_and_keeps_text() {
        let m = invitation(&InvitationMail {
            to: "dave@example.com",
            name: None,
            inviter: "Alice <b>",
            groups: &join_names(&["Rust", "Go", "Zig"]),
            role: "GroupMember",
            message: Some("Hi <script>x</script>\r\nBcc: evil@example.com"),
            registered: false,
            link: "http://h/join/abc",
            expires: "2026-11-29 10:00",
        })
        .unwrap();
        assert_eq!(m.subject, "Alice <b> invited you to Rust, Go and Zig");
        assert!(m.text.contains("Hi <script>x</script>"));
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("http://h/join/abc"));
    }
}
