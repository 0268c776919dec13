//! Test support: a fresh database per test on either backend, the app on
//! port 0, a cookie-keeping client, and shortcuts for common steps.

#![allow(dead_code)]

use guildhall::clock::Clock;
use guildhall::config::{Config, SignupMode};
use guildhall::db::{DbConn, DbPool};
use guildhall::startup::{AppState, Application};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod name { sqlite(), postgres() }` for each `async fn name(Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The PostgreSQL server for tests. Every PostgreSQL twin needs it: a run
/// without it fails instead of passing half its tests (`bash scripts/test`
/// sets it up).
pub fn postgres_url() -> String {
    match std::env::var("GUILDHALL_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => panic!(
            "GUILDHALL_TEST_POSTGRES_URL is not set: the PostgreSQL twin of this test cannot run \
             (run `bash scripts/test`, which starts PostgreSQL and sets it)"
        ),
    }
}

fn random_suffix() -> String {
    let (t, _) = guildhall::auth::tokens::generate();
    t.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect::<String>()
        .to_lowercase()
}

/// A database that lives as long as the test.
pub struct TestDb {
    pub url: String,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub fn create(backend: Backend, dir: &std::path::Path) -> Self {
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.join("test.db").display()),
                pg_admin: None,
            },
            Backend::Postgres => {
                use diesel::{Connection, PgConnection, RunQueryDsl};
                let admin = postgres_url();
                let name = format!("guildhall_test_{}", random_suffix());
                let mut conn = PgConnection::establish(&admin).expect("connect to PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("postgres url");
                url.set_path(&name);
                TestDb {
                    url: url.to_string(),
                    pg_admin: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin {
            use diesel::{Connection, PgConnection, RunQueryDsl};
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub backend: Backend,
    pub state: actix_web::web::Data<AppState>,
    pub clock: Clock,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub config: Config,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    // Dropped last: the database outlives the server. `None` for a second
    // server (`spawn_second_server`): the first one owns them.
    _tmp: Option<tempfile::TempDir>,
    _db: Option<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn test_config(db_url: &str, data_dir: &std::path::Path) -> Config {
    Config {
        database_url: db_url.to_string(),
        bind: "127.0.0.1:0".into(),
        base_url: "http://127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        secret_key: None,
        smtp_url: None,
        mail_from: "Guildhall <guildhall@example.test>".into(),
        signup: SignupMode::Approval,
        session_idle: Duration::from_secs(24 * 3600),
        session_max: Duration::from_secs(14 * 86_400),
        login_max_failures_per_account: 5,
        login_max_failures_per_ip: 50,
        login_window: Duration::from_secs(15 * 60),
        mail_retry_base: Duration::from_millis(200),
        mail_max_attempts: 30,
        // Test receivers listen on 127.0.0.1.
        webhook_allow_private: true,
        webhook_retry_base: Duration::from_millis(100),
        webhook_max_attempts: 12,
        mail_poll: Duration::from_millis(100),
        invitation_ttl_days: 7,
        invitation_reminders: guildhall::domain::ReminderPoints::parse("2,5", 7).expect("points"),
        reminder_poll: Duration::from_millis(100),
        invites_per_inviter_per_day: 1000,
        invites_per_group_per_day: 5000,
        resends_per_invitation_per_day: 3,
        workers: 2,
        db_pool_size: Some(4),
        run_mail_worker: true,
        trusted_proxies: Vec::new(),
        count_queries: false,
        drain: Duration::ZERO,
        disposable: std::sync::Arc::new(
            guildhall::domain::invitation_policy::Disposable::from_text(
                guildhall::domain::invitation_policy::Disposable::SHIPPED,
            ),
        ),
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// A listener on a free loopback port, kept open (no other test can take
/// the port between learning it and serving on it), and its port.
fn bound_listener() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("bound address").port();
    (listener, port)
}

/// Starts the app on a free port with a fresh database; `tweak` adjusts the config.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = TestDb::create(backend, tmp.path());
    // Bind first to learn the port, so the base URL (links in mails, the
    // Origin check) is the real one; the app serves on this very listener.
    let (listener, port) = bound_listener();
    let mut config = test_config(&db.url, tmp.path());
    config.bind = format!("127.0.0.1:{port}");
    config.base_url = format!("http://127.0.0.1:{port}");
    tweak(&mut config);
    let clock = Clock::default();
    let app = Application::build_on(config.clone(), clock.clone(), listener).expect("build app");
    let port = app.port();
    let state = app.state();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        backend,
        state,
        clock,
        client: new_client(),
        data_dir: tmp.path().to_path_buf(),
        config,
        server,
        _tmp: Some(tmp),
        _db: Some(db),
    }
}

/// Another server process of the same site as `first`: its own port, pool
/// and workers, on `first`'s database with its data dir (so its secret
/// key) and its clock. It sends no mail (`first` does). Drop it before
/// `first`, which owns the database.
pub async fn spawn_second_server(first: &TestApp) -> TestApp {
    let mut config = first.config.clone();
    let (listener, port) = bound_listener();
    config.bind = format!("127.0.0.1:{port}");
    config.base_url = format!("http://127.0.0.1:{port}");
    config.run_mail_worker = false;
    let app =
        Application::build_on(config.clone(), first.clock.clone(), listener).expect("build app");
    let port = app.port();
    let state = app.state();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        backend: first.backend,
        state,
        clock: first.clock.clone(),
        client: new_client(),
        data_dir: first.data_dir.clone(),
        config,
        server,
        _tmp: None,
        _db: None,
    }
}

/// A client builder that does not follow redirects (tests look at them) and
/// drops a connection idle for 2 s: the server closes one idle for 5 s, and
/// a POST sent on a connection it is closing fails (hyper's
/// `IncompleteMessage`) instead of being retried. Tests that prepare many
/// clients (each login hashes a password) would otherwise meet it on a slow
/// machine.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(2))
}

/// A client that keeps cookies and does not follow redirects.
pub fn new_client() -> reqwest::Client {
    client_builder().cookie_store(true).build().unwrap()
}

/// A client like `new_client` with its cookie jar in hand, so its cookie can
/// be copied as an attacker would.
pub fn client_with_jar() -> (reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = client_builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    (client, jar)
}

/// The value of the first hidden `csrf_token` field in a page.
pub fn csrf_from(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=csrf_token]").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("page has a csrf_token field")
        .to_string()
}

/// The text of the elements matching `selector`.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The invitees listed on one tab of a group's invitations page, and
/// every tab's count as shown ("Pending 3").
pub async fn invitation_tab(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    status: &str,
) -> (Vec<String>, Vec<String>) {
    let page = app
        .get_with(
            client,
            &format!("/groups/{slug}/invitations?status={status}"),
        )
        .await;
    assert_eq!(page.status, 200, "{slug} invitations, {status}");
    (
        texts(&page.body, "table.invitations td.invitee a"),
        texts(&page.body, "nav.tabs a"),
    )
}

/// The attribute `attr` of the elements matching `selector`.
pub fn attrs(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr(attr).map(str::to_string))
        .collect()
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The text a person reads in the page's `<main>` (not the title, not
    /// hidden elements, not attributes).
    pub fn main_text(&self) -> String {
        crate::forms::main_text(&self.body)
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> Page {
        let r = client.get(self.url(path)).send().await.expect("GET");
        page(r).await
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(&self.client, path).await
    }

    /// POSTs a form as a browser would: the Origin of this site and the fields given.
    pub async fn post_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let r = client
            .post(self.url(path))
            .header("Origin", &self.address)
            .form(form)
            .send()
            .await
            .expect("POST");
        page(r).await
    }

    /// GETs `form_page`, takes its CSRF token and POSTs `form` to `action`.
    pub async fn submit_with(
        &self,
        client: &reqwest::Client,
        form_page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let p = self.get_with(client, form_page).await;
        assert_eq!(p.status, 200, "{form_page} answered {}", p.status);
        let f = self.form_posting_to(&p, form_page, action).with(form);
        self.send(client, &f).await
    }

    /// The form of `page` (a page already received, such as the "are you
    /// sure?" page a POST answered) that posts to `action`, sent with
    /// `form` in place of what the page filled in.
    pub async fn submit_in(
        &self,
        client: &reqwest::Client,
        page: &Page,
        action: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let f = self
            .form_posting_to(page, "the page received", action)
            .with(form);
        self.send(client, &f).await
    }

    /// Sends `form` as its page's browser would.
    pub async fn send(&self, client: &reqwest::Client, form: &crate::forms::Form) -> Page {
        let fields: Vec<(&str, &str)> = form
            .fields()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.post_with(client, &form.action, &fields).await
    }

    /// A form that asks "are you sure?" first, sent as a person without
    /// JavaScript does: the form of `form_page` that posts to `action`, then,
    /// when the answer is the page that asks, its confirming form.
    pub async fn confirm_with(
        &self,
        client: &reqwest::Client,
        form_page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let first = self.submit_with(client, form_page, action, form).await;
        let asks = first.status == 200
            && crate::forms::forms(&first.body, action)
                .iter()
                .any(|f| f.action == action);
        if !asks {
            return first;
        }
        self.submit_in(client, &first, action, &[]).await
    }

    /// A request no page offers, forged on purpose (an attacker's, or a
    /// stale page's): `form` POSTed to `action` with the CSRF token of
    /// `token_page`, whether or not that page has such a form.
    pub async fn forge_with(
        &self,
        client: &reqwest::Client,
        token_page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let p = self.get_with(client, token_page).await;
        let token = csrf_from(&p.body);
        let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post_with(client, action, &fields).await
    }

    /// The form of `page` (opened at `path`) that posts to `action`, as a
    /// browser shows it: fails when the page has none there or it is not
    /// sent by POST.
    pub fn form_posting_to(&self, page: &Page, path: &str, action: &str) -> crate::forms::Form {
        let f = crate::forms::posting_to(&page.body, path, action);
        assert_eq!(f.method, "post", "the form posting to {action} on {path}");
        f
    }

    /// Sends the invite form of `slug` and, as a browser would, follows the
    /// redirect to its result page (a refused form answers itself, 422).
    pub async fn send_invite(
        &self,
        client: &reqwest::Client,
        slug: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let page = format!("/groups/{slug}/invite");
        let p = self.submit_with(client, &page, &page, form).await;
        match (&p.location, p.status) {
            (Some(to), 303) => {
                assert!(
                    to.starts_with(&format!("/groups/{slug}/invite/results/")),
                    "the invite form redirects to its result: {to}"
                );
                self.get_with(client, to).await
            }
            _ => p,
        }
    }

    pub async fn submit(&self, form_page: &str, action: &str, form: &[(&str, &str)]) -> Page {
        self.submit_with(&self.client, form_page, action, form)
            .await
    }

    pub fn pool(&self) -> &DbPool {
        &self.state.pool
    }

    /// Creates an internal group through its form as `c`'s user.
    pub async fn new_group(
        &self,
        c: &reqwest::Client,
        name: &str,
        slug: &str,
        join_method: &str,
    ) -> Page {
        let page = self.get_with(c, "/groups/new").await;
        let form = crate::forms::with_button(&page.body, "/groups/new", "Create group")
            .fill("Name", name)
            .fill("Address", slug)
            .fill("Join method", join_method)
            .fill("Audience", "internal");
        self.send(c, &form).await
    }

    pub fn writer(&self) -> &guildhall::db::Writer {
        &self.state.writer
    }

    /// Runs `f` on a pooled connection (blocking; fine in tests).
    pub fn db<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        let mut c = self.pool().get().expect("db connection");
        f(&mut c)
    }

    /// A new user, logged in with a client of their own: (id, client).
    pub async fn logged_in(&self, username: &str, password: &str) -> (i64, reqwest::Client) {
        let id = self.create_user(username, password);
        let client = new_client();
        self.login_with(&client, username, password).await;
        (id, client)
    }

    pub fn group_id(&self, slug: &str) -> i64 {
        self.db(|c| {
            guildhall::models::group::find_by_slug(c, slug)
                .unwrap()
                .unwrap_or_else(|| panic!("no group {slug}"))
                .id
        })
    }

    /// The id of a built-in role (GroupAdmin, GroupMember).
    pub fn builtin_role(&self, name: &str) -> i64 {
        self.db(|c| guildhall::models::role::builtin(c, name).unwrap().id)
    }

    /// Adds a member directly, as an accepted invitation would.
    pub fn add_member(&self, slug: &str, user_id: i64, role_id: i64) {
        let (g, now) = (self.group_id(slug), self.clock.now());
        self.db(|c| {
            guildhall::services::groups::add_member(c, g, user_id, role_id, None, now).unwrap()
        });
    }

    /// Creates an active, verified user directly (not through the UI, no mail).
    pub fn create_user(&self, username: &str, password: &str) -> i64 {
        let now = self.clock.now();
        self.db(|c| insert_user(c, username, password, now))
    }

    pub fn create_admin(&self, username: &str, password: &str) -> i64 {
        let acc = guildhall::services::registration::SignupInput {
            username: username.into(),
            first_name: capitalise(username),
            last_name: "Admin".into(),
            email: format!("{username}@example.com"),
            password: password.into(),
            ..Default::default()
        }
        .parse()
        .expect("valid admin");
        let now = self.clock.now();
        self.db(|c| {
            guildhall::services::registration::create_site_admin(c, &acc, false, now)
                .unwrap()
                .unwrap()
        })
    }

    /// Logs `client` in; panics unless it lands on a redirect.
    /// Logs in through the form a person fills on the log-in page.
    pub async fn login_with(&self, client: &reqwest::Client, login: &str, password: &str) {
        let page = self.get_with(client, "/login").await;
        let form = crate::forms::with_button(&page.body, "/login", "Log in")
            .fill("Username or e-mail", login)
            .fill("Password", password);
        let p = self.send(client, &form).await;
        assert_eq!(p.status, 303, "login as {login} failed: {}", p.body);
    }

    pub async fn login(&self, login: &str, password: &str) {
        self.login_with(&self.client, login, password).await
    }

    pub fn user_by_username(&self, username: &str) -> guildhall::models::User {
        self.db(|c| {
            guildhall::models::user::find_by_login(c, username)
                .unwrap()
                .expect("user exists")
        })
    }

    pub fn count(&self, table: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.db(|c| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<N>(c)
                .unwrap()
                .n
        })
    }

    /// Every queued mail, oldest first.
    pub fn outbox(&self) -> Vec<guildhall::models::outbox::OutboxMail> {
        self.db(|c| guildhall::models::outbox::all(c).unwrap())
    }

    /// The first link to this site in the last queued mail to `to`.
    pub fn link_in_last_mail_to(&self, to: &str) -> String {
        let mail = self
            .outbox()
            .into_iter()
            .rev()
            .find(|m| m.recipient == to)
            .unwrap_or_else(|| panic!("no mail to {to}"));
        link_in(&mail.text_body, &self.address)
    }
}

pub fn link_in(text: &str, address: &str) -> String {
    let start = text.find(address).expect("mail contains a link to the app");
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['.', '>', ')'])
        .to_string()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub async fn page(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let body = r.text().await.unwrap_or_default();
    Page {
        status,
        location,
        body,
    }
}

/// Waits up to `secs` for `cond`, polling.
pub async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cond()
}

/// How long a count must stay the same before `settled` believes it.
pub const GRACE: Duration = Duration::from_secs(2);

/// Waits until `count()` has not changed for `GRACE` (giving up after
/// `secs`) and returns it: "nothing more arrives", without a fixed sleep
/// that a slow machine could outlast.
pub async fn settled(secs: u64, mut count: impl FnMut() -> usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let (mut last, mut since) = (count(), std::time::Instant::now());
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = count();
        if now != last {
            (last, since) = (now, std::time::Instant::now());
        } else if since.elapsed() >= GRACE {
            return now;
        }
    }
    panic!("the count kept changing for {secs} s (last {last})");
}

/// The race harness: sends every request at the same instant. Each request
/// is fully prepared beforehand (its client has its session and its CSRF
/// token from fetching the form), every task waits on one barrier, then all
/// send. Returns each response's page, in
/// the order given.
pub async fn at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<Page> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                page(r.send().await.expect("request sent at once")).await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("racing task"));
    }
    out
}

impl TestApp {
    /// A POST of `form` to `action` by a fresh client that has just opened
    /// `form_page` (its session and CSRF token ready), for `at_once`.
    pub async fn prepared_post(
        &self,
        form_page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        // No connection kept: preparing hundreds of clients takes longer
        // than the server keeps an idle one open, and a POST is not retried
        // on a connection the server has closed.
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        self.prepared_post_with(&client, form_page, action, form)
            .await
    }

    /// As `prepared_post`, by `client`.
    pub async fn prepared_post_with(
        &self,
        client: &reqwest::Client,
        form_page: &str,
        action: &str,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let p = self.get_with(client, form_page).await;
        let f = self.form_posting_to(&p, form_page, action).with(form);
        self.prepared(client, &f)
    }

    /// The sign-up form that the invitation link `join_path` (/join/…)
    /// leads to, sent by `c` with `fields` (by name) in place of what the
    /// page filled in.
    pub async fn sign_up_from_link(
        &self,
        c: &reqwest::Client,
        join_path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let token = join_path.trim_start_matches("/join/");
        let form = self
            .get_with(c, &format!("/signup?invitation={token}"))
            .await;
        assert_eq!(form.status, 200, "{}", form.body);
        self.submit_in(c, &form, "/signup", fields).await
    }

    /// `form` ready to send to this server (not yet sent).
    pub fn prepared(
        &self,
        client: &reqwest::Client,
        form: &crate::forms::Form,
    ) -> reqwest::RequestBuilder {
        let fields: Vec<(&str, &str)> = form
            .fields()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        client
            .post(self.url(&form.action))
            .header("Origin", &self.address)
            .form(&fields)
    }
}

/// An active, verified user `username` (`username@example.com`) written
/// straight into the database.
pub fn insert_user(
    c: &mut DbConn,
    username: &str,
    password: &str,
    now: time::PrimitiveDateTime,
) -> i64 {
    let hash = guildhall::auth::password::hash(password).unwrap();
    let email = format!("{username}@example.com");
    let first = capitalise(username);
    guildhall::models::user::insert(
        c,
        &guildhall::models::user::NewUser {
            username: Some(username),
            username_key: Some(username.to_lowercase()),
            email: &email,
            email_key: email.to_lowercase(),
            first_name: &first,
            last_name: "Tester",
            country_code: None,
            phone: None,
            password_hash: Some(&hash),
            status: guildhall::domain::UserStatus::Active,
            is_site_admin: false,
            email_verified_at: Some(now),
            approved_at: Some(now),
            session_epoch: 0,
            created_at: now,
            updated_at: now,
            account_id: None,
            is_super_user: false,
            seeded: false,
        },
    )
    .unwrap()
}

/// Presses the button that posts to `path` (`…/accept`, `…/decline`,
/// `…/cancel`) where a person finds it: the inbox for `/invitations/{id}/…`,
/// the cancel page for a cancel, else the page `path` belongs to; then
/// confirms where that page asks first.
pub async fn press(app: &TestApp, c: &reqwest::Client, path: &str) -> Page {
    let page = match path.strip_prefix("/invitations/") {
        Some(_) => "/invitations",
        None if path.ends_with("/cancel") => path,
        None => path.rsplit_once('/').map_or("/", |(page, _)| page),
    };
    app.confirm_with(c, page, path, &[]).await
}

/// The same POST forged: no page offers it (a closed invitation, someone
/// else's, a replay), sent with a token and past any confirmation.
pub async fn forged_post(app: &TestApp, c: &reqwest::Client, path: &str) -> Page {
    app.forge_with(c, "/", path, &[("confirmed", "1")]).await
}
