//! Real-browser tests: headless Chromium driven by chromedriver through
//! fantoccini, against the app on both backends. Each test starts its own
//! chromedriver on a free port with a fresh Chromium profile; pages are
//! checked with axe-core at a desktop and a phone width.
//!
//! Needs `/usr/bin/chromium`, `/usr/bin/chromedriver` (override with
//! GUILDHALL_CHROMIUM / GUILDHALL_CHROMEDRIVER) and axe-core:
//! `npm install --prefix target/axe axe-core@4` (or set AXE_CORE_JS).
//! Screenshots go to `target/screenshots/`.

use crate::backend_tests;
use crate::helpers::*;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The widths every page is checked at: a desktop and a phone.
pub(crate) const WIDTHS: [u32; 2] = [1280, 390];
const HEIGHT: u32 = 900;
/// How long a page may take to appear after a click: a bound for a
/// stuck page, not a speed check. CI runs the browser tests beside the
/// crash tests' 500-invitation lists on 2 cores, where 15 s was once too
/// short for the invite form's first post (stop 38).
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

/// An XPath string literal for any text (XPath 1.0 has no escapes).
pub(crate) fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// chromedriver in its own process group, so that killing the group also
/// ends the Chromium it started, even when a test panics.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    async fn start(log: &std::path::Path) -> Self {
        use std::os::unix::process::CommandExt;
        let bin = env_or("GUILDHALL_CHROMEDRIVER", "/usr/bin/chromedriver");
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(&bin)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
            let mut driver = Chromedriver { child, port };
            match driver.wait_ready().await {
                Ok(()) => return driver,
                Err(e) => last_error = e, // dropping `driver` kills it
            }
        }
        let log = std::fs::read_to_string(log).unwrap_or_default();
        panic!("chromedriver did not start: {last_error}\n{log}");
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let url = format!("http://127.0.0.1:{}/status", self.port);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited: {status}"));
            }
            if let Ok(r) = http.get(&url).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == json!(true)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no answer on port {} within 20 s", self.port));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct AxeViolation {
    id: String,
    impact: Option<String>,
    help: String,
    #[serde(rename = "helpUrl")]
    help_url: String,
    count: usize,
    nodes: Vec<AxeNode>,
}

impl AxeViolation {
    /// Serious or critical: what the crawl fails on.
    pub(crate) fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }

    /// One line per violation, then its first elements.
    pub(crate) fn describe(&self) -> String {
        let mut s = format!(
            "{} ({}): {} — {} element(s); {}",
            self.id,
            self.impact.as_deref().unwrap_or("?"),
            self.help,
            self.count,
            self.help_url
        );
        for n in &self.nodes {
            s.push_str(&format!("\n    {}  {}", n.target, n.html));
        }
        s
    }
}

#[derive(Debug, serde::Deserialize)]
struct AxeNode {
    target: String,
    html: String,
}

/// A headless Chromium looking at one running app.
pub struct Browser {
    // Dropped in this order: the session, then chromedriver and Chromium,
    // then the profile they used.
    pub(crate) client: Client,
    driver: Chromedriver,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium for `app`.
    pub async fn start(app: &TestApp) -> Self {
        Self::start_at(&app.address).await
    }

    /// Like `start`, with JavaScript turned off in Chromium's settings, as
    /// a person who blocks scripts meets the pages.
    pub async fn start_without_js(app: &TestApp) -> Self {
        Self::launch(&app.address, false).await
    }

    /// Starts chromedriver and a fresh headless Chromium; paths given to
    /// `goto` are relative to `base`.
    pub async fn start_at(base: &str) -> Self {
        Self::launch(base, true).await
    }

    async fn launch(base: &str, javascript: bool) -> Self {
        let profile = tempfile::Builder::new()
            .prefix("guildhall-browser-")
            .tempdir()
            .expect("temp profile dir");
        let driver = Chromedriver::start(&profile.path().join("chromedriver.log")).await;
        let chromium = env_or("GUILDHALL_CHROMIUM", "/usr/bin/chromium");
        let user_data = profile.path().join("profile");
        let caps = json!({
            "browserName": "chrome",
            // Lets `console_errors` read the page's console through chromedriver.
            "goog:loggingPrefs": { "browser": "ALL" },
            "timeouts": { "pageLoad": 30_000, "script": 30_000, "implicit": 0 },
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", user_data.display()),
                    format!("--window-size={},{HEIGHT}", WIDTHS[0]),
                ],
                // 2 = block: the page's own scripts do not run (WebDriver's
                // `execute` still does, for the test's measurements).
                "prefs": {
                    "profile.managed_default_content_settings.javascript":
                        if javascript { 1 } else { 2 },
                },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(profile.path().join("chromedriver.log"))
                    .unwrap_or_default();
                let tail: String = log.lines().rev().take(40).collect::<Vec<_>>().join("\n");
                panic!(
                    "cannot start Chromium through chromedriver: {e}\n(log, newest first)\n{tail}"
                )
            });
        let browser = Browser {
            client,
            driver,
            base: base.to_string(),
            _profile: profile,
        };
        browser.set_width(WIDTHS[0]).await;
        browser
    }

    /// The console's errors (uncaught exceptions, CSP violations, failed
    /// loads) since the last call, read through chromedriver's log endpoint:
    /// the CSP forbids the inline script a `console.error` hook would need.
    pub async fn console_errors(&self) -> Vec<String> {
        let session = self
            .client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        let url = format!(
            "http://127.0.0.1:{}/session/{session}/se/log",
            self.driver.port
        );
        let log: Value = reqwest::Client::new()
            .post(&url)
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("read the browser log at {url}: {e}"))
            .json()
            .await
            .expect("browser log as JSON");
        log["value"]
            .as_array()
            .expect("log entries")
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Ends the browser session cleanly (Drop kills whatever is left).
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with('/') {
            format!("{}{}", self.base, path_or_url)
        } else {
            path_or_url.to_string()
        }
    }

    /// Opens a path of the app (or any URL: `http://…`, `about:blank`).
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        self.wait_for_load().await;
    }

    /// Reloads the page shown, as the browser's reload button does.
    pub async fn refresh(&self) {
        self.client.refresh().await.expect("reload");
        self.wait_for_load().await;
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .path()
            .to_string()
    }

    /// The text the user sees on the page (hidden elements excluded).
    pub async fn body_text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("page has a body")
            .text()
            .await
            .expect("body text")
    }

    /// The page's visible text, or None while the page is being replaced
    /// (a page that refreshes itself can go stale between find and read).
    pub async fn try_body_text(&self) -> Option<String> {
        let body = self.client.find(Locator::Css("body")).await.ok()?;
        body.text().await.ok()
    }

    /// Panics unless the visible text of the page contains every one of `texts`.
    pub async fn assert_sees(&self, texts: &[&str]) {
        let body = self.body_text().await;
        for t in texts {
            assert!(
                body.contains(t),
                "expected {t:?} on {}; the page shows:\n{body}",
                self.path().await
            );
        }
    }

    /// Panics unless the page shown is `path`.
    pub async fn assert_path(&self, path: &str) {
        let now = self.path().await;
        assert_eq!(
            now,
            path,
            "expected to be on {path}; the page shows:\n{}",
            self.body_text().await
        );
    }

    /// Types `value` into the (cleared) field matching `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = match self.client.find(Locator::Css(css)).await {
            Ok(f) => f,
            Err(e) => panic!("no field {css} on {}: {e}", self.path().await),
        };
        field.clear().await.expect("clear field");
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    /// The one visible button labelled `text` or, failing that, the element
    /// matching `text` as a CSS selector.
    async fn target(&self, text: &str) -> fantoccini::elements::Element {
        let lit = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={lit}] \
             | //input[(@type='submit' or @type='button') and @value={lit}]"
        );
        // A button just revealed (a `<details>` opened by the click before)
        // may take a moment on a loaded machine: looked for again until
        // PAGE_TIMEOUT while it exists but is not shown.
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let (mut visible, buttons) = loop {
            let buttons = self
                .client
                .find_all(Locator::XPath(&xpath))
                .await
                .unwrap_or_default();
            let mut visible = Vec::new();
            for b in &buttons {
                if b.is_displayed().await.unwrap_or(false) {
                    visible.push(b.clone());
                }
            }
            if !visible.is_empty() || buttons.is_empty() || Instant::now() >= deadline {
                break (visible, buttons);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        match (visible.len(), buttons.len()) {
            (1, _) => return visible.pop().unwrap(),
            (0, 0) => {}
            (0, n) => panic!(
                "{n} button(s) labelled {text:?} on {}, none visible",
                self.path().await
            ),
            (n, _) => panic!(
                "{n} visible buttons labelled {text:?} on {}: use a CSS selector",
                self.path().await
            ),
        }
        match self.client.find(Locator::Css(text)).await {
            Ok(e) => e,
            Err(e) => panic!(
                "no button labelled {text:?} and nothing matching it as CSS on {}: {e}\n{}",
                self.path().await,
                self.body_text().await
            ),
        }
    }

    /// Clicks a button by its text, or any element by CSS selector; does not
    /// wait for a page (see `press`).
    pub async fn click(&self, target: &str) {
        let el = self.target(target).await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {target:?}: {e}"));
    }

    /// Clicks a button (text or CSS) that submits a form and waits for the next page.
    pub async fn press(&self, target: &str) {
        let el = self.target(target).await;
        self.mark_page().await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {target:?}: {e}"));
        self.wait_for_new_page(target).await;
    }

    /// Follows the link with exactly this text and waits for the next page.
    pub async fn follow(&self, link_text: &str) {
        let link = match self.client.find(Locator::LinkText(link_text)).await {
            Ok(l) => l,
            Err(e) => panic!("no link {link_text:?} on {}: {e}", self.path().await),
        };
        self.mark_page().await;
        link.click()
            .await
            .unwrap_or_else(|e| panic!("cannot follow {link_text:?}: {e}"));
        self.wait_for_new_page(link_text).await;
    }

    async fn mark_page(&self) {
        self.client
            .execute("window.__guildhallOldPage = true;", vec![])
            .await
            .expect("mark the page");
    }

    /// Waits until the marked page is replaced by a fully loaded one.
    async fn wait_for_new_page(&self, after: &str) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            // Errors while the page changes (no execution context) mean "not yet".
            let done = self
                .client
                .execute(
                    "return !window.__guildhallOldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(done, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page after {after:?}; still on {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_for_load(&self) {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        while !matches!(
            self.client
                .execute("return document.readyState === 'complete';", vec![])
                .await,
            Ok(Value::Bool(true))
        ) {
            assert!(Instant::now() < deadline, "page did not finish loading");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resizes the window; the page's viewport becomes `width` px wide.
    pub async fn set_width(&self, width: u32) {
        self.client
            .set_window_size(width, HEIGHT)
            .await
            .expect("resize window");
        // The page may see the new size a moment after the window has it
        // (seen on a busy machine, resizing back from 390 px).
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let inner = self
                .client
                .execute("return window.innerWidth;", vec![])
                .await
                .expect("read viewport width");
            if inner.as_u64() == Some(u64::from(width)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "viewport is {inner}, not {width} px wide, after resizing"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the viewport to `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = manifest_dir().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("create target/screenshots");
        let png = self.client.screenshot().await.expect("take screenshot");
        let path = dir.join(format!("{name}.png"));
        // Write then rename: the two backends' tests may take the same one at once.
        let tmp = tempfile::NamedTempFile::new_in(&dir).expect("temp screenshot file");
        std::fs::write(tmp.path(), png).expect("write screenshot");
        tmp.persist(&path).expect("save screenshot");
        let readable =
            <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o644);
        std::fs::set_permissions(&path, readable).expect("make screenshot readable");
        path
    }

    /// Screenshots at each checked width, named `{name}-{width}`.
    pub async fn screenshots(&self, name: &str) {
        for w in WIDTHS {
            self.set_width(w).await;
            self.screenshot(&format!("{name}-{w}")).await;
        }
        self.set_width(WIDTHS[0]).await;
    }

    async fn inject_axe(&self) {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .expect("look for axe");
        if loaded == json!(true) {
            return;
        }
        let default = manifest_dir().join("target/axe/node_modules/axe-core/axe.min.js");
        let path = std::env::var_os("AXE_CORE_JS")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or(default);
        let Ok(source) = std::fs::read_to_string(&path) else {
            panic!(
                "axe-core not installed: run `npm install --prefix target/axe axe-core@4` \
                 (looked for {})",
                path.display()
            );
        };
        self.client
            .execute(&source, vec![])
            .await
            .expect("inject axe-core");
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .expect("look for axe");
        assert_eq!(loaded, json!(true), "axe-core did not load from {path:?}");
    }

    /// Runs axe-core on the page at the current width.
    pub(crate) async fn axe_violations(&self) -> Vec<AxeViolation> {
        self.inject_axe().await;
        let result = self
            .client
            .execute_async(
                r#"
                const done = arguments[arguments.length - 1];
                axe.run(document, {
                    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
                }).then(
                    (r) => done({ violations: r.violations.map((v) => ({
                        id: v.id,
                        impact: v.impact,
                        help: v.help,
                        helpUrl: v.helpUrl,
                        count: v.nodes.length,
                        nodes: v.nodes.slice(0, 3).map((n) => ({
                            target: n.target.map((t) => String(t)).join(' '),
                            html: n.html.length > 200 ? n.html.slice(0, 200) + '…' : n.html,
                        })),
                    })) }),
                    (e) => done({ error: String(e) }),
                );
                "#,
                vec![],
            )
            .await
            .expect("run axe-core");
        if let Some(e) = result.get("error") {
            panic!("axe-core failed: {e}");
        }
        serde_json::from_value(result["violations"].clone()).expect("axe-core result")
    }

    /// Content wider than the viewport means sideways scrolling (WCAG 1.4.10).
    pub(crate) async fn overflow(&self) -> Option<String> {
        let v = self
            .client
            .execute(
                r#"
                const vw = document.documentElement.clientWidth;
                const name = (e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '');
                const wide = [...document.querySelectorAll('body *')]
                    .filter((e) => e.getBoundingClientRect().right > vw + 1)
                    .map(name)
                    .slice(0, 5);
                // Text too long to wrap spills out of a box that fits.
                const spilling = [...document.querySelectorAll('body *')]
                    .filter((e) => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
                        && getComputedStyle(e).overflowX === 'visible')
                    .map((e) => name(e) + ' (text ' + e.scrollWidth + ' px in ' + e.clientWidth + ' px)')
                    .slice(0, 5);
                wide.push(...spilling);
                return { page: document.documentElement.scrollWidth, vw, wide };
                "#,
                vec![],
            )
            .await
            .expect("measure page width");
        let (page, vw) = (v["page"].as_u64()?, v["vw"].as_u64()?);
        (page > vw).then(|| {
            format!(
                "page is {page} px wide in a {vw} px viewport; {}",
                v["wide"]
            )
        })
    }

    /// Checks the page with axe-core (WCAG 2.1 A/AA and best practices) at
    /// the desktop and the phone width, plus sideways scrolling at the phone
    /// width; panics listing every problem found.
    pub async fn check_a11y(&self, label: &str) {
        let problems = self.a11y_problems(label).await;
        assert!(
            problems.is_empty(),
            "accessibility problems on {label} ({}):\n{}",
            self.path().await,
            problems.join("\n")
        );
    }

    async fn a11y_problems(&self, label: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for w in WIDTHS {
            self.set_width(w).await;
            for v in self.axe_violations().await {
                problems.push(format!("[{label} @ {w}px] {}", v.describe()));
            }
            if w < 600
                && let Some(o) = self.overflow().await
            {
                problems.push(format!("[{label} @ {w}px] horizontal scrolling: {o}"));
            }
        }
        self.set_width(WIDTHS[0]).await;
        problems
    }

    /// Logs in through the form on /login.
    pub async fn log_in(&self, login: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.press("Log in").await;
    }

    /// Logs out through the user menu in the header.
    pub async fn log_out(&self) {
        self.click("details.user-menu summary").await;
        self.press("Log out").await;
        self.assert_path("/login").await;
        self.assert_sees(&["You are logged out."]).await;
    }
}

backend_tests!(browser_account_flow);

async fn browser_account_flow(b: Backend) {
    let started = Instant::now();
    let app = spawn_app(b).await;
    let browser = Browser::start(&app).await;
    let admin_password = "admin-password-1";
    let bob_password = "bob-password-1";

    // A fresh site offers to set up the first administrator.
    browser.goto("/").await;
    browser
        .assert_sees(&["Guildhall", "This Guildhall has no site administrator yet."])
        .await;
    browser.check_a11y("landing").await;
    browser.screenshots("account-flow-landing").await;
    browser.follow("Set up the first administrator").await;
    browser.assert_path("/setup").await;
    browser.assert_sees(&["Set up Guildhall"]).await;
    browser.check_a11y("setup").await;

    browser.fill("#username", "admin").await;
    browser.fill("#first_name", "Ada").await;
    browser.fill("#last_name", "Admin").await;
    browser.fill("#email", "admin@example.com").await;
    browser.fill("#password", admin_password).await;
    browser.press("Create administrator").await;
    browser.assert_path("/admin").await;
    browser
        .assert_sees(&[
            "Welcome! You are the site administrator.",
            "Site administration",
            "No account is waiting.",
        ])
        .await;
    browser.log_out().await;

    // Bob signs up.
    browser.goto("/signup").await;
    browser.assert_sees(&["Sign up"]).await;
    browser.check_a11y("signup").await;
    browser.screenshots("account-flow-signup").await;
    browser.fill("#username", "bob").await;
    browser.fill("#first_name", "Bob").await;
    browser.fill("#last_name", "Builder").await;
    browser.fill("#email", "bob@example.com").await;
    browser.fill("#password", bob_password).await;
    browser.press("Sign up").await;
    browser
        .assert_sees(&["Check your e-mail", "We sent a link to bob@example.com"])
        .await;
    browser.check_a11y("check your e-mail").await;

    // Before confirming the address, logging in says so.
    browser.goto("/login").await;
    browser.check_a11y("login").await;
    browser.screenshots("account-flow-login").await;
    browser.log_in("bob", bob_password).await;
    browser.assert_path("/login").await;
    browser
        .assert_sees(&["Confirm your e-mail address first: open the link we sent you."])
        .await;
    browser.check_a11y("login (unconfirmed e-mail)").await;

    // The link from the mail opens a page whose button confirms.
    let link = app.link_in_last_mail_to("bob@example.com");
    browser.goto(&link).await;
    browser.assert_sees(&["Confirm your e-mail address"]).await;
    browser.check_a11y("confirm e-mail").await;
    // This page is sent with `Referrer-Policy: no-referrer`, so Chromium posts
    // its form with `Origin: null`: the CSRF check must accept that.
    browser.press("Confirm my e-mail address").await;
    browser.assert_path("/login").await;
    browser
        .assert_sees(&[
            "Your e-mail address is confirmed. A site administrator will approve your account",
        ])
        .await;

    // Confirmed, but not approved yet.
    browser.log_in("bob", bob_password).await;
    browser.assert_path("/login").await;
    browser
        .assert_sees(&["Your account is waiting for approval by a site administrator."])
        .await;

    // The administrator approves Bob.
    browser.log_in("admin", admin_password).await;
    browser.assert_path("/").await;
    browser.follow("Admin").await;
    browser.assert_path("/admin").await;
    browser
        .assert_sees(&[
            "Accounts waiting for approval",
            "bob",
            "Bob Builder",
            "bob@example.com",
        ])
        .await;
    browser.check_a11y("admin").await;
    browser.screenshots("account-flow-admin").await;
    browser.press(r#"button[aria-label="Approve bob"]"#).await;
    browser.assert_path("/admin").await;
    browser
        .assert_sees(&["bob can log in now.", "No account is waiting."])
        .await;
    browser.log_out().await;

    // Bob lands on his dashboard.
    browser.log_in("bob", bob_password).await;
    browser.assert_path("/").await;
    browser
        .assert_sees(&["Welcome, Bob", "My groups", "Pending invitations"])
        .await;
    browser.check_a11y("dashboard").await;
    browser.screenshots("account-flow-dashboard").await;
    browser.click("details.user-menu summary").await;
    browser.assert_sees(&["Bob Builder", "Log out"]).await;
    browser.check_a11y("dashboard, user menu open").await;
    browser.screenshot("account-flow-user-menu").await;
    browser.press("Log out").await;
    browser.assert_path("/login").await;
    browser.assert_sees(&["You are logged out."]).await;

    let bob = app.user_by_username("bob");
    assert_eq!(bob.status, guildhall::domain::UserStatus::Active);
    assert!(bob.email_verified_at.is_some() && bob.approved_at.is_some());
    browser.quit().await;
    eprintln!("browser_account_flow ({b:?}) took {:?}", started.elapsed());
}

backend_tests!(browser_manage_users);

/// Manage Users as alice, super user of Acme: accessible at both widths,
/// and toggling bob's Active Login works from the page.
async fn browser_manage_users(b: Backend) {
    use guildhall::services::company_accounts::{self, AccountInput};
    let app = spawn_app(b).await;
    let pw = "alice-password-1";
    let root = app.create_admin("root", pw);
    app.create_user("alice", pw);
    app.create_user("bob", pw);
    let now = app.clock.now();
    app.db(|c| {
        let spec = AccountInput {
            name: "Acme".into(),
            kind: "client".into(),
        }
        .parse()
        .ok()
        .unwrap();
        let acme = company_accounts::create_account(c, root, &spec, now)
            .unwrap()
            .unwrap();
        for u in ["alice", "bob"] {
            company_accounts::attach_user(c, root, u, Some(acme), now)
                .unwrap()
                .unwrap();
        }
        company_accounts::set_super_user(c, root, "alice", true, now)
            .unwrap()
            .unwrap();
    });
    let browser = Browser::start(&app).await;
    browser.log_in("alice", pw).await;
    browser.follow("Manage Users").await;
    browser.assert_path("/account/users").await;
    browser
        .assert_sees(&["Manage Users", "Acme", "Community User", "bob@example.com"])
        .await;
    browser.check_a11y("manage users").await;
    browser.screenshot("manage-users").await;
    // The switch asks before it turns off.
    assert_eq!(
        element(&browser, "button.switch")
            .await
            .attr("aria-pressed")
            .await
            .unwrap(),
        Some("true".into())
    );
    browser.press("button.switch").await;
    browser
        .assert_sees(&["Turn off Active Login for Bob Tester?"])
        .await;
    browser.check_a11y("turn off Active Login?").await;
    browser.screenshots("confirm-active-login-off").await;
    browser.press("Turn off Active Login").await;
    browser.assert_path("/account/users").await;
    browser.assert_sees(&["Active Login is off"]).await;
    browser.click("#show_deactivated").await;
    browser.press("Search").await;
    browser.assert_sees(&["bob@example.com", "Off"]).await;
    browser.check_a11y("manage users, deactivated shown").await;
    browser.press("button.switch").await;
    browser.assert_sees(&["Active Login is on"]).await;
    assert_eq!(
        app.user_by_username("bob").status,
        guildhall::domain::UserStatus::Active
    );
    browser.quit().await;
}

/// The checker itself: a page with known problems must fail it, so a broken
/// axe set-up cannot pass every page silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a11y_check_reports_problems() {
    let browser = Browser::start_at("http://127.0.0.1:9").await;
    browser.goto("about:blank").await;
    browser
        .client
        .execute(
            r#"document.body.innerHTML =
                '<main><h1>Broken</h1><img src="data:,">' +
                '<div style="width: 900px">too wide for a phone</div></main>';"#,
            vec![],
        )
        .await
        .expect("write the page");
    let problems = browser.a11y_problems("broken page").await.join("\n");
    for expected in [
        "[broken page @ 1280px] image-alt (critical)",
        "[broken page @ 390px] image-alt (critical)",
        "[broken page @ 1280px] html-has-lang",
        "[broken page @ 390px] horizontal scrolling: page is",
    ] {
        assert!(
            problems.contains(expected),
            "expected {expected:?} among:\n{problems}"
        );
    }
    assert!(
        !problems.contains("[broken page @ 1280px] horizontal scrolling"),
        "only the phone width is checked for sideways scrolling:\n{problems}"
    );
    browser.quit().await;
}

// Form and page helpers shared by the browser tests: fields are found by
// their <label>, as a person would.

/// How long a script-driven change may take to show.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks the page with axe-core when JavaScript is on (axe runs in the
/// page); a test's JavaScript-off pass sees the same pages it checked.
pub async fn a11y(browser: &Browser, js: bool, label: &str) {
    if js {
        browser.check_a11y(label).await;
    }
}

/// The CSS selector (`#id`) of the field that the one `<label>` whose own
/// text is `label` points at; panics unless both exist.
pub async fn field(browser: &Browser, label: &str) -> String {
    let xpath = format!("//label[normalize-space(text())={}]", xpath_literal(label));
    let labels = browser
        .client
        .find_all(Locator::XPath(&xpath))
        .await
        .expect("look for labels");
    assert_eq!(
        labels.len(),
        1,
        "expected one label {label:?} on {}",
        browser.path().await
    );
    let id = labels[0]
        .attr("for")
        .await
        .expect("read the label's for")
        .unwrap_or_else(|| panic!("the label {label:?} has no `for`"));
    let css = format!("#{id}");
    if let Err(e) = browser.client.find(Locator::Css(&css)).await {
        panic!("the label {label:?} points at {css}, which is not on the page: {e}");
    }
    css
}

/// Types `value` into the field labelled `label`.
pub async fn fill_in(browser: &Browser, label: &str, value: &str) {
    let css = field(browser, label).await;
    browser.fill(&css, value).await;
}

pub async fn element(browser: &Browser, css: &str) -> Element {
    match browser.client.find(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => panic!("no {css} on {}: {e}", browser.path().await),
    }
}

/// The current value of a form field.
pub async fn value_of(browser: &Browser, css: &str) -> String {
    element(browser, css)
        .await
        .prop("value")
        .await
        .expect("read the value")
        .unwrap_or_default()
}

/// The text of the option chosen in a `<select>`.
pub async fn chosen(browser: &Browser, css: &str) -> String {
    let select = element(browser, css).await;
    for option in select
        .find_all(Locator::Css("option"))
        .await
        .expect("options")
    {
        if option.is_selected().await.expect("is selected") {
            return option.text().await.expect("option text");
        }
    }
    panic!("nothing chosen in {css}");
}

/// Chooses the option with this text in the `<select>` labelled `label`.
pub async fn choose(browser: &Browser, label: &str, option: &str) {
    let css = field(browser, label).await;
    element(browser, &css)
        .await
        .select_by_label(option)
        .await
        .unwrap_or_else(|e| panic!("cannot choose {option:?} in {label:?}: {e}"));
    assert_eq!(chosen(browser, &css).await, option, "{label}");
}

/// Waits until an element matching `css` is shown (script-driven changes).
pub async fn wait_shown(browser: &Browser, css: &str) -> Element {
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    loop {
        if let Ok(e) = browser.client.find(Locator::Css(css)).await
            && e.is_displayed().await.unwrap_or(false)
        {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "{css} did not appear within {SCRIPT_TIMEOUT:?}; the page shows:\n{}",
            browser.body_text().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn is_shown(browser: &Browser, css: &str) -> bool {
    match browser.client.find(Locator::Css(css)).await {
        Ok(e) => e.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

pub async fn is_open(browser: &Browser, details: &str) -> bool {
    element(browser, details)
        .await
        .attr("open")
        .await
        .expect("read open")
        .is_some()
}

/// The visible text of every element matching `css`, whitespace collapsed.
pub async fn texts_of(browser: &Browser, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in browser
        .client
        .find_all(Locator::Css(css))
        .await
        .expect("find elements")
    {
        let t = e.text().await.expect("element text");
        out.push(t.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

/// The invitees on one status tab of a group's invitations page.
pub async fn invitees_on_tab(browser: &Browser, slug: &str, status: &str) -> Vec<String> {
    browser
        .goto(&format!("/groups/{slug}/invitations?status={status}"))
        .await;
    texts_of(browser, "table.invitations td.invitee a").await
}

/// (first cell, cell `col`) of every body row of the table matching `table`.
pub async fn rows_of(browser: &Browser, table: &str, col: &str) -> Vec<(String, String)> {
    let firsts = texts_of(browser, &format!("{table} tbody tr > td:first-child")).await;
    let cols = texts_of(browser, &format!("{table} tbody tr > td{col}")).await;
    assert_eq!(firsts.len(), cols.len(), "every row of {table} has a {col}");
    firsts.into_iter().zip(cols).collect()
}
