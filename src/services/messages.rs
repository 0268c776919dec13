//! Private messages: compose, reply, read, the inbox, and `send_message` for
//! other use cases (an invitation arrives with a message).

use crate::db::{self, DbConn};
use crate::domain::{FormErrors, MessageBody, Subject};
use crate::error::{AppError, AppResult};
use crate::models::message::{self, InboxCursor, InboxRow, Membership, MessageRow, NewMessage};
use crate::models::notification::NewNotification;
use crate::models::user;
use serde::Deserialize;
use time::PrimitiveDateTime;

/// Conversations per inbox page.
pub const INBOX_PAGE: crate::db::PageSize = crate::db::PageSize(25);
/// Messages shown at once in a conversation; older ones are a link away.
pub const CONVERSATION_PAGE: i64 = 50;

/// A structured attachment to a message, e.g. `kind = "invitation"` and the
/// invitation's id, so the conversation page can offer actions beside it.
#[derive(Debug, Clone, Copy)]
pub struct MessageRef<'a> {
    pub kind: &'a str,
    pub ref_id: i64,
    /// The recipient is also notified of it (a notification of the same
    /// kind and `ref_id`, saying `text` and linking to `link_path`).
    pub note: Option<RefNote<'a>>,
}

/// What the notification that comes with a [`MessageRef`] says.
#[derive(Debug, Clone, Copy)]
pub struct RefNote<'a> {
    pub text: &'a str,
    pub link_path: &'a str,
}

/// Starts a conversation from `sender` (`None`: the system) to `recipient_id`
/// with one message; returns the conversation id. Runs in the caller's
/// transaction: call it inside `db::write_tx` (see `send_message_tx`).
/// Subject and body must obey `Subject` / `MessageBody` (a caller's bug otherwise).
pub fn send_message(
    conn: &mut DbConn,
    sender: Option<i64>,
    recipient_id: i64,
    subject: &str,
    body: &str,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    send_message_with_ref(conn, sender, recipient_id, subject, body, None, now)
}

/// `send_message` with a structured attachment (`messages.kind`,
/// `messages.ref_id`), and the notification that announces it, if any.
pub fn send_message_with_ref(
    conn: &mut DbConn,
    sender: Option<i64>,
    recipient_id: i64,
    subject: &str,
    body: &str,
    attachment: Option<MessageRef<'_>>,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let subject = Subject::parse(subject).map_err(AppError::bad_request)?;
    let body = MessageBody::parse(body).map_err(AppError::bad_request)?;
    if sender == Some(recipient_id) {
        return Err(AppError::bad_request(
            "A message needs two different people.",
        ));
    }
    let first = NewMessage {
        conversation_id: 0, // given by `start_conversation`
        sender_id: sender,
        body: body.as_str(),
        kind: attachment.map(|a| a.kind),
        ref_id: attachment.map(|a| a.ref_id),
        created_at: now,
    };
    let note = match attachment {
        Some(MessageRef {
            kind,
            ref_id,
            note: Some(n),
        }) => {
            crate::services::notifications::check_link(Some(n.link_path))?;
            Some(NewNotification {
                user_id: recipient_id,
                kind,
                text: n.text,
                link_path: Some(n.link_path),
                created_at: now,
                ref_id: Some(ref_id),
            })
        }
        _ => None,
    };
    let conversation_id = message::start_conversation_noting(
        conn,
        subject.as_str(),
        &first,
        recipient_id,
        note.as_ref(),
    )?;
    Ok(conversation_id)
}

/// `send_message` in its own write transaction, for a caller that has none.
pub fn send_message_tx(
    conn: &mut DbConn,
    sender: Option<i64>,
    recipient_id: i64,
    subject: &str,
    body: &str,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    db::write_tx(conn, |conn| {
        send_message(conn, sender, recipient_id, subject, body, now)
    })
}

/// The compose form as typed; kept to show it again with the errors.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ComposeInput {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
}

const NO_SUCH_USER: &str = "There is no active user with this username.";

/// Sends the compose form of `sender_id`: the new conversation's id, or the
/// form's errors (and nothing written).
pub fn compose(
    conn: &mut DbConn,
    sender_id: i64,
    input: &ComposeInput,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, FormErrors>> {
    let mut e = FormErrors::default();
    let to = input.to.trim().trim_start_matches('@');
    if to.is_empty() {
        e.add("to", "Enter the username of the recipient.");
    }
    let subject = e.check("subject", Subject::parse(&input.subject));
    let body = e.check("body", MessageBody::parse(&input.body));
    db::write_tx(conn, |conn| {
        let recipient = if to.is_empty() {
            None
        } else {
            match user::find_active_by_username(conn, to)? {
                Some(u) if u.id == sender_id => {
                    e.add("to", "You cannot send a message to yourself.");
                    None
                }
                Some(u) => Some(u),
                None => {
                    e.add("to", NO_SUCH_USER);
                    None
                }
            }
        };
        match (recipient, subject, body) {
            (Some(r), Some(s), Some(b)) if e.is_empty() => Ok(Ok(send_message(
                conn,
                Some(sender_id),
                r.id,
                s.as_str(),
                b.as_str(),
                now,
            )?)),
            _ => Ok(Err(e)),
        }
    })
}

/// Adds `user_id`'s reply to a conversation. Not a member: not found.
pub fn reply(
    conn: &mut DbConn,
    user_id: i64,
    conversation_id: i64,
    body: &str,
    now: PrimitiveDateTime,
) -> AppResult<Result<(), FormErrors>> {
    let mut e = FormErrors::default();
    let body = e.check("body", MessageBody::parse(body));
    db::write_tx(conn, |conn| {
        let m =
            message::membership(conn, conversation_id, user_id)?.ok_or_else(AppError::not_found)?;
        if m.other_user_id.is_none() {
            e.add("body", "Messages from Guildhall cannot be answered.");
        }
        let Some(body) = body.filter(|_| e.is_empty()) else {
            return Ok(Err(e));
        };
        let message_id = message::insert_message(
            conn,
            &NewMessage {
                conversation_id,
                sender_id: Some(user_id),
                body: body.as_str(),
                kind: None,
                ref_id: None,
                created_at: now,
            },
        )?;
        message::touch_after_message(conn, conversation_id, message_id, Some(user_id), now)?;
        Ok(Ok(()))
    })
}

/// A page of the inbox and where the next one starts.
pub fn inbox(
    conn: &mut DbConn,
    user_id: i64,
    after: InboxCursor,
) -> AppResult<(Vec<InboxRow>, Option<InboxCursor>)> {
    let mut rows = message::inbox(conn, user_id, after, INBOX_PAGE.fetch())?;
    let next = INBOX_PAGE.next(&mut rows, |r| InboxCursor {
        unread: r.unread,
        last_message_id: r.last_message_id,
    });
    Ok((rows, next))
}

pub struct ConversationView {
    pub membership: Membership,
    /// Oldest first.
    pub messages: Vec<MessageRow>,
    /// Set when older messages exist: the `before` of the previous page.
    pub earlier: Option<i64>,
}

/// Opens a conversation of `user_id` (not a member: not found) and, if
/// `mark_read`, marks what it shows read. `before` pages back to older messages.
pub fn open_conversation(
    conn: &mut DbConn,
    user_id: i64,
    conversation_id: i64,
    before: Option<i64>,
    mark_read: bool,
    now: PrimitiveDateTime,
) -> AppResult<ConversationView> {
    let membership =
        message::membership(conn, conversation_id, user_id)?.ok_or_else(AppError::not_found)?;
    let mut messages = message::messages_page(
        conn,
        conversation_id,
        before.unwrap_or(i64::MAX),
        CONVERSATION_PAGE + 1,
    )?;
    let earlier = if messages.len() as i64 > CONVERSATION_PAGE {
        messages.remove(0);
        messages.first().map(|m| m.id)
    } else {
        None
    };
    if membership.unread && mark_read {
        // Only up to the newest message this page has seen.
        message::mark_read(
            conn,
            conversation_id,
            user_id,
            membership.last_message_id,
            now,
        )?;
    }
    Ok(ConversationView {
        membership,
        messages,
        earlier,
    })
}

/// Private messages as handlers call them.
impl super::App {
    /// Starts a conversation: its id, or the form's errors.
    pub async fn send_message(
        &self,
        sender: i64,
        input: ComposeInput,
    ) -> AppResult<Result<i64, FormErrors>> {
        self.on_pool(move |c, now| compose(c, sender, &input, now))
            .await
    }

    /// A conversation as its participant reads it (marking it read when
    /// they do).
    pub async fn open_conversation(
        &self,
        user: i64,
        conversation: i64,
        before: Option<i64>,
        mark_read: bool,
    ) -> AppResult<ConversationView> {
        self.on_pool(move |c, now| open_conversation(c, user, conversation, before, mark_read, now))
            .await
    }

    /// Replies; refused, the conversation to show again with the errors.
    pub async fn reply(
        &self,
        user: i64,
        conversation: i64,
        body: String,
    ) -> AppResult<Result<(), (FormErrors, ConversationView)>> {
        self.on_pool(
            move |c, now| match reply(c, user, conversation, &body, now)? {
                Ok(()) => Ok(Ok(())),
                Err(errors) => {
                    let view = open_conversation(c, user, conversation, None, true, now)?;
                    Ok(Err((errors, view)))
                }
            },
        )
        .await
    }
}
