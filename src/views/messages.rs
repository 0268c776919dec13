//! Private messages (templates/messages/).

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "messages/inbox.html")]
pub struct InboxPage {
    pub ctx: Ctx,
    pub rows: Vec<InboxRow>,
    pub next: Option<InboxCursor>,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages/conversation.html")]
pub struct ConversationPage {
    pub ctx: Ctx,
    pub view: ConversationView,
    pub reply_body: String,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages/new.html")]
pub struct ComposePage {
    pub ctx: Ctx,
    pub input: ComposeInput,
    pub errors: FormErrors,
}
