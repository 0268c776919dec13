//! The Add user wizard (`/account/users/new`): a super user adds a contact
//! to their account and invites them into groups, in three steps (details →
//! groups → overview). The steps carry the earlier steps' values in hidden
//! fields; every step re-checks all of them here, so nothing a browser sends
//! back is trusted, and **Add** checks everything again inside its one
//! transaction.
//!
//! Which groups a super user may offer: the groups where they hold
//! `manage_member` (the same power inviting needs everywhere else: being a
//! super user grants no power over groups) and that pass the segregation
//! rule for a person of their account.

use super::people;
use crate::db::{self, DbConn};
use crate::domain::{
    CountryCode, EmailAddress, FormErrors, InvitationStatus, Permission, PersonName, PhoneNumber,
    UserStatus, segregation,
};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, NewAuditEvent};
use crate::models::invitation::{self, NewInvitation};
use crate::models::user::{self, NewUser};
use crate::models::{Group, User, company_account, group, role};
use crate::policy;
use crate::services::invitations::{self, InviteEnv};
use time::PrimitiveDateTime;

pub const EMAIL_IN_USE: &str = "This e-mail address is already in use.";
pub const NO_GROUP: &str = "Choose at least one group.";
pub const NOT_OFFERED: &str = "Choose among the groups listed.";
pub const ALREADY_INVITED: &str =
    "This address already has a pending invitation to one of these groups.";
pub const QUOTA: &str = "The daily limit of invitations is reached: try again tomorrow.";
pub const REGISTERED: &str =
    "This person has registered already: invite them from their group's page.";
pub const STILL_PENDING: &str =
    "This person has a pending invitation: resend it or generate a new one instead.";

/// The wizard's fields as sent (any step). Repeated `group` fields are the
/// chosen groups, so this is read from the raw pairs, not serde.
#[derive(Debug, Default, Clone)]
pub struct AddUserInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub country_code: String,
    pub phone: String,
    /// Chosen group ids as sent (unparsed: a forged value is refused, not a 400).
    pub groups: Vec<String>,
    /// The search box of the groups step.
    pub q: String,
    /// Which step the form came from, and which button was pressed.
    pub step: String,
    pub action: String,
}

impl AddUserInput {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut i = AddUserInput::default();
        for (k, v) in pairs {
            match k.as_str() {
                "first_name" => i.first_name = v,
                "last_name" => i.last_name = v,
                "email" => i.email = v,
                "country_code" => i.country_code = v,
                "phone" => i.phone = v,
                "group" => i.groups.push(v),
                "q" => i.q = v,
                "step" => i.step = v,
                "action" => i.action = v,
                _ => {}
            }
        }
        i
    }
    pub fn has_group(&self, id: &i64) -> bool {
        let id = id.to_string();
        self.groups.iter().any(|g| g.trim() == id)
    }
}

/// Step 1 checked.
#[derive(Debug, Clone)]
pub struct ContactDetails {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub country_code: Option<CountryCode>,
    pub phone: Option<PhoneNumber>,
}

/// Step 1: the domain types' rules, and the address not in use by anyone.
pub fn check_details(
    conn: &mut DbConn,
    i: &AddUserInput,
) -> AppResult<Result<ContactDetails, FormErrors>> {
    let mut e = FormErrors::default();
    let first_name = e.check("first_name", PersonName::parse(&i.first_name, "first name"));
    let last_name = e.check("last_name", PersonName::parse(&i.last_name, "last name"));
    let email = e.check("email", EmailAddress::parse(&i.email));
    let country_code = e.check("country_code", CountryCode::parse_optional(&i.country_code));
    let phone = e.check("phone", PhoneNumber::parse_optional(&i.phone));
    if let Some(address) = &email
        && user::find_by_email_key(conn, &address.key())?.is_some()
    {
        e.add("email", EMAIL_IN_USE);
    }
    Ok(match (first_name, last_name, email, country_code, phone) {
        (Some(first_name), Some(last_name), Some(email), Some(country_code), Some(phone))
            if e.is_empty() =>
        {
            Ok(ContactDetails {
                first_name,
                last_name,
                email,
                country_code,
                phone,
            })
        }
        _ => Err(e),
    })
}

/// The groups `actor` may invite a new contact of their account into, by
/// name. Refused (403) unless `actor` is an active super user.
pub fn offered_groups(conn: &mut DbConn, actor: i64) -> AppResult<(User, Vec<Group>)> {
    let me = user::find(conn, actor)?;
    let account = policy::super_user_account(&me).map_err(AppError::from)?;
    let (_, kind) = company_account::of_user(conn, me.id)?;
    let groups = group::with_roles_of(conn, me.id)?
        .into_iter()
        .filter(|(g, r)| {
            r.perms().has(Permission::ManageMember)
                && segregation::may_join(
                    kind,
                    g.audience().unwrap_or(crate::domain::Audience::Client),
                    g.account_id,
                    Some(account),
                )
                .is_ok()
        })
        .map(|(g, _)| g)
        .collect();
    Ok((me, groups))
}

/// Step 2: at least one group, every one of them among `offered`.
pub fn check_groups(offered: &[Group], i: &AddUserInput) -> Result<Vec<Group>, FormErrors> {
    let mut e = FormErrors::default();
    let mut chosen: Vec<Group> = Vec::new();
    for raw in &i.groups {
        match raw
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| offered.iter().find(|g| g.id == id))
        {
            Some(g) if !chosen.iter().any(|c| c.id == g.id) => chosen.push(g.clone()),
            Some(_) => {}
            None => {
                e.add("groups", NOT_OFFERED);
                return Err(e);
            }
        }
    }
    if chosen.is_empty() {
        e.add("groups", NO_GROUP);
        return Err(e);
    }
    Ok(chosen)
}

/// The offered groups whose name contains `q` (case-insensitive).
pub fn filter(offered: &[Group], q: &str) -> Vec<Group> {
    let q = q.trim().to_lowercase();
    offered
        .iter()
        .filter(|g| q.is_empty() || g.name.to_lowercase().contains(&q))
        .cloned()
        .collect()
}

/// Why **Add** did not add: the step to show again and its errors.
#[derive(Debug)]
pub enum Refused {
    Details(FormErrors),
    Groups(FormErrors),
}

type Stop = crate::services::Halt<Refused>;

fn refused_groups(msg: &str) -> Stop {
    let mut e = FormErrors::default();
    e.add("groups", msg);
    Stop::Refused(Refused::Groups(e))
}

/// **Add**: in one transaction, the contact (status `invited`, in the super
/// user's account, no username, password or verified address), one pending
/// GroupMember invitation per chosen group (one batch: the first one's link
/// answers them all), their 'sent' events, one mail listing the groups with
/// the link, and an audit event. Returns the contact's id.
pub fn add(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: i64,
    input: &AddUserInput,
    now: PrimitiveDateTime,
) -> AppResult<Result<i64, Refused>> {
    let result = db::write_tx(conn, |conn| -> Result<i64, Stop> {
        // Everything again, inside the transaction: powers and groups may
        // have changed since the overview was shown.
        let (me, offered) = offered_groups(conn, actor)?;
        let account = policy::super_user_account(&me).map_err(AppError::from)?;
        let details =
            check_details(conn, input)?.map_err(|e| Stop::Refused(Refused::Details(e)))?;
        let chosen =
            check_groups(&offered, input).map_err(|e| Stop::Refused(Refused::Groups(e)))?;
        let email_key = details.email.key();
        let contact_id = user::insert(
            conn,
            &NewUser {
                username: None,
                username_key: None,
                email: details.email.as_str(),
                email_key: email_key.clone(),
                first_name: details.first_name.as_str(),
                last_name: details.last_name.as_str(),
                country_code: details.country_code.as_ref().map(CountryCode::as_str),
                phone: details.phone.as_ref().map(PhoneNumber::as_str),
                password_hash: None,
                status: UserStatus::Invited,
                is_site_admin: false,
                email_verified_at: None,
                approved_at: None,
                session_epoch: 0,
                created_at: now,
                updated_at: now,
                account_id: Some(account),
                is_super_user: false,
                seeded: false,
            },
        )
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                let mut f = FormErrors::default();
                f.add("email", EMAIL_IN_USE);
                Stop::Refused(Refused::Details(f))
            } else {
                e.into()
            }
        })?;
        let contact = user::find(conn, contact_id)?;
        let names = invite_contact(conn, env, &me, &contact, &chosen, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: me.id,
                subject_user_id: Some(contact_id),
                account_id: Some(account),
                group_id: None,
                kind: audit::CONTACT_ADDED,
                detail: &format!(
                    "Contact {} added and invited to {names}",
                    details.email.as_str()
                ),
                created_at: now,
            },
        )?;
        Ok(contact_id)
    });
    match result {
        Ok(id) => Ok(Ok(id)),
        Err(Stop::Refused(r)) => Ok(Err(r)),
        Err(Stop::App(e)) => Err(e),
    }
}

/// Invites `contact`, an unregistered contact of `me`'s account, into
/// `chosen` (already checked against the offered groups): one pending
/// GroupMember invitation per group, as one batch whose first link answers
/// them all, their 'sent' history and audit, and one mail listing the
/// groups with the link. Inside the caller's transaction; returns the
/// groups' names as the mail says them. The Add user wizard's **Add** and
/// **Invite to Community** both end here.
fn invite_contact(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    me: &User,
    contact: &User,
    chosen: &[Group],
    now: PrimitiveDateTime,
) -> Result<String, Stop> {
    let member = role::builtin(conn, role::GROUP_MEMBER)?;
    let email_key = contact.email.to_lowercase();
    let mut ids = Vec::new();
    let mut first_token = None;
    let groups: Vec<i64> = chosen.iter().map(|g| g.id).collect();
    let limits = invitations::limits(env.config);
    // Inside the caller's transaction: a refusal takes the reservation back.
    let mut grant = crate::models::send_count::reserve(conn, me.id, &groups, limits, now)?;
    for g in chosen {
        let levels = crate::models::invitation_policy::along_path(conn, g.id)?;
        // "Admins only" where a level says so, then the address: the same
        // rules as the invite form.
        let access = policy::GroupAccess::load(conn, &g.slug, Some(me.id))?;
        let allowed = policy::may_invite_under(&levels, &access).and_then(|()| {
            policy::may_invite_address(&levels, &contact.email, &env.config.disposable)
        });
        if let Err(b) = allowed {
            return Err(refused_groups(&format!("{}: not allowed by {b}.", g.name)));
        }
        if !grant.take(g.id) {
            return Err(refused_groups(QUOTA));
        }
        let stale = invitation::expire_stale(conn, g.id, &email_key, now)?;
        invitation::log(conn, &stale.expired, "expired", None, now)?;
        let (nonce, token, token_hash) = env.links.fresh();
        let id = invitation::insert(
            conn,
            &NewInvitation {
                group_id: g.id,
                inviter_id: me.id,
                invitee_user_id: Some(contact.id),
                invitee_email: &contact.email,
                invitee_email_key: &email_key,
                role_id: member.id,
                message: None,
                status: InvitationStatus::Pending,
                link_nonce: &nonce,
                token_hash: &token_hash,
                created_at: now,
                sent_at: now,
                expires_at: invitations::expires_at(env.config, now),
                batch_id: None,
                last_mail_id: None,
                tell_inviter: false,
            },
        )
        .map_err(|e| {
            if db::is_unique_violation(&e) {
                refused_groups(ALREADY_INVITED)
            } else {
                e.into()
            }
        })?;
        first_token.get_or_insert(token);
        ids.push(id);
    }
    let token = first_token.ok_or_else(|| refused_groups(NO_GROUP))?;
    invitation::log(conn, &ids, "sent", Some(me.id), now)?;
    invitation::set_batch(conn, &ids, ids[0])?;
    let names: Vec<String> = chosen.iter().map(|g| g.name.clone()).collect();
    let names = invitations::join_names(&names);
    invitations::mail_batch(conn, env, me, &member, contact, &ids, &names, &token, now)?;
    Ok(names)
}

/// **Invite to Community** on the page of a contact who has no open
/// invitation (never invited, cancelled, or expired): the super user of the
/// contact's account (another account's contact is not found) chooses
/// groups among those the wizard offers, and the contact gets a fresh link,
/// exactly as the wizard's **Add** sends one. Their invitations whose date
/// has passed are marked expired first, so the page then shows the new one.
/// Returns the groups' names, or why nothing was written.
pub fn invite_to_community(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    actor: i64,
    target: i64,
    input: &AddUserInput,
    now: PrimitiveDateTime,
) -> AppResult<Result<String, FormErrors>> {
    let result = db::write_tx(conn, |conn| -> Result<String, Stop> {
        let (me, contact) = people::load_target(conn, actor, target)?;
        if contact.status != UserStatus::Invited {
            return Err(refused_groups(REGISTERED));
        }
        let pending = invitation::pending_for_contact(conn, contact.id)?;
        if pending
            .iter()
            .any(|(i, _)| i.effective_status(now) == InvitationStatus::Pending)
        {
            return Err(refused_groups(STILL_PENDING));
        }
        let (_, offered) = offered_groups(conn, actor)?;
        let chosen =
            check_groups(&offered, input).map_err(|e| Stop::Refused(Refused::Groups(e)))?;
        let email_key = contact.email.to_lowercase();
        for (old, _) in &pending {
            let stale = invitation::expire_stale(conn, old.group_id, &email_key, now)?;
            invitation::log(conn, &stale.expired, "expired", None, now)?;
        }
        let names = invite_contact(conn, env, &me, &contact, &chosen, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: me.id,
                subject_user_id: Some(contact.id),
                account_id: contact.account_id,
                group_id: None,
                kind: audit::CONTACT_INVITED,
                detail: &format!("Contact {} invited to Community: {names}", contact.email),
                created_at: now,
            },
        )?;
        Ok(names)
    });
    match result {
        Ok(names) => Ok(Ok(names)),
        Err(Stop::Refused(Refused::Groups(e) | Refused::Details(e))) => Ok(Err(e)),
        Err(Stop::App(e)) => Err(e),
    }
}

/// What one press in the Add user wizard found (and, on Add, did).
pub struct WizardStep {
    pub input: AddUserInput,
    pub offered: Vec<Group>,
    pub details: Result<ContactDetails, FormErrors>,
    /// Only when Add was pressed on valid details.
    pub added: Option<Result<i64, Refused>>,
}

/// The wizard and Invite to Community, as handlers call them.
impl crate::services::App {
    /// Checks the details (and adds the contact when `adding`).
    pub async fn wizard_step(
        &self,
        actor: i64,
        input: AddUserInput,
        adding: bool,
    ) -> AppResult<WizardStep> {
        let app = self.clone();
        let step = self
            .on_pool(move |c, now| {
                let (_, offered) = offered_groups(c, actor)?;
                let details = check_details(c, &input)?;
                let added = if adding && details.is_ok() {
                    Some(add(c, &app.invite_env(), actor, &input, now)?)
                } else {
                    None
                };
                Ok(WizardStep {
                    input,
                    offered,
                    details,
                    added,
                })
            })
            .await?;
        if matches!(step.added, Some(Ok(_))) {
            self.mail_wakeup.notify_one();
        }
        Ok(step)
    }

    /// Invites a registered-nowhere contact to more groups: their names.
    pub async fn invite_contact_to_community(
        &self,
        actor: i64,
        target: i64,
        input: AddUserInput,
    ) -> AppResult<Result<String, FormErrors>> {
        let app = self.clone();
        self.on_pool_mailing(move |c, now| {
            invite_to_community(c, &app.invite_env(), actor, target, &input, now)
        })
        .await
    }
}
