//! The audit trail: who did what to whom, when.

use crate::db::DbConn;
use crate::db::schema::{audit_events, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub const ACCOUNT_CREATED: &str = "account_created";
pub const ACCOUNT_ATTACHED: &str = "account_attached";
pub const GROUP_ATTACHED: &str = "group_attached";
pub const SUPER_USER_GRANTED: &str = "super_user_granted";
pub const SUPER_USER_REVOKED: &str = "super_user_revoked";
pub const ACTIVE_LOGIN_OFF: &str = "active_login_off";
pub const ACTIVE_LOGIN_ON: &str = "active_login_on";
pub const MEMBER_JOINED: &str = "member_joined";
/// An unconfirmed account lost its address to someone who proved it.
pub const ADDRESS_RELEASED: &str = "address_released";
pub const ROLE_CHANGED: &str = "role_changed";
pub const ROLE_CREATED: &str = "role_created";
pub const ROLE_UPDATED: &str = "role_updated";
pub const ROLE_DELETED: &str = "role_deleted";
pub const MEMBER_LEFT: &str = "member_left";
pub const MEMBER_REMOVED: &str = "member_removed";
pub const CONTACT_ADDED: &str = "contact_added";
pub const CONTACT_INVITED: &str = "contact_invited";
pub const CONTACT_REGISTERED: &str = "contact_registered";
pub const PASSWORD_RESET: &str = "password_reset";
pub const PASSWORD_CHANGED: &str = "password_changed";
pub const EMAIL_CHANGED: &str = "email_changed";
pub const INVITATION_POLICY_CHANGED: &str = "invitation_policy_changed";
/// Invitation events are audited as `invitation_` + their history kind
/// (`invitation_sent`, `invitation_cancelled`, …).
pub const INVITATION_PREFIX: &str = "invitation_";

/// Whether an admin removed `user_id` from `group_id` at some time.
pub fn was_removed(conn: &mut DbConn, group_id: i64, user_id: i64) -> QueryResult<bool> {
    Ok(audit_events::table
        .filter(audit_events::kind.eq(MEMBER_REMOVED))
        .filter(audit_events::group_id.eq(group_id))
        .filter(audit_events::subject_user_id.eq(user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// A readable name for an event kind (a kind written by a newer release
/// shows as itself).
pub fn label(kind: &str) -> &str {
    known_label(kind).unwrap_or(kind)
}

fn known_label(kind: &str) -> Option<&'static str> {
    Some(match kind {
        ACCOUNT_CREATED => "Account created",
        ACCOUNT_ATTACHED => "Attached to account",
        GROUP_ATTACHED => "Group attached",
        SUPER_USER_GRANTED => "Super user granted",
        SUPER_USER_REVOKED => "Super user revoked",
        ACTIVE_LOGIN_OFF => "Active Login off",
        ACTIVE_LOGIN_ON => "Active Login on",
        MEMBER_JOINED => "Member joined",
        MEMBER_LEFT => "Member left",
        MEMBER_REMOVED => "Member removed",
        ROLE_CHANGED => "Role changed",
        ROLE_CREATED => "Role created",
        ROLE_UPDATED => "Role edited",
        ROLE_DELETED => "Role deleted",
        CONTACT_ADDED => "Contact added",
        CONTACT_INVITED => "Invited to Community",
        CONTACT_REGISTERED => "Contact registered",
        ADDRESS_RELEASED => "Unconfirmed address released",
        PASSWORD_RESET => "Password reset by e-mail",
        PASSWORD_CHANGED => "Password changed",
        EMAIL_CHANGED => "E-mail address changed",
        INVITATION_POLICY_CHANGED => "Invitation policy changed",
        "invitation_sent" => "Invitation sent",
        "invitation_resent" => "Invitation resent",
        "invitation_renewed" => "New invitation link",
        "invitation_cancelled" => "Invitation cancelled",
        "invitation_extended" => "Invitation extended by 7 days",
        "invitation_reminded" => "Reminder sent",
        "invitation_suggested" => "Suggested",
        "invitation_revoked" => "Invitation revoked",
        "invitation_accepted" => "Invitation accepted",
        "invitation_declined" => "Invitation declined",
        "invitation_expired" => "Invitation expired",
        _ => return None,
    })
}

/// An invitation history kind (`sent`, `renewed`, …) in words.
pub fn history_label(kind: &str) -> &str {
    known_label(&format!("{INVITATION_PREFIX}{kind}")).unwrap_or(kind)
}

/// How the audit trail words an invitation event: the text before the
/// invitee's address and the text after it (the group's name follows in
/// parentheses). `None` for events nobody did (expiry), which are not audited.
pub fn invitation_wording(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "sent" => ("Invitation sent to ", ""),
        "resent" => ("Invitation resent to ", ""),
        "renewed" => ("New invitation link generated for ", ""),
        "cancelled" => ("Invitation to ", " cancelled"),
        "extended" => ("Invitation to ", " extended by 7 days"),
        "revoked" => ("Invitation to ", " revoked"),
        "accepted" => ("Invitation accepted by ", ""),
        "declined" => ("Invitation declined by ", ""),
        _ => return None,
    })
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub actor_id: i64,
    pub subject_user_id: Option<i64>,
    pub account_id: Option<i64>,
    pub group_id: Option<i64>,
    pub kind: String,
    pub detail: String,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct NewAuditEvent<'a> {
    pub actor_id: i64,
    pub subject_user_id: Option<i64>,
    pub account_id: Option<i64>,
    pub group_id: Option<i64>,
    pub kind: &'a str,
    pub detail: &'a str,
    pub created_at: PrimitiveDateTime,
}

pub fn record(conn: &mut DbConn, e: &NewAuditEvent<'_>) -> QueryResult<usize> {
    diesel::insert_into(audit_events::table)
        .values(e)
        .execute(conn)
}

/// An event with the usernames (or e-mails) of its actor and subject.
pub struct AuditRow {
    pub event: AuditEvent,
    pub actor: String,
    pub subject: Option<String>,
}

impl AuditRow {
    pub fn label(&self) -> &str {
        label(&self.event.kind)
    }
}

/// Newest first, `limit` before the cursor id: events of `account` (None:
/// every event) about or by `user` (None: anyone). Two queries whatever the
/// page: the events, then the names of the people in them.
pub fn page(
    conn: &mut DbConn,
    account: Option<i64>,
    user: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_events::table
        .order(audit_events::id.desc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .into_boxed();
    if let Some(a) = account {
        q = q.filter(audit_events::account_id.eq(a));
    }
    if let Some(u) = user {
        q = q.filter(
            audit_events::subject_user_id
                .eq(u)
                .or(audit_events::actor_id.eq(u)),
        );
    }
    if let Some(b) = before {
        q = q.filter(audit_events::id.lt(b));
    }
    let events: Vec<AuditEvent> = q.load(conn)?;
    let mut ids: Vec<i64> = events
        .iter()
        .flat_map(|e| std::iter::once(e.actor_id).chain(e.subject_user_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: Vec<(i64, Option<String>, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        users::table
            .filter(users::id.eq_any(&ids))
            .select((users::id, users::username, users::email))
            .load(conn)?
    };
    let name = |id: i64| {
        names
            .iter()
            .find(|(i, _, _)| *i == id)
            .map(|(_, u, e)| u.clone().unwrap_or_else(|| e.clone()))
            .unwrap_or_else(|| format!("#{id}"))
    };
    Ok(events
        .into_iter()
        .map(|event| AuditRow {
            actor: name(event.actor_id),
            subject: event.subject_user_id.map(name),
            event,
        })
        .collect())
}
