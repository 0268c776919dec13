//! A crawl of every page for every role, in headless Chromium, on seeded
//! data: from the home page (its menus included) every same-origin `<a href>`
//! breadth first, GET only (no button is clicked, no form sent), at most
//! `PER_PATTERN` pages per route pattern and `MAX_PAGES` per role. Each page:
//! a plain-text `<title>`, one visible `<h1>` inside `<main>`, no console
//! error, no failed request, no error status; the first page of each pattern
//! also: no sideways scrolling at 390 px and no serious or critical axe-core
//! finding. HEAD gives each URL the status GET gives. Finally every GET route
//! of the router must have been reached, but for an explained few.

use crate::backend_tests;
use crate::browser::{Browser, WIDTHS};
use crate::head::{get_routes, matches};
use crate::helpers::*;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::Instant;

/// Pages visited per route pattern and role: URLs that differ only in ids
/// or cursors show the same template.
pub(crate) const PER_PATTERN: usize = 2;
/// Pages visited per role at most, so the crawl stays within a minute or two.
pub(crate) const MAX_PAGES: usize = 80;

/// GET routes that no link reaches, and why.
const NOT_LINKED: [(&str, &str); 16] = [
    // For load balancers and uptime monitors; no page links to it.
    ("/healthz", "liveness probe"),
    // JSON fetched by the invite form's script as one types a username.
    ("/api/users", "autocomplete JSON"),
    // Opened from the confirmation mail only.
    ("/verify-email/{token}", "link in a mail"),
    ("/password/reset/{token}", "link in a mail"),
    ("/account/email/{token}", "link in a mail"),
    // Opened from an invitation mail or a copied link (a text field, not a link).
    ("/join/{token}", "link in a mail or copied"),
    // A join link is copied from its text field and shared by the admins;
    // tests/app/join_links.rs and browser_join_links open it.
    ("/links/{token}", "copied join link"),
    // Where the invite form redirects after sending (its sender's only);
    // the invite browser tests check it.
    (
        "/groups/{slug}/invite/results/{id}",
        "after sending invitations",
    ),
    // Where "Upload a CSV" redirects (its uploader's only), and the refused
    // rows it offers once sent; tests/app/csv_invites.rs opens both.
    ("/groups/{slug}/invite/csv/{id}", "after uploading a CSV"),
    (
        "/groups/{slug}/invite/csv/{id}/refused.csv",
        "after sending a CSV",
    ),
    // The JSON API: programs with a token call it; tests/app/api.rs does.
    ("/api/v1/openapi.json", "the API's description (JSON)"),
    ("/api/v1/groups/{slug}", "JSON API"),
    ("/api/v1/groups/{slug}/members", "JSON API"),
    ("/api/v1/groups/{slug}/invitations", "JSON API"),
    ("/api/v1/groups/{slug}/invitations/{id}", "JSON API"),
    // Only while there is no site administrator; this site has one.
    ("/setup", "first start only"),
];

/// The first GET route (in the router's order) that `path` is an instance of.
pub(crate) fn route_of<'a>(routes: &'a [String], path: &str) -> Option<&'a str> {
    routes.iter().find(|r| matches(r, path)).map(String::as_str)
}

/// What the crawl found for one role.
#[derive(Default)]
struct Crawl {
    pages: usize,
    /// Every page opened, in order, for the log in target/.
    visited: Vec<String>,
    reached: BTreeSet<String>,
    problems: Vec<String>,
}

/// What a page says of itself, read in one script.
const PAGE_FACTS: &str = r#"
    const visible = (e) => e.getClientRects().length > 0
        && getComputedStyle(e).visibility !== 'hidden';
    const h1s = [...document.querySelectorAll('h1')].filter(visible);
    const nav = performance.getEntriesByType('navigation')[0];
    return {
        title: document.title,
        titleMarkup: [...document.querySelectorAll('title')].map((t) => t.innerHTML).join(''),
        h1: h1s.length,
        h1InMain: h1s.filter((h) => h.closest('main')).length,
        status: nav ? nav.responseStatus : 0,
        failed: performance.getEntriesByType('resource')
            .filter((r) => r.responseStatus >= 400)
            .map((r) => r.name + ' → ' + r.responseStatus),
        resources: performance.getEntriesByType('resource').map((r) => r.name),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
    };
"#;

async fn crawl(
    app: &TestApp,
    browser: &Browser,
    routes: &[String],
    role: &str,
    http: &reqwest::Client,
) -> Crawl {
    let mut out = Crawl::default();
    let cookie = browser
        .client
        .get_named_cookie("guildhall_session")
        .await
        .ok()
        .map(|c| format!("guildhall_session={}", c.value()));
    let mut queue = VecDeque::from([format!("{}/", app.address)]);
    let mut queued: HashSet<String> = queue.iter().cloned().collect();
    let mut per_pattern: BTreeMap<String, usize> = BTreeMap::new();
    let origin = format!("{}/", app.address);
    while let Some(url) = queue.pop_front() {
        if out.pages >= MAX_PAGES {
            out.problems.push(format!(
                "[{role}] stopped after {MAX_PAGES} pages; {} left",
                queue.len() + 1
            ));
            break;
        }
        let parsed = url::Url::parse(&url).expect("absolute URL");
        let path = parsed.path().to_string();
        let Some(route) = route_of(routes, &path) else {
            out.problems.push(format!(
                "[{role}] a link to {url}, which no GET route serves"
            ));
            continue;
        };
        let seen = per_pattern.entry(route.to_string()).or_default();
        if *seen >= PER_PATTERN {
            continue;
        }
        *seen += 1;
        let first_of_pattern = *seen == 1;
        out.pages += 1;
        out.visited.push(format!("{role}\t{route}\t{url}"));
        out.reached.insert(route.to_string());
        let shown = &url[app.address.len()..];
        let at = format!("[{role}] {shown}");

        browser.goto(&url).await;
        let facts = browser
            .client
            .execute(PAGE_FACTS, vec![])
            .await
            .expect("read the page");
        let landed = browser.client.current_url().await.expect("current URL");
        let at = if landed.as_str() == url {
            at
        } else {
            format!("{at} (→ {})", &landed.as_str()[app.address.len()..])
        };
        let title = facts["title"].as_str().unwrap_or_default();
        let markup = facts["titleMarkup"].as_str().unwrap_or_default();
        if title.trim().is_empty()
            || title.len() >= 120
            || title.contains('<')
            || markup.contains('<')
        {
            out.problems.push(format!(
                "{at}: <title> is not short plain text: {:?}",
                truncate(markup, 300)
            ));
        }
        if facts["h1"] != 1 || facts["h1InMain"] != 1 {
            out.problems.push(format!(
                "{at}: {} visible <h1>, {} of them inside <main> (want exactly one, in <main>)",
                facts["h1"], facts["h1InMain"]
            ));
        }
        let status = facts["status"].as_u64().unwrap_or(0);
        if status >= 400 {
            out.problems
                .push(format!("{at}: the link leads to a {status} page"));
        }
        for f in facts["failed"].as_array().into_iter().flatten() {
            out.problems.push(format!("{at}: failed request {f}"));
        }
        for e in browser.console_errors().await {
            out.problems.push(format!("{at}: console error: {e}"));
        }
        for r in facts["resources"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str().and_then(|r| r.strip_prefix(&app.address))
                && let Some(p) = route_of(routes, r.split('?').next().unwrap_or(r))
            {
                out.reached.insert(p.to_string());
            }
        }
        if first_of_pattern {
            for v in browser.axe_violations().await {
                if v.is_serious() {
                    out.problems
                        .push(format!("{at} @ {}px: axe {}", WIDTHS[0], v.describe()));
                }
            }
            browser.set_width(390).await;
            if let Some(o) = browser.overflow().await {
                out.problems
                    .push(format!("{at} @ 390px: horizontal scrolling: {o}"));
            }
            browser.set_width(WIDTHS[0]).await;
        }
        // HEAD answers as GET, with the same session.
        let status_of = |method: reqwest::Method| {
            let mut r = http.request(method, &url);
            if let Some(c) = &cookie {
                r = r.header("cookie", c);
            }
            async move { r.send().await.expect("HTTP request").status().as_u16() }
        };
        let (get, head) = (
            status_of(reqwest::Method::GET).await,
            status_of(reqwest::Method::HEAD).await,
        );
        if get != head {
            out.problems
                .push(format!("{at}: HEAD answers {head}, GET {get}"));
        }

        for link in facts["links"].as_array().into_iter().flatten() {
            let Some(link) = link.as_str() else { continue };
            let Ok(mut u) = url::Url::parse(link) else {
                continue;
            };
            u.set_fragment(None);
            let link = u.to_string();
            if !link.starts_with(&origin) || u.path() == "/logout" {
                continue;
            }
            if queued.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

backend_tests!(crawl_every_page_for_every_role);

/// The seeded site the crawl (and `fuzz`) walks, with a login per role.
pub(crate) struct SeededSite {
    /// Each role's name and log-in (none for the visitor).
    pub roles: [(&'static str, Option<(&'static str, &'static str)>); 5],
}

pub(crate) const ROOT_PASSWORD: &str = "root-password-1";

/// Seeds `app` for a walk of every page: `guildhall seed` with 60 users (group
/// admins: alice administers `big`, `big-team` and `group-0`; plain users:
/// user30 administers nothing), plus a site administrator, a company account
/// with a super user, a support case, and a webhook and a pending
/// invitation in each of alice's groups.
pub(crate) async fn seed_site(app: &TestApp) -> SeededSite {
    use guildhall::seed::{self, DEFAULT_PASSWORD, SeedOptions};
    use guildhall::services::{cases, company_accounts};
    let opts = SeedOptions {
        users: 60,
        links: app.state.links.clone(),
    };
    app.db(|c| seed::seed(c, &opts, true)).expect("seed");
    let root = app.create_admin("root", ROOT_PASSWORD);
    let now = app.clock.now();
    app.db(|c| {
        let spec = company_accounts::AccountInput {
            name: "Acme".into(),
            kind: "client".into(),
        }
        .parse()
        .ok()
        .unwrap();
        let acme = company_accounts::create_account(c, root, &spec, now)
            .unwrap()
            .unwrap();
        for u in ["user40", "user41", "user42"] {
            company_accounts::attach_user(c, root, u, Some(acme), now)
                .unwrap()
                .unwrap();
        }
        company_accounts::set_super_user(c, root, "user40", true, now)
            .unwrap()
            .unwrap();
    });
    let user41 = app.user_by_username("user41").id;
    let case = cases::CaseInput {
        title: "The printer is on fire".into(),
        description: "Since this morning.".into(),
    }
    .parse()
    .ok()
    .unwrap();
    app.db(|c| cases::raise(c, user41, &case, now).unwrap().unwrap());

    // An invitation in each of alice's groups, whichever of them the crawl
    // opens: their rows link to the invitation's page.
    let alice = new_client();
    app.login_with(&alice, "alice", DEFAULT_PASSWORD).await;
    let member = app.builtin_role("GroupMember").to_string();
    for slug in ["big", "big-team", "group-0"] {
        // A webhook too (nobody listens there): its page and log are walked.
        let hooks = format!("/groups/{slug}/webhooks");
        let made = app
            .submit_with(
                &alice,
                &hooks,
                &hooks,
                &[("url", "http://127.0.0.1:9/hook")],
            )
            .await;
        assert_eq!(made.status, 303, "webhook in {slug}: {}", made.body);
        let sent = app
            .send_invite(
                &alice,
                slug,
                &[
                    ("send_to", "newcomer@example.org"),
                    ("role_id", &member),
                    ("message", ""),
                    ("action", "send"),
                ],
            )
            .await;
        assert!(sent.status < 400, "invite into {slug}: {}", sent.body);
    }
    SeededSite {
        roles: [
            ("visitor", None),
            ("user", Some(("user30", DEFAULT_PASSWORD))),
            ("group admin", Some(("alice", DEFAULT_PASSWORD))),
            ("super user", Some(("user40", DEFAULT_PASSWORD))),
            ("site admin", Some(("root", ROOT_PASSWORD))),
        ],
    }
}

async fn crawl_every_page_for_every_role(b: Backend) {
    let started = Instant::now();
    let app = spawn_app(b).await;
    let site = seed_site(&app).await;

    let routes = get_routes().await;
    let http = client_builder().build().unwrap();
    let browser = Browser::start(&app).await;
    let mut reached = BTreeSet::new();
    let mut visited = Vec::new();
    let mut problems = Vec::new();
    let mut report = Vec::new();
    for (role, login) in site.roles {
        let t = Instant::now();
        browser
            .client
            .delete_all_cookies()
            .await
            .expect("forget the last role");
        if let Some((name, password)) = login {
            browser.log_in(name, password).await;
            browser.assert_path("/").await;
        }
        // Whatever the log-in pages logged is not the crawl's.
        browser.console_errors().await;
        let found = crawl(&app, &browser, &routes, role, &http).await;
        report.push(format!(
            "{role}: {} pages, {} routes, {:.1?}",
            found.pages,
            found.reached.len(),
            t.elapsed()
        ));
        eprintln!("crawl ({b:?}) {}", report.last().unwrap());
        reached.extend(found.reached);
        visited.extend(found.visited);
        problems.extend(found.problems);
    }
    browser.quit().await;

    let allowed: Vec<&str> = NOT_LINKED.iter().map(|(r, _)| *r).collect();
    for r in &routes {
        if !reached.contains(r) && !allowed.contains(&r.as_str()) {
            problems.push(format!("no crawl reached the GET route {r}"));
        }
    }
    for r in allowed {
        assert!(
            routes.iter().any(|x| x == r),
            "{r} is allowed to stay unreached but is no GET route any more"
        );
    }
    let log = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/crawl-{b:?}.txt").to_lowercase());
    std::fs::write(&log, visited.join("\n") + "\n").expect("write the crawl's log");
    eprintln!(
        "crawl ({b:?}) took {:.1?}: {}",
        started.elapsed(),
        report.join("; ")
    );
    assert!(
        problems.is_empty(),
        "the crawl found {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
