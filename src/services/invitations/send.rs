//! Sending: each entry of the form invited into every chosen group, in
//! one savepoint per entry, within the quotas.

use super::*;
use crate::models::invitation_policy::PolicyCache;

/// Who sends a list, and what the quotas still let them send of it.
pub struct Sender<'a> {
    pub user: &'a User,
    pub grant: send_count::Grant,
    /// Each group's invitation policy, read once per request.
    pub policies: PolicyCache,
    /// Each entry in a savepoint of its own, so that the database's refusal
    /// of one (the unique index deciding a race: "already invited") undoes
    /// it alone. Without (`SendList`'s first try), that refusal fails the
    /// whole list instead, which is then tried again with them.
    pub guarded: bool,
}

impl<'a> Sender<'a> {
    pub fn new(user: &'a User, grant: send_count::Grant) -> Self {
        Sender {
            user,
            grant,
            policies: PolicyCache::default(),
            guarded: true,
        }
    }
}

/// The daily quotas of `config`, for `send_count::reserve`.
pub(crate) fn limits(config: &Config) -> send_count::Limits {
    send_count::Limits {
        per_inviter: config.invites_per_inviter_per_day,
        per_group: config.invites_per_group_per_day,
    }
}

/// Invites one entry of the form into `groups` (the page's group first, then
/// any "Also invite to" ones), in a savepoint of its own when
/// `sender.guarded`: one invitation per group, announced once. Returns the outcome and, when several groups were
/// asked for, the names of those the person was invited to.
pub fn invite_one(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    groups_: &[&GroupAccess],
    sender: &mut Sender<'_>,
    req: &InviteRequest,
    recipient: &Recipient,
    now: PrimitiveDateTime,
) -> AppResult<(InviteOutcome, Vec<String>)> {
    if groups_.is_empty() {
        return Err(AppError::forbidden());
    }
    for a in groups_ {
        policy::may_invite(a)?;
    }
    // What this entry spends of the quotas goes back if it writes nothing.
    let before = sender.grant.clone();
    let result = if sender.guarded {
        db::write_tx(conn, |conn| {
            write_entry(conn, env, groups_, sender, req, recipient, now)
        })
    } else {
        write_entry(conn, env, groups_, sender, req, recipient, now)
    };
    if result.is_err() {
        sender.grant = before;
    }
    match result {
        Ok(o) => Ok(o),
        Err(Stop::Refused(o)) => Ok((o, Vec::new())),
        Err(Stop::App(e)) => Err(e),
    }
}

/// `invite_one`'s checks and writes: a refusal is found before anything is
/// written (but an invitation found expired, which is marked so), except
/// the unique index's, which is a refusal only when `sender.guarded`.
fn write_entry(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    groups_: &[&GroupAccess],
    sender: &mut Sender<'_>,
    req: &InviteRequest,
    recipient: &Recipient,
    now: PrimitiveDateTime,
) -> Result<(InviteOutcome, Vec<String>), Stop> {
    let (inviter, grant) = (sender.user, &mut sender.grant);
    let config = env.config;
    let Invitee {
        user: invitee,
        email,
        email_key,
        success,
    } = resolve_invitee(conn, recipient, inviter)?.map_err(Stop::Refused)?;
    // Every group is checked first; what passes is written below.
    let mut chosen: Vec<Chosen<'_>> = Vec::new();
    let mut first_refusal = None;
    for access in groups_ {
        let group = &access.group;
        let refusal = group_refusal(
            conn,
            &mut sender.policies,
            access,
            invitee.as_ref(),
            &email,
            config,
        )?;
        let refusal = match refusal {
            Some(r) => Some(r),
            None => {
                let pending = invitation::expire_stale(conn, group.id, &email_key, now)?;
                invitation::log(conn, &pending.expired, "expired", None, now)?;
                // Checked first so one taken group does not abort the
                // others; the unique index still decides a race.
                if pending.open {
                    Some(InviteOutcome::AlreadyInvited)
                } else if !grant.take(group.id) {
                    Some(InviteOutcome::QuotaReached)
                } else {
                    None
                }
            }
        };
        if let Some(r) = refusal {
            first_refusal.get_or_insert(r);
            continue;
        }
        let label = req.labels.iter().find(|(g, _)| *g == group.id);
        let (nonce, token, token_hash) = env.links.fresh();
        chosen.push(Chosen {
            group_id: group.id,
            name: label.map_or(&group.name, |(_, l)| l),
            nonce,
            token,
            token_hash,
        });
    }
    let Some(first) = chosen.first() else {
        return Err(Stop::Refused(
            first_refusal.unwrap_or(InviteOutcome::AlreadyInvited),
        ));
    };
    let names: Vec<String> = chosen.iter().map(|c| c.name.to_string()).collect();
    let groups_named = join_names(&names);
    // One group: its description says what it is; several: their names.
    let about = match (chosen.as_slice(), groups_) {
        ([_], [access]) => Some(access.group.description.as_str()).filter(|d| !d.is_empty()),
        _ => None,
    };
    let sent = Sent {
        groups: &groups_named,
        about,
        inviter,
        role: &req.role,
        message: req.message.as_deref(),
        expires_at: expires_at(config, now),
        reminder: false,
    };
    // The mail is queued first, so each invitation is written once,
    // already naming it (no UPDATE of the row just inserted).
    let mail_id = match &invitee {
        Some(u) => in_app_mail(conn, env, &sent, u, now)?,
        None => mail_link(conn, env, &sent, &email, None, &first.token, now)?,
    };
    let mut ids = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let id = invitation::insert_sent(
            conn,
            &NewInvitation {
                group_id: c.group_id,
                inviter_id: inviter.id,
                invitee_user_id: invitee.as_ref().map(|u| u.id),
                invitee_email: &email,
                invitee_email_key: &email_key,
                role_id: req.role.id,
                message: req.message.as_deref(),
                status: InvitationStatus::Pending,
                link_nonce: &c.nonce,
                token_hash: &c.token_hash,
                created_at: now,
                sent_at: now,
                expires_at: sent.expires_at,
                batch_id: None,
                last_mail_id: Some(mail_id),
                tell_inviter: req.tell_inviter,
            },
            now,
        )
        .map_err(|e| {
            if sender.guarded && db::is_unique_violation(&e) {
                Stop::Refused(InviteOutcome::AlreadyInvited)
            } else {
                e.into()
            }
        })?;
        ids.push(id);
    }
    if ids.len() > 1 {
        // One mail, one link: answering it answers every group of the batch.
        invitation::set_batch(conn, &ids, ids[0])?;
    }
    if let Some(u) = &invitee {
        announce_in_app(conn, &sent, u, ids[0], now)?;
    }
    let listed = if groups_.len() > 1 { names } else { Vec::new() };
    Ok((success, listed))
}

/// A group an entry passed the checks for, with the new invitation's link.
struct Chosen<'a> {
    group_id: i64,
    /// As the messages name it (the community's label, or its name).
    name: &'a str,
    nonce: String,
    token: String,
    token_hash: String,
}

/// Who an entry is: an account (invited in the app), or an address with
/// no account that holds it (invited by mail); or why nobody can be.
pub(crate) struct Invitee {
    pub user: Option<User>,
    pub email: String,
    pub email_key: String,
    /// The outcome when it goes out.
    pub success: InviteOutcome,
}

pub(crate) fn resolve_invitee(
    conn: &mut DbConn,
    recipient: &Recipient,
    inviter: &User,
) -> AppResult<Result<Invitee, InviteOutcome>> {
    let (user, address, success) = match recipient {
        Recipient::Invalid(_) => return Ok(Err(InviteOutcome::InvalidEntry)),
        Recipient::Username(u) => match user::find_by_username(conn, &u.key())? {
            Some(found) => (Some(found), None, InviteOutcome::Invited),
            None => return Ok(Err(InviteOutcome::NoSuchUser)),
        },
        Recipient::Email(e) => match user::find_by_email_key(conn, &e.key())? {
            // An account that never confirmed the address does not hold
            // it (`policy::may_claim_address`): the invitation goes to
            // the address, whose owner proves it by opening the link.
            Some(found)
                if found.password_hash.is_some() && policy::may_claim_address(&found).is_ok() =>
            {
                (None, Some(e), InviteOutcome::InvitedByEmail)
            }
            Some(found) => (Some(found), None, InviteOutcome::InvitedInApp),
            None => (None, Some(e), InviteOutcome::InvitedByEmail),
        },
    };
    if let Some(u) = &user {
        if !u.is_active() || u.email_verified_at.is_none() {
            return Ok(Err(InviteOutcome::AccountNotActive));
        }
        if u.id == inviter.id {
            return Ok(Err(InviteOutcome::AlreadyMember));
        }
    }
    let (email, email_key) = match (&user, address) {
        (Some(u), _) => (u.email.clone(), u.email.to_lowercase()),
        (None, Some(a)) => (a.as_str().to_string(), a.key()),
        (None, None) => unreachable!("an entry is a user or an address"),
    };
    Ok(Ok(Invitee {
        user,
        email,
        email_key,
        success,
    }))
}

/// Why `invitee` (an account, or `email` alone) cannot be invited into
/// `access`'s group, before pending invitations and quotas: a member
/// already, segregation, the invitation policy.
pub(crate) fn group_refusal(
    conn: &mut DbConn,
    policies: &mut PolicyCache,
    access: &GroupAccess,
    invitee: Option<&User>,
    email: &str,
    config: &Config,
) -> AppResult<Option<InviteOutcome>> {
    if let Some(u) = invitee {
        if membership::find_with_role(conn, access.group.id, u.id)?.is_some() {
            return Ok(Some(InviteOutcome::AlreadyMember));
        }
        // Partners never into client groups, clients never into partner groups.
        if let Err(why) = policy::may_enter_group_as(conn, &access.group, u)? {
            return Ok(Some(InviteOutcome::NotAllowed(why.to_string())));
        }
    }
    Ok(policy_refusal(conn, policies, access, email, config)?)
}

/// What the invitation policy of the group's path says of inviting `email`
/// there (`policy::may_invite_under`, `policy::may_invite_address`).
fn policy_refusal(
    conn: &mut DbConn,
    policies: &mut PolicyCache,
    access: &GroupAccess,
    email: &str,
    config: &Config,
) -> diesel::QueryResult<Option<InviteOutcome>> {
    let levels = policies.levels(conn, access.group.id)?;
    Ok(policy::may_invite_under(levels, access)
        .and_then(|()| policy::may_invite_address(levels, email, &config.disposable))
        .err()
        .map(|b| InviteOutcome::NotAllowed(b.to_string())))
}
