//! "Suggest someone": where a community lets any member suggest
//! (`policy::may_suggest`), a member who may not invite asks the group's
//! member managers to invite someone. The policy and the suggester's daily
//! quota run before a suggestion is queued; managers approve (the
//! invitation goes out from them through the invite path, its history
//! crediting the suggester) or decline, one or the selected together; the
//! suggester hears of it either way. A suggestion lapses after 14 days.

use crate::db::{self, DbConn};
use crate::domain::{InviteOutcome, Permission, Recipient, parse_recipients};
use crate::error::{AppError, AppResult};
use crate::models::suggestion::{self, NewSuggestion, Status, Suggestion};
use crate::models::{
    User, invitation, invitation_policy, membership, rate_limit, role, send_count,
};
use crate::policy::{self, AdminClaim, Denied, GroupAccess};
use crate::services::invitations::{self, InviteRequest, Sender};
use crate::services::notifications::notify;
use crate::services::{Halt, outcome};
use serde::Deserialize;
use time::PrimitiveDateTime;

/// Longest reason a suggester may give.
pub const REASON_MAX: usize = 500;
/// Suggestions one person may make in 24 hours (all groups together).
pub const PER_DAY: i64 = 20;
/// Member managers told of a new suggestion, at most.
const NOTIFIED: i64 = 50;
/// Suggestions one "With the selected" press decides, at most.
pub const DECIDE_MAX: usize = 100;

/// The "Suggest someone" form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SuggestInput {
    #[serde(default)]
    pub invitee: String,
    #[serde(default)]
    pub reason: String,
}

/// Why a suggestion was not queued.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// The form: which field, and why.
    Form(crate::domain::FormErrors),
    Denied(Denied),
    NoSuchUser,
    AlreadyMember,
    AlreadyInvited,
    AlreadySuggested,
    /// The invitation policy refuses the address.
    NotAllowed(policy::Breach),
    /// The suggester's daily number of suggestions is reached.
    QuotaReached,
}

impl From<Denied> for Refusal {
    fn from(d: Denied) -> Self {
        Refusal::Denied(d)
    }
}

type Stop = Halt<Refusal>;

/// A checked suggestion form: one person and the reason.
struct Checked {
    recipient: Recipient,
    reason: String,
}

impl SuggestInput {
    fn check(&self) -> Result<Checked, crate::domain::FormErrors> {
        let mut e = crate::domain::FormErrors::default();
        let recipient = match parse_recipients(&self.invitee) {
            Ok(mut list) if list.len() == 1 => match list.remove(0) {
                Recipient::Invalid(_) => {
                    e.add("invitee", "Enter a username or an e-mail address.");
                    None
                }
                r => Some(r),
            },
            Ok(_) => {
                e.add("invitee", "Suggest one person at a time.");
                None
            }
            Err(err) => {
                e.add("invitee", err.message());
                None
            }
        };
        let reason = self.reason.trim().replace("\r\n", "\n");
        if reason.is_empty() {
            e.add("reason", "Say why they should be invited.");
        } else if reason.chars().count() > REASON_MAX {
            e.add(
                "reason",
                format!("A reason has at most {REASON_MAX} characters."),
            );
        }
        match recipient {
            Some(recipient) if e.is_empty() => Ok(Checked { recipient, reason }),
            _ => Err(e),
        }
    }
}

/// Queues `me`'s suggestion for the group `slug`, telling its member
/// managers; everything in one transaction.
pub fn suggest(
    conn: &mut DbConn,
    config: &crate::config::Config,
    slug: &str,
    me: &User,
    input: &SuggestInput,
    now: PrimitiveDateTime,
) -> AppResult<Result<(), Refusal>> {
    outcome(db::write_tx(conn, |conn| -> Result<(), Stop> {
        let access = GroupAccess::load(conn, slug, Some(me.id))?;
        let levels = invitation_policy::along_path(conn, access.group.id)?;
        policy::may_suggest(&levels, &access)?;
        let checked = input.check().map_err(|e| Stop::Refused(Refusal::Form(e)))?;
        let group = &access.group;
        let (email, key) = match &checked.recipient {
            Recipient::Username(u) => {
                let Some(user) = crate::models::user::find_by_username(conn, &u.key())? else {
                    return Err(Stop::Refused(Refusal::NoSuchUser));
                };
                if user.id == me.id
                    || membership::find_with_role(conn, group.id, user.id)?.is_some()
                {
                    return Err(Stop::Refused(Refusal::AlreadyMember));
                }
                (user.email.clone(), user.email.to_lowercase())
            }
            Recipient::Email(e) => (e.as_str().to_string(), e.key()),
            Recipient::Invalid(_) => unreachable!("the form refused it"),
        };
        if let Err(b) = policy::may_invite_address(&levels, &email, &config.disposable) {
            return Err(Stop::Refused(Refusal::NotAllowed(b)));
        }
        let pending = invitation::expire_stale(conn, group.id, &key, now)?;
        invitation::log(conn, &pending.expired, "expired", None, now)?;
        if pending.open {
            return Err(Stop::Refused(Refusal::AlreadyInvited));
        }
        if suggestion::expire_stale(conn, group.id, &key, now)? {
            return Err(Stop::Refused(Refusal::AlreadySuggested));
        }
        let day_ago = now - time::Duration::DAY;
        if !rate_limit::take(conn, &format!("suggest:{}", me.id), PER_DAY, day_ago, now)? {
            return Err(Stop::Refused(Refusal::QuotaReached));
        }
        rate_limit::prune(conn, "suggest:", day_ago)?;
        let new = NewSuggestion {
            group_id: group.id,
            suggester_id: me.id,
            invitee: checked.recipient.label(),
            invitee_key: &key,
            reason: &checked.reason,
        };
        // Two suggestions of one person at once: the unique index decides.
        suggestion::insert(conn, &new, now).map_err(|e| {
            if db::is_unique_violation(&e) {
                Stop::Refused(Refusal::AlreadySuggested)
            } else {
                e.into()
            }
        })?;
        let text = format!(
            "{} suggests inviting {} to {}.",
            me.display_name(),
            checked.recipient.label(),
            group.name
        );
        let link = format!("/groups/{}/suggestions", group.slug);
        let mut managers = membership::user_ids_holding(
            conn,
            &access.ancestors,
            Permission::ManageMember,
            NOTIFIED,
        )?;
        managers.sort_unstable();
        managers.dedup();
        for m in managers {
            notify(conn, m, "suggestion", &text, Some(&link), now)?;
        }
        Ok(())
    }))
}

/// Approve or Decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Decline,
}

/// How a press went, suggestion by suggestion.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DecideReport {
    /// Approved, and the invitation sent.
    pub invited: usize,
    pub declined: usize,
    /// Decided by someone else meanwhile, or past their 14 days.
    pub not_open: usize,
    /// Approved, but the invitation was refused: who, and why.
    pub refused: Vec<(String, InviteOutcome)>,
}

/// Approves or declines the selected suggestions of the claimed group (the
/// claim checks `manage_member`: someone who may only suggest gets 403) in
/// one transaction. An approval sends the invitation as GroupMember from
/// `actor` through the invite path (policy, quotas, segregation); an id
/// of another group refuses the whole press (a forged form).
pub fn decide(
    conn: &mut DbConn,
    env: &invitations::InviteEnv<'_>,
    claim: &AdminClaim,
    actor: &User,
    ids: &[i64],
    decision: Decision,
    now: PrimitiveDateTime,
) -> AppResult<DecideReport> {
    if ids.len() > DECIDE_MAX {
        return Err(AppError::bad_request(format!(
            "Select at most {DECIDE_MAX} suggestions at once."
        )));
    }
    db::write_tx(conn, |conn| {
        let access = claim.check(conn)?;
        // One read for the press; an id of another group (or none) is a
        // forged form.
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let found = suggestion::in_group(conn, access.group.id, &wanted)?;
        if found.len() != wanted.len() {
            return Err(AppError::not_found());
        }
        let mut report = DecideReport::default();
        let mut approve = match decision {
            Decision::Approve => Some(Approver::new(conn, env, &access, actor, found.len(), now)?),
            Decision::Decline => None,
        };
        for s in found {
            if s.effective_status(now) != Status::Pending {
                report.not_open += 1;
                continue;
            }
            let to = match decision {
                Decision::Approve => Status::Approved,
                Decision::Decline => Status::Declined,
            };
            if suggestion::decide(conn, s.id, to, actor.id, now)? == 0 {
                report.not_open += 1;
                continue;
            }
            if to == Status::Approved {
                crate::models::webhook::queue_suggestion_approved(
                    conn,
                    access.group.id,
                    s.id,
                    &s.invitee,
                    s.suggester_id,
                    actor.id,
                    now,
                )?;
            }
            let said = match approve.as_mut() {
                None => {
                    report.declined += 1;
                    format!(
                        "Your suggestion to invite {} to {} was declined.",
                        s.invitee, access.group.name
                    )
                }
                Some(a) => match a.invite(conn, &access, &s, now)? {
                    Ok(()) => {
                        report.invited += 1;
                        format!(
                            "Your suggestion was approved: {} is invited to {}.",
                            s.invitee, access.group.name
                        )
                    }
                    Err(why) => {
                        report.refused.push((s.invitee.clone(), why));
                        format!(
                            "Your suggestion to invite {} to {} was approved, but no invitation was sent: {}.",
                            s.invitee,
                            access.group.name,
                            why_not(&report.refused.last().expect("pushed").1)
                        )
                    }
                },
            };
            let link = format!("/groups/{}/suggestions", access.group.slug);
            notify(
                conn,
                s.suggester_id,
                "suggestion_decided",
                &said,
                Some(&link),
                now,
            )?;
        }
        if let Some(a) = approve {
            a.settle(conn)?;
        }
        Ok(report)
    })
}

/// Why an approved suggestion sent no invitation, in the suggester's words.
fn why_not(o: &InviteOutcome) -> String {
    match o {
        InviteOutcome::AlreadyMember => "they are a member already".into(),
        InviteOutcome::AlreadyInvited => "they are invited already".into(),
        InviteOutcome::QuotaReached => "the daily limit of invitations is reached".into(),
        InviteOutcome::NoSuchUser => "there is no such user".into(),
        InviteOutcome::AccountNotActive => "their account is not active".into(),
        InviteOutcome::NotAllowed(why) => why.clone(),
        _ => "it was refused".into(),
    }
}

/// What approving needs: the approver's quota reservation and the role.
struct Approver<'a, 'e> {
    env: &'a invitations::InviteEnv<'e>,
    sender: Sender<'a>,
    request: InviteRequest,
}

impl<'a, 'e> Approver<'a, 'e> {
    fn new(
        conn: &mut DbConn,
        env: &'a invitations::InviteEnv<'e>,
        access: &GroupAccess,
        actor: &'a User,
        n: usize,
        now: PrimitiveDateTime,
    ) -> AppResult<Self> {
        let role = invitations::grantable_roles(conn, access, actor)?
            .into_iter()
            .find(|r| r.name == role::GROUP_MEMBER)
            .ok_or_else(AppError::forbidden)?;
        let limits = invitations::limits(env.config);
        let grant = send_count::reserve(conn, actor.id, &vec![access.group.id; n], limits, now)?;
        Ok(Self {
            env,
            sender: Sender::new(actor, grant),
            request: InviteRequest {
                recipients: Vec::new(),
                role,
                message: None,
                tell_inviter: false,
                labels: Vec::new(),
            },
        })
    }

    /// Sends the invitation `s` asks for; its history credits the suggester.
    fn invite(
        &mut self,
        conn: &mut DbConn,
        access: &GroupAccess,
        s: &Suggestion,
        now: PrimitiveDateTime,
    ) -> AppResult<Result<(), InviteOutcome>> {
        let recipient = parse_recipients(&s.invitee)
            .ok()
            .and_then(|mut l| (l.len() == 1).then(|| l.remove(0)))
            .unwrap_or_else(|| Recipient::Invalid(s.invitee.clone()));
        let (outcome, _) = invitations::invite_one(
            conn,
            self.env,
            &[access],
            &mut self.sender,
            &self.request,
            &recipient,
            now,
        )?;
        if !outcome.is_success() {
            return Ok(Err(outcome));
        }
        if let Some(id) = invitation::pending_id(conn, access.group.id, &s.invitee_key)? {
            invitation::add_event(conn, id, "suggested", Some(s.suggester_id), s.created_at)?;
            suggestion::set_invitation(conn, s.id, id)?;
        }
        Ok(Ok(()))
    }

    /// Gives back what the press reserved and did not spend.
    fn settle(self, conn: &mut DbConn) -> AppResult<()> {
        self.sender.grant.settle(conn)?;
        Ok(())
    }
}

/// What the Suggestions page shows the viewer.
pub struct SuggestionsPage {
    pub access: GroupAccess,
    /// Whether the viewer approves and declines (`manage_member`).
    pub decides: bool,
    /// Whether the viewer may suggest, or why not.
    pub may_suggest: Result<(), Denied>,
    /// Waiting for a decision (for those who decide), oldest first.
    pub pending: Vec<suggestion::Row>,
    /// The id after which the next page starts.
    pub next: Option<i64>,
    pub pending_count: i64,
    /// The viewer's own suggestions, newest first.
    pub mine: Vec<Suggestion>,
}

const PAGE: db::PageSize = db::PageSize(50);
const MINE_SHOWN: i64 = 20;

impl crate::services::App {
    /// The Suggestions page of `slug` for `me` (a member, or 403).
    pub async fn suggestions_page(
        &self,
        slug: String,
        me: &User,
        after: Option<i64>,
    ) -> AppResult<SuggestionsPage> {
        let me = me.clone();
        self.on_pool(move |c, now| {
            let access = GroupAccess::load(c, &slug, Some(me.id))?;
            let decides = policy::may_invite(&access).is_ok();
            let levels = invitation_policy::along_path(c, access.group.id)?;
            let may_suggest = policy::may_suggest(&levels, &access);
            if !decides && may_suggest == Err(Denied::NotAMember) {
                return Err(Denied::NoAccess.into());
            }
            let (mut pending, pending_count) = if decides {
                (
                    suggestion::pending_page(c, access.group.id, now, after, PAGE.fetch())?,
                    suggestion::count_pending(c, access.group.id, now)?,
                )
            } else {
                (Vec::new(), 0)
            };
            let next = PAGE.next(&mut pending, |r| r.suggestion.id);
            let mine = suggestion::by_suggester(c, access.group.id, me.id, MINE_SHOWN)?;
            Ok(SuggestionsPage {
                access,
                decides,
                may_suggest,
                pending,
                next,
                pending_count,
                mine,
            })
        })
        .await
    }

    /// "Suggest someone" in `slug`.
    pub async fn suggest(
        &self,
        slug: String,
        me: &User,
        input: SuggestInput,
    ) -> AppResult<Result<(), Refusal>> {
        let (me, config) = (me.clone(), self.config.clone());
        self.on_pool(move |c, now| suggest(c, &config, &slug, &me, &input, now))
            .await
    }

    /// Approve or Decline the selected suggestions.
    pub async fn decide_suggestions(
        &self,
        claim: AdminClaim,
        actor: &User,
        ids: Vec<i64>,
        decision: Decision,
    ) -> AppResult<DecideReport> {
        let (app, actor) = (self.clone(), actor.clone());
        self.on_pool_mailing(move |c, now| {
            decide(c, &app.invite_env(), &claim, &actor, &ids, decision, now)
        })
        .await
    }
}
