//! The mails Guildhall sends, each a text and an HTML template.

use super::OutgoingMail;
use askama::Template;

#[derive(Template)]
#[template(path = "email/verify_email.txt")]
struct VerifyEmailText<'a> {
    name: &'a str,
    account: &'a str,
    link: &'a str,
    hours: i64,
}

#[derive(Template)]
#[template(path = "email/verify_email.html")]
struct VerifyEmailHtml<'a> {
    name: &'a str,
    account: &'a str,
    link: &'a str,
    hours: i64,
}

/// `account` is the username signed up with: the mail names it, so the
/// owner of an address someone else typed knows not to confirm it.
pub fn verify_email(
    to: &str,
    name: &str,
    account: &str,
    link: &str,
    hours: i64,
) -> askama::Result<OutgoingMail> {
    Ok(OutgoingMail {
        kind: "verify_email",
        to: to.to_string(),
        subject: "Confirm your e-mail address for Guildhall".into(),
        text: VerifyEmailText {
            name,
            account,
            link,
            hours,
        }
        .render()?,
        html: VerifyEmailHtml {
            name,
            account,
            link,
            hours,
        }
        .render()?,
    })
}

/// A mail whose point is one link (password reset, a new address to confirm).
#[derive(Template)]
#[template(path = "email/link.txt")]
struct LinkText<'a> {
    name: &'a str,
    lead: &'a str,
    link: &'a str,
    expiry: &'a str,
    ignore: &'a str,
}

#[derive(Template)]
#[template(path = "email/link.html")]
struct LinkHtml<'a> {
    name: &'a str,
    lead: &'a str,
    action: &'a str,
    link: &'a str,
    expiry: &'a str,
    ignore: &'a str,
}

struct LinkMail<'a> {
    kind: &'static str,
    subject: &'a str,
    lead: &'a str,
    action: &'a str,
    expiry: &'a str,
    ignore: &'a str,
}

fn link_mail(m: LinkMail<'_>, to: &str, name: &str, link: &str) -> askama::Result<OutgoingMail> {
    let (lead, expiry, ignore) = (m.lead, m.expiry, m.ignore);
    Ok(OutgoingMail {
        kind: m.kind,
        to: to.to_string(),
        subject: m.subject.to_string(),
        text: LinkText {
            name,
            lead,
            link,
            expiry,
            ignore,
        }
        .render()?,
        html: LinkHtml {
            name,
            lead,
            action: m.action,
            link,
            expiry,
            ignore,
        }
        .render()?,
    })
}

pub fn password_reset(to: &str, name: &str, link: &str) -> askama::Result<OutgoingMail> {
    link_mail(
        LinkMail {
            kind: "password_reset",
            subject: "Reset your Guildhall password",
            lead: "Someone asked to reset the password of your Guildhall account. Open this link to choose a new one:",
            action: "Choose a new password",
            expiry: "The link works once, for 1 hour.",
            ignore: "If you did not ask for it, ignore this mail: your password stays as it is.",
        },
        to,
        name,
        link,
    )
}

pub fn confirm_new_email(
    to: &str,
    name: &str,
    link: &str,
    hours: i64,
) -> askama::Result<OutgoingMail> {
    let expiry = format!("The link works once, for {hours} hours.");
    link_mail(
        LinkMail {
            kind: "email_change",
            subject: "Confirm your new e-mail address for Guildhall",
            lead: "Open this link to make this address the one of your Guildhall account:",
            action: "Confirm my new e-mail address",
            expiry: &expiry,
            ignore: "If you did not ask for it, ignore this mail: nothing changes.",
        },
        to,
        name,
        link,
    )
}

/// A short notice about a change to the account, mailed so its owner
/// notices a change they did not make.
#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    name: &'a str,
    lines: &'a [String],
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    name: &'a str,
    subject: &'a str,
    lines: &'a [String],
}

fn notice(
    kind: &'static str,
    to: &str,
    name: &str,
    subject: &str,
    lines: &[String],
) -> askama::Result<OutgoingMail> {
    Ok(OutgoingMail {
        kind,
        to: to.to_string(),
        subject: subject.to_string(),
        text: NoticeText { name, lines }.render()?,
        html: NoticeHtml {
            name,
            subject,
            lines,
        }
        .render()?,
    })
}

/// After a reset or a change of the password. `forgot` is the page to get
/// the account back from if it was not them.
pub fn password_changed(
    to: &str,
    name: &str,
    at: &str,
    forgot: &str,
) -> askama::Result<OutgoingMail> {
    notice(
        "password_changed",
        to,
        name,
        "Your Guildhall password was changed",
        &[
            format!(
                "The password of your Guildhall account was changed on {at} UTC, and every other session of your account was logged out."
            ),
            format!("If this was not you, get your account back at once: {forgot}"),
        ],
    )
}

/// To the old address, once a new one is confirmed.
pub fn email_changed(
    to: &str,
    name: &str,
    new_email: &str,
    at: &str,
) -> askama::Result<OutgoingMail> {
    notice(
        "email_changed",
        to,
        name,
        "Your Guildhall e-mail address was changed",
        &[
            format!(
                "The e-mail address of your Guildhall account was changed to {new_email} on {at} UTC. Mail for your account goes there from now on."
            ),
            "If this was not you, contact your site administrator at once.".to_string(),
        ],
    )
}

/// To the address an unconfirmed account had, once the person who receives
/// mail there proved it and took it (the only address the account ever had:
/// its owner, if it was someone else, learns it the next time they try to
/// log in).
pub fn address_released(
    to: &str,
    name: &str,
    username: &str,
    at: &str,
) -> askama::Result<OutgoingMail> {
    notice(
        "address_released",
        to,
        name,
        "An unconfirmed Guildhall account no longer uses this address",
        &[
            format!(
                "The Guildhall account \"{username}\" was registered with this e-mail address, but the address was never confirmed."
            ),
            format!(
                "On {at} UTC someone proved that they receive mail here, by opening an invitation link sent to this address, and signed up with it. \"{username}\" no longer uses this address, and the confirmation links mailed for it no longer work."
            ),
            format!(
                "If \"{username}\" is your account, sign up again with an address where you receive mail."
            ),
        ],
    )
}

/// To an inviter who ticked "Tell me when it is accepted".
pub fn invitation_accepted(
    to: &str,
    name: &str,
    who: &str,
    group: &str,
    at: &str,
    members: &str,
) -> askama::Result<OutgoingMail> {
    notice(
        "invitation_accepted",
        to,
        name,
        &format!("{who} accepted your invitation to {group}").replace(['\r', '\n'], " "),
        &[
            format!("{who} accepted your invitation and joined {group} on {at} UTC."),
            format!("See the members of {group}: {members}"),
        ],
    )
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
    /// The group's description, when the invitation is to one group.
    pub about: Option<&'a str>,
    /// A reminder of an invitation still open (it states the expiry).
    pub reminder: bool,
}

#[derive(Template)]
#[template(path = "email/invitation.txt")]
struct InvitationText<'a> {
    m: &'a InvitationMail<'a>,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a InvitationMail<'a>,
}

pub fn invitation(m: &InvitationMail<'_>) -> askama::Result<OutgoingMail> {
    let text = InvitationText { m }.render()?;
    let html = InvitationHtml { m }.render()?;
    Ok(OutgoingMail {
        kind: "invitation",
        to: m.to.to_string(),
        // Names can hold anything; lettre encodes the header, and line
        // breaks are dropped here so nothing can start a new header line.
        subject: format!(
            "{}{} invited you to {}",
            if m.reminder { "Reminder: " } else { "" },
            m.inviter,
            m.groups
        )
        .replace(['\r', '\n'], " "),
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
            about: Some("Where <em>Rust</em> people meet."),
            reminder: false,
        })
        .unwrap();
        assert_eq!(m.subject, "Alice <b> invited you to Rust, Go and Zig");
        assert!(m.text.contains("Hi <script>x</script>"));
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("http://h/join/abc"));
        // The description goes in, escaped; the link is a button and text.
        assert!(m.text.contains("Where <em>Rust</em> people meet."));
        assert!(m.html.contains("people meet.") && !m.html.contains("<em>"));
        assert_eq!(m.html.matches(r#"href="http://h/join/abc""#).count(), 2);
    }
}
