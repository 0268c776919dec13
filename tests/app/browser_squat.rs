//! Nobody squats an address, as the invitee clicks through it in Chromium
//! with scripts on, on both backends: someone signed up with her address
//! but never confirmed it; she opens her invitation link, signs up with the
//! address anyway, and accepts. A confirmed account keeps its address: the
//! read-only field says so beside it and offers to log in. Each page is
//! checked with axe-core at a desktop and a phone width and saved as
//! `target/screenshots/*.png`.

use crate::backend_tests;
use crate::browser::{Browser, fill_in, texts_of};
use crate::helpers::*;

backend_tests!(browser_the_invitee_signs_up_although_her_address_was_squatted);

const PW: &str = "correct horse battery";

async fn invite(app: &TestApp, alice: &reqwest::Client, to: &str) -> String {
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
    assert_eq!(
        texts(&p.body, ".invite-results li"),
        [format!("{to}: invited by e-mail")]
    );
    let link = app.link_in_last_mail_to(to);
    link.strip_prefix(&app.address).unwrap().to_string()
}

async fn plain_signup(app: &TestApp, username: &str, email: &str) {
    let p = app
        .submit_with(
            &new_client(),
            "/signup",
            "/signup",
            &[
                ("username", username),
                ("first_name", "Someone"),
                ("last_name", "Else"),
                ("email", email),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
}

async fn sign_up_as(browser: &Browser, username: &str) {
    fill_in(browser, "Username", username).await;
    fill_in(browser, "First name", "Eve").await;
    fill_in(browser, "Last name", "Invitee").await;
    fill_in(browser, "Password", PW).await;
    browser.press("button[type=submit]").await;
}

async fn browser_the_invitee_signs_up_although_her_address_was_squatted(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    app.new_group(&alice, "Crew", "crew", "invite_only").await;
    // mallory squats eve's address (unconfirmed); evelyn, invited, signs up
    // without the link and confirms her address (so it is hers).
    plain_signup(&app, "mallory", "eve@example.org").await;
    let eve_link = invite(&app, &alice, "eve@example.org").await;
    let evelyn_link = invite(&app, &alice, "evelyn@example.org").await;
    plain_signup(&app, "evelyn", "evelyn@example.org").await;
    let confirm = app.link_in_last_mail_to("evelyn@example.org");
    let confirm = confirm.strip_prefix(&app.address).unwrap().to_string();
    let holder = new_client();
    app.submit_with(&holder, &confirm, &confirm, &[]).await;

    let eve = Browser::start(&app).await;
    eve.goto(&eve_link).await;
    eve.follow("Sign up").await;
    eve.assert_path("/signup").await;
    eve.check_a11y("sign up from an invitation").await;
    eve.screenshots("signup-invited").await;
    // A taken username is shown beside its field; the address stays hers.
    sign_up_as(&eve, "alice").await;
    eve.assert_sees(&["This username is already taken."]).await;
    assert_eq!(
        texts_of(&eve, ".field-error").await,
        ["This username is already taken."]
    );
    eve.check_a11y("sign up from an invitation, refused").await;
    sign_up_as(&eve, "eve").await;
    eve.assert_path(&eve_link).await;
    eve.check_a11y("invitation after signing up").await;
    eve.press("Accept").await;
    eve.assert_path("/").await;
    eve.assert_sees(&["Welcome to Crew!"]).await;
    assert_eq!(app.user_by_username("mallory").email, "");
    eve.quit().await;

    // A confirmed account keeps its address: asked to log in instead.
    let other = Browser::start(&app).await;
    other.goto(&evelyn_link).await;
    other.follow("Sign up").await;
    sign_up_as(&other, "evelyn2").await;
    other
        .assert_sees(&[
            "An account with this e-mail address exists already: log in with it to answer the invitation.",
        ])
        .await;
    assert_eq!(
        texts_of(&other, "#email-error").await,
        [
            "An account with this e-mail address exists already: log in with it to answer the invitation."
        ]
    );
    other
        .check_a11y("sign up from an invitation, address held")
        .await;
    other.screenshots("signup-invited-address-held").await;
    other.follow("Log in to answer the invitation").await;
    other.assert_path("/login").await;
    other.quit().await;
}
