//! "Are you sure?" pages: every irreversible action shows one of these
//! first, naming its consequence, with one button that does it and a way
//! back. Server-rendered, so it works without JavaScript.

use crate::auth::Ctx;
use askama::Template;
use askama_web::WebTemplate;

/// What the page's one button posts.
pub struct ConfirmForm {
    pub action: String,
    /// Hidden fields carried over (ids, the list to return to, `confirmed`).
    pub fields: Vec<(String, String)>,
    pub button: String,
    /// Red for what destroys (cancel, remove); plain for what replaces.
    pub danger: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub ctx: Ctx,
    /// (href, text) links above the heading.
    pub crumbs: Vec<(String, String)>,
    pub title: String,
    pub heading: String,
    pub consequence: String,
    /// Who or what is affected, when several (a bulk cancel's invitees).
    pub items: Vec<String>,
    /// None when there is nothing left to do (already closed).
    pub form: Option<ConfirmForm>,
    pub back: String,
    pub back_label: String,
}

/// The field a confirmation's button adds to the form it repeats.
pub const CONFIRMED: (&str, &str) = ("confirmed", "1");

impl ConfirmForm {
    /// A form that repeats a POST with `fields` and `confirmed=1`.
    pub fn repost(
        action: String,
        fields: Vec<(String, String)>,
        button: &str,
        danger: bool,
    ) -> Self {
        let mut fields = fields;
        fields.push((CONFIRMED.0.into(), CONFIRMED.1.into()));
        Self {
            action,
            fields,
            button: button.into(),
            danger,
        }
    }
}

use crate::domain::InvitationStatus;
use crate::models::invitation::Invitation;
use crate::policy::GroupAccess;

/// What a confirmation for one invitation asks to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum InvitationChange {
    Cancel,
    Renew,
}

fn group_crumbs(access: &GroupAccess) -> Vec<(String, String)> {
    let slug = &access.group.slug;
    vec![
        (format!("/groups/{slug}"), access.group.name.clone()),
        (format!("/groups/{slug}/invitations"), "Invitations".into()),
    ]
}

/// "Cancel the invitation of …?" / "Generate a new invitation link for …?";
/// `back` is "detail" or "list", where the admin came from.
pub fn invitation_change(
    ctx: Ctx,
    access: &GroupAccess,
    inv: &Invitation,
    status: InvitationStatus,
    change: InvitationChange,
    back: &str,
) -> ConfirmPage {
    let (slug, group, who) = (&access.group.slug, &access.group.name, &inv.invitee_email);
    let list = format!("/groups/{slug}/invitations");
    let back_url = if back == "detail" {
        format!("{list}/{}", inv.id)
    } else {
        list.clone()
    };
    let crumbs = group_crumbs(access);
    let verb = match change {
        InvitationChange::Cancel => "cancel",
        InvitationChange::Renew => "renew",
    };
    if status != InvitationStatus::Pending {
        let s = status.as_str();
        return ConfirmPage {
            ctx,
            crumbs,
            title: format!("This invitation is {s} · {group}"),
            heading: format!("This invitation is {s}"),
            consequence: format!(
                "The invitation of {who} to {group} is no longer open: there is nothing to {verb}."
            ),
            items: Vec::new(),
            form: None,
            back: back_url,
            back_label: "Back to the invitations".into(),
        };
    }
    let action = format!("{list}/{}/{verb}", inv.id);
    let fields = vec![("back".to_string(), back.to_string())];
    match change {
        InvitationChange::Cancel => ConfirmPage {
            ctx,
            crumbs,
            title: format!("Cancel invitation? · {group}"),
            heading: format!("Cancel the invitation of {who}?"),
            consequence: format!(
                "Its link stops working at once, and {who} can no longer join {group} with it. \
                 You can invite them again later."
            ),
            items: Vec::new(),
            form: Some(ConfirmForm {
                action,
                fields,
                button: "Cancel invitation".into(),
                danger: true,
            }),
            back: back_url,
            back_label: "Keep the invitation".into(),
        },
        InvitationChange::Renew => ConfirmPage {
            ctx,
            crumbs,
            title: format!("Generate new invitation? · {group}"),
            heading: format!("Generate a new invitation link for {who}?"),
            consequence: format!(
                "The current link stops working at once: if {who} is opening it right now, it \
                 will fail. The new link is not mailed by itself; copy it or resend the \
                 invitation afterwards."
            ),
            items: Vec::new(),
            form: Some(ConfirmForm {
                action,
                fields,
                button: "Generate new invitation".into(),
                danger: false,
            }),
            back: back_url,
            back_label: "Keep the current link".into(),
        },
    }
}

/// "Cancel 3 invitations?" before "With the selected: Cancel invitation";
/// `selected` are the (id, address) still open, `list` the tab to return to.
pub fn bulk_cancel(
    ctx: Ctx,
    access: &GroupAccess,
    selected: Vec<(i64, String)>,
    list: String,
    tab: InvitationStatus,
    q: String,
) -> ConfirmPage {
    let group = &access.group.name;
    let crumbs = group_crumbs(access);
    if selected.is_empty() {
        return ConfirmPage {
            ctx,
            crumbs,
            title: format!("Nothing to cancel · {group}"),
            heading: "Nothing to cancel".into(),
            consequence: "None of the selected invitations is still open.".into(),
            items: Vec::new(),
            form: None,
            back: list,
            back_label: "Back to the invitations".into(),
        };
    }
    let n = selected.len();
    let what = if n == 1 {
        "1 invitation".to_string()
    } else {
        format!("{n} invitations")
    };
    let consequence = if n == 1 {
        format!(
            "Its link stops working at once, and this person can no longer join {group} with it. \
             You can invite them again later."
        )
    } else {
        format!(
            "Their links stop working at once, and these people can no longer join {group} with \
             them. You can invite them again later."
        )
    };
    let mut fields: Vec<(String, String)> = selected
        .iter()
        .map(|(id, _)| ("ids".to_string(), id.to_string()))
        .collect();
    fields.push(("do".into(), "cancel".into()));
    fields.push(("status".into(), tab.as_str().into()));
    fields.push(("q".into(), q));
    ConfirmPage {
        ctx,
        crumbs,
        title: format!("Cancel invitations? · {group}"),
        heading: format!("Cancel {what}?"),
        consequence,
        items: selected.into_iter().map(|(_, email)| email).collect(),
        form: Some(ConfirmForm::repost(
            format!("/groups/{}/invitations/bulk", access.group.slug),
            fields,
            &format!("Cancel {what}"),
            true,
        )),
        back: list,
        back_label: "Keep them".into(),
    }
}

/// "Remove Bob Tester from Big?" before Remove on the members page;
/// `back` is the list's query string (search, filters, page), kept for the
/// way back and for after the removal.
pub fn remove_member(
    ctx: Ctx,
    slug: &str,
    target: i64,
    r: crate::services::groups::Removal,
    back: &str,
) -> ConfirmPage {
    let members = format!("/groups/{slug}/members");
    let list = crate::services::members::list_url(slug, back);
    // What the repeated POST carries: the list's query, checked and cut.
    let back = list.split_once('?').map_or("", |(_, q)| q);
    let (member, group) = (&r.member, &r.group);
    let consequence = match r.managed {
        0 => format!("They lose access to {group} at once. You can invite them again later."),
        n => format!(
            "They lose access to {group} and its {n} managed communit{}, unless they belong to \
             those directly. You can invite them again later.",
            if n == 1 { "y" } else { "ies" }
        ),
    };
    ConfirmPage {
        ctx,
        crumbs: vec![
            (format!("/groups/{slug}"), group.clone()),
            (members.clone(), "Members".into()),
        ],
        title: format!("Remove member? · {group}"),
        heading: format!("Remove {member} from {group}?"),
        consequence,
        items: Vec::new(),
        form: Some(ConfirmForm::repost(
            format!("{members}/{target}/remove"),
            vec![("back".into(), back.into())],
            "Remove member",
            true,
        )),
        back: list,
        back_label: format!("Keep {member}"),
    }
}

/// "Decline the invitation to Big?" before Decline (inbox, message, link);
/// `action` is the Decline route it came from, `back` where "Not now" goes.
pub fn decline(
    ctx: Ctx,
    action: String,
    back: String,
    p: crate::services::invitations::DeclinePreview,
) -> ConfirmPage {
    let group = &p.group;
    let mut consequence = format!(
        "{} will be told you declined. To join {group} later, you will need a new invitation.",
        p.inviter
    );
    if !p.with_it.is_empty() {
        consequence.push_str(" This also declines the invitations sent with it:");
    }
    ConfirmPage {
        ctx,
        crumbs: Vec::new(),
        title: format!("Decline the invitation to {group}?"),
        heading: format!("Decline the invitation to {group}?"),
        consequence,
        items: p.with_it,
        form: Some(ConfirmForm::repost(
            action,
            Vec::new(),
            "Decline invitation",
            true,
        )),
        back,
        back_label: "Not now".into(),
    }
}

/// "Turn off Active Login for …?" before the switch turns it off.
pub fn active_login_off(ctx: Ctx, id: i64, name: &str) -> ConfirmPage {
    let page = format!("/account/users/{id}");
    ConfirmPage {
        ctx,
        crumbs: vec![
            ("/account/users".into(), "Manage Users".into()),
            (page.clone(), name.to_string()),
        ],
        title: "Turn off Active Login?".into(),
        heading: format!("Turn off Active Login for {name}?"),
        consequence: format!(
            "{name} is logged out everywhere at once and cannot log in until you turn it on \
             again. The invitations they sent that are still open are cancelled; their groups and \
             history stay as they are."
        ),
        items: Vec::new(),
        form: Some(ConfirmForm::repost(
            format!("/account/users/{id}/active-login"),
            vec![("on".into(), "false".into())],
            "Turn off Active Login",
            true,
        )),
        back: "/account/users".into(),
        back_label: "Keep it on".into(),
    }
}

/// "Cancel the invitations the policy refuses?" on the invitation policy
/// page: `items` are those listed (the cancel takes every one, `more` too).
pub fn policy_cancel(
    ctx: Ctx,
    access: &GroupAccess,
    items: Vec<String>,
    more: bool,
) -> ConfirmPage {
    let (slug, name) = (&access.group.slug, &access.group.name);
    let page = format!("/groups/{slug}/policy");
    let n = items.len();
    let (heading, button) = match (n, more) {
        (1, false) => (
            "Cancel this invitation?".to_string(),
            "Cancel this invitation".to_string(),
        ),
        (_, true) => (
            "Cancel all these invitations?".into(),
            "Cancel all these invitations".into(),
        ),
        (n, false) => (
            format!("Cancel these {n} invitations?"),
            format!("Cancel these {n} invitations"),
        ),
    };
    ConfirmPage {
        ctx,
        crumbs: vec![
            (format!("/groups/{slug}"), name.clone()),
            (page.clone(), "Invitation policy".into()),
        ],
        title: heading.clone(),
        heading,
        consequence: format!(
            "The invitation policy of {name} refuses them now, so they could not be accepted. \
             Cancelled, their links stop working at once; nobody is told."
        ),
        items,
        form: (n > 0)
            .then(|| ConfirmForm::repost(format!("{page}/cancel"), Vec::new(), &button, true)),
        back: page,
        back_label: "Keep them".into(),
    }
}

/// "Revoke token “CI”?" on `/account/tokens`.
pub fn revoke_token(ctx: Ctx, action: String, name: &str) -> ConfirmPage {
    ConfirmPage {
        ctx,
        crumbs: vec![("/account/tokens".into(), "Personal access tokens".into())],
        title: format!("Revoke the token \u{201c}{name}\u{201d}?"),
        heading: format!("Revoke the token \u{201c}{name}\u{201d}?"),
        consequence: "Whatever uses it is refused from now on. This cannot be undone: a new token would have to be made and put in its place.".into(),
        items: Vec::new(),
        form: Some(ConfirmForm::repost(action, Vec::new(), "Revoke token", true)),
        back: "/account/tokens".into(),
        back_label: "Keep it".into(),
    }
}

pub fn delete_webhook(ctx: Ctx, slug: &str, id: i64, url: &str) -> ConfirmPage {
    let back = format!("/groups/{slug}/webhooks/{id}");
    ConfirmPage {
        ctx,
        crumbs: vec![(format!("/groups/{slug}/webhooks"), "Webhooks".into())],
        title: "Delete this webhook?".into(),
        heading: format!("Delete the webhook to {url}?"),
        consequence: "It hears no more events, and its deliveries log goes with it. Deliveries still waiting are not sent.".into(),
        items: Vec::new(),
        form: Some(ConfirmForm::repost(
            format!("/groups/{slug}/webhooks/{id}/delete"),
            Vec::new(),
            "Delete webhook",
            true,
        )),
        back,
        back_label: "Keep it".into(),
    }
}
