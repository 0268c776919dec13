//! The invitee's answer, from the inbox or from a link: accept or decline,
//! and what the link's page shows before.

use super::*;
use crate::models::notification::NewNotification;
use crate::services::link_guesses;

/// The invitee accepts or declines from their inbox.
pub fn answer(
    conn: &mut DbConn,
    me: &User,
    invitation_id: i64,
    accept: bool,
    config: &Config,
    now: PrimitiveDateTime,
) -> AppResult<(AnswerOutcome, String)> {
    db::write_tx(conn, |conn| {
        let (inv, group) = invitation::find_with_group(conn, invitation_id)?
            .filter(|(i, _)| i.invitee_user_id == Some(me.id))
            .ok_or_else(AppError::not_found)?;
        apply_answer(conn, me, &inv, group, accept, config, now)
    })
}

/// What declining answers, for the confirmation: the group, the inviter,
/// and the groups of the invitations sent with it (one link answers them
/// all). None when it is not `me`'s to decline or no longer open: the
/// answer itself then says why.
pub struct DeclinePreview {
    pub group: String,
    pub inviter: String,
    pub with_it: Vec<String>,
}

pub(super) fn decline_preview_of(
    conn: &mut DbConn,
    me: &User,
    inv: &invitation::Invitation,
    siblings: bool,
    now: PrimitiveDateTime,
) -> AppResult<Option<DeclinePreview>> {
    if policy::may_answer_invitation(me, inv).is_err()
        || inv.effective_status(now) != InvitationStatus::Pending
    {
        return Ok(None);
    }
    let Some((group, inviter)) = invitation::names_of(conn, inv.id)? else {
        return Ok(None);
    };
    let mut with_it = Vec::new();
    if siblings {
        for s in invitation::pending_siblings(conn, inv)? {
            if policy::may_answer_invitation(me, &s).is_ok()
                && let Some((g, _)) = invitation::names_of(conn, s.id)?
            {
                with_it.push(g);
            }
        }
    }
    Ok(Some(DeclinePreview {
        group,
        inviter,
        with_it,
    }))
}

/// Before Decline in the inbox or a private message.
pub fn decline_preview(
    conn: &mut DbConn,
    me: &User,
    invitation_id: i64,
    now: PrimitiveDateTime,
) -> AppResult<Option<DeclinePreview>> {
    match invitation::find(conn, invitation_id)? {
        Some(inv) if inv.invitee_user_id == Some(me.id) => {
            decline_preview_of(conn, me, &inv, false, now)
        }
        _ => Ok(None),
    }
}

/// Before Decline on an invitation link's page.
pub fn decline_preview_by_link(
    conn: &mut DbConn,
    me: &User,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<DeclinePreview>> {
    match find_by_link(conn, token)? {
        LinkLookup::Found(inv) => decline_preview_of(conn, me, &inv, true, now),
        LinkLookup::Unknown | LinkLookup::Replaced => Ok(None),
    }
}

/// Why a link's invitation cannot be answered by this user.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Logged in with another (or an unverified) address: the invitation is
    /// bound to the address it was sent to.
    SentTo(String),
}

/// What an invitation link's token leads to.
#[derive(Debug)]
pub enum LinkLookup<T> {
    /// No invitation has it (a random or tampered token): "not found".
    Unknown,
    /// A newer link replaced it: "no longer valid".
    Replaced,
    Found(T),
}

/// The invitation behind a link.
pub fn find_by_link(
    conn: &mut DbConn,
    token: &str,
) -> AppResult<LinkLookup<invitation::Invitation>> {
    if !tokens::looks_valid(token) {
        return Ok(LinkLookup::Unknown);
    }
    let hash = tokens::hash(token);
    if let Some(inv) =
        invitation::find_by_token_hash(conn, &hash)?.filter(|i| tokens::equal(&i.token_hash, &hash))
    {
        return Ok(LinkLookup::Found(inv));
    }
    Ok(match invitation::find_by_retired_hash(conn, &hash)? {
        Some(_) => LinkLookup::Replaced,
        None => LinkLookup::Unknown,
    })
}

/// The invitee accepts or declines through the invitation's link.
pub fn answer_by_link(
    conn: &mut DbConn,
    me: &User,
    token: &str,
    accept: bool,
    config: &Config,
    now: PrimitiveDateTime,
) -> AppResult<Result<(AnswerOutcome, String), LinkRefusal>> {
    db::write_tx(conn, |conn| {
        let inv = match find_by_link(conn, token)? {
            LinkLookup::Found(inv) => inv,
            // A replaced link answers nothing; its page says it is no longer valid.
            LinkLookup::Replaced | LinkLookup::Unknown => return Err(AppError::not_found()),
        };
        if policy::may_answer_invitation(me, &inv).is_err() {
            return Ok(Err(LinkRefusal::SentTo(inv.invitee_email)));
        }
        invitation::bind_invitee(conn, inv.id, me.id)?;
        let group = crate::models::group::find(conn, inv.group_id)?;
        let answered = apply_answer(conn, me, &inv, group, accept, config, now)?;
        if matches!(
            answered.0,
            AnswerOutcome::NoLongerOpen(_) | AnswerOutcome::NotAllowed
        ) {
            return Ok(Ok(answered));
        }
        // The wizard's mail carried one link for the whole batch: its answer
        // answers the sibling invitations too (same transaction, so all or none).
        let mut names = vec![answered.1];
        for sibling in invitation::pending_siblings(conn, &inv)? {
            if policy::may_answer_invitation(me, &sibling).is_ok() {
                invitation::bind_invitee(conn, sibling.id, me.id)?;
                let group = crate::models::group::find(conn, sibling.group_id)?;
                let (o, name) = apply_answer(conn, me, &sibling, group, accept, config, now)?;
                if matches!(o, AnswerOutcome::Accepted | AnswerOutcome::Declined) {
                    names.push(name);
                }
            }
        }
        Ok(Ok((answered.0, join_names(&names))))
    })
}

/// Closes the invitation once (a conditional update decides; the
/// membership's unique index backs it up), adds the membership on accept,
/// records it and tells the inviter. An accept is checked against the
/// invitation policy again, on the invitee's own (confirmed) address: a
/// rule made after the invitation was sent refuses it
/// (`AnswerOutcome::NotAllowed`, with the community whose rule it is).
pub(super) fn apply_answer(
    conn: &mut DbConn,
    me: &User,
    inv: &invitation::Invitation,
    group: Group,
    accept: bool,
    config: &Config,
    now: PrimitiveDateTime,
) -> AppResult<(AnswerOutcome, String)> {
    if accept && inv.effective_status(now) == InvitationStatus::Pending {
        let levels = crate::models::invitation_policy::along_path(conn, group.id)?;
        if let Err(b) = policy::may_invite_address(&levels, &me.email, &config.disposable) {
            return Ok((AnswerOutcome::NotAllowed, b.community));
        }
    }
    let to = if accept {
        InvitationStatus::Accepted
    } else {
        InvitationStatus::Declined
    };
    // Read before the invitation closes: the account may have changed
    // since it was sent.
    let joiner = if accept {
        let j = membership::joiner(conn, me.id)?;
        let account = policy::may_enter_group_given(&group, j.account_id, j.account_kind)?;
        Some((j.keys, account))
    } else {
        None
    };
    let verb = if accept { "accepted" } else { "declined" };
    let text = format!(
        "{} {verb} your invitation to {}",
        me.display_name(),
        group.name
    );
    let link = format!("/groups/{}/invitations/{}", group.slug, inv.id);
    crate::services::notifications::check_link(Some(&link))?;
    let note = NewNotification {
        user_id: inv.inviter_id,
        kind: &format!("invitation_{verb}"),
        text: &text,
        link_path: Some(&link),
        created_at: now,
        ref_id: None,
    };
    // Logged before the membership it brings (the webhooks hear
    // "accepted", then "membership.added"); its notification and private
    // message are done with; the inviter hears of it.
    if !invitation::close_answered(conn, inv.id, me.id, to, &note, now)? {
        return Ok((
            AnswerOutcome::NoLongerOpen(inv.effective_status(now)),
            group.name,
        ));
    }
    if let Some((keys, account)) = joiner {
        groups::add_member_once(
            conn,
            &membership::NewMembership::new(
                group.id,
                me.id,
                inv.role_id,
                keys,
                now,
                Some(inv.inviter_id),
            ),
            &NewAuditEvent {
                actor_id: me.id,
                subject_user_id: Some(me.id),
                account_id: account,
                group_id: Some(group.id),
                kind: audit::MEMBER_JOINED,
                detail: &format!("Joined by invitation ({})", group.name),
                created_at: now,
            },
        )?;
    }
    if accept && inv.tell_inviter {
        tell_inviter(conn, config, me, inv, &group, now)?;
    }
    let outcome = if accept {
        AnswerOutcome::Accepted
    } else {
        AnswerOutcome::Declined
    };
    Ok((outcome, group.name))
}

/// "Tell me when it is accepted": the inviter gets a mail besides the
/// notification every inviter gets.
fn tell_inviter(
    conn: &mut DbConn,
    config: &Config,
    me: &User,
    inv: &invitation::Invitation,
    group: &Group,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let inviter = user::find(conn, inv.inviter_id)?;
    let m = mail::messages::invitation_accepted(
        &inviter.email,
        &inviter.first_name,
        &me.display_name(),
        &group.name,
        &format_when(now),
        &format!("{}/groups/{}/members", config.base_url, group.slug),
    )?;
    mail::enqueue(conn, &m, now, &config.host())?;
    Ok(())
}

/// What the page of an invitation link shows.
pub struct LinkView {
    pub invitation: invitation::Invitation,
    pub status: InvitationStatus,
    pub group_name: String,
    pub group_slug: String,
    pub role_name: String,
    pub inviter_name: String,
    /// A contact added by a super user (Add user) not registered yet: what
    /// the super user entered, to start the sign-up form with.
    pub contact: Option<User>,
}

/// What the link's page shows, when the link leads to an invitation.
pub fn link_view(
    conn: &mut DbConn,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<LinkLookup<LinkView>> {
    let inv = match find_by_link(conn, token)? {
        LinkLookup::Found(inv) => inv,
        LinkLookup::Unknown => return Ok(LinkLookup::Unknown),
        LinkLookup::Replaced => return Ok(LinkLookup::Replaced),
    };
    let group = crate::models::group::find(conn, inv.group_id)?;
    let role = role::find(conn, inv.role_id)?.ok_or_else(AppError::not_found)?;
    let inviter = user::find(conn, inv.inviter_id)?;
    // A wizard batch: the link answers every group of it, so it names them all.
    let mut names = vec![group.name];
    if inv.status == InvitationStatus::Pending {
        for sibling in invitation::pending_siblings(conn, &inv)? {
            names.push(crate::models::group::find(conn, sibling.group_id)?.name);
        }
    }
    let contact = match inv.invitee_user_id {
        Some(id) => Some(user::find(conn, id)?).filter(|u| !u.is_registered()),
        None => None,
    };
    Ok(LinkLookup::Found(LinkView {
        contact,
        status: inv.effective_status(now),
        invitation: inv,
        group_name: join_names(&names),
        group_slug: group.slug,
        role_name: role.name,
        inviter_name: inviter.display_name(),
    }))
}

/// The answers, where they run: on the writer (an answer is one of the
/// busiest writes), whether it comes from the inbox or from a link.
impl crate::services::App {
    /// Accept or decline from the inbox (or a private message).
    pub async fn answer_invitation(
        &self,
        me: &User,
        invitation_id: i64,
        accept: bool,
    ) -> AppResult<(AnswerOutcome, String)> {
        let (me, now, config) = (me.clone(), self.clock.now(), self.config.clone());
        self.writer
            .run(move |c| answer(c, &me, invitation_id, accept, &config, now))
            .await
    }

    /// Accept or decline through the invitation's link.
    pub async fn answer_invitation_by_link(
        &self,
        me: &User,
        token: String,
        accept: bool,
    ) -> AppResult<Result<(AnswerOutcome, String), LinkRefusal>> {
        let (me, now, config) = (me.clone(), self.clock.now(), self.config.clone());
        self.writer
            .run(move |c| answer_by_link(c, &me, &token, accept, &config, now))
            .await
    }

    /// What Decline would do, for its confirmation (from the inbox).
    pub async fn decline_preview(
        &self,
        me: &User,
        invitation_id: i64,
    ) -> AppResult<Option<DeclinePreview>> {
        let (me, now) = (me.clone(), self.clock.now());
        db::read(&self.pool, self.backend, move |c| {
            decline_preview(c, &me, invitation_id, now)
        })
        .await
    }

    /// What Decline would do, for its confirmation (on the link's page).
    pub async fn decline_preview_by_link(
        &self,
        me: &User,
        token: String,
    ) -> AppResult<Option<DeclinePreview>> {
        let (me, now) = (me.clone(), self.clock.now());
        db::read(&self.pool, self.backend, move |c| {
            decline_preview_by_link(c, &me, &token, now)
        })
        .await
    }

    /// An invitation link's page, under the budget of guesses per address:
    /// `None` when `address` has used it up. Only a token that leads
    /// nowhere spends a guess.
    pub async fn open_link(
        &self,
        token: String,
        address: String,
    ) -> AppResult<Option<LinkLookup<LinkView>>> {
        let now = self.clock.now();
        db::run(&self.pool, move |c| {
            // A replaced link led somewhere too: only an unknown one counts.
            link_guesses::within_budget(
                c,
                &address,
                now,
                |c| link_view(c, &token, now),
                |found| !matches!(found, LinkLookup::Unknown),
            )
        })
        .await
    }
}
