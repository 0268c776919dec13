//! A group's members page: count, search, role and access filters, the
//! members by name (or the open invitations), a row menu per person.

use crate::auth::Ctx;
use crate::models::Role;
use crate::services::members::{Listing, MembersView, Show};
use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "groups/members.html")]
pub struct MembersPage {
    pub ctx: Ctx,
    pub view: MembersView,
    /// The list's query, which row forms send back (`back`) so that an
    /// action returns to the same search, filters and page: made once,
    /// not once a row (on a later page it carries the cursor, and making
    /// it for every form was a tenth of the page's time).
    back: String,
}

impl MembersPage {
    pub fn new(ctx: Ctx, view: MembersView) -> Self {
        let back = view.listing.query(true);
        MembersPage { ctx, view, back }
    }
}

/// "2,003": digits in groups of three, as the heading shows counts.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 member", "2,003 members".
pub fn count_of(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

impl MembersPage {
    fn slug(&self) -> &str {
        &self.view.access.group.slug
    }
    pub fn can_manage_members(&self) -> bool {
        self.view.sees_invited
    }
    /// The heading's count: everyone with access, inherited ones too.
    pub fn count_label(&self) -> String {
        count_of(self.view.counts.people, "member", "members")
    }
    /// "2,000 direct, 3 inherited" where the group inherits members.
    pub fn count_detail(&self) -> Option<String> {
        let c = &self.view.counts;
        (c.inherited() > 0).then(|| {
            format!(
                "{} direct, {} inherited",
                thousands(c.direct),
                thousands(c.inherited())
            )
        })
    }
    pub fn invited_label(&self) -> String {
        count_of(
            self.view.counts.invited,
            "open invitation",
            "open invitations",
        )
    }
    /// The access filter's choices with their counts: Inherited only where
    /// a community above gives access, Invited only for member managers.
    pub fn show_options(&self) -> Vec<(Show, String)> {
        let c = &self.view.counts;
        let inherits = self.view.access.ancestors.len() > 1;
        Show::ALL
            .into_iter()
            .filter(|s| match s {
                Show::Inherited => inherits,
                Show::Invited => self.view.sees_invited,
                _ => true,
            })
            .map(|s| {
                let n = match s {
                    Show::Everyone => c.people,
                    Show::Direct => c.direct,
                    Show::Inherited => c.inherited(),
                    Show::Invited => c.invited,
                };
                (s, format!("{} ({})", s.label(), thousands(n)))
            })
            .collect()
    }
    pub fn shows(&self, s: &Show) -> bool {
        self.view.listing.show == *s
    }
    pub fn roles(&self) -> &[Role] {
        &self.view.offered
    }
    pub fn role_chosen(&self, id: &i64) -> bool {
        self.view.listing.role_id == Some(*id)
    }
    pub fn listing(&self) -> &Listing {
        &self.view.listing
    }
    fn url_of(&self, l: &Listing) -> String {
        let q = l.query(true);
        if q.is_empty() {
            format!("/groups/{}/members", self.slug())
        } else {
            format!("/groups/{}/members?{q}", self.slug())
        }
    }
    /// The list without search or filters.
    pub fn plain_url(&self) -> String {
        self.url_of(&Listing::default())
    }
    pub fn invited_url(&self) -> String {
        self.url_of(&Listing {
            show: Show::Invited,
            ..Listing::default()
        })
    }
    /// The next page: same search and filters, after this page's last row.
    pub fn next_url(&self) -> Option<String> {
        let next = self.view.next.as_deref()?;
        let mut l = Listing {
            after: None,
            before: None,
            ..self.view.listing.clone()
        };
        if l.show == Show::Invited {
            l.before = next.parse().ok();
        } else {
            l.after = crate::models::membership::parse_cursor(next);
        }
        Some(self.url_of(&l))
    }
    pub fn back(&self) -> &str {
        &self.back
    }
    /// What an empty list says.
    pub fn empty_text(&self) -> String {
        let l = &self.view.listing;
        let what = match l.show {
            Show::Invited => "open invitations",
            Show::Direct => "direct members",
            Show::Inherited => "inherited members",
            Show::Everyone => "members",
        };
        let role = l
            .role_id
            .and_then(|id| self.view.offered.iter().find(|r| r.id == id))
            .map(|r| format!(" with the role {}", r.name))
            .unwrap_or_default();
        if l.q.is_empty() {
            format!("No {what}{role}.")
        } else {
            format!("No {what}{role} match “{}”.", l.q)
        }
    }
    pub fn is_empty(&self) -> bool {
        self.view.members.is_empty() && self.view.invited.is_empty()
    }
    /// Someone else with a username: a message can be sent to them.
    pub fn messageable(&self, username: &Option<String>, user_id: &i64) -> bool {
        username.is_some() && self.ctx.user.as_ref().is_some_and(|u| u.id != *user_id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(2003), "2,003");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
