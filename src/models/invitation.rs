//! Invitations and their events.

use crate::db::schema::{
    audit_events, groups, invitation_events as ev, invitations as inv,
    retired_invitation_links as retired, roles, users,
};
use crate::db::{DbConn, IdRow, Sql};
use crate::domain::InvitationStatus;
use crate::native;
use diesel::prelude::*;
use time::PrimitiveDateTime;

diesel::alias!(users as inviters: InvitersAlias, users as invitees: InviteesAlias);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inv)]
pub struct Invitation {
    pub id: i64,
    pub group_id: i64,
    pub inviter_id: i64,
    pub invitee_user_id: Option<i64>,
    pub invitee_email: String,
    pub invitee_email_key: String,
    pub role_id: i64,
    pub message: Option<String>,
    pub status: InvitationStatus,
    pub link_nonce: String,
    pub token_hash: String,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub sent_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub expires_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::MaybeStamp)]
    pub answered_at: Option<PrimitiveDateTime>,
    pub last_mail_id: Option<i64>,
    /// Shared by the invitations the Add user wizard sent together: the id
    /// of the first one, whose link the mail carries.
    pub batch_id: Option<i64>,
    /// "Tell me when it is accepted": the inviter is mailed on accept.
    pub tell_inviter: bool,
}

impl Invitation {
    pub fn effective_status(&self, now: PrimitiveDateTime) -> InvitationStatus {
        InvitationStatus::effective(self.status, self.expires_at, now)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = inv, treat_none_as_default_value = false)]
pub struct NewInvitation<'a> {
    pub group_id: i64,
    pub inviter_id: i64,
    pub invitee_user_id: Option<i64>,
    pub invitee_email: &'a str,
    pub invitee_email_key: &'a str,
    pub role_id: i64,
    pub message: Option<&'a str>,
    pub status: InvitationStatus,
    pub link_nonce: &'a str,
    pub token_hash: &'a str,
    pub created_at: PrimitiveDateTime,
    pub sent_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub batch_id: Option<i64>,
    /// The mail that announces it, when queued before the invitation is written.
    pub last_mail_id: Option<i64>,
    pub tell_inviter: bool,
}

pub fn insert(conn: &mut DbConn, new: &NewInvitation<'_>) -> QueryResult<i64> {
    let q = diesel::insert_into(inv::table)
        .values(new)
        .returning(inv::id);
    native!(conn, |c| q.get_result(c))
}

/// Writes a new invitation sent by its inviter, with its "sent" event and
/// audit line and the webhooks' deliveries ([`log`]); returns its id. On
/// PostgreSQL the row, the event and the audit line are one statement
/// that also says whether any webhook is above the group (the three were
/// three round trips and a fourth for the webhooks, on every invitation).
pub fn insert_sent(
    conn: &mut DbConn,
    new: &NewInvitation<'_>,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
        #[derive(QueryableByName)]
        struct Sent {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Bool)]
            hooked: bool,
        }
        const KIND: &str = "sent";
        let (before, after) =
            crate::models::audit::invitation_wording(KIND).expect("sending is audited");
        let audit_kind = format!("{}{KIND}", crate::models::audit::INVITATION_PREFIX);
        // The invitation's values are one `?` (a tuple binds as a list).
        let values = (
            new.group_id.into_sql::<BigInt>(),
            new.inviter_id.into_sql::<BigInt>(),
            new.invitee_user_id.into_sql::<Nullable<BigInt>>(),
            new.invitee_email.into_sql::<Text>(),
            new.invitee_email_key.into_sql::<Text>(),
            new.role_id.into_sql::<BigInt>(),
            new.message.into_sql::<Nullable<Text>>(),
            new.status.as_str().into_sql::<Text>(),
            new.link_nonce.into_sql::<Text>(),
            new.token_hash.into_sql::<Text>(),
            new.created_at.into_sql::<Timestamp>(),
            new.sent_at.into_sql::<Timestamp>(),
            new.expires_at.into_sql::<Timestamp>(),
            new.batch_id.into_sql::<Nullable<BigInt>>(),
            new.last_mail_id.into_sql::<Nullable<BigInt>>(),
            new.tell_inviter.into_sql::<Bool>(),
        );
        let q = Sql::new(
            concat!(
                "WITH i AS (INSERT INTO invitations (group_id, inviter_id, invitee_user_id, \
                invitee_email, invitee_email_key, role_id, message, status, link_nonce, \
                token_hash, created_at, sent_at, expires_at, batch_id, last_mail_id, \
                tell_inviter) VALUES (?) \
                RETURNING id, group_id, inviter_id, invitee_user_id, invitee_email, created_at), \
             e AS (INSERT INTO invitation_events (invitation_id, kind, actor_id, created_at) \
                SELECT id, ?, inviter_id, created_at FROM i), \
             a AS (INSERT INTO audit_events \
                (actor_id, subject_user_id, account_id, group_id, kind, detail, created_at) \
                SELECT i.inviter_id, i.invitee_user_id, COALESCE(u.account_id, g.account_id), \
                    i.group_id, ?, ? || i.invitee_email || ? || ' (' || g.name || ')', i.created_at \
                FROM i JOIN groups g ON g.id = i.group_id \
                LEFT JOIN users u ON u.id = i.invitee_user_id) \
             SELECT i.id, ",
                crate::models::webhook::hooked_sql!("i.group_id"),
                " AS hooked FROM i"
            ),
            (
                values,
                KIND.into_sql::<Text>(),
                audit_kind.into_sql::<Text>(),
                before.into_sql::<Text>(),
                after.into_sql::<Text>(),
            ),
        );
        let sent = q.get_result::<Sent>(pg)?;
        if sent.hooked {
            crate::models::webhook::queue_invitations(
                conn,
                &[sent.id],
                KIND,
                Some(new.inviter_id),
                now,
            )?;
        }
        return Ok(sent.id);
    }
    let id = insert(conn, new)?;
    log(conn, &[id], "sent", Some(new.inviter_id), now)?;
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Invitation>> {
    native!(conn, |c| inv::table
        .find(id)
        .select(Invitation::as_select())
        .first(c)
        .optional())
}

/// The invitation with its group, in one statement (the inbox's answer).
pub fn find_with_group(
    conn: &mut DbConn,
    id: i64,
) -> QueryResult<Option<(Invitation, crate::models::Group)>> {
    native!(conn, |c| inv::table
        .inner_join(groups::table)
        .filter(inv::id.eq(id))
        .select((Invitation::as_select(), crate::models::Group::as_select()))
        .first(c)
        .optional())
}

/// The pending invitations of the group among `ids` (id, invitee's
/// address), for the confirmation of a bulk cancel.
pub fn pending_among(
    conn: &mut DbConn,
    group_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    native!(conn, |c| inv::table
        .filter(inv::group_id.eq(group_id))
        .filter(inv::id.eq_any(ids))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .order(inv::id.desc())
        .select((inv::id, inv::invitee_email))
        .load(c))
}

/// The group's name and the inviter's full name of an invitation.
pub fn names_of(conn: &mut DbConn, id: i64) -> QueryResult<Option<(String, String)>> {
    native!(conn, |c| inv::table
        .inner_join(groups::table.on(groups::id.eq(inv::group_id)))
        .inner_join(users::table.on(users::id.eq(inv::inviter_id)))
        .filter(inv::id.eq(id))
        .select((groups::name, users::first_name, users::last_name))
        .first::<(String, String, String)>(c)
        .optional())
    .map(|r| r.map(|(g, first, last)| (g, format!("{first} {last}"))))
}

/// Records the mail that last announced each of `ids` (a few: one
/// person's invitations announced together), one kept statement each.
pub fn set_last_mail(conn: &mut DbConn, ids: &[i64], mail_id: i64) -> QueryResult<()> {
    use diesel::sql_types::BigInt;
    for id in ids {
        let q = Sql::new(
            "UPDATE invitations SET last_mail_id = ? WHERE id = ?",
            (mail_id.into_sql::<BigInt>(), id.into_sql::<BigInt>()),
        );
        native!(conn, |c| q.execute(c))?;
    }
    Ok(())
}

/// The pending invitations of one person to one group, after those whose
/// date has passed were marked expired (so a new one may be sent: one
/// pending per person).
pub struct Pending {
    /// The ones just marked expired whose passing is not in their history
    /// yet (the sweep beside the reminders had not recorded it).
    pub expired: Vec<i64>,
    /// Whether one is still open.
    pub open: bool,
}

/// This person's pending invitations to a group. 'pending' is written in
/// the text, not bound: only then do the planners answer it from the
/// partial unique index `invitations_one_pending` (the index that decides
/// "one pending invitation per person"), and no other index is needed.
const PENDING_OF: &str = "SELECT id, expires_at FROM invitations \
    WHERE group_id = ? AND invitee_email_key = ? AND status = 'pending'";

#[derive(QueryableByName)]
struct PendingRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamp, deserialize_as = crate::db::Stamp)]
    expires_at: PrimitiveDateTime,
}

/// Marks this person's pending invitations to this group whose date has
/// passed as expired, and says whether one is still open (one query).
/// `expired` lists those whose passing was not recorded yet (by
/// [`note_expired`]): the caller records it.
pub fn expire_stale(
    conn: &mut DbConn,
    group_id: i64,
    email_key: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Pending> {
    use diesel::sql_types::{BigInt, Text};
    let q = Sql::new(
        PENDING_OF,
        (group_id.into_sql::<BigInt>(), email_key.into_sql::<Text>()),
    );
    let rows: Vec<PendingRow> = native!(conn, |c| q.load(c))?;
    let (expired, open): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.expires_at <= now);
    let ids: Vec<i64> = expired.iter().map(|r| r.id).collect();
    let mut untold = Vec::new();
    if !ids.is_empty() {
        // Conditional, so that of this and the sweep (`note_expired`)
        // racing on PostgreSQL, one records the expiry.
        untold = diesel::update(
            inv::table
                .filter(inv::id.eq_any(&ids))
                .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
                .filter(expiry_untold()),
        )
        .set(inv::expiry_noted.eq(inv::expires_at.nullable()))
        .returning(inv::id)
        .get_results(conn)?;
        untold.sort_unstable();
        diesel::update(
            inv::table
                .filter(inv::id.eq_any(&ids))
                .filter(inv::status.eq(InvitationStatus::Pending.as_str())),
        )
        .set(inv::status.eq(InvitationStatus::Expired.as_str()))
        .execute(conn)?;
    }
    Ok(Pending {
        expired: untold,
        open: !open.is_empty(),
    })
}

/// Moves a pending, unexpired invitation to `to`. Returns 0 when it was not
/// open any more: the condition makes an answer happen once, however many
/// requests or servers race for it.
pub fn close_if_open(
    conn: &mut DbConn,
    id: i64,
    to: InvitationStatus,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    // Constant text, so it stays prepared (diesel's UPDATE would not).
    let q = Sql::new(
        "UPDATE invitations SET status = ?, answered_at = ? \
         WHERE id = ? AND status = 'pending' AND expires_at > ?",
        (
            to.as_str().into_sql::<Text>(),
            now.into_sql::<Timestamp>(),
            id.into_sql::<BigInt>(),
            now.into_sql::<Timestamp>(),
        ),
    );
    native!(conn, |c| q.execute(c))
}

/// The invitee `me` answers invitation `id` (`to`: accepted or declined):
/// closes it if still open, logs it ([`log`]: event, audit line, webhooks),
/// marks read the notification and private message that announced it and
/// writes `note`, the inviter's notification. False when it was no longer
/// open (nothing written). On PostgreSQL one statement that also says
/// whether any webhook is above the group (six round trips before, three
/// of them planned anew on every answer).
pub fn close_answered(
    conn: &mut DbConn,
    id: i64,
    me: i64,
    to: InvitationStatus,
    note: &crate::models::notification::NewNotification<'_>,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // with only the postgres feature
    if let DbConn::Pg(pg) = conn {
        use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
        #[derive(QueryableByName)]
        struct Closed {
            #[diesel(sql_type = Bool)]
            hooked: bool,
        }
        let kind = to.as_str();
        let (before, after) =
            crate::models::audit::invitation_wording(kind).expect("answers are audited");
        let audit_kind = format!("{}{kind}", crate::models::audit::INVITATION_PREFIX);
        // The values are one `?` (a tuple binds as a list), named in `p`.
        let values = (
            id.into_sql::<BigInt>(),
            kind.into_sql::<Text>(),
            now.into_sql::<Timestamp>(),
            me.into_sql::<BigInt>(),
            audit_kind.into_sql::<Text>(),
            before.into_sql::<Text>(),
            after.into_sql::<Text>(),
        );
        let told = (
            note.user_id.into_sql::<BigInt>(),
            note.kind.into_sql::<Text>(),
            note.text.into_sql::<Text>(),
            note.link_path.into_sql::<Nullable<Text>>(),
            note.created_at.into_sql::<Timestamp>(),
            note.ref_id.into_sql::<Nullable<BigInt>>(),
        );
        let q = Sql::new(
            concat!(
                "WITH p (id, status, now, me, audit_kind, before, after) AS (VALUES (?)), \
             c AS (UPDATE invitations i SET status = p.status, answered_at = p.now FROM p \
                WHERE i.id = p.id AND i.status = 'pending' AND i.expires_at > p.now \
                RETURNING i.id, i.group_id, i.invitee_user_id, i.invitee_email), \
             e AS (INSERT INTO invitation_events (invitation_id, kind, actor_id, created_at) \
                SELECT c.id, p.status, p.me, p.now FROM c, p), \
             a AS (INSERT INTO audit_events \
                (actor_id, subject_user_id, account_id, group_id, kind, detail, created_at) \
                SELECT p.me, c.invitee_user_id, COALESCE(u.account_id, g.account_id), c.group_id, \
                    p.audit_kind, p.before || c.invitee_email || p.after || ' (' || g.name || ')', p.now \
                FROM c CROSS JOIN p JOIN groups g ON g.id = c.group_id \
                LEFT JOIN users u ON u.id = c.invitee_user_id), \
             n AS (UPDATE notifications nt SET read_at = p.now FROM p, c \
                WHERE nt.user_id = p.me AND nt.kind = 'invitation' AND nt.ref_id = c.id \
                AND nt.read_at IS NULL), \
             m AS (UPDATE conversation_members cm SET unread = false, last_read_at = p.now \
                FROM p, c, messages msg \
                WHERE cm.user_id = p.me AND cm.unread AND cm.last_message_id = msg.id \
                AND msg.kind = 'invitation' AND msg.ref_id = c.id), \
             t AS (INSERT INTO notifications (user_id, kind, text, link_path, created_at, ref_id) \
                SELECT * FROM (VALUES (?)) v WHERE EXISTS (SELECT 1 FROM c)) \
             SELECT ",
                crate::models::webhook::hooked_sql!("c.group_id"),
                " AS hooked FROM c"
            ),
            (values, told),
        );
        let Some(closed) = q.get_result::<Closed>(pg).optional()? else {
            return Ok(false);
        };
        if closed.hooked {
            crate::models::webhook::queue_invitations(conn, &[id], kind, Some(me), now)?;
        }
        return Ok(true);
    }
    if close_if_open(conn, id, to, now)? == 0 {
        return Ok(false);
    }
    log(conn, &[id], to.as_str(), Some(me), now)?;
    crate::models::notification::mark_read_about(conn, me, "invitation", id, now)?;
    crate::models::message::mark_read_announcing(conn, me, id, now)?;
    crate::models::notification::insert(conn, note)?;
    Ok(true)
}

pub fn add_event(
    conn: &mut DbConn,
    invitation_id: i64,
    kind: &str,
    actor_id: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(ev::table)
        .values((
            ev::invitation_id.eq(invitation_id),
            ev::kind.eq(kind),
            ev::actor_id.eq(actor_id),
            ev::created_at.eq(now),
        ))
        .execute(conn)
}

diesel::define_sql_function!(fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::BigInt>, y: diesel::sql_types::Nullable<diesel::sql_types::BigInt>) -> diesel::sql_types::Nullable<diesel::sql_types::BigInt>);

/// Records `kind` in the history of every invitation of `ids` and, when
/// someone did it (`actor`), in the audit trail too: about the invitee (if
/// they have an account), under the invitee's company account or else the
/// group's. Two statements whatever the number of invitations (each an
/// INSERT … SELECT over the invitations), none for an empty list; and
/// the event it is queued for the webhooks that hear it. A send
/// ("sent", "resent") is counted towards the quotas by whoever sends it
/// (`send_count::reserve`), not here.
pub fn log(
    conn: &mut DbConn,
    ids: &[i64],
    kind: &str,
    actor: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let wording = crate::models::audit::invitation_wording(kind);
    let audit_kind = format!("{}{kind}", crate::models::audit::INVITATION_PREFIX);
    // The same statements for one invitation or a list: with one (nearly
    // every call) diesel keeps them prepared, with `eq_any` it cannot.
    macro_rules! log_where {
        ($which:expr) => {{
            let events = inv::table.filter($which).order(inv::id).select((
                inv::id,
                kind.into_sql::<Text>(),
                actor.into_sql::<diesel::sql_types::Nullable<BigInt>>(),
                now.into_sql::<Timestamp>(),
            ));
            let q = diesel::insert_into(ev::table).values(events).into_columns((
                ev::invitation_id,
                ev::kind,
                ev::actor_id,
                ev::created_at,
            ));
            native!(conn, |c| q.execute(c))?;
            if let (Some(actor), Some((before, after))) = (actor, wording) {
                let audited = inv::table
                    .inner_join(groups::table)
                    .left_join(users::table.on(inv::invitee_user_id.eq(users::id.nullable())))
                    .filter($which)
                    .select((
                        actor.into_sql::<BigInt>(),
                        inv::invitee_user_id,
                        coalesce(users::account_id.nullable(), groups::account_id),
                        inv::group_id.nullable(),
                        audit_kind.as_str().into_sql::<Text>(),
                        before
                            .into_sql::<Text>()
                            .concat(inv::invitee_email)
                            .concat(after)
                            .concat(" (")
                            .concat(groups::name)
                            .concat(")"),
                        now.into_sql::<Timestamp>(),
                    ));
                let q = diesel::insert_into(audit_events::table)
                    .values(audited)
                    .into_columns((
                        audit_events::actor_id,
                        audit_events::subject_user_id,
                        audit_events::account_id,
                        audit_events::group_id,
                        audit_events::kind,
                        audit_events::detail,
                        audit_events::created_at,
                    ));
                native!(conn, |c| q.execute(c))?;
            }
            Ok(())
        }};
    }
    let logged: QueryResult<()> = match ids {
        [] => return Ok(()),
        [id] => log_where!(inv::id.eq(*id)),
        _ => log_where!(inv::id.eq_any(ids)),
    };
    logged?;
    // The webhooks hear of it in the same transaction.
    crate::models::webhook::queue_invitations(conn, ids, kind, actor, now)
}

/// A pending invitation as the invitee's inbox shows it.
#[derive(Debug, Clone, Queryable)]
pub struct InboxRow {
    pub id: i64,
    pub message: Option<String>,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub expires_at: PrimitiveDateTime,
    pub group_name: String,
    pub group_slug: String,
    pub role_name: String,
    pub inviter_username: Option<String>,
    pub inviter_first: String,
    pub inviter_last: String,
}

/// The user's open invitations, newest first (one query).
pub fn pending_for_user(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    pending_for_user_before(conn, user_id, now, i64::MAX, limit)
}

/// `pending_for_user`, the page older than invitation `before` (keyset).
pub fn pending_for_user_before(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<InboxRow>> {
    let q = inv::table
        .inner_join(groups::table)
        .inner_join(roles::table)
        .inner_join(inviters.on(inv::inviter_id.eq(inviters.field(users::id))))
        .filter(inv::invitee_user_id.eq(user_id))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .filter(inv::expires_at.gt(now))
        .filter(inv::id.lt(before))
        .order(inv::id.desc())
        .limit(limit)
        .select((
            inv::id,
            inv::message,
            inv::created_at,
            inv::expires_at,
            groups::name,
            groups::slug,
            roles::name,
            inviters.field(users::username),
            inviters.field(users::first_name),
            inviters.field(users::last_name),
        ));
    native!(conn, |c| q.load(c))
}

/// An invitation as the group's invitations tab shows it.
#[derive(Debug, Clone, Queryable)]
pub struct GroupRow {
    pub id: i64,
    pub invitee_email: String,
    pub link_nonce: String,
    pub status: InvitationStatus,
    pub created_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub answered_at: Option<PrimitiveDateTime>,
    pub role_name: String,
    pub inviter_username: Option<String>,
    pub invitee_username: Option<String>,
    /// The last mail of the invitation: its outbox status and when it went.
    pub mail_status: Option<crate::domain::MailStatus>,
    pub mail_sent_at: Option<PrimitiveDateTime>,
}

impl GroupRow {
    pub fn invitee(&self) -> &str {
        self.invitee_username
            .as_deref()
            .unwrap_or(&self.invitee_email)
    }
    pub fn inviter(&self) -> &str {
        self.inviter_username.as_deref().unwrap_or("")
    }
}

/// Which invitations of a group a page lists: one tab (status as people
/// see it), an optional search in the invitee's address and username, and
/// the keyset cursor (older than `before`).
#[derive(Debug, Clone)]
pub struct GroupFilter {
    pub tab: InvitationStatus,
    pub q: Option<String>,
    pub before: Option<i64>,
    pub now: PrimitiveDateTime,
}

/// The columns of a [`GroupRow`].
macro_rules! group_row {
    () => {
        (
            inv::id,
            inv::invitee_email,
            inv::link_nonce,
            inv::status,
            inv::created_at,
            inv::expires_at,
            inv::answered_at,
            roles::name,
            inviters.field(users::username),
            invitees.field(users::username).nullable(),
            crate::db::schema::outbox::status.nullable(),
            crate::db::schema::outbox::sent_at.nullable(),
        )
    };
}

/// One page of a group's invitations, newest first. Without a search it is
/// one of three statements of fixed shape (one per kind of tab), kept
/// prepared on the backend's own connection: a boxed query is written out
/// and prepared again on every view (index `invitations_group_status`).
pub fn group_page(
    conn: &mut DbConn,
    group_id: i64,
    f: &GroupFilter,
    limit: i64,
) -> QueryResult<Vec<GroupRow>> {
    use crate::db::schema::outbox;
    if f.q.as_deref().is_some_and(|t| !t.trim().is_empty()) {
        return group_search_page(conn, group_id, f, limit);
    }
    let pending = InvitationStatus::Pending.as_str();
    let before = f.before.unwrap_or(i64::MAX);
    // The shared part; the tab's filter is added to it per statement.
    macro_rules! page {
        ($tab:expr) => {
            inv::table
                .inner_join(roles::table)
                .inner_join(inviters.on(inv::inviter_id.eq(inviters.field(users::id))))
                .left_join(
                    invitees.on(inv::invitee_user_id.eq(invitees.field(users::id).nullable())),
                )
                .left_join(outbox::table.on(inv::last_mail_id.eq(outbox::id.nullable())))
                .filter(inv::group_id.eq(group_id))
                .filter(inv::id.lt(before))
                .filter($tab)
                .order(inv::id.desc())
                .limit(limit)
                .select(group_row!())
        };
    }
    // A pending invitation past its date shows as expired (nothing has to
    // mark it so first).
    match f.tab {
        InvitationStatus::Pending => native!(conn, |c| page!(
            inv::status.eq(pending).and(inv::expires_at.gt(f.now))
        )
        .load(c)),
        InvitationStatus::Expired => native!(conn, |c| page!(
            inv::status
                .eq(InvitationStatus::Expired.as_str())
                .or(inv::status.eq(pending).and(inv::expires_at.le(f.now)))
        )
        .load(c)),
        other => native!(conn, |c| page!(inv::status.eq(other.as_str())).load(c)),
    }
}

/// One invitation of a group as its list shows it (a pending one past its
/// date as expired), by id.
pub fn group_row(
    conn: &mut DbConn,
    group_id: i64,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Option<GroupRow>> {
    use crate::db::schema::outbox;
    let row: Option<GroupRow> = inv::table
        .inner_join(roles::table)
        .inner_join(inviters.on(inv::inviter_id.eq(inviters.field(users::id))))
        .left_join(invitees.on(inv::invitee_user_id.eq(invitees.field(users::id).nullable())))
        .left_join(outbox::table.on(inv::last_mail_id.eq(outbox::id.nullable())))
        .filter(inv::group_id.eq(group_id))
        .filter(inv::id.eq(id))
        .select(group_row!())
        .first(conn)
        .optional()?;
    Ok(row.map(|mut r| {
        if r.status == InvitationStatus::Pending && r.expires_at <= now {
            r.status = InvitationStatus::Expired;
        }
        r
    }))
}

/// A page of a search: by address or user name, within the tab.
fn group_search_page(
    conn: &mut DbConn,
    group_id: i64,
    f: &GroupFilter,
    limit: i64,
) -> QueryResult<Vec<GroupRow>> {
    use crate::db::schema::outbox;
    let pending = InvitationStatus::Pending.as_str();
    let mut q = inv::table
        .inner_join(roles::table)
        .inner_join(inviters.on(inv::inviter_id.eq(inviters.field(users::id))))
        .left_join(invitees.on(inv::invitee_user_id.eq(invitees.field(users::id).nullable())))
        .left_join(outbox::table.on(inv::last_mail_id.eq(outbox::id.nullable())))
        .filter(inv::group_id.eq(group_id))
        .order(inv::id.desc())
        .limit(limit)
        .select(group_row!())
        .into_boxed();
    q = match f.tab {
        InvitationStatus::Pending => q
            .filter(inv::status.eq(pending))
            .filter(inv::expires_at.gt(f.now)),
        InvitationStatus::Expired => q.filter(
            inv::status
                .eq(InvitationStatus::Expired.as_str())
                .or(inv::status.eq(pending).and(inv::expires_at.le(f.now))),
        ),
        other => q.filter(inv::status.eq(other.as_str())),
    };
    let text = f.q.as_deref().unwrap_or_default().trim();
    let p = crate::db::like_contains(text);
    q = q.filter(
        inv::invitee_email_key
            .like(p.clone())
            .escape('\\')
            .nullable()
            .or(invitees.field(users::username_key).like(p).escape('\\')),
    );
    if let Some(before) = f.before {
        q = q.filter(inv::id.lt(before));
    }
    q.load(conn)
}

/// How many invitations of a group each tab holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TabCounts {
    pub pending: i64,
    pub accepted: i64,
    pub declined: i64,
    pub expired: i64,
    pub cancelled: i64,
}

impl TabCounts {
    pub fn of(&self, tab: InvitationStatus) -> i64 {
        match tab {
            InvitationStatus::Pending => self.pending,
            InvitationStatus::Accepted => self.accepted,
            InvitationStatus::Declined => self.declined,
            InvitationStatus::Expired => self.expired,
            InvitationStatus::Cancelled => self.cancelled,
        }
    }
    pub fn total(&self) -> i64 {
        self.pending + self.accepted + self.declined + self.expired + self.cancelled
    }
}

/// A status and how many of the group's invitations hold it.
#[derive(diesel::QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: InvitationStatus,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    /// Of those, pending ones past their date (shown as expired).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    overdue: i64,
}

/// The tab counts: the counts by status the database keeps
/// (`invitation_counts`, migrations 000037 and 000046: on PostgreSQL up to
/// 16 rows per status, summed here), less the pending ones past their date,
/// counted in the range of the index `invitations_group_expiry`.
pub fn tab_counts(
    conn: &mut DbConn,
    group_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<TabCounts> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let q = Sql::new(
        "SELECT c.status, CAST(SUM(c.n) AS BIGINT) AS n, CASE WHEN c.status = ? THEN \
         (SELECT COUNT(*) FROM invitations i WHERE i.group_id = ? \
          AND i.status = c.status AND i.expires_at <= ?) ELSE 0 END AS overdue \
         FROM invitation_counts c WHERE c.group_id = ? GROUP BY c.status",
        (
            InvitationStatus::Pending.as_str().into_sql::<Text>(),
            group_id.into_sql::<BigInt>(),
            now.into_sql::<Timestamp>(),
            group_id.into_sql::<BigInt>(),
        ),
    );
    let by_status: Vec<StatusCount> = native!(conn, |c| q.load(c))?;
    let mut c = TabCounts::default();
    for s in by_status {
        c.expired += s.overdue;
        let n = s.n - s.overdue;
        match s.status {
            InvitationStatus::Pending => c.pending += n,
            InvitationStatus::Accepted => c.accepted += n,
            InvitationStatus::Declined => c.declined += n,
            InvitationStatus::Expired => c.expired += n,
            InvitationStatus::Cancelled => c.cancelled += n,
        }
    }
    Ok(c)
}

/// Open invitations for the header badge.
pub fn count_pending_for_user(
    conn: &mut DbConn,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    inv::table
        .filter(inv::invitee_user_id.eq(user_id))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .filter(inv::expires_at.gt(now))
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub kind: String,
    pub created_at: PrimitiveDateTime,
    pub actor_username: Option<String>,
}

/// An invitation's history, oldest first.
pub fn events(conn: &mut DbConn, invitation_id: i64) -> QueryResult<Vec<EventRow>> {
    ev::table
        .left_join(users::table.on(ev::actor_id.eq(users::id.nullable())))
        .filter(ev::invitation_id.eq(invitation_id))
        .order(ev::id)
        .select((ev::kind, ev::created_at, users::username.nullable()))
        .load(conn)
}

/// The invitation whose current link hashes to `token_hash`.
pub fn find_by_token_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<Invitation>> {
    inv::table
        .filter(inv::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// The invitation an earlier (replaced) link belonged to.
pub fn find_by_retired_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<i64>> {
    retired::table
        .filter(retired::token_hash.eq(token_hash))
        .select(retired::invitation_id)
        .first(conn)
        .optional()
}

/// Restarts the validity period (resend and renew both do).
pub fn restart(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        inv::table
            .find(id)
            .filter(inv::status.eq(InvitationStatus::Pending.as_str())),
    )
    .set((inv::sent_at.eq(now), inv::expires_at.eq(expires_at)))
    .execute(conn)
}

/// Replaces the link: the old hash is retired, a new nonce and hash take over.
pub fn replace_link(
    conn: &mut DbConn,
    inv_row: &Invitation,
    nonce: &str,
    token_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(retired::table)
        .values((
            retired::invitation_id.eq(inv_row.id),
            retired::token_hash.eq(&inv_row.token_hash),
            retired::retired_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(inv::table.find(inv_row.id))
        .set((inv::link_nonce.eq(nonce), inv::token_hash.eq(token_hash)))
        .execute(conn)
}

/// Sets the invitee once they have an account (e-mail invitations).
pub fn bind_invitee(conn: &mut DbConn, id: i64, user_id: i64) -> QueryResult<usize> {
    diesel::update(inv::table.find(id).filter(inv::invitee_user_id.is_null()))
        .set(inv::invitee_user_id.eq(user_id))
        .execute(conn)
}

/// Cancels every pending invitation `inviter_id` sent; returns their ids
/// for the history.
pub fn cancel_sent_by(
    conn: &mut DbConn,
    inviter_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<i64>> {
    let ids: Vec<i64> = inv::table
        .filter(inv::inviter_id.eq(inviter_id))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .select(inv::id)
        .load(conn)?;
    cancel(conn, &ids, now)
}

/// Whose pending invitations [`cancel_unbacked`] looks at.
#[derive(Debug, Clone, Copy)]
pub enum Inviters {
    /// This user's.
    User(i64),
    /// Those of every member holding this role, in any group.
    HoldingRole(i64),
}

/// Pending invitations of `who` whose inviter no longer has "manage members"
/// in the invitation's group, by any membership on the way up from it (the
/// group itself or a community above: the union `GroupAccess` grants).
/// Candidates are the few invitations of the inviters named, each checked
/// against the group's path. `%manage_member%` is bound, as everywhere
/// permissions are matched (`role::permission_pattern`).
const UNBACKED: &str = "SELECT i.id FROM invitations i \
    WHERE i.status = 'pending' AND i.inviter_id IN (SELECT ? UNION SELECT m.user_id FROM memberships m WHERE m.role_id = ?) \
    AND NOT EXISTS (SELECT 1 FROM group_ancestors ga \
        JOIN memberships m2 ON m2.group_id = ga.ancestor_id AND m2.user_id = i.inviter_id \
        JOIN roles r ON r.id = m2.role_id \
        WHERE ga.group_id = i.group_id AND r.permissions LIKE ?) \
    ORDER BY i.id";

/// Cancels the pending invitations of `who` that nobody with the power to
/// invite stands behind any more (after a role change, a role losing
/// "manage members", a member removed or leaving); returns their ids for
/// the history.
pub fn cancel_unbacked(
    conn: &mut DbConn,
    who: Inviters,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<i64>> {
    use diesel::sql_types::{BigInt, Text};
    // -1 matches no user and no role: one statement text for both scopes.
    let (user, role) = match who {
        Inviters::User(u) => (u, -1),
        Inviters::HoldingRole(r) => (-1, r),
    };
    let q = Sql::new(
        UNBACKED,
        (
            user.into_sql::<BigInt>(),
            role.into_sql::<BigInt>(),
            crate::models::role::permission_pattern(crate::domain::Permission::ManageMember)
                .into_sql::<Text>(),
        ),
    );
    let rows: Vec<IdRow> = native!(conn, |c| q.load(c))?;
    let ids: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
    cancel(conn, &ids, now)
}

/// Cancels those of `ids` still pending when the update reaches them (an
/// answer committed since they were read keeps its answer); returns them.
fn cancel(conn: &mut DbConn, ids: &[i64], now: PrimitiveDateTime) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut done: Vec<i64> = diesel::update(
        inv::table
            .filter(inv::id.eq_any(ids))
            .filter(inv::status.eq(InvitationStatus::Pending.as_str())),
    )
    .set((
        inv::status.eq(InvitationStatus::Cancelled.as_str()),
        inv::answered_at.eq(now),
    ))
    .returning(inv::id)
    .get_results(conn)?;
    done.sort_unstable();
    Ok(done)
}

/// Invitations still open at `now` in `group_id` and the communities below
/// it, by id after `after`: id, invitee address, group id and group name.
pub fn pending_under(
    conn: &mut DbConn,
    group_id: i64,
    after: i64,
    limit: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<(i64, String, i64, String)>> {
    use crate::db::schema::{group_ancestors as ga, groups};
    inv::table
        .inner_join(ga::table.on(ga::group_id.eq(inv::group_id)))
        .inner_join(groups::table.on(groups::id.eq(inv::group_id)))
        .filter(ga::ancestor_id.eq(group_id))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .filter(inv::expires_at.gt(now))
        .filter(inv::id.gt(after))
        .order(inv::id)
        .limit(limit)
        .select((inv::id, inv::invitee_email, inv::group_id, groups::name))
        .load(conn)
}

/// Cancels those of `ids` still pending: the ones it cancelled.
pub fn cancel_pending(
    conn: &mut DbConn,
    ids: &[i64],
    now: PrimitiveDateTime,
) -> QueryResult<Vec<i64>> {
    let open: Vec<i64> = inv::table
        .filter(inv::id.eq_any(ids))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .select(inv::id)
        .load(conn)?;
    cancel(conn, &open, now)
}

/// Marks `ids` as one batch named after its first invitation.
pub fn set_batch(conn: &mut DbConn, ids: &[i64], batch_id: i64) -> QueryResult<usize> {
    diesel::update(inv::table.filter(inv::id.eq_any(ids)))
        .set(inv::batch_id.eq(batch_id))
        .execute(conn)
}

/// The other still-pending invitations of `inv`'s batch (none outside a batch).
pub fn pending_siblings(conn: &mut DbConn, of: &Invitation) -> QueryResult<Vec<Invitation>> {
    let Some(batch) = of.batch_id else {
        return Ok(Vec::new());
    };
    inv::table
        .filter(inv::batch_id.eq(batch))
        .filter(inv::id.ne(of.id))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .order(inv::id)
        .select(Invitation::as_select())
        .load(conn)
}

/// A contact's pending invitations (expired by date included: they may be
/// re-sent), with their groups' names, oldest first.
pub fn pending_for_contact(
    conn: &mut DbConn,
    user_id: i64,
) -> QueryResult<Vec<(Invitation, String)>> {
    inv::table
        .inner_join(groups::table)
        .filter(inv::invitee_user_id.eq(user_id))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .order(inv::id)
        .select((Invitation::as_select(), groups::name))
        .load(conn)
}

/// Moves a pending invitation's expiry ("Extend 7 days"); the link stays.
pub fn extend(conn: &mut DbConn, id: i64, until: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        inv::table
            .find(id)
            .filter(inv::status.eq(InvitationStatus::Pending.as_str())),
    )
    .set(inv::expires_at.eq(until))
    .execute(conn)
}

/// Pending, not expired at `now`, expiring within `before`, and reminder
/// `point` not sent for this expiry (the expiry moved since, or fewer
/// points were covered).
#[diesel::dsl::auto_type]
fn point_open(now: PrimitiveDateTime, before: time::Duration, point: i32) -> _ {
    let until: PrimitiveDateTime = now + before;
    let pending: &'static str = InvitationStatus::Pending.as_str();
    inv::status
        .eq(pending)
        .and(inv::expires_at.gt(now))
        .and(inv::expires_at.le(until))
        .and(
            inv::reminded_expiry
                .is_null()
                .or(inv::reminded_expiry.ne(inv::expires_at.nullable()))
                .or(inv::reminded_points.le(point)),
        )
}

/// Pending invitations whose reminder `point` (0: the first) is due: the
/// link expires within `before` from `now` but has not yet, and no
/// reminder for this point of this expiry was sent. At most `limit`,
/// soonest expiry first.
pub fn reminders_due(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    before: time::Duration,
    point: i32,
    limit: i64,
) -> QueryResult<Vec<Invitation>> {
    native!(conn, |c| inv::table
        .filter(point_open(now, before, point))
        .order((inv::expires_at, inv::id))
        .limit(limit)
        .select(Invitation::as_select())
        .load(c))
}

/// Claims reminder `point` of invitation `id` for its current expiry:
/// 1 when this caller won it (send the reminder), 0 when it was sent
/// already, or the invitation was answered, cancelled or moved out of the
/// point meanwhile. The condition makes each reminder go out once, however
/// many servers look at once.
pub fn claim_reminder(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
    before: time::Duration,
    point: i32,
) -> QueryResult<usize> {
    diesel::update(inv::table.find(id).filter(point_open(now, before, point)))
        .set((
            inv::reminded_expiry.eq(inv::expires_at.nullable()),
            inv::reminded_points.eq(point + 1),
        ))
        .execute(conn)
}

/// The pending invitation of this address to this group, if any.
pub fn pending_id(conn: &mut DbConn, group_id: i64, email_key: &str) -> QueryResult<Option<i64>> {
    inv::table
        .filter(inv::group_id.eq(group_id))
        .filter(inv::invitee_email_key.eq(email_key))
        .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
        .select(inv::id)
        .first(conn)
        .optional()
}

/// Whether this address has an invitation to this group that can still be
/// answered (pending and not yet expired): a read, for the CSV dry run;
/// sending uses `expire_stale`, which also closes the stale ones.
pub fn is_open(
    conn: &mut DbConn,
    group_id: i64,
    email_key: &str,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        inv::table
            .filter(inv::group_id.eq(group_id))
            .filter(inv::invitee_email_key.eq(email_key))
            .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
            .filter(inv::expires_at.gt(now)),
    ))
    .get_result(conn)
}

/// Pending invitations whose date has passed and whose passing is not
/// recorded yet, soonest first (the terms of the partial index
/// `invitations_expiry_untold`, written out so both planners use it).
const EXPIRY_UNTOLD: &str = "SELECT id FROM invitations \
    WHERE status = 'pending' AND (expiry_noted IS NULL OR expiry_noted <> expires_at) \
    AND expires_at <= ? ORDER BY expires_at, id LIMIT ?";

/// Whether this expiry's passing is not recorded yet.
#[diesel::dsl::auto_type]
fn expiry_untold() -> _ {
    inv::expiry_noted
        .is_null()
        .or(inv::expiry_noted.ne(inv::expires_at.nullable()))
}

/// Records that the date of up to `limit` pending invitations passed
/// (their status stays 'pending': see the migration `webhooks`); returns
/// the ids this call recorded. A conditional update: of two servers
/// sweeping at once, each expiry is recorded by one.
pub fn note_expired(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let q = Sql::new(
        EXPIRY_UNTOLD,
        (now.into_sql::<Timestamp>(), limit.into_sql::<BigInt>()),
    );
    let rows: Vec<IdRow> = native!(conn, |c| q.load(c))?;
    let mut noted = Vec::with_capacity(rows.len());
    for IdRow { id } in rows {
        let n = diesel::update(
            inv::table
                .find(id)
                .filter(inv::status.eq(InvitationStatus::Pending.as_str()))
                .filter(inv::expires_at.le(now))
                .filter(expiry_untold()),
        )
        .set(inv::expiry_noted.eq(inv::expires_at.nullable()))
        .execute(conn)?;
        if n == 1 {
            noted.push(id);
        }
    }
    Ok(noted)
}
