//! The `guildhall` binary: help, migrate, create-admin, serve and SIGTERM.

use crate::backend_tests;
use crate::helpers::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

backend_tests!(
    create_admin_reads_the_password_from_stdin,
    serve_answers_and_stops_on_sigterm,
    a_stopping_server_drains_saying_so_on_healthz,
);

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_guildhall"))
}

/// `guildhall serve` on `db` and `port`, one worker, its output dropped.
fn serve(db: &TestDb, dir: &std::path::Path, port: u16) -> Command {
    let mut cmd = bin();
    cmd.arg("serve")
        .env("GUILDHALL_DATABASE_URL", &db.url)
        .env("GUILDHALL_DATA_DIR", dir)
        .env("GUILDHALL_BIND", format!("127.0.0.1:{port}"))
        .env("GUILDHALL_WORKERS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// `guildhall migrate` on `db`; panics with its errors if it fails.
pub(crate) fn migrate(db: &TestDb, dir: &std::path::Path) {
    let out = bin()
        .arg("migrate")
        .env("GUILDHALL_DATABASE_URL", &db.url)
        .env("GUILDHALL_DATA_DIR", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `guildhall create-admin` for ada@example.com, the password on stdin.
pub(crate) fn create_admin(
    db: &TestDb,
    dir: &std::path::Path,
    password: &str,
) -> std::process::Output {
    let mut child = bin()
        .args([
            "create-admin",
            "--username",
            "ada",
            "--email",
            "ada@example.com",
        ])
        .env("GUILDHALL_DATABASE_URL", &db.url)
        .env("GUILDHALL_DATA_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn help_lists_every_command() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "create-admin"] {
        assert!(text.contains(cmd), "--help lacks {cmd}: {text}");
    }
    let out = bin().args(["create-admin", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--username") && text.contains("--email"),
        "{text}"
    );
}

async fn create_admin_reads_the_password_from_stdin(b: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::create(b, tmp.path());
    migrate(&db, tmp.path());

    let run = |password: &str| create_admin(&db, tmp.path(), password);
    let short = run("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));

    let ok = run("a long enough password");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let pool = guildhall::db::build_pool(&db.url, Some(1)).unwrap();
    let mut c = pool.get().unwrap();
    let u = guildhall::models::user::find_by_login(&mut c, "ada")
        .unwrap()
        .unwrap();
    assert!(u.is_site_admin && u.is_active() && u.email_verified_at.is_some());
    assert!(guildhall::auth::password::verify(
        "a long enough password",
        u.password_hash.as_deref()
    ));

    let again = run("a long enough password");
    assert!(!again.status.success(), "a second admin with the same name");
}

async fn serve_answers_and_stops_on_sigterm(b: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::create(b, tmp.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = || serve(&db, tmp.path(), port).spawn().unwrap();
    let client = new_client();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let mut first_key = None;
    for _ in 0..2 {
        let mut child = start();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = client.get(&health).send().await {
                assert_eq!(r.text().await.unwrap(), "ok");
                break;
            }
            assert!(Instant::now() < deadline, "serve did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let key = std::fs::read_to_string(tmp.path().join("secret.key")).unwrap();
        assert!(key.trim().len() >= 86, "a 64-byte key, base64");
        // The key made at the first start is kept, so sessions survive restarts.
        assert_eq!(&key, first_key.get_or_insert_with(|| key.clone()));
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(status.success(), "exit status {status}");
    }
}

/// SIGTERM with `GUILDHALL_DRAIN_SECONDS`: `/healthz` answers 503
/// `draining` while pages are still served, then the server exits; a
/// second signal cuts the drain short.
async fn a_stopping_server_drains_saying_so_on_healthz(b: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::create(b, tmp.path());
    migrate(&db, tmp.path());
    let port = crate::mail::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = new_client();
    let start = |drain: &str| {
        serve(&db, tmp.path(), port)
            .env("GUILDHALL_DRAIN_SECONDS", drain)
            .spawn()
            .unwrap()
    };
    let health = || async {
        match client.get(format!("{base}/healthz")).send().await {
            Ok(r) => Some((r.status().as_u16(), r.text().await.unwrap())),
            Err(_) => None,
        }
    };
    let term = |child: &std::process::Child| {
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
    };
    let exited_within = |child: &mut std::process::Child, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    let mut child = start("3");
    let deadline = Instant::now() + Duration::from_secs(20);
    while health().await.is_none() {
        assert!(Instant::now() < deadline, "serve did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(health().await, Some((200, "ok".to_string())));
    let told = Instant::now();
    term(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        health().await,
        Some((503, "draining".to_string())),
        "a draining server says so"
    );
    let login = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status().as_u16(), 200, "and still serves pages");
    let status = exited_within(&mut child, 20).expect("it stops after the drain");
    assert!(status.success(), "exit status {status}");
    assert!(
        told.elapsed() >= Duration::from_secs(3),
        "it served for the whole drain ({:?})",
        told.elapsed()
    );

    // A second signal ends a long drain at once.
    let mut child = start("60");
    let deadline = Instant::now() + Duration::from_secs(20);
    while health().await.is_none() {
        assert!(Instant::now() < deadline, "serve did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    term(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(health().await.map(|h| h.0), Some(503));
    term(&child);
    let status = exited_within(&mut child, 10).expect("a second SIGTERM cuts the drain short");
    assert!(status.success(), "exit status {status}");
}

/// Servers that share a data dir and start at the same instant make one
/// secret key between them, so each reads the others' session cookies.
#[test]
fn servers_starting_at_once_on_one_data_dir_share_one_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = test_config("sqlite://unused.db", tmp.path());
    let barrier = std::sync::Barrier::new(8);
    let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    guildhall::startup::secret_key(&config)
                        .expect("every server gets a key")
                        .master()
                        .to_vec()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        keys.windows(2).all(|w| w[0] == w[1]),
        "one key for all eight"
    );
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only secret.key is left in the data dir");
}
