//! Getting into an account and keeping it (issue 22, items 2 and 3):
//! "Forgot your password?" with its mailed link, "Change password" and
//! "Change e-mail address", on both backends; the reset mails travel over a
//! real SMTP server.

use crate::backend_tests;
use crate::forms::main_text;
use crate::helpers::*;
use crate::mail::{SmtpServer, free_port, header};
use diesel::prelude::*;
use guildhall::db::schema::{account_links, users};
use reqwest::cookie::{CookieStore, Jar};

backend_tests!(
    forgot_password_answers_alike_and_its_link_works_once,
    a_reset_link_expires_after_an_hour_and_never_revives_a_login_turned_off,
    reset_requests_are_limited_per_mailbox_and_per_requester,
    change_password_needs_the_current_one_and_ends_the_other_sessions,
    change_email_waits_for_the_new_address_to_confirm_it,
);

const PW: &str = "correct horse battery staple";
const NEW_PW: &str = "a brand new passphrase";

/// What another machine sends with a copied `Cookie` header: GET `path`.
async fn replay_get(app: &TestApp, cookie: &str, path: &str) -> u16 {
    new_client()
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn cookie_of(app: &TestApp, jar: &Jar) -> String {
    jar.cookies(&app.url("/").parse().unwrap())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

fn password_hash(app: &TestApp, id: i64) -> Option<String> {
    app.db(|c| {
        users::table
            .find(id)
            .select(users::password_hash)
            .first(c)
            .unwrap()
    })
}

/// Whether `login` / `password` gets in (a fresh client each time).
async fn can_log_in(app: &TestApp, login: &str, password: &str) -> bool {
    let p = app
        .submit_with(
            &new_client(),
            "/login",
            "/login",
            &[("login", login), ("password", password)],
        )
        .await;
    p.status == 303
}

/// The SMTP messages to `to` with `subject`, soft line breaks undone.
fn delivered(smtp: &SmtpServer, to: &str, subject: &str) -> Vec<String> {
    smtp.messages()
        .into_iter()
        .filter(|m| header(m, "To") == Some(to) && header(m, "Subject") == Some(subject))
        .map(|m| {
            m.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

const RESET_SUBJECT: &str = "Reset your Guildhall password";
const CHANGED_SUBJECT: &str = "Your Guildhall password was changed";

async fn ask_for_reset(app: &TestApp, client: &reqwest::Client, email: &str) -> Page {
    app.submit_with(
        client,
        "/password/forgot",
        "/password/forgot",
        &[("email", email)],
    )
    .await
}

/// PRODUCT: "one answer for every address; the mailed link (1 hour, once)
/// sets a new password and ends every session".
async fn forgot_password_answers_alike_and_its_link_works_once(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let second = spawn_second_server(&app).await;
    let ann = app.create_user("ann", PW);
    let old_hash = password_hash(&app, ann);

    // Ann is logged in somewhere; a copy of that cookie works on both servers.
    let (browser, jar) = client_with_jar();
    app.login_with(&browser, "ann", PW).await;
    let copied = cookie_of(&app, &jar);
    assert_eq!(replay_get(&second, &copied, "/invitations").await, 200);

    // The log-in page links to the form.
    let login = app.get("/login").await;
    assert!(attrs(&login.body, "main a", "href").contains(&"/password/forgot".to_string()));

    // A malformed address gets its message beside the field (it says
    // nothing about accounts).
    let p = ask_for_reset(&app, &new_client(), "not an address").await;
    assert_eq!(p.status, 422);
    assert!(!texts(&p.body, "#email-error").is_empty(), "{}", p.body);

    // An unknown and a known address get the same answer.
    let visitor = new_client();
    let unknown = ask_for_reset(&app, &visitor, "nobody@example.com").await;
    let known = ask_for_reset(&app, &visitor, "ANN@example.com").await;
    assert_eq!(
        (unknown.status, &unknown.location),
        (known.status, &known.location)
    );
    assert_eq!(known.location.as_deref(), Some("/password/forgot?sent=1"));
    let answer = app.get_with(&visitor, "/password/forgot?sent=1").await;
    assert!(main_text(&answer.body).contains("If an account uses that address, we sent a link"));

    // One mail, to Ann; nothing to the unknown address.
    assert_eq!(
        settled(15, || delivered(&smtp, "ann@example.com", RESET_SUBJECT)
            .len())
        .await,
        1
    );
    assert_eq!(smtp.messages().len(), 1, "only Ann's link was mailed");
    let mail = delivered(&smtp, "ann@example.com", RESET_SUBJECT).remove(0);
    let link = link_in(&mail, &app.address);
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    assert!(path.starts_with("/password/reset/"), "{path}");
    let token = path.rsplit('/').next().unwrap();
    // Only the token's hash is stored.
    let stored: Vec<String> = app.db(|c| {
        account_links::table
            .select(account_links::token_hash)
            .load(c)
            .unwrap()
    });
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(token));

    // The link opens the form, without leaking itself through Referer.
    let (opener, _) = client_with_jar();
    let r = opener.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    let form = r.text().await.unwrap();
    assert!(main_text(&form).contains("Choose a new password"));

    // A weak password is refused beside its field; the link still works.
    let p = app
        .submit_with(&opener, &path, &path, &[("password", "short")])
        .await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, "#password-error")
            .concat()
            .contains("at least 10")
    );
    assert_eq!(password_hash(&app, ann), old_hash);

    // The new password: set, every session ended (on every server), a notice mailed.
    let p = app
        .submit_with(&opener, &path, &path, &[("password", NEW_PW)])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/login"));
    assert_ne!(password_hash(&app, ann), old_hash);
    for server in [&app, &second] {
        assert_eq!(replay_get(server, &copied, "/invitations").await, 303);
    }
    assert_eq!(app.get_with(&browser, "/invitations").await.status, 303);
    assert!(!can_log_in(&app, "ann", PW).await);
    assert!(can_log_in(&app, "ann", NEW_PW).await);
    assert_eq!(
        settled(15, || delivered(&smtp, "ann@example.com", CHANGED_SUBJECT)
            .len())
        .await,
        1
    );
    let notice = delivered(&smtp, "ann@example.com", CHANGED_SUBJECT).remove(0);
    assert!(
        notice.contains("/password/forgot"),
        "the notice says how to get the account back"
    );

    // Once only: the form is gone, and a replayed POST changes nothing.
    let again = app.get_with(&opener, &path).await;
    assert!(main_text(&again.body).contains("used already"));
    assert!(texts(&again.body, "main form").is_empty());
    let before = password_hash(&app, ann);
    let token_again = csrf_from(&app.get_with(&opener, "/password/forgot").await.body);
    let p = app
        .post_with(
            &opener,
            &path,
            &[
                ("csrf_token", &token_again),
                ("password", "yet another passphrase"),
            ],
        )
        .await;
    assert!(main_text(&p.body).contains("used already"), "{}", p.body);
    assert_eq!(password_hash(&app, ann), before);

    // A link that does not exist: 404.
    let bogus = format!("/password/reset/{}", "A".repeat(43));
    assert_eq!(app.get(&bogus).await.status, 404);
    drop(second);
}

async fn a_reset_link_expires_after_an_hour_and_never_revives_a_login_turned_off(b: Backend) {
    let app = spawn_app(b).await;
    let ann = app.create_user("ann", PW);
    let bob = app.create_user("bob", PW);
    let visitor = new_client();
    ask_for_reset(&app, &visitor, "ann@example.com").await;
    ask_for_reset(&app, &visitor, "bob@example.com").await;
    assert!(
        eventually(10, || app.outbox().len() == 2).await,
        "{:?}",
        app.outbox()
    );
    let ann_link = app.link_in_last_mail_to("ann@example.com");
    let ann_path = ann_link.strip_prefix(&app.address).unwrap().to_string();
    let bob_link = app.link_in_last_mail_to("bob@example.com");
    let bob_path = bob_link.strip_prefix(&app.address).unwrap().to_string();

    // Bob's login is turned off: his link sets nothing.
    let now = app.clock.now();
    app.db(|c| guildhall::services::manage_users::deactivate(c, bob, now).unwrap());
    let before = password_hash(&app, bob);
    let p = app
        .submit_with(&visitor, &bob_path, &bob_path, &[("password", NEW_PW)])
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(main_text(&p.body).contains("cannot log in"), "{}", p.body);
    assert_eq!(password_hash(&app, bob), before);

    // An hour later Ann's link has expired: its page says so and sets nothing.
    app.clock.advance(time::Duration::minutes(61));
    let page = app.get_with(&visitor, &ann_path).await;
    assert_eq!(page.status, 200);
    assert!(main_text(&page.body).contains("expired"));
    let before = password_hash(&app, ann);
    let token = csrf_from(&app.get_with(&visitor, "/password/forgot").await.body);
    let p = app
        .post_with(
            &visitor,
            &ann_path,
            &[("csrf_token", &token), ("password", NEW_PW)],
        )
        .await;
    assert!(main_text(&p.body).contains("expired"));
    assert_eq!(password_hash(&app, ann), before);

    // A newer link retires the older one.
    ask_for_reset(&app, &visitor, "ann@example.com").await;
    assert!(eventually(10, || app.outbox().len() == 3).await);
    ask_for_reset(&app, &visitor, "ann@example.com").await;
    assert!(eventually(10, || app.outbox().len() == 4).await);
    let newest = app.link_in_last_mail_to("ann@example.com");
    let older = app
        .outbox()
        .iter()
        .filter(|m| m.recipient == "ann@example.com")
        .map(|m| link_in(&m.text_body, &app.address))
        .nth(1)
        .unwrap();
    assert_ne!(older, newest);
    let older_path = older.strip_prefix(&app.address).unwrap();
    assert!(main_text(&app.get_with(&visitor, older_path).await.body).contains("used already"));
    let newest_path = newest.strip_prefix(&app.address).unwrap();
    assert!(!texts(&app.get_with(&visitor, newest_path).await.body, "main form").is_empty());
}

/// PRODUCT rule 12: reset requests are limited however many arrive at once.
async fn reset_requests_are_limited_per_mailbox_and_per_requester(b: Backend) {
    let app = spawn_app(b).await;
    app.create_user("ann", PW);
    // Twenty asks for Ann's address, from twenty clients at one address.
    let mut requests = Vec::new();
    for _ in 0..20 {
        requests.push(
            app.prepared_post(
                "/password/forgot",
                "/password/forgot",
                &[("email", "ann@example.com")],
            )
            .await,
        );
    }
    let pages = at_once(requests).await;
    let answered = pages.iter().filter(|p| p.status == 303).count();
    let refused = pages.iter().filter(|p| p.status == 429).count();
    assert_eq!(
        (answered, refused),
        (
            guildhall::services::passwords::REQUESTS_PER_ADDRESS as usize,
            20 - guildhall::services::passwords::REQUESTS_PER_ADDRESS as usize
        ),
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(
        main_text(&pages.iter().find(|p| p.status == 429).unwrap().body).contains("Wait an hour")
    );
    // However many got through, Ann's mailbox gets at most its limit.
    let to_ann = settled(10, || {
        app.outbox()
            .iter()
            .filter(|m| m.recipient == "ann@example.com")
            .count()
    })
    .await;
    assert_eq!(
        to_ann,
        guildhall::services::passwords::RESETS_PER_MAILBOX as usize
    );
}

/// PRODUCT: "change password (current one required; other sessions end)".
async fn change_password_needs_the_current_one_and_ends_the_other_sessions(b: Backend) {
    let app = spawn_app(b).await;
    let second = spawn_second_server(&app).await;
    let ann = app.create_user("ann", PW);
    let (here, _) = client_with_jar();
    app.login_with(&here, "ann", PW).await;
    let (elsewhere, jar) = client_with_jar();
    app.login_with(&elsewhere, "ann", PW).await;
    let copied = cookie_of(&app, &jar);
    let old_hash = password_hash(&app, ann);

    // The account menu leads to the form.
    let home = app.get_with(&here, "/").await;
    assert!(attrs(&home.body, ".user-menu a", "href").contains(&"/account/password".to_string()));

    let change = |current: &'static str, new: &'static str| {
        let (app, here) = (&app, &here);
        async move {
            app.submit_with(
                here,
                "/account/password",
                "/account/password",
                &[("current_password", current), ("password", new)],
            )
            .await
        }
    };
    // A wrong current password, a weak new one, the same one again: each
    // refused beside its field, nothing changed.
    let p = change("not my password", NEW_PW).await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, "#current_password-error")
            .concat()
            .contains("not your current password")
    );
    let p = change(PW, "short").await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, "#password-error")
            .concat()
            .contains("at least 10")
    );
    let p = change(PW, PW).await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, "#password-error")
            .concat()
            .contains("differ")
    );
    assert_eq!(password_hash(&app, ann), old_hash);
    assert_eq!(app.outbox().len(), 0);

    // The right one: changed, this session goes on, the other ends on every server.
    let p = change(PW, NEW_PW).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/account/password"));
    let after = app.get_with(&here, "/account/password").await;
    assert_eq!(after.status, 200);
    assert!(main_text(&after.body).contains("Your password is changed"));
    for server in [&app, &second] {
        assert_eq!(replay_get(server, &copied, "/invitations").await, 303);
    }
    assert!(!can_log_in(&app, "ann", PW).await);
    assert!(can_log_in(&app, "ann", NEW_PW).await);
    let notices: Vec<_> = app
        .outbox()
        .into_iter()
        .filter(|m| m.recipient == "ann@example.com" && m.subject == CHANGED_SUBJECT)
        .collect();
    assert_eq!(notices.len(), 1);

    // Guessing the current password is limited like log-in guesses.
    let limit = app.config.login_max_failures_per_account as usize;
    let mut statuses = Vec::new();
    for _ in 0..limit + 1 {
        let p = change("wrong guess here", "whatever it is now").await;
        statuses.push(texts(&p.body, "#current_password-error").concat());
    }
    assert!(
        statuses.last().unwrap().contains("Too many"),
        "{statuses:?}"
    );
    // Visitors get the log-in page.
    let p = app.get_with(&new_client(), "/account/password").await;
    assert_eq!(p.status, 303);
    drop(second);
}

/// PRODUCT: "change e-mail (confirmed by the new address first)"; the old
/// address gets a notice.
async fn change_email_waits_for_the_new_address_to_confirm_it(b: Backend) {
    let app = spawn_app(b).await;
    let (ann, client) = app.logged_in("ann", PW).await;
    app.create_user("bob", PW);
    let change = |email: &'static str, current: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            app.submit_with(
                client,
                "/account/email",
                "/account/email",
                &[("email", email), ("current_password", current)],
            )
            .await
        }
    };
    let email_of = |app: &TestApp| -> String {
        app.db(|c| {
            users::table
                .find(ann)
                .select(users::email)
                .first(c)
                .unwrap()
        })
    };

    // Refusals beside their fields: a wrong password, someone else's address,
    // her own, a malformed one.
    let p = change("ann.new@example.com", "wrong password").await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, "#current_password-error")
            .concat()
            .contains("not your current password")
    );
    let p = change("BOB@example.com", PW).await;
    assert_eq!(p.status, 422);
    assert!(
        texts(&p.body, "#email-error")
            .concat()
            .contains("already exists")
    );
    let p = change("ann@example.com", PW).await;
    assert!(
        texts(&p.body, "#email-error")
            .concat()
            .contains("your address already")
    );
    let p = change("no at sign", PW).await;
    assert!(!texts(&p.body, "#email-error").is_empty());
    assert_eq!(app.outbox().len(), 0);

    // The right request: nothing changes yet, a link goes to the new address.
    let p = change("ann.new@example.com", PW).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = app.get_with(&client, "/account/email").await;
    assert!(main_text(&page.body).contains("We sent a link to ann.new@example.com"));
    assert_eq!(email_of(&app), "ann@example.com");
    let link = app.link_in_last_mail_to("ann.new@example.com");
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    assert!(path.starts_with("/account/email/"));

    // Opened (even in another browser, not logged in): a button, then the change.
    let other = new_client();
    let opened = app.get_with(&other, &path).await;
    assert!(main_text(&opened.body).contains("Confirm your new e-mail address"));
    let p = app.submit_with(&other, &path, &path, &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(email_of(&app), "ann.new@example.com");
    let notice = app
        .outbox()
        .into_iter()
        .find(|m| m.recipient == "ann@example.com")
        .expect("a notice to the old address");
    assert!(notice.text_body.contains("ann.new@example.com"));
    assert!(can_log_in(&app, "ann.new@example.com", PW).await);
    assert!(!can_log_in(&app, "ann@example.com", PW).await);
    // Once only.
    let again = app.get_with(&other, &path).await;
    assert!(main_text(&again.body).contains("used already"));

    // A link whose address someone else took in the meantime changes nothing.
    let p = change("carol@example.com", PW).await;
    assert_eq!(p.status, 303);
    let carol_link = app.link_in_last_mail_to("carol@example.com");
    let carol_path = carol_link.strip_prefix(&app.address).unwrap().to_string();
    app.create_user("carol", PW);
    let p = app.submit_with(&other, &carol_path, &carol_path, &[]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(main_text(&p.body).contains("already exists"));
    assert_eq!(email_of(&app), "ann.new@example.com");
}
