//! Webhooks and their outbox of deliveries (see the migration `webhooks`).
//! Events are queued here, in the transaction of the change they tell of;
//! the worker (`crate::webhooks`) claims and settles them.

use crate::db::DbConn;
use crate::db::schema::{
    group_ancestors as ga, groups, invitations as inv, roles, users, webhook_deliveries as d,
    webhooks as w,
};
use crate::domain::webhook::{
    Community, Hook, Invitation, PING, Payload, Person, Subject, Suggestion,
};
use crate::native;
use diesel::prelude::*;
use rand::TryRng;
use time::PrimitiveDateTime;

/// SQL text: whether any webhook hears the group `$group` (a column of the
/// statement it ends), that is a hook of the group or of a community above
/// it. PostgreSQL's data-modifying `WITH`s answer it with what they write,
/// so that the deliveries are looked for only when a hook is there.
#[cfg(feature = "postgres")]
macro_rules! hooked_sql {
    ($group:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM webhooks w \
             JOIN group_ancestors ga ON ga.ancestor_id = w.group_id \
             WHERE ga.group_id = ",
            $group,
            ")"
        )
    };
}
#[cfg(feature = "postgres")]
pub(crate) use hooked_sql;

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = w)]
pub struct Webhook {
    pub id: i64,
    pub group_id: i64,
    pub url: String,
    pub secret: String,
    pub events: String,
    pub created_by: Option<i64>,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
}

impl std::fmt::Debug for Webhook {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("group_id", &self.group_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

use crate::domain::DeliveryState;
const PENDING: DeliveryState = DeliveryState::Pending;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = d)]
pub struct Delivery {
    pub id: i64,
    pub hook_id: i64,
    pub delivery_key: String,
    pub event: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i32,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub next_attempt_at: PrimitiveDateTime,
    pub response_status: Option<i32>,
    pub response_ms: Option<i32>,
    pub error: Option<String>,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = crate::db::MaybeStamp)]
    pub finished_at: Option<PrimitiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    group_id: i64,
    url: &str,
    secret: &str,
    events: &str,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(w::table)
        .values((
            w::group_id.eq(group_id),
            w::url.eq(url),
            w::secret.eq(secret),
            w::events.eq(events),
            w::created_by.eq(by),
            w::created_at.eq(now),
        ))
        .returning(w::id)
        .get_result(conn)
}

/// A group's own hooks, oldest first (a community has a handful).
pub fn of_group(conn: &mut DbConn, group_id: i64, limit: i64) -> QueryResult<Vec<Webhook>> {
    w::table
        .filter(w::group_id.eq(group_id))
        .order(w::id)
        .limit(limit)
        .select(Webhook::as_select())
        .load(conn)
}

pub fn count_of_group(conn: &mut DbConn, group_id: i64) -> QueryResult<i64> {
    w::table
        .filter(w::group_id.eq(group_id))
        .count()
        .get_result(conn)
}

pub fn find_in_group(conn: &mut DbConn, group_id: i64, id: i64) -> QueryResult<Option<Webhook>> {
    w::table
        .find(id)
        .filter(w::group_id.eq(group_id))
        .select(Webhook::as_select())
        .first(conn)
        .optional()
}

/// Deletes a hook and (by cascade) its deliveries.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(w::table.find(id)).execute(conn)
}

/// A hook's deliveries, newest first, before `before` (keyset by id).
pub fn deliveries(
    conn: &mut DbConn,
    hook_id: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    let mut q = d::table
        .filter(d::hook_id.eq(hook_id))
        .order(d::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(d::id.lt(b));
    }
    q.load(conn)
}

/// A key for `X-Guildhall-Delivery`: 128 random bits in hex.
fn delivery_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Queues one delivery per hook of `hooks` (each chose `event`).
fn queue_to(
    conn: &mut DbConn,
    hooks: &[i64],
    payload: &Payload,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    if hooks.is_empty() {
        return Ok(());
    }
    let body = payload.body();
    let rows: Vec<_> = hooks
        .iter()
        .map(|h| {
            (
                d::hook_id.eq(*h),
                d::delivery_key.eq(delivery_key()),
                d::event.eq(payload.event),
                d::payload.eq(body.clone()),
                d::state.eq(PENDING),
                d::next_attempt_at.eq(now),
                d::created_at.eq(now),
            )
        })
        .collect();
    native!(conn, |c| diesel::insert_into(d::table)
        .values(&rows)
        .execute(c))?;
    Ok(())
}

/// The hooks that hear `event` in `group_id`: its own and those of the
/// communities above it.
fn hooks_for(conn: &mut DbConn, group_id: i64, event: &str) -> QueryResult<Vec<i64>> {
    let hooks: Vec<(i64, String)> = w::table
        .inner_join(ga::table.on(ga::ancestor_id.eq(w::group_id)))
        .filter(ga::group_id.eq(group_id))
        .order(w::id)
        .select((w::id, w::events))
        .load(conn)?;
    Ok(hooks
        .into_iter()
        .filter(|(_, events)| events.split(' ').any(|e| e == event))
        .map(|(id, _)| id)
        .collect())
}

fn community(conn: &mut DbConn, group_id: i64) -> QueryResult<Community> {
    let (slug, name): (String, String) = groups::table
        .find(group_id)
        .select((groups::slug, groups::name))
        .first(conn)?;
    Ok(Community {
        id: group_id,
        slug,
        name,
    })
}

fn person(conn: &mut DbConn, id: i64) -> QueryResult<Person> {
    let (username, first, last): (Option<String>, String, String) = users::table
        .find(id)
        .select((users::username, users::first_name, users::last_name))
        .first(conn)?;
    Ok(Person::new(id, username, &first, &last))
}

fn someone(conn: &mut DbConn, id: Option<i64>) -> QueryResult<Option<Person>> {
    id.map(|id| person(conn, id)).transpose()
}

/// Queues `event` about `group_id` for every hook that hears it; its
/// `subject` is read only when a hook hears it. One query when none does.
fn queue(
    conn: &mut DbConn,
    group_id: i64,
    event: &str,
    actor: Option<i64>,
    subject: impl FnOnce(&mut DbConn) -> QueryResult<Subject>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let hooks = hooks_for(conn, group_id, event)?;
    if hooks.is_empty() {
        return Ok(());
    }
    let (community, actor) = (community(conn, group_id)?, someone(conn, actor)?);
    let subject = subject(conn)?;
    let payload = Payload::new(event, now, &community, actor.as_ref(), subject);
    queue_to(conn, &hooks, &payload, now)
}

/// A test delivery to one hook ("Send test event").
pub fn queue_ping(
    conn: &mut DbConn,
    hook: &Webhook,
    actor: i64,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let community = community(conn, hook.group_id)?;
    let actor = person(conn, actor)?;
    let subject = Subject::Ping {
        hook: Hook {
            id: hook.id,
            events: hook.events.split(' ').map(str::to_owned).collect(),
        },
    };
    let payload = Payload::new(PING, now, &community, Some(&actor), subject);
    queue_to(conn, &[hook.id], &payload, now)
}

diesel::alias!(users as inviters: InvitersAlias, users as invitees: InviteesAlias);

/// Queues the event an invitation history entry `kind` is (if any) for
/// each of `ids`, in id order. One query when no hook hears it.
pub fn queue_invitations(
    conn: &mut DbConn,
    ids: &[i64],
    kind: &str,
    actor: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let Some(event) = crate::domain::webhook::invitation_event(kind) else {
        return Ok(());
    };
    if ids.is_empty() {
        return Ok(());
    }
    // The hooks above the invitations' communities, in one query: with no
    // hook anywhere (most sites) this is all it costs. For one invitation
    // (nearly every call) a statement kept prepared; a list's is not.
    macro_rules! hooks_above {
        ($which:expr) => {
            crate::native!(conn, |c| w::table
                .inner_join(ga::table.on(ga::ancestor_id.eq(w::group_id)))
                .filter(ga::group_id.eq_any(inv::table.filter($which).select(inv::group_id)))
                .order(w::id)
                .select((ga::group_id, w::id, w::events))
                .load::<(i64, i64, String)>(c))
        };
    }
    let heard = match ids {
        [id] => hooks_above!(inv::id.eq(*id)),
        _ => hooks_above!(inv::id.eq_any(ids)),
    }?;
    let heard: Vec<(i64, i64)> = heard
        .into_iter()
        .filter(|(_, _, events)| events.split(' ').any(|e| e == event))
        .map(|(g, h, _)| (g, h))
        .collect();
    if heard.is_empty() {
        return Ok(());
    }
    type Facts = (
        i64,
        i64,
        String,
        Option<i64>,
        Option<String>,
        String,
        crate::domain::InvitationStatus,
        crate::db::Stamp,
        Option<String>,
    );
    let facts: Vec<Facts> = inv::table
        .inner_join(roles::table.on(roles::id.eq(inv::role_id)))
        .left_join(invitees.on(inv::invitee_user_id.eq(invitees.field(users::id).nullable())))
        .left_join(inviters.on(inv::inviter_id.eq(inviters.field(users::id))))
        .filter(inv::id.eq_any(ids))
        .order(inv::id)
        .select((
            inv::id,
            inv::group_id,
            inv::invitee_email,
            inv::invitee_user_id,
            invitees.field(users::username).nullable(),
            roles::name,
            inv::status,
            inv::expires_at,
            inviters.field(users::username).nullable(),
        ))
        .load(conn)?;
    let actor = someone(conn, actor)?;
    let mut communities = std::collections::HashMap::new();
    for (id, group_id, email, user_id, username, role, status, expires, inviter) in facts {
        let hooks: Vec<i64> = heard
            .iter()
            .filter(|(g, _)| *g == group_id)
            .map(|(_, h)| *h)
            .collect();
        if hooks.is_empty() {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = communities.entry(group_id) {
            e.insert(community(conn, group_id)?);
        }
        let expires: PrimitiveDateTime = expires.into();
        let subject = Subject::Invitation {
            invitation: Invitation {
                id,
                email,
                user_id,
                username,
                role,
                status: crate::domain::InvitationStatus::effective(status, expires, now).as_str(),
                expires_at: crate::domain::rfc3339(expires),
                invited_by: inviter,
            },
        };
        let payload = Payload::new(event, now, &communities[&group_id], actor.as_ref(), subject);
        queue_to(conn, &hooks, &payload, now)?;
    }
    Ok(())
}

/// A copy of a finished delivery, pending again with the same key
/// ("Redeliver"); false when the hook has no such finished delivery.
pub fn redeliver(
    conn: &mut DbConn,
    hook_id: i64,
    id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let found: Option<(String, String, String)> = d::table
        .find(id)
        .filter(d::hook_id.eq(hook_id))
        .filter(d::state.ne(PENDING))
        .select((d::delivery_key, d::event, d::payload))
        .first(conn)
        .optional()?;
    let Some((key, event, payload)) = found else {
        return Ok(false);
    };
    diesel::insert_into(d::table)
        .values((
            d::hook_id.eq(hook_id),
            d::delivery_key.eq(key),
            d::event.eq(event),
            d::payload.eq(payload),
            d::state.eq(PENDING),
            d::next_attempt_at.eq(now),
            d::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A delivery claimed by a worker, with what sending it needs.
#[derive(Clone)]
pub struct Due {
    pub id: i64,
    pub hook_id: i64,
    pub delivery_key: String,
    pub event: String,
    pub payload: String,
    pub attempts: i32,
    pub url: String,
    pub secret: String,
    /// The claim: the row is ours while its lease reads this.
    pub lease: PrimitiveDateTime,
}

impl std::fmt::Debug for Due {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Due")
            .field("id", &self.id)
            .field("hook_id", &self.hook_id)
            .field("event", &self.event)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// The oldest pending delivery of each hook, when due and not claimed by
/// a live worker, oldest first. 'pending' is written in the text: both
/// planners then read the heads from the partial index
/// `webhook_deliveries_pending` (hook_id, id) alone.
const HEADS: &str = "SELECT d.id FROM webhook_deliveries d \
    WHERE d.id IN (SELECT MIN(id) FROM webhook_deliveries WHERE state = 'pending' GROUP BY hook_id) \
    AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?) \
    ORDER BY d.id LIMIT ?";

/// Claims up to `limit` due deliveries, each the oldest pending one of its
/// hook (so a hook gets its events one at a time, in order), under a
/// lease until `lease`. A row whose lease ran out (its worker died) is
/// claimable again.
pub fn claim(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    lease: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let q = crate::db::Sql::new(
        HEADS,
        (
            now.into_sql::<Timestamp>(),
            now.into_sql::<Timestamp>(),
            limit.into_sql::<BigInt>(),
        ),
    );
    let heads: Vec<crate::db::IdRow> = native!(conn, |c| q.load(c))?;
    let mut out = Vec::with_capacity(heads.len());
    for crate::db::IdRow { id } in heads {
        // Conditional: of two workers racing for a row, one wins; a row
        // settled meanwhile for a later retry waits for it.
        let won = diesel::update(
            d::table
                .find(id)
                .filter(d::state.eq(PENDING))
                .filter(d::next_attempt_at.le(now))
                .filter(d::lease_until.is_null().or(d::lease_until.le(now))),
        )
        .set(d::lease_until.eq(lease))
        .execute(conn)?;
        if won == 0 {
            continue;
        }
        let (hook_id, key, event, payload, attempts, url, secret) = d::table
            .inner_join(w::table)
            .filter(d::id.eq(id))
            .select((
                d::hook_id,
                d::delivery_key,
                d::event,
                d::payload,
                d::attempts,
                w::url,
                w::secret,
            ))
            .first(conn)?;
        out.push(Due {
            id,
            hook_id,
            delivery_key: key,
            event,
            payload,
            attempts,
            url,
            secret,
            lease,
        });
    }
    Ok(out)
}

/// How a delivery attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status: Option<i32>,
    pub ms: i32,
    pub error: Option<String>,
    /// `None`: delivered, or failed for good; `Some(t)`: retry at `t`.
    pub retry_at: Option<PrimitiveDateTime>,
    pub delivered: bool,
}

/// Records an attempt on a row still under our claim; 0 when the claim was
/// lost (the row was claimed again after our lease ran out).
pub fn settle(
    conn: &mut DbConn,
    due: &Due,
    a: &Attempt,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    let state = match (a.delivered, a.retry_at) {
        (true, _) => DeliveryState::Delivered,
        (false, Some(_)) => PENDING,
        (false, None) => DeliveryState::Failed,
    };
    let finished = (state != PENDING).then_some(now);
    diesel::update(
        d::table
            .find(due.id)
            .filter(d::state.eq(PENDING))
            .filter(d::lease_until.eq(due.lease)),
    )
    .set((
        d::state.eq(state),
        d::attempts.eq(due.attempts + 1),
        d::next_attempt_at.eq(a.retry_at.unwrap_or(now)),
        d::lease_until.eq(None::<PrimitiveDateTime>),
        d::response_status.eq(a.status),
        d::response_ms.eq(a.ms),
        d::error.eq(a.error.as_deref()),
        d::finished_at.eq(finished),
    ))
    .execute(conn)
}

/// Queues `membership.added` or `membership.removed` for `user_id` in
/// `group_id` with the role they had or got.
#[allow(clippy::too_many_arguments)]
pub fn queue_membership(
    conn: &mut DbConn,
    group_id: i64,
    event: &str,
    user_id: i64,
    role_id: i64,
    invited_by: Option<i64>,
    actor: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let subject = |conn: &mut DbConn| -> QueryResult<Subject> {
        let role: String = roles::table.find(role_id).select(roles::name).first(conn)?;
        Ok(Subject::Membership {
            member: person(conn, user_id)?,
            role,
            invited_by: someone(conn, invited_by)?,
        })
    };
    queue(conn, group_id, event, actor, subject, now)
}

/// Queues `suggestion.approved` for suggestion `id` (to invite `invitee`,
/// made by `suggester`), approved by `actor`.
pub fn queue_suggestion_approved(
    conn: &mut DbConn,
    group_id: i64,
    id: i64,
    invitee: &str,
    suggester: i64,
    actor: i64,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let subject = |conn: &mut DbConn| -> QueryResult<Subject> {
        Ok(Subject::Suggestion {
            suggestion: Suggestion {
                id,
                invitee: invitee.to_owned(),
                suggested_by: person(conn, suggester)?,
            },
        })
    };
    queue(
        conn,
        group_id,
        "suggestion.approved",
        Some(actor),
        subject,
        now,
    )
}
