//! Invitations from a CSV file: a 1,000-row file with every class of row
//! gets exactly the right counts from the dry run and sends nothing; "Send
//! N invitations" sends those rows (mail over real SMTP) and offers the
//! refused ones back as a CSV with formulas escaped; whole files refused
//! before reading (10 MB, NUL, too many rows, no column); separators, BOM
//! and quoted cells; only the uploader sees an import, the CSRF token in
//! the multipart body is checked, and two presses of Send at once send
//! each row once.

use crate::backend_tests;
use crate::helpers::*;
use crate::invitation_policy::{big_and_eng, save_policy};
use crate::mail::{SmtpServer, free_port};
use diesel::prelude::*;
use guildhall::db::schema::{csv_imports, invitations};

backend_tests!(
    a_thousand_rows_are_classified_exactly_then_sent,
    whole_files_are_refused_before_they_are_read,
    separators_quotes_and_a_bom_are_read_as_written,
    only_the_uploader_sees_an_import_and_send_goes_once,
);

const PW: &str = "correct horse battery";
pub(crate) const BOUNDARY: &str = "----GuildhallTestBoundary7MA4YWxkTrZu0gW";

/// A multipart body as a browser sends the upload form: the CSRF token
/// first (when given), then the file.
pub(crate) fn multipart(csrf: Option<&str>, name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(t) = csrf {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn post_upload(
    app: &TestApp,
    c: &reqwest::Client,
    slug: &str,
    csrf: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> Page {
    let r = c
        .post(app.url(&format!("/groups/{slug}/invite/csv")))
        .header("Origin", &app.address)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(csrf, name, bytes))
        .send()
        .await
        .expect("upload");
    page(r).await
}

/// Uploads `bytes` from the upload page, as its form does.
pub(crate) async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    slug: &str,
    name: &str,
    bytes: &[u8],
) -> Page {
    let form = app.get_with(c, &format!("/groups/{slug}/invite/csv")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = csrf_from(&form.body);
    post_upload(app, c, slug, Some(&token), name, bytes).await
}

/// The import page an upload redirected to.
async fn checked(app: &TestApp, c: &reqwest::Client, p: &Page) -> (String, Page) {
    assert_eq!(p.status, 303, "{}", p.body);
    let at = p.location.clone().expect("redirect");
    let page = app.get_with(c, &at).await;
    assert_eq!(page.status, 200, "{}", page.body);
    (at, page)
}

fn count_invitations(app: &TestApp) -> i64 {
    app.db(|c| invitations::table.count().get_result(c).unwrap())
}

fn import_state(app: &TestApp) -> Vec<String> {
    app.db(|c| {
        csv_imports::table
            .order(csv_imports::id)
            .select(csv_imports::state)
            .load(c)
            .unwrap()
    })
}

/// Presses "Send N invitations" and waits until the page says they went.
async fn send_and_wait(app: &TestApp, c: &reqwest::Client, at: &str, page: &Page) -> Page {
    let p = app.submit_in(c, page, &format!("{at}/send"), &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let mut last = None;
    for _ in 0..600 {
        let now = app.get_with(c, at).await;
        if now.main_text().contains("Invitations sent") {
            return now;
        }
        last = Some(now);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never sent: {}", last.unwrap().main_text());
}

async fn a_thousand_rows_are_classified_exactly_then_sent(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    // alice sends 20 invitations by the form first; the file's 770 more
    // fit her quota, and the 50 after them do not.
    let app = spawn_app_with(b, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.invites_per_inviter_per_day = 790;
    })
    .await;
    let alice = big_and_eng(&app).await;
    let p = save_policy(
        &app,
        &alice,
        "big",
        &[("blocked_domains", "blocked.example")],
    )
    .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let member = app.builtin_role("GroupMember");
    for i in 0..20 {
        let id = app.create_user(&format!("member{i}"), PW);
        app.add_member("big", id, member);
    }
    let pre: Vec<String> = (0..20).map(|i| format!("pending{i}@example.com")).collect();
    let p = app
        .send_invite(&alice, "big", &[("send_to", &pre.join(", "))])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(count_invitations(&app), 20);
    let mails_before = app.outbox().len();

    let mut csv = String::from("email,community,role,message\n");
    let mut add = |entry: &str, community: &str, role: &str, message: &str| {
        csv.push_str(&format!("{entry},{community},{role},\"{message}\"\n"));
    };
    // 770 will be invited: 700 to Big (and its managed communities), 70
    // to Eng alone, some as GroupAdmin, some with a message.
    for i in 0..770 {
        let (community, role) = match i % 11 {
            0 => ("eng", ""),
            1 => ("", "groupadmin"),
            _ => ("", "GroupMember"),
        };
        add(
            &format!("new{i}@example.com"),
            community,
            role,
            "Welcome, friend",
        );
    }
    for i in 0..20 {
        add(&format!("member{i}"), "", "", "");
    }
    for p in &pre {
        add(p, "", "", "");
    }
    for i in 0..20 {
        add(&format!("x{i}@blocked.example"), "", "", "");
    }
    for i in 0..19 {
        add(&format!("boss{i}@example.com"), "", "Boss", "");
    }
    // A refused row whose message a spreadsheet would run as a formula.
    add(
        "formula@example.com",
        "",
        "Boss",
        "=HYPERLINK(\"\"http://evil\"\")",
    );
    for i in 0..20 {
        add(&format!("not an address {i}@"), "", "", "");
    }
    // The same people into the same places as the first 20 rows.
    for i in 0..20 {
        let community = if i % 11 == 0 { "eng" } else { "" };
        add(&format!("NEW{i}@example.com"), community, "", "");
    }
    for i in 0..20 {
        add(&format!("lost{i}@example.com"), "nope", "", "");
    }
    for i in 0..10 {
        add(&format!("ghost{i}"), "", "", "");
    }
    let long = "x".repeat(1001);
    for i in 0..10 {
        add(&format!("long{i}@example.com"), "", "", &long);
    }
    for i in 0..70 {
        add(&format!("late{i}@example.com"), "", "", "");
    }
    assert_eq!(csv.lines().count(), 1001, "a header and 1,000 rows");

    let p = upload(&app, &alice, "big", "people.csv", csv.as_bytes()).await;
    let (at, page) = checked(&app, &alice, &p).await;
    let mut counts = texts(&page.body, "ul.counts li");
    counts.sort();
    let mut expected = vec![
        "770 will be invited",
        "70 over the daily limit",
        "20 already members",
        "20 already invited",
        "20 not allowed",
        "20 unknown roles",
        "20 bad addresses",
        "20 duplicate rows",
        "20 unknown communities",
        "10 unknown usernames",
        "10 messages too long",
    ];
    expected.sort();
    assert_eq!(counts, expected);
    // (The page's text puts a space after each entry's <strong>.)
    let text = page.main_text().replace(" :", ":");
    assert!(
        text.contains("1000 rows, 770 will be invited. Nothing has been sent yet."),
        "{text}"
    );
    assert!(
        text.contains("Line 812: x0@blocked.example: not allowed: "),
        "{text}"
    );
    assert!(text.contains("duplicate row: the same as line 2"), "{text}");
    assert!(
        text.contains("unknown community \u{201c}nope\u{201d}"),
        "{text}"
    );
    // The dry run sent nothing and wrote no invitation.
    assert_eq!(count_invitations(&app), 20);
    assert_eq!(app.outbox().len(), mails_before);
    assert_eq!(import_state(&app), ["checked"]);
    // Refusals are listed first, in the file's order.
    let first = text
        .find("Line 772: member0: already a member")
        .expect("listed");
    let going = text
        .find("Line 2: new0@example.com: will be invited")
        .expect("listed");
    assert!(first < going, "refusals first: {text}");
    let more = attrs(&page.body, ".invite-refused a", "href");
    assert!(
        more.iter().any(|h| h == &format!("{at}?after=971")),
        "230 refused rows: a next page after the 200th: {more:?}"
    );

    let done = send_and_wait(&app, &alice, &at, &page).await;
    let text = done.main_text();
    assert!(text.contains("770 of 1000 rows invited"), "{text}");
    assert_eq!(count_invitations(&app), 790);
    // To Eng alone, with the row's role; to Big, as the whole community.
    let eng = app.group_id("eng");
    let to_eng: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::group_id.eq(eng))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(to_eng, 70);
    let admins: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::role_id.eq(app.builtin_role("GroupAdmin")))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(admins, 70);
    // Every mail arrives over SMTP, once.
    assert!(
        eventually(120, || smtp.messages().len() == 790).await,
        "{} of 790 mails arrived",
        smtp.messages().len()
    );
    let new7: Vec<String> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.contains("To: new7@example.com"))
        .collect();
    assert_eq!(new7.len(), 1);
    assert!(
        new7[0].contains("Welcome, friend"),
        "the row's message is in its mail"
    );
    // Pressing again sends nothing more.
    let again = app
        .post_with(
            &alice,
            &format!("{at}/send"),
            &[("csrf_token", &csrf_from(&done.body))],
        )
        .await;
    assert_eq!(again.status, 303);
    assert_eq!(count_invitations(&app), 790);

    // The refused rows come back as a CSV, with why, formulas escaped.
    let r = alice
        .get(app.url(&format!("{at}/refused.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("people-refused.csv")
    );
    let body = r.text().await.unwrap();
    let body = body.trim_start_matches('\u{feff}');
    let mut rows = body.lines();
    assert_eq!(rows.next(), Some("email,community,role,message,refused"));
    assert_eq!(rows.count(), 230);
    assert!(
        body.contains("formula@example.com,,Boss,\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{body}"
    );
    assert!(body.contains("ghost3,,,,no such user"));
}

async fn whole_files_are_refused_before_they_are_read(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let refused = |p: &Page, status: u16, says: &str| {
        assert_eq!(p.status, status, "{}", p.main_text());
        let alert = texts(&p.body, "[role=alert]").join(" ");
        assert!(alert.contains(says), "{alert}");
    };
    // 10 MB: refused by its size, before a byte of it is parsed.
    let big = "email\n".to_string() + &"someone@example.com\n".repeat(10 * 1024 * 1024 / 20);
    let p = upload(&app, &alice, "big", "huge.csv", big.as_bytes()).await;
    refused(&p, 413, "The file is larger than 1 MB");
    // Just over 1 MB: within what the framing may add, so read, and
    // refused as soon as the file part passes 1 MB.
    let over = "email\n".to_string() + &"a@example.com\n".repeat(1024 * 1024 / 14 + 10);
    let p = upload(&app, &alice, "big", "over.csv", over.as_bytes()).await;
    refused(&p, 413, "larger than 1 MB");
    let p = upload(
        &app,
        &alice,
        "big",
        "nul.csv",
        b"email\nann\0@example.com\n",
    )
    .await;
    refused(&p, 422, "characters that cannot be used");
    let p = upload(
        &app,
        &alice,
        "big",
        "latin1.csv",
        b"email\nj\xf6rg@example.com\n",
    )
    .await;
    refused(&p, 422, "not UTF-8 text");
    let p = upload(
        &app,
        &alice,
        "big",
        "names.csv",
        b"name,role\nAnn,GroupMember\n",
    )
    .await;
    refused(&p, 422, "The first line must name the columns");
    let many = "email\n".to_string() + &"a@example.com\n".repeat(5001);
    let p = upload(&app, &alice, "big", "many.csv", many.as_bytes()).await;
    refused(&p, 422, "more than 5000 rows");
    let p = upload(&app, &alice, "big", "empty.csv", b"").await;
    refused(&p, 422, "Choose a CSV file");
    // Nothing of any of them was kept.
    assert!(import_state(&app).is_empty());
    assert_eq!(count_invitations(&app), 0);
    // Exactly 5,000 rows are read.
    let most = "email\n".to_string()
        + &(0..5000)
            .map(|i| format!("p{i}@example.com\n"))
            .collect::<String>();
    let p = upload(&app, &alice, "big", "most.csv", most.as_bytes()).await;
    let (_, page) = checked(&app, &alice, &p).await;
    assert!(
        page.main_text().contains("5000 rows, 1000 will be invited"),
        "{}",
        page.main_text()
    );
}

async fn separators_quotes_and_a_bom_are_read_as_written(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let file = "\u{feff}Message;E-Mail;EMAIL\r\n\
                \"Hi; see you\r\nat the \"\"kick-off\"\"\";ignored;ann@example.com\r\n\
                ;;\r\n\
                plain;x;Bob@Example.com\r\n";
    let p = upload(&app, &alice, "big", "semi.csv", file.as_bytes()).await;
    let (at, page) = checked(&app, &alice, &p).await;
    assert!(
        page.main_text().contains("2 rows, 2 will be invited"),
        "{}",
        page.main_text()
    );
    send_and_wait(&app, &alice, &at, &page).await;
    let mut got: Vec<(String, Option<String>)> = app.db(|c| {
        invitations::table
            .order(invitations::id)
            .select((invitations::invitee_email_key, invitations::message))
            .load(c)
            .unwrap()
    });
    got.sort();
    assert_eq!(
        got,
        [
            (
                "ann@example.com".to_string(),
                Some("Hi; see you\nat the \"kick-off\"".to_string())
            ),
            ("bob@example.com".to_string(), Some("plain".to_string())),
        ]
    );
}

async fn only_the_uploader_sees_an_import_and_send_goes_once(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let p = app.new_group(&alice, "Big", "big", "invite_only").await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (carol_id, carol) = app.logged_in("carol", PW).await;
    app.add_member("big", carol_id, app.builtin_role("GroupAdmin"));
    let (bob_id, bob) = app.logged_in("bob", PW).await;
    app.add_member("big", bob_id, app.builtin_role("GroupMember"));
    let file = (0..150)
        .map(|i| format!("p{i}@example.com\n"))
        .collect::<String>();
    let file = format!("email\n{file}");

    // A member who may not invite has no upload page and cannot upload.
    assert_eq!(
        app.get_with(&bob, "/groups/big/invite/csv").await.status,
        403
    );
    let token = csrf_from(&app.get_with(&bob, "/groups/big").await.body);
    let p = post_upload(&app, &bob, "big", Some(&token), "x.csv", file.as_bytes()).await;
    assert_eq!(p.status, 403, "{}", p.body);
    // Without the token, or with another session's, nothing is read.
    let p = post_upload(&app, &alice, "big", None, "x.csv", file.as_bytes()).await;
    assert_eq!(p.status, 403, "{}", p.body);
    let p = post_upload(&app, &alice, "big", Some(&token), "x.csv", file.as_bytes()).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(import_state(&app).is_empty());

    let p = upload(&app, &alice, "big", "x.csv", file.as_bytes()).await;
    let (at, page) = checked(&app, &alice, &p).await;
    // Another admin of the group does not see alice's import.
    assert_eq!(app.get_with(&carol, &at).await.status, 404);
    assert_eq!(
        app.get_with(&carol, &format!("{at}/refused.csv"))
            .await
            .status,
        404
    );
    let token = csrf_from(&app.get_with(&carol, "/groups/big").await.body);
    let p = app
        .post_with(&carol, &format!("{at}/send"), &[("csrf_token", &token)])
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(import_state(&app), ["checked"]);

    // Two presses at the same instant: one sends, each row once.
    let token = csrf_from(&page.body);
    let press = || {
        alice
            .post(app.url(&format!("{at}/send")))
            .header("Origin", &app.address)
            .form(&[("csrf_token", token.as_str())])
    };
    let answers = at_once(vec![press(), press()]).await;
    assert!(answers.iter().all(|p| p.status == 303));
    assert!(eventually(60, || import_state(&app) == ["sent"]).await);
    assert_eq!(count_invitations(&app), 150);
    let page = app.get_with(&alice, &at).await;
    assert!(
        page.main_text().contains("150 of 150 rows invited"),
        "{}",
        page.main_text()
    );
}
