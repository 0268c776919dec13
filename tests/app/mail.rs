//! The outbox and its delivery worker against a real SMTP server (aiosmtpd,
//! a separate process on a loopback port) and the .eml file transport.

use crate::backend_tests;
use crate::helpers::*;
use guildhall::models::outbox;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

backend_tests!(
    mail_goes_to_files_without_smtp,
    verification_mail_arrives_over_smtp,
    mail_waits_while_smtp_is_down_and_arrives_once,
    two_workers_never_send_a_mail_twice,
    a_lapsed_lease_taken_by_another_worker_is_not_renewed,
);

const PW: &str = "correct horse battery";

/// An SMTP server in its own process writing every message into a Maildir.
pub(crate) struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    pub(crate) fn start(port: u16, dir: &Path) -> SmtpServer {
        // aiosmtpd creates the Maildir only where nothing exists yet.
        let maildir = dir.join("maildir");
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir);
        Self::spawn(cmd, port, maildir)
    }

    /// One that waits `delay_ms` before it takes each message
    /// (tests/slow_smtp.py), so mails are in flight long enough to kill
    /// their sender.
    pub(crate) fn start_slow(port: u16, dir: &Path, delay_ms: u64) -> SmtpServer {
        let maildir = dir.join("maildir");
        let mut cmd = Command::new("python3");
        cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slow_smtp.py"))
            .arg(port.to_string())
            .arg(&maildir)
            .arg(delay_ms.to_string());
        Self::spawn(cmd, port, maildir)
    }

    fn spawn(mut cmd: Command, port: u16, maildir: PathBuf) -> SmtpServer {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start (pip install aiosmtpd)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, maildir }
    }

    pub(crate) fn messages(&self) -> Vec<String> {
        read_maildir(&self.maildir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_maildir(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("new")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

/// Queues `n` mails to user0@…, user1@… straight into the outbox.
fn queue_mails(c: &mut guildhall::db::DbConn, n: usize, now: time::PrimitiveDateTime) {
    for i in 0..n {
        let m = guildhall::mail::OutgoingMail {
            kind: "test",
            to: format!("user{i}@example.com"),
            subject: format!("Mail {i}"),
            text: "hello".into(),
            html: "<p>hello</p>".into(),
        };
        guildhall::mail::enqueue(c, &m, now, "example.test").unwrap();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

async fn sign_up(app: &TestApp, username: &str) {
    let email = format!("{username}@example.com");
    let p = app
        .submit_with(
            &new_client(),
            "/signup",
            "/signup",
            &[
                ("username", username),
                ("first_name", "Dora"),
                ("last_name", "Mail"),
                ("email", &email),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
}

async fn mail_goes_to_files_without_smtp(b: Backend) {
    let app = spawn_app(b).await;
    sign_up(&app, "dora").await;
    let dir = app.data_dir.join("mail");
    let found = eventually(10, || {
        std::fs::read_dir(&dir)
            .map(|d| d.count() > 0)
            .unwrap_or(false)
    })
    .await;
    assert!(found, "no .eml file written");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let eml = std::fs::read_to_string(file).unwrap();
    let queued = app.outbox().pop().unwrap();
    assert_eq!(header(&eml, "Message-ID"), Some(queued.message_id.as_str()));
    assert!(eml.contains("multipart/alternative"));
    assert!(eml.contains("To: dora@example.com"));
    assert!(eml.contains("/verify-email/"));
    assert!(eventually(5, || app.outbox()[0].status == outbox::Status::Sent).await);
}

async fn verification_mail_arrives_over_smtp(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    sign_up(&app, "dora").await;
    assert!(
        eventually(15, || smtp.messages().len() == 1).await,
        "no mail arrived: {:?}",
        app.outbox()
    );
    let msg = &smtp.messages()[0];
    assert_eq!(
        header(msg, "Subject"),
        Some("Confirm your e-mail address for Guildhall")
    );
    assert_eq!(header(msg, "To"), Some("dora@example.com"));
    let link = link_in(&msg.replace("=\r\n", "").replace("=\n", ""), &app.address);
    assert!(link.contains("/verify-email/"));
    assert!(eventually(5, || app.outbox()[0].status == outbox::Status::Sent).await);
    let mail = app.outbox().pop().unwrap();
    assert_eq!(mail.attempts, 1);
    assert_eq!(header(msg, "Message-ID"), Some(mail.message_id.as_str()));
}

async fn mail_waits_while_smtp_is_down_and_arrives_once(b: Backend) {
    let port = free_port();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    sign_up(&app, "dora").await;
    // The server is down: the worker tries, records why, and waits.
    assert!(
        eventually(15, || {
            let m = &app.outbox()[0];
            m.attempts >= 2 && m.last_error.is_some() && m.status == outbox::Status::Pending
        })
        .await,
        "no retries recorded: {:?}",
        app.outbox()
    );
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    assert!(
        eventually(30, || smtp.messages().len() == 1).await,
        "mail did not arrive after the server came up"
    );
    assert!(eventually(5, || app.outbox()[0].status == outbox::Status::Sent).await);
    settled(30, || smtp.messages().len()).await;
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1, "delivered more than once");
    let mail = app.outbox().pop().unwrap();
    assert_eq!(
        header(&msgs[0], "Message-ID"),
        Some(mail.message_id.as_str()),
        "stable Message-ID"
    );
}

async fn two_workers_never_send_a_mail_twice(b: Backend) {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(port, maildir.path());
    // The app's own worker stays off; two workers share the queue as two servers would.
    let app = spawn_app_with(b, |c| {
        c.run_mail_worker = false;
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let now = app.clock.now();
    app.db(|c| queue_mails(c, 60, now));
    let mailer = guildhall::mail::Mailer::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        app.data_dir.clone(),
    )
    .unwrap();
    let worker = guildhall::mail::MailWorker {
        writer: app.writer().clone(),
        pool: app.pool().clone(),
        mailer,
        from: "Guildhall <g@example.test>".parse().unwrap(),
        clock: app.clock.clone(),
        retry_base: Duration::from_millis(100),
        max_attempts: 5,
        poll: Duration::from_millis(50),
        wakeup: Default::default(),
        outage: Default::default(),
    };
    let (w1, w2) = (worker.clone(), worker.clone());
    let run = |w: guildhall::mail::MailWorker| async move {
        let mut total = 0;
        for _ in 0..20 {
            total += w.deliver_due().await.unwrap();
        }
        total
    };
    let (a, b2) = tokio::join!(tokio::spawn(run(w1)), tokio::spawn(run(w2)));
    let (a, b2) = (a.unwrap(), b2.unwrap());
    assert_eq!(a + b2, 60, "each mail tried once in all: {a} + {b2}");
    assert!(eventually(10, || smtp.messages().len() >= 60).await);
    assert!(
        eventually(5, || app
            .outbox()
            .iter()
            .all(|m| m.status == outbox::Status::Sent))
        .await
    );
    let msgs = smtp.messages();
    let mut ids: Vec<&str> = msgs
        .iter()
        .filter_map(|m| header(m, "Message-ID"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((msgs.len(), ids.len()), (60, 60), "a mail was sent twice");
    assert!(
        app.outbox()
            .iter()
            .all(|m| m.status == outbox::Status::Sent && m.attempts == 1)
    );
}

/// The lease's instant marks whose claim a row is: a worker that stalled
/// past its lease, while another claimed the mail, renews nothing and so
/// stops before sending it.
async fn a_lapsed_lease_taken_by_another_worker_is_not_renewed(b: Backend) {
    let app = spawn_app_with(b, |c| c.run_mail_worker = false).await;
    let now = app.clock.now();
    let s = time::Duration::seconds;
    let ids = app.db(|c| {
        queue_mails(c, 3, now);
        outbox::claim_due(c, now, now + s(10), 50).unwrap()
    });
    assert_eq!(ids.len(), 3);
    let (first, rest) = app.db(|c| {
        // Within its lease the first worker keeps all three.
        let kept = outbox::renew(c, &ids, now + s(10), now + s(13)).unwrap();
        assert_eq!(kept.len(), 3);
        // It stalls; past its lease a second worker claims them.
        let taken = outbox::claim_due(c, now + s(14), now + s(24), 50).unwrap();
        assert_eq!(taken, ids, "a lapsed lease is claimable");
        (
            outbox::renew(c, &ids, now + s(13), now + s(17)).unwrap(),
            outbox::renew(c, &ids, now + s(24), now + s(27)).unwrap(),
        )
    });
    assert!(first.is_empty(), "the stalled worker renewed {first:?}");
    assert_eq!(rest.len(), 3, "the second worker holds them");
    let attempts: Vec<i64> = app.outbox().iter().map(|m| m.attempts).collect();
    assert_eq!(attempts, vec![2, 2, 2], "each claim counts an attempt");
}
