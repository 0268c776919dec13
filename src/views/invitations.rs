//! The invitee's side: the inbox and a link's page (templates/invitations/).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "invitations/inbox.html")]
pub struct InvitationInboxPage {
    pub ctx: Ctx,
    pub rows: Vec<InvitationInboxRow>,
    /// Every open invitation of the visitor, this page's and the others.
    pub total: i64,
    /// Set on a later page: how many newer ones came before it.
    pub older_page: bool,
    /// The `before` of the next (older) page.
    pub next_before: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "invitations/join.html")]
pub struct JoinPage {
    pub ctx: Ctx,
    pub token: String,
    /// `None`: a link replaced by a newer one.
    pub view: Option<LinkView>,
    /// The logged-in user is the one the invitation was sent to.
    pub addressed_to_me: bool,
}

/// `/links/{token}`: a multi-use join link as whoever opens it sees it.
#[derive(Template, WebTemplate)]
#[template(path = "invitations/join_link.html")]
pub struct JoinLinkPage {
    pub ctx: Ctx,
    pub token: String,
    pub view: crate::services::join_links::LinkView,
}

impl JoinLinkPage {
    pub fn is_active(&self) -> bool {
        self.view.state == crate::models::join_link::LinkState::Active
    }
}
