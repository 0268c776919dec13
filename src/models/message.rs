//! Conversations, their members and messages.

use crate::db::DbConn;
use crate::db::schema::{conversation_members, conversations, messages, users};
use crate::models::notification::NewNotification;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// Who a message or a conversation is with: `None` is the system.
#[derive(Debug, Clone, Queryable)]
pub struct Party {
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: String,
}

impl Party {
    /// How the other side is named on pages: the username, or the site for
    /// the system.
    pub fn label(p: &Option<Party>) -> &str {
        match p {
            Some(p) => p.username.as_deref().unwrap_or(&p.first_name),
            None => "Guildhall",
        }
    }
}

/// One line of the inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub conversation_id: i64,
    pub subject: String,
    pub last_message_at: PrimitiveDateTime,
    pub last_message_id: i64,
    pub unread: bool,
    pub other: Option<Party>,
}

impl InboxRow {
    pub fn other_label(&self) -> &str {
        Party::label(&self.other)
    }
}

/// Where a page of the inbox starts: after this (unread, last_message_id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    pub unread: bool,
    pub last_message_id: i64,
}

impl InboxCursor {
    pub const START: Self = Self {
        unread: true,
        last_message_id: i64::MAX,
    };
}

fn party_columns() -> (users::username, users::first_name, users::last_name) {
    (users::username, users::first_name, users::last_name)
}

/// A page of `user_id`'s conversations, unread first, then newest; one query.
pub fn inbox(
    conn: &mut DbConn,
    user_id: i64,
    after: InboxCursor,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    // Keyset on (unread DESC, last_message_id DESC), served by the index
    // conversation_members_inbox; false < true on both backends.
    let rows: Vec<(i64, String, PrimitiveDateTime, i64, bool, Option<Party>)> =
        conversation_members::table
            .inner_join(conversations::table)
            .left_join(
                users::table.on(users::id.nullable().eq(conversation_members::other_user_id)),
            )
            .filter(conversation_members::user_id.eq(user_id))
            .filter(
                conversation_members::unread
                    .lt(after.unread)
                    .or(conversation_members::unread
                        .eq(after.unread)
                        .and(conversation_members::last_message_id.lt(after.last_message_id))),
            )
            .order((
                conversation_members::unread.desc(),
                conversation_members::last_message_id.desc(),
            ))
            .limit(limit)
            .select((
                conversations::id,
                conversations::subject,
                conversations::last_message_at,
                conversation_members::last_message_id,
                conversation_members::unread,
                party_columns().nullable(),
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, subject, at, last_id, unread, other)| InboxRow {
            conversation_id: id,
            subject,
            last_message_at: at,
            last_message_id: last_id,
            unread,
            other,
        })
        .collect())
}

/// How many conversations of `user_id` have unread messages.
pub fn unread_count(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    conversation_members::table
        .filter(conversation_members::user_id.eq(user_id))
        .filter(conversation_members::unread.eq(true))
        .count()
        .get_result(conn)
}

/// A conversation as one member sees it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub conversation_id: i64,
    pub subject: String,
    pub unread: bool,
    pub last_message_id: i64,
    pub other_user_id: Option<i64>,
    pub other: Option<Party>,
}

impl Membership {
    pub fn other_label(&self) -> &str {
        Party::label(&self.other)
    }
}

/// The conversation if `user_id` is in it; `None` otherwise (nobody learns
/// whether a conversation they are not part of exists).
pub fn membership(
    conn: &mut DbConn,
    conversation_id: i64,
    user_id: i64,
) -> QueryResult<Option<Membership>> {
    type Row = (i64, String, bool, i64, Option<i64>, Option<Party>);
    let row: Option<Row> = conversation_members::table
        .inner_join(conversations::table)
        .left_join(users::table.on(users::id.nullable().eq(conversation_members::other_user_id)))
        .filter(conversation_members::conversation_id.eq(conversation_id))
        .filter(conversation_members::user_id.eq(user_id))
        .select((
            conversations::id,
            conversations::subject,
            conversation_members::unread,
            conversation_members::last_message_id,
            conversation_members::other_user_id,
            party_columns().nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(conversation_id, subject, unread, last_message_id, other_user_id, other)| Membership {
            conversation_id,
            subject,
            unread,
            last_message_id,
            other_user_id,
            other,
        },
    ))
}

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub sender_id: Option<i64>,
    pub sender: Option<Party>,
    pub body: String,
    pub kind: Option<String>,
    pub ref_id: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

impl MessageRow {
    pub fn sender_label(&self) -> &str {
        Party::label(&self.sender)
    }
}

/// The latest `limit` messages before `before_id`, returned oldest first.
pub fn messages_page(
    conn: &mut DbConn,
    conversation_id: i64,
    before_id: i64,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    type Row = (
        i64,
        Option<i64>,
        Option<Party>,
        String,
        Option<String>,
        Option<i64>,
        PrimitiveDateTime,
    );
    let rows: Vec<Row> = messages::table
        .left_join(users::table.on(users::id.nullable().eq(messages::sender_id)))
        .filter(messages::conversation_id.eq(conversation_id))
        .filter(messages::id.lt(before_id))
        .order(messages::id.desc())
        .limit(limit)
        .select((
            messages::id,
            messages::sender_id,
            party_columns().nullable(),
            messages::body,
            messages::kind,
            messages::ref_id,
            messages::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .rev()
        .map(
            |(id, sender_id, sender, body, kind, ref_id, created_at)| MessageRow {
                id,
                sender_id,
                sender,
                body,
                kind,
                ref_id,
                created_at,
            },
        )
        .collect())
}

/// The PostgreSQL statement that starts a conversation: the conversation,
/// its first message and a member row for each, as a data-modifying
/// `WITH` (each value bound once, in `p`; members: the recipient, unread,
/// then the sender, if any). The statements below end it.
#[cfg(feature = "postgres")]
macro_rules! conversation_with {
    () => {
        "WITH p AS (SELECT ?::text AS subject, ?::timestamp AS t, ?::bigint AS sender, \
            ?::text AS body, ?::text AS kind, ?::bigint AS ref_id, ?::bigint AS recipient), \
         c AS (INSERT INTO conversations (subject, created_at, last_message_at) \
            SELECT subject, t, t FROM p RETURNING id), \
         m AS (INSERT INTO messages (conversation_id, sender_id, body, kind, ref_id, created_at) \
            SELECT c.id, p.sender, p.body, p.kind, p.ref_id, p.t FROM c, p \
            RETURNING id, conversation_id), \
         cm AS (INSERT INTO conversation_members \
            (conversation_id, user_id, other_user_id, unread, last_message_id, last_read_at, created_at) \
            SELECT m.conversation_id, p.recipient, p.sender, TRUE, m.id, NULL, p.t FROM m, p \
            UNION ALL \
            SELECT m.conversation_id, p.sender, p.recipient, FALSE, m.id, p.t, p.t FROM m, p \
                WHERE p.sender IS NOT NULL)"
    };
}

/// A new conversation of `first` (its sender, if any, and `recipient`):
/// the conversation, its first message and a member row for each, unread
/// for the recipient. Returns the conversation's id. On PostgreSQL one
/// statement (a data-modifying WITH), on SQLite, which has none, four.
pub fn start_conversation(
    conn: &mut DbConn,
    subject: &str,
    first: &NewMessage<'_>,
    recipient: i64,
) -> QueryResult<i64> {
    start_conversation_noting(conn, subject, first, recipient, None)
}

/// `start_conversation`, and `note` (a notification, such as the one
/// announcing what the message is about) written with it: on PostgreSQL
/// in the same statement, one round trip fewer for each invitation.
pub fn start_conversation_noting(
    conn: &mut DbConn,
    subject: &str,
    first: &NewMessage<'_>,
    recipient: i64,
    note: Option<&NewNotification<'_>>,
) -> QueryResult<i64> {
    let now = first.created_at;
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use crate::db::{IdRow, Sql};
        use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
        let (a, b, c, d, e, f, g) = (
            subject.into_sql::<Text>(),
            now.into_sql::<Timestamp>(),
            first.sender_id.into_sql::<Nullable<BigInt>>(),
            first.body.into_sql::<Text>(),
            first.kind.into_sql::<Nullable<Text>>(),
            first.ref_id.into_sql::<Nullable<BigInt>>(),
            recipient.into_sql::<BigInt>(),
        );
        let row: IdRow = match note {
            None => Sql::new(
                concat!(conversation_with!(), " SELECT id FROM c"),
                (a, b, c, d, e, f, g),
            )
            .get_result(pg)?,
            // The notification's six values go in as one bind, written
            // as their comma list.
            Some(n) => Sql::new(
                concat!(
                    conversation_with!(),
                    ", n AS (INSERT INTO notifications \
                        (user_id, kind, text, link_path, created_at, ref_id) VALUES (?)) \
                     SELECT id FROM c"
                ),
                (
                    a,
                    b,
                    c,
                    d,
                    e,
                    f,
                    g,
                    (
                        n.user_id.into_sql::<BigInt>(),
                        n.kind.into_sql::<Text>(),
                        n.text.into_sql::<Text>(),
                        n.link_path.into_sql::<Nullable<Text>>(),
                        n.created_at.into_sql::<Timestamp>(),
                        n.ref_id.into_sql::<Nullable<BigInt>>(),
                    ),
                ),
            )
            .get_result(pg)?,
        };
        return Ok(row.id);
    }
    let conversation_id = insert_conversation(conn, subject, now)?;
    let message_id = insert_message(
        conn,
        &NewMessage {
            conversation_id,
            ..*first
        },
    )?;
    let member = |user_id, other_user_id, unread, last_read_at| NewMember {
        conversation_id,
        user_id,
        other_user_id,
        unread,
        last_message_id: message_id,
        last_read_at,
        created_at: now,
    };
    let to = member(recipient, first.sender_id, true, None);
    match first.sender_id {
        // Both rows in one statement (an array's insert stays prepared).
        Some(sender) => {
            let rows = [to, member(sender, Some(recipient), false, Some(now))];
            let q = diesel::insert_into(conversation_members::table).values(&rows);
            crate::native!(conn, |c| q.execute(c))?;
        }
        None => {
            insert_member(conn, &to)?;
        }
    }
    if let Some(n) = note {
        crate::models::notification::insert(conn, n)?;
    }
    Ok(conversation_id)
}

pub fn insert_conversation(
    conn: &mut DbConn,
    subject: &str,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    let q = diesel::insert_into(conversations::table)
        .values((
            conversations::subject.eq(subject),
            conversations::created_at.eq(now),
            conversations::last_message_at.eq(now),
        ))
        .returning(conversations::id);
    crate::native!(conn, |c| q.get_result(c))
}

#[derive(Debug, Insertable)]
#[diesel(table_name = conversation_members, treat_none_as_default_value = false)]
pub struct NewMember {
    pub conversation_id: i64,
    pub user_id: i64,
    pub other_user_id: Option<i64>,
    pub unread: bool,
    pub last_message_id: i64,
    pub last_read_at: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
}

pub fn insert_member(conn: &mut DbConn, new: &NewMember) -> QueryResult<usize> {
    let q = diesel::insert_into(conversation_members::table).values(new);
    crate::native!(conn, |c| q.execute(c))
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub sender_id: Option<i64>,
    pub body: &'a str,
    pub kind: Option<&'a str>,
    pub ref_id: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

pub fn insert_message(conn: &mut DbConn, new: &NewMessage<'_>) -> QueryResult<i64> {
    let q = diesel::insert_into(messages::table)
        .values(new)
        .returning(messages::id);
    crate::native!(conn, |c| q.get_result(c))
}

/// After a new message: the conversation's time, every member's sort key,
/// unread for everyone but the sender.
pub fn touch_after_message(
    conn: &mut DbConn,
    conversation_id: i64,
    message_id: i64,
    sender_id: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(conversations::table.find(conversation_id))
        .set(conversations::last_message_at.eq(now))
        .execute(conn)?;
    let members = conversation_members::table
        .filter(conversation_members::conversation_id.eq(conversation_id));
    match sender_id {
        Some(sender) => {
            diesel::update(members.filter(conversation_members::user_id.ne(sender)))
                .set((
                    conversation_members::unread.eq(true),
                    conversation_members::last_message_id.eq(message_id),
                ))
                .execute(conn)?;
            diesel::update(members.filter(conversation_members::user_id.eq(sender)))
                .set((
                    conversation_members::unread.eq(false),
                    conversation_members::last_message_id.eq(message_id),
                    conversation_members::last_read_at.eq(now),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::update(members)
                .set((
                    conversation_members::unread.eq(true),
                    conversation_members::last_message_id.eq(message_id),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Marks the conversation read for `user_id` up to `seen_message_id`: a
/// message that arrived after the page was loaded stays unread.
pub fn mark_read(
    conn: &mut DbConn,
    conversation_id: i64,
    user_id: i64,
    seen_message_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation_id))
            .filter(conversation_members::user_id.eq(user_id))
            .filter(conversation_members::unread.eq(true))
            .filter(conversation_members::last_message_id.le(seen_message_id)),
    )
    .set((
        conversation_members::unread.eq(false),
        conversation_members::last_read_at.eq(now),
    ))
    .execute(conn)
}

/// Marks read `user_id`'s conversations whose latest message announces
/// the invitation `ref_id` (answered: nothing new is left in them). A
/// conversation with a newer message stays unread.
pub fn mark_read_announcing(
    conn: &mut DbConn,
    user_id: i64,
    ref_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Bool, Timestamp};
    // Constant text, so it stays prepared (diesel's UPDATE would not).
    let q = crate::db::Sql::new(
        "UPDATE conversation_members SET unread = ?, last_read_at = ? \
         WHERE user_id = ? AND unread = ? AND last_message_id IN \
         (SELECT id FROM messages WHERE kind = 'invitation' AND ref_id = ?)",
        (
            false.into_sql::<Bool>(),
            now.into_sql::<Timestamp>(),
            user_id.into_sql::<BigInt>(),
            true.into_sql::<Bool>(),
            ref_id.into_sql::<BigInt>(),
        ),
    );
    crate::native!(conn, |c| q.execute(c))
}
