//! Askama page structs, one per template, in a file per templates/ folder;
//! what several pages use (times, avatars) is here.

mod account;
mod admin;
mod audit;
mod auth;
mod cases;
pub mod confirm;
mod groups;
mod invitations;
pub mod members;
mod messages;
mod notifications;
pub mod timeline;
pub mod tree;
pub use account::*;
pub use admin::*;
pub use audit::*;
pub use auth::*;
pub use cases::*;
pub use confirm::{ConfirmPage, InvitationChange};
pub use groups::*;
pub use invitations::*;
pub use members::MembersPage;
pub use messages::*;
pub use notifications::*;

use crate::auth::Ctx;
use crate::domain::{
    AccountKind, Audience, FormErrors, InvitationStatus, JoinMethod, MailStatus, Permission,
    UserStatus,
};
use crate::models::audit::AuditRow;
use crate::models::case::{Case, CaseComment};
use crate::models::company_account::CompanyAccount;
use crate::models::group::{DirectoryEntry, Standing};
use crate::models::invitation::{GroupRow as InvitationRow, InboxRow as InvitationInboxRow};
use crate::models::message::{InboxCursor, InboxRow};
use crate::models::notification::Notification;
use crate::models::{Group, Role, User};
use crate::policy::GroupAccess;
use crate::services::cases::CaseInput;
use crate::services::company_accounts::AccountInput;
use crate::services::groups::GroupInput;
use crate::services::invitations::{InviteInput, LinkView};
use crate::services::messages::{ComposeInput, ConversationView};
use crate::services::passwords::LinkState;
use crate::services::registration::SignupInput;
use crate::services::roles::{RoleInput, RoleLine};
use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: Ctx,
    pub needs_setup: bool,
    /// Up to 10 of the viewer's groups, by name.
    pub my_groups: Vec<crate::models::group::Reached>,
    /// Up to 5 of the viewer's open invitations, newest first.
    pub pending: Vec<InvitationInboxRow>,
}

/// A page with a heading and one paragraph.
#[derive(Template, WebTemplate)]
#[template(path = "simple.html")]
pub struct SimplePage {
    pub ctx: Ctx,
    pub title: &'static str,
    pub text: &'static str,
}

/// How pages show a time (UTC): "2026-11-30 14:05 UTC". Written straight
/// into the page: digits into a fixed buffer (no format description to
/// interpret, no String, no padding logic), and not passed through the HTML
/// escaper, since it holds only digits, '-', ':', ' ' and "UTC".
pub fn when(t: &time::PrimitiveDateTime) -> When {
    When(*t)
}

pub struct When(time::PrimitiveDateTime);

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        stamp(f, self.0, *b"0000-00-00 00:00 UTC")
    }
}

/// Writes `t` into `layout` ("YYYY-MM-DD?HH:MM", then ":SS" when the
/// layout has it) by hand: pages show many times, and the `time` crate's
/// format descriptions showed in the Sent invitations page's profile.
fn stamp<const N: usize>(
    f: &mut std::fmt::Formatter<'_>,
    t: time::PrimitiveDateTime,
    mut layout: [u8; N],
) -> std::fmt::Result {
    let with_seconds = N >= 19 && layout[16] == b':';
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            layout[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    // Years outside 0..=9999 never reach a page (stamps are validated
    // dates of this era); clamp rather than print a wrong digit count.
    put(0, 4, t.year().clamp(0, 9999) as u32);
    put(5, 2, u8::from(t.month()).into());
    put(8, 2, t.day().into());
    put(11, 2, t.hour().into());
    put(14, 2, t.minute().into());
    if with_seconds {
        put(17, 2, t.second().into());
    }
    // Only ASCII digits and the layout's own ASCII were written.
    f.write_str(std::str::from_utf8(&layout).map_err(|_| std::fmt::Error)?)
}

/// The `datetime` attribute of `<time>`: "2026-11-30T14:05:09Z".
pub struct Iso(time::PrimitiveDateTime);

impl std::fmt::Display for Iso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        stamp(f, self.0, *b"0000-00-00T00:00:00Z")
    }
}

impl askama::filters::HtmlSafe for Iso {}

impl askama::filters::HtmlSafe for When {}

/// Two letters for an initials avatar: "Bob Tester" → "BT".
pub fn initials(first: &str, last: &str) -> String {
    first
        .chars()
        .next()
        .into_iter()
        .chain(last.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

/// One of eight avatar colours (CSS `avatar-0` … `avatar-7`), the same
/// for the same name on every page.
pub fn avatar_hue(first: &str, last: &str) -> u32 {
    first
        .bytes()
        .chain(last.bytes())
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 8
}

/// "3 hours ago", "in 6 days", shown with the exact time in its `title`.
pub fn relative(t: &time::PrimitiveDateTime, now: &time::PrimitiveDateTime) -> Relative {
    Relative { at: *t, now: *now }
}

pub struct Relative {
    at: time::PrimitiveDateTime,
    now: time::PrimitiveDateTime,
}

impl Relative {
    pub fn exact(&self) -> When {
        When(self.at)
    }
    /// The `datetime` attribute of `<time>`.
    pub fn iso(&self) -> Iso {
        Iso(self.at)
    }
}

impl std::fmt::Display for Relative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.at - self.now;
        let future = d.is_positive();
        let secs = d.whole_seconds().unsigned_abs();
        // Rounded to the nearest unit: a link sent a minute ago "expires in 7 days".
        let (size, unit) = match secs {
            0..60 => return f.write_str(if future { "in a moment" } else { "just now" }),
            60..3600 => (60, "minute"),
            3600..86_400 => (3600, "hour"),
            86_400..2_592_000 => (86_400, "day"),
            2_592_000..31_536_000 => (2_592_000, "month"),
            _ => (31_536_000, "year"),
        };
        let n = (secs + size / 2) / size;
        let s = if n == 1 { "" } else { "s" };
        if future {
            write!(f, "in {n} {unit}{s}")
        } else {
            write!(f, "{n} {unit}{s} ago")
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_show_to_the_minute_in_utc() {
        let t = time::macros::datetime!(2026-01-05 03:07:59);
        assert_eq!(super::when(&t).to_string(), "2026-01-05 03:07 UTC");
        let t = time::macros::datetime!(0999-12-31 23:59:00);
        assert_eq!(super::when(&t).to_string(), "0999-12-31 23:59 UTC");
        let now = time::macros::datetime!(2026-01-06 00:00:00);
        let r = super::relative(&time::macros::datetime!(2026-01-05 03:07:09), &now);
        assert_eq!(r.iso().to_string(), "2026-01-05T03:07:09Z");
    }
}
