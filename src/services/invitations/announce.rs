//! How an invitee hears of it: the mail (and its preview), and for a
//! registered invitee a private message and a notification.

use super::*;

/// The invitation mail as the invitee will see it, for the invite page's preview.
pub fn preview(
    config: &Config,
    groups: &str,
    about: Option<&str>,
    inviter: &User,
    role: Option<&Role>,
    message: Option<&str>,
    now: PrimitiveDateTime,
) -> AppResult<mail::OutgoingMail> {
    let m = mail::messages::invitation(&InvitationMail {
        to: "invitee@example.com",
        name: Some("(the invitee's first name)"),
        inviter: &inviter.display_name(),
        groups,
        role: role.map_or("(the role you choose)", |r| r.name.as_str()),
        message,
        registered: true,
        link: &format!("{}/invitations", config.base_url),
        expires: &format_when(expires_at(config, now)),
        about: about.filter(|d| !d.is_empty()),
        reminder: false,
    })?;
    Ok(m)
}

/// A registered invitee hears of it by private message from the inviter
/// (referring to `invitation`, the first of the batch) and a notification,
/// besides the mail ([`in_app_mail`]).
pub(super) fn announce_in_app(
    conn: &mut DbConn,
    sent: &Sent<'_>,
    invitee: &User,
    invitation: i64,
    now: PrimitiveDateTime,
) -> Result<(), Stop> {
    let group = sent.groups;
    let inviter_name = sent.inviter.display_name();
    let mut body = format!(
        "{inviter_name} invites you to join {group} as {}.",
        sent.role.name
    );
    if let Some(m) = sent.message {
        body.push_str("\n\n");
        body.push_str(m);
    }
    body.push_str("\n\nAccept or decline below, or in your invitations.");
    send_message_with_ref(
        conn,
        Some(sent.inviter.id),
        invitee.id,
        &format!("Invitation to {group}"),
        &body,
        Some(MessageRef {
            kind: "invitation",
            ref_id: invitation,
            note: Some(RefNote {
                text: &format!("{inviter_name} invited you to {group}"),
                link_path: "/invitations",
            }),
        }),
        now,
    )?;
    Ok(())
}

/// Queues the mail to a registered invitee, pointing to their invitations;
/// returns its id.
pub(super) fn in_app_mail(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    sent: &Sent<'_>,
    invitee: &User,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let link = format!("{}/invitations", env.config.base_url);
    queue_mail(
        conn,
        env,
        sent,
        &invitee.email,
        Some(&invitee.first_name),
        true,
        &link,
        now,
    )
}

/// Mails invitation `inv` (to `groups`, valid until `until`) again: to a
/// registered invitee pointing to their invitations, to an address or a
/// contact with its link; as a reminder or as the invitation itself.
/// Returns the mail's id.
pub(super) fn mail_again(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    inv: &invitation::Invitation,
    groups: &str,
    until: PrimitiveDateTime,
    reminder: bool,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let inviter = user::find(conn, inv.inviter_id)?;
    let role = role::find(conn, inv.role_id)?.ok_or_else(AppError::not_found)?;
    let group = crate::models::group::find(conn, inv.group_id)?;
    let sent = Sent {
        groups,
        about: Some(group.description.as_str()).filter(|d| !d.is_empty()),
        inviter: &inviter,
        role: &role,
        message: inv.message.as_deref(),
        expires_at: until,
        reminder,
    };
    let token = env.links.token(&inv.link_nonce);
    let invitee = match inv.invitee_user_id {
        Some(uid) => Some(user::find(conn, uid)?),
        None => None,
    };
    match invitee {
        // A contact (no login yet) needs the link to register, like an address.
        Some(invitee) if invitee.status != crate::domain::UserStatus::Invited => {
            in_app_mail(conn, env, &sent, &invitee, now)
        }
        Some(contact) => {
            let name = Some(contact.first_name.as_str());
            mail_link(conn, env, &sent, &contact.email, name, &token, now)
        }
        None => mail_link(conn, env, &sent, &inv.invitee_email, None, &token, now),
    }
}

/// Queues the mail with the invitation's own link, which they need to
/// register: for a plain address, or for a contact (a user without a login
/// yet) greeted by `name`; returns its id.
pub(super) fn mail_link(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    sent: &Sent<'_>,
    to: &str,
    name: Option<&str>,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    queue_mail(conn, env, sent, to, name, false, &env.join_url(token), now)
}

/// Queues an invitation mail; returns its id, for the invitations it announces.
#[allow(clippy::too_many_arguments)]
pub(super) fn queue_mail(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    sent: &Sent<'_>,
    to: &str,
    name: Option<&str>,
    registered: bool,
    link: &str,
    now: PrimitiveDateTime,
) -> AppResult<i64> {
    let m = mail::messages::invitation(&InvitationMail {
        to,
        name,
        inviter: &sent.inviter.display_name(),
        groups: sent.groups,
        role: &sent.role.name,
        message: sent.message,
        registered,
        link,
        expires: &format_when(sent.expires_at),
        about: sent.about,
        reminder: sent.reminder,
    })?;
    Ok(mail::enqueue(conn, &m, now, &env.config.host())?)
}

/// Queues the one invitation mail of a wizard batch (a contact, several
/// groups, the first invitation's link) and records it on every invitation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mail_batch(
    conn: &mut DbConn,
    env: &InviteEnv<'_>,
    inviter: &User,
    role: &Role,
    contact: &User,
    ids: &[i64],
    groups: &str,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let sent = Sent {
        groups,
        about: None,
        inviter,
        role,
        message: None,
        expires_at: expires_at(env.config, now),
        reminder: false,
    };
    let name = Some(contact.first_name.as_str());
    let mail_id = mail_link(conn, env, &sent, &contact.email, name, token, now)?;
    invitation::set_last_mail(conn, ids, mail_id)?;
    Ok(())
}
