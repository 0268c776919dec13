//! Nobody squats an address (issue 22, item 5), on both backends with mail
//! over a real SMTP server: an account that signed up with someone else's
//! address but never confirmed it does not hold the address against the
//! person who proves it by opening an invitation link mailed there. The
//! sign-up from the link takes the address in the same transaction that
//! creates her account; the squatter's confirmation link stops working, he
//! cannot answer her invitation, and the address is told by mail. An
//! account that confirmed the address keeps it: the invitee is asked to
//! log in instead, beside the (read-only) address field.

use crate::backend_tests;
use crate::helpers::*;
use crate::mail::{SmtpServer, free_port, header};
use diesel::prelude::*;
use guildhall::db::schema::{email_verifications, memberships, users};

backend_tests!(
    the_invitee_signs_up_from_her_link_although_an_unconfirmed_account_has_her_address,
    a_confirmed_account_keeps_its_address_and_the_invitee_is_asked_to_log_in,
);

const PW: &str = "correct horse battery";
const EVE: &str = "eve@example.org";

async fn app_with_smtp(b: Backend) -> (TestApp, SmtpServer, tempfile::TempDir) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    (app, smtp, maildir)
}

/// alice, admin of the invitation-only group `crew`.
async fn alice_and_crew(app: &TestApp) -> reqwest::Client {
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Crew", "crew", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    alice
}

async fn invite(app: &TestApp, alice: &reqwest::Client, to: &str) -> Vec<String> {
    let role = app.builtin_role("GroupMember").to_string();
    let p = app
        .send_invite(
            alice,
            "crew",
            &[
                ("send_to", to),
                ("role_id", &role),
                ("message", ""),
                ("action", "send"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    texts(&p.body, ".invite-results li")
}

/// A plain sign-up (no link) by `username` with `email`.
async fn plain_signup(app: &TestApp, c: &reqwest::Client, username: &str, email: &str) -> Page {
    app.submit_with(
        c,
        "/signup",
        "/signup",
        &[
            ("username", username),
            ("first_name", "Mallory"),
            ("last_name", "Squatter"),
            ("email", email),
            ("password", PW),
        ],
    )
    .await
}

/// The sign-up form opened from the invitation link `path`, sent as `username`.
async fn signup_from_link(app: &TestApp, c: &reqwest::Client, path: &str, username: &str) -> Page {
    app.sign_up_from_link(
        c,
        path,
        &[
            ("username", username),
            ("first_name", "Eve"),
            ("last_name", "Invitee"),
            ("password", PW),
        ],
    )
    .await
}

/// Every form error of a page is shown beside a field: as many
/// `.field-error` paragraphs, each tied to its input, as the summary counts.
fn errors_beside_fields(body: &str) -> Vec<(String, String)> {
    let summary = texts(body, ".form-error").concat();
    let shown: Vec<(String, String)> = attrs(body, ".field-error", "id")
        .into_iter()
        .zip(texts(body, ".field-error"))
        .collect();
    let n = shown.len();
    let expected = if n == 1 {
        "Please correct the 1 highlighted field.".to_string()
    } else {
        format!("Please correct the {n} highlighted fields.")
    };
    assert_eq!(summary, expected, "{body}");
    for (id, _) in &shown {
        let field = id.trim_end_matches("-error");
        let described = attrs(body, &format!("#{field}"), "aria-describedby").concat();
        assert!(
            described.split_whitespace().any(|d| d == id),
            "#{field} is not described by its error: {body}"
        );
    }
    shown
}

fn memberships_of(app: &TestApp, user_id: i64) -> i64 {
    app.db(|c| {
        memberships::table
            .filter(memberships::user_id.eq(user_id))
            .count()
            .get_result(c)
            .unwrap()
    })
}

fn smtp_to(smtp: &SmtpServer, to: &str) -> Vec<String> {
    smtp.messages()
        .into_iter()
        .filter(|m| header(m, "To").is_some_and(|t| t.contains(to)))
        .collect()
}

async fn the_invitee_signs_up_from_her_link_although_an_unconfirmed_account_has_her_address(
    b: Backend,
) {
    let (app, smtp, _maildir) = app_with_smtp(b).await;
    let alice = alice_and_crew(&app).await;

    // mallory signs up first with eve's address; he cannot confirm it (the
    // link goes to eve's mailbox), but his account has the address.
    let mallory = new_client();
    let p = plain_signup(&app, &mallory, "mallory", EVE).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let squatter = app.user_by_username("mallory");
    assert_eq!(squatter.email, EVE);
    let mallorys_link = app.link_in_last_mail_to(EVE);
    assert!(mallorys_link.contains("/verify-email/"), "{mallorys_link}");
    let mallorys_link = mallorys_link
        .strip_prefix(&app.address)
        .unwrap()
        .to_string();
    // The mail and the link's page name the account, so eve knows the
    // sign-up was not hers and not to confirm it.
    let mail = app
        .outbox()
        .into_iter()
        .rfind(|m| m.recipient == EVE && m.kind == "verify_email")
        .expect("the confirmation mail");
    assert!(
        mail.text_body
            .contains("If you did not sign up as \"mallory\", do not open the link"),
        "{}",
        mail.text_body
    );
    let page = app.get_with(&new_client(), &mallorys_link).await;
    assert!(
        texts(&page.body, ".callout")[0]
            .starts_with("If you did not sign up as mallory, do not confirm"),
        "{}",
        page.body
    );

    // The invitation goes to the address, not to his unconfirmed account.
    assert_eq!(
        invite(&app, &alice, EVE).await,
        [format!("{EVE}: invited by e-mail")]
    );
    let join = app.link_in_last_mail_to(EVE);
    let join = join.strip_prefix(&app.address).unwrap().to_string();
    assert!(join.starts_with("/join/"), "{join}");

    // eve opens her link and signs up. A username that is taken is shown
    // beside its field, and nothing of the take-over is kept.
    let eve = new_client();
    assert_eq!(app.get_with(&eve, &join).await.status, 200);
    let p = signup_from_link(&app, &eve, &join, "alice").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        errors_beside_fields(&p.body),
        [(
            "username-error".to_string(),
            "This username is already taken.".to_string()
        )]
    );
    assert_eq!(app.user_by_username("mallory").email, EVE, "rolled back");
    let users_before = app.count("users");

    let p = signup_from_link(&app, &eve, &join, "eve").await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some(join.as_str()));
    let her = app.user_by_username("eve");
    assert_eq!(her.email, EVE);
    assert!(her.is_active() && her.email_verified_at.is_some());
    assert_eq!(app.count("users"), users_before + 1);

    // She accepts and lands in the group.
    let p = app
        .submit_with(&eve, &join, &format!("{join}/accept"), &[])
        .await;
    assert_eq!(p.location.as_deref(), Some("/"), "{}", p.body);
    assert_eq!(memberships_of(&app, her.id), 1);
    assert!(
        app.get_with(&eve, "/")
            .await
            .main_text()
            .contains("Welcome to Crew!")
    );

    // mallory's account has no address any more, nor any link.
    let after = app.user_by_username("mallory");
    assert_eq!(after.email, "");
    assert!(after.email_verified_at.is_none());
    let links: i64 = app.db(|c| {
        email_verifications::table
            .filter(email_verifications::user_id.eq(squatter.id))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(links, 0);
    let key: String = app.db(|c| {
        users::table
            .find(squatter.id)
            .select(users::email_key)
            .first(c)
            .unwrap()
    });
    assert_eq!(key, format!("released:{}", squatter.id));

    // His old confirmation link does nothing, opened or pressed.
    let visitor = new_client();
    assert_eq!(app.get_with(&visitor, &mallorys_link).await.status, 404);
    let csrf = csrf_from(&app.get_with(&visitor, "/login").await.body);
    let p = app
        .post_with(&visitor, &mallorys_link, &[("csrf_token", &csrf)])
        .await;
    assert_eq!(p.status, 404);
    assert!(
        app.user_by_username("mallory").email_verified_at.is_none(),
        "the old link confirms nothing"
    );

    // He cannot log in (the page says why), so cannot answer her invitation;
    // nor can he get a new link.
    let p = app
        .submit_with(
            &mallory,
            "/login",
            "/login",
            &[("login", "mallory"), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, 401);
    assert!(
        texts(&p.body, "main")
            .concat()
            .contains("This account has no e-mail address any more"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("Send the link again"));
    let csrf = csrf_from(&app.get_with(&mallory, "/login").await.body);
    let p = app
        .post_with(
            &mallory,
            &format!("{join}/accept"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(
        p.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login")),
        "{:?}",
        p.location
    );
    assert_eq!(memberships_of(&app, squatter.id), 0);
    // Nor does her address log him in.
    let p = app
        .submit_with(
            &new_client(),
            "/login",
            "/login",
            &[("login", EVE), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, 303, "the address logs eve in now");

    // The address was told, over SMTP: his confirmation mail, the
    // invitation and the notice that his account no longer uses it.
    assert_eq!(settled(30, || smtp_to(&smtp, EVE).len()).await, 3);
    let notices: Vec<String> = smtp_to(&smtp, EVE)
        .into_iter()
        .filter(|m| {
            header(m, "Subject")
                == Some("An unconfirmed Guildhall account no longer uses this address")
        })
        .collect();
    assert_eq!(notices.len(), 1);
    let queued = app
        .outbox()
        .into_iter()
        .find(|m| m.recipient == EVE && m.subject.starts_with("An unconfirmed"))
        .expect("the notice in the outbox");
    assert!(
        queued
            .text_body
            .contains("\"mallory\" no longer uses this address"),
        "{}",
        queued.text_body
    );
}

async fn a_confirmed_account_keeps_its_address_and_the_invitee_is_asked_to_log_in(b: Backend) {
    let (app, smtp, _maildir) = app_with_smtp(b).await;
    let alice = alice_and_crew(&app).await;
    assert_eq!(
        invite(&app, &alice, EVE).await,
        [format!("{EVE}: invited by e-mail")]
    );
    let join = app.link_in_last_mail_to(EVE);
    let join = join.strip_prefix(&app.address).unwrap().to_string();

    // Someone signs up with the address and confirms it from the mail: the
    // address is proved, so the account holds it.
    let holder = new_client();
    let p = plain_signup(&app, &holder, "evelyn", EVE).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let confirm = app.link_in_last_mail_to(EVE);
    let confirm = confirm.strip_prefix(&app.address).unwrap().to_string();
    app.submit_with(&holder, &confirm, &confirm, &[]).await;
    let evelyn = app.user_by_username("evelyn");
    assert!(evelyn.email_verified_at.is_some());

    // The link's sign-up is refused beside the read-only address, with a
    // way to log in that comes back to the invitation; nothing is written.
    let (users_before, outbox_before) = (app.count("users"), app.count("outbox"));
    let visitor = new_client();
    let p = signup_from_link(&app, &visitor, &join, "eve").await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert_eq!(
        errors_beside_fields(&p.body),
        [(
            "email-error".to_string(),
            "An account with this e-mail address exists already: log in with it to answer the invitation."
                .to_string()
        )]
    );
    assert_eq!(
        attrs(&p.body, "#email", "readonly"),
        [""],
        "still read-only"
    );
    assert_eq!(attrs(&p.body, "#email", "value"), [EVE]);
    assert_eq!(
        attrs(&p.body, ".field-action a", "href"),
        [format!("/login?next={join}")]
    );
    assert_eq!(app.count("users"), users_before);
    assert_eq!(
        app.count("outbox"),
        outbox_before,
        "no notice: nothing taken"
    );
    let kept = app.user_by_username("evelyn");
    assert_eq!(
        (kept.email.as_str(), kept.email_verified_at.is_some()),
        (EVE, true)
    );

    // Logged in as the holder (approved by now), the invitation is answered.
    let now = app.clock.now();
    assert!(app.db(|c| guildhall::services::registration::approve(c, evelyn.id, now).unwrap()));
    let p = app
        .submit_with(
            &visitor,
            "/login",
            "/login",
            &[("login", "evelyn"), ("password", PW), ("next", &join)],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some(join.as_str()), "{}", p.body);
    let p = app
        .submit_with(&visitor, &join, &format!("{join}/accept"), &[])
        .await;
    assert_eq!(p.location.as_deref(), Some("/"));
    assert_eq!(memberships_of(&app, evelyn.id), 1);
    // The invitation, the confirmation; no notice.
    assert_eq!(settled(30, || smtp_to(&smtp, EVE).len()).await, 2);
}
