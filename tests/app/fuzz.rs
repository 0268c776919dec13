//! Fuzzing every form and path with hostile values (issue 22, item 6's
//! test), over HTTP on both backends: on the crawl's seeded site
//! (`crawl::seed_site`), as each of its roles (visitor, plain member, group
//! admin, super user, site admin),
//! every page reachable by links (breadth first, `crawl::PER_PATTERN` pages
//! per route pattern) gives its forms. Each form is sent with its own CSRF
//! token and plausible values, one field at a time (the token too) replaced by each hostile
//! value: a NUL byte, invalid UTF-8 (percent-encoded bytes), a right-to-left
//! override (U+202E) and a 100 KB string (60 KB in a URL, about the most
//! one can carry). Every GET route of the router is
//! also opened with each hostile value as its path segments (and as a query
//! for routes without any). No answer may be a 5xx, and afterwards no text
//! column of any table may hold a NUL, U+202E, invalid UTF-8 or a value of
//! 50 KB or more. The counts are printed so they can be quoted; the forms
//! found are listed in `target/fuzz-{backend}-{role}.txt`.

use crate::backend_tests;
use crate::crawl::{MAX_PAGES, PER_PATTERN, route_of, seed_site};
use crate::head::get_routes;
use crate::helpers::*;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::Instant;

backend_tests!(hostile_values_in_every_form_and_path_give_no_5xx_and_are_never_stored);

/// At most this many fields of one form are fuzzed (the rest keep their
/// values), so the run stays within a minute or two per backend.
const FIELDS_PER_FORM: usize = 12;
const HUNDRED_KB: usize = 100_000;
const URL_MAX: usize = 60_000;

#[derive(Clone, Copy, Debug)]
enum Hostile {
    Nul,
    BadUtf8,
    Bidi,
    Huge,
}

impl Hostile {
    const ALL: [Hostile; 4] = [Hostile::Nul, Hostile::BadUtf8, Hostile::Bidi, Hostile::Huge];

    /// Already percent-encoded, for a form body.
    fn encoded(self) -> String {
        match self {
            Hostile::Nul => "a%00b".into(),
            Hostile::BadUtf8 => "%FF%FEa%C3%28".into(),
            Hostile::Bidi => "evil%E2%80%AEexe.txt".into(),
            Hostile::Huge => "A".repeat(HUNDRED_KB),
        }
    }

    /// For a path segment or a query: the same, but a URL carries at most
    /// 64 KB (hyper refuses to send a longer one), so the long one is 60 KB.
    fn in_url(self, parts: usize) -> String {
        match self {
            Hostile::Huge => "A".repeat(URL_MAX / parts.max(1)),
            other => other.encoded(),
        }
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One way to send a form: where, how, and its fields as the page has them
/// (the pressed button's name and value included).
#[derive(Debug, Clone)]
struct Form {
    post: bool,
    /// Path and query on this site.
    action: String,
    fields: Vec<(String, String)>,
    /// The page it was found on.
    page: String,
}

impl Form {
    /// The same form on another page or for another id is the same form:
    /// numbers and long tokens in its path do not count.
    fn key(&self) -> String {
        let path = self.action.split('?').next().unwrap_or_default();
        let parts: Vec<&str> = path.split('/').collect();
        let shape: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                if i > 0 && parts[i - 1] == "groups" && !s.is_empty() && s != "new" {
                    "{slug}".into()
                } else if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                    "{n}".into()
                } else if s.len() > 20 {
                    "{token}".into()
                } else {
                    s.to_string()
                }
            })
            .collect();
        let mut names: Vec<&str> = self.fields.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        let pressed: Vec<String> = self
            .fields
            .iter()
            .filter(|(n, _)| n == "action")
            .map(|(_, v)| v.clone())
            .collect();
        format!(
            "{} {} [{}] {}",
            if self.post { "POST" } else { "GET" },
            shape.join("/"),
            names.join(","),
            pressed.join(",")
        )
    }
}

/// A value a person might type into an empty field called `name`, so that
/// the hostile value in another field is the only thing wrong.
fn plausible(name: &str, kind: &str, n: usize) -> String {
    match (name, kind) {
        (_, "email") => format!("fuzz{n}@example.org"),
        (_, "password") => "fuzz-password-123".into(),
        ("username", _) => format!("fuzz{n}"),
        ("slug", _) => format!("fuzz-{n}"),
        ("send_to" | "to", _) => format!("fuzz{n}@example.org"),
        ("country_code", _) => "+44".into(),
        ("phone", _) => "020 7946 0958".into(),
        (_, "number") => "1".into(),
        _ => "Fuzz".into(),
    }
}

/// Every form of a page, once per submit button (its formaction, name and value).
fn forms_of(html: &str, page: &str, base: &url::Url, n: &mut usize) -> Vec<Form> {
    let doc = scraper::Html::parse_document(html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let (form_sel, field_sel, option_sel, button_sel) = (
        sel("form"),
        sel("input[name], select[name], textarea[name]"),
        sel("option"),
        sel("button, input[type=submit]"),
    );
    let page_url = base.join(page).unwrap();
    let on_site = |href: &str| -> Option<String> {
        let u = page_url.join(href).ok()?;
        (u.origin() == base.origin()).then(|| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
    };
    let mut out = Vec::new();
    for form in doc.select(&form_sel) {
        let post = form
            .value()
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("post"));
        let Some(action) = on_site(form.value().attr("action").unwrap_or(page)) else {
            continue;
        };
        let mut fields = Vec::new();
        for el in form.select(&field_sel) {
            let v = el.value();
            let name = v.attr("name").unwrap_or_default().to_string();
            let value = match v.name() {
                "select" => {
                    let options: Vec<_> = el.select(&option_sel).collect();
                    options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first())
                        .map(|o| {
                            o.value()
                                .attr("value")
                                .map(str::to_string)
                                .unwrap_or_else(|| o.text().collect())
                        })
                        .unwrap_or_default()
                }
                "textarea" => el.text().collect(),
                _ => {
                    let kind = v.attr("type").unwrap_or("text").to_ascii_lowercase();
                    match kind.as_str() {
                        "submit" | "button" | "image" | "reset" | "file" => continue,
                        "checkbox" | "radio" if v.attr("checked").is_none() => continue,
                        _ => {}
                    }
                    match v.attr("value") {
                        Some(x) if !x.is_empty() => x.to_string(),
                        _ if kind == "hidden" => String::new(),
                        _ => {
                            *n += 1;
                            plausible(&name, &kind, *n)
                        }
                    }
                }
            };
            let value = if value.is_empty() && v.name() == "textarea" {
                "Fuzz".to_string()
            } else {
                value
            };
            fields.push((name, value));
        }
        let buttons: Vec<_> = form.select(&button_sel).collect();
        if buttons.is_empty() {
            out.push(Form {
                post,
                action: action.clone(),
                fields: fields.clone(),
                page: page.to_string(),
            });
        }
        for b in buttons {
            let v = b.value();
            if v.attr("type").is_some_and(|t| t != "submit") {
                continue;
            }
            let action = match v.attr("formaction").and_then(on_site) {
                Some(a) => a,
                None => action.clone(),
            };
            let mut fields = fields.clone();
            if let Some(name) = v.attr("name") {
                fields.push((name.to_string(), v.attr("value").unwrap_or_default().into()));
            }
            out.push(Form {
                post,
                action,
                fields,
                page: page.to_string(),
            });
        }
    }
    out
}

/// The pages a client reaches by links from the home page (as the crawl
/// walks them, over HTTP) and the forms on them, one per kind.
async fn forms_reached(
    app: &TestApp,
    client: &reqwest::Client,
    routes: &[String],
) -> (usize, Vec<Form>) {
    let base = url::Url::parse(&app.address).unwrap();
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut queued: HashSet<String> = queue.iter().cloned().collect();
    let mut per_pattern: BTreeMap<String, usize> = BTreeMap::new();
    let mut forms: BTreeMap<String, Form> = BTreeMap::new();
    let (mut pages, mut n) = (0, 0);
    let link_sel = scraper::Selector::parse("a[href]").unwrap();
    while let Some(path) = queue.pop_front() {
        if pages >= MAX_PAGES {
            break;
        }
        let bare = path.split('?').next().unwrap_or_default();
        let Some(route) = route_of(routes, bare) else {
            continue;
        };
        let seen = per_pattern.entry(route.to_string()).or_default();
        if *seen >= PER_PATTERN {
            continue;
        }
        *seen += 1;
        let page = app.get_with(client, &path).await;
        if page.status != 200 {
            continue;
        }
        pages += 1;
        for f in forms_of(&page.body, &path, &base, &mut n) {
            forms.entry(f.key()).or_insert(f);
        }
        let links: Vec<String> = scraper::Html::parse_document(&page.body)
            .select(&link_sel)
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect();
        for href in links {
            let Ok(mut u) = base.join(&path).unwrap().join(&href) else {
                continue;
            };
            u.set_fragment(None);
            if u.origin() != base.origin() || u.path() == "/logout" {
                continue;
            }
            let p = match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            };
            if queued.insert(p.clone()) {
                queue.push_back(p);
            }
        }
    }
    (pages, forms.into_values().collect())
}

/// What one role's run did.
#[derive(Default)]
struct Tally {
    pages: usize,
    forms: usize,
    requests: usize,
    server_errors: Vec<String>,
    /// Requests the server did not answer at all (a closed connection).
    unanswered: Vec<String>,
    /// Forms whose sending ended the session (logged in again after each).
    session_enders: BTreeSet<String>,
}

/// At most `n` characters of `s` (reports quote requests, not 100 KB values).
fn short(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl Tally {
    async fn send(&mut self, what: String, r: reqwest::RequestBuilder) {
        self.requests += 1;
        match r.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                if status >= 500 {
                    let body = res.text().await.unwrap_or_default();
                    let body: String = body.chars().take(300).collect();
                    self.server_errors
                        .push(format!("{what} → {status}: {body}"));
                }
            }
            Err(e) => self
                .unanswered
                .push(format!("{what}: {}", short(&e.to_string(), 200))),
        }
    }
}

/// Forms that would end the session being fuzzed: logging out, ending
/// sessions. Sent with hostile values they must still be refused or done
/// without a 5xx, but the run would lose its login; the visitor's run has
/// none of them.
fn ends_session(action: &str) -> bool {
    action.starts_with("/logout") || action.starts_with("/account/sessions/")
}

async fn logged_in(app: &TestApp, client: &reqwest::Client) -> bool {
    let home = app.get_with(client, "/").await;
    home.body.contains(r#"action="/logout""#)
}

async fn fuzz_role(
    app: &TestApp,
    routes: &[String],
    role: &str,
    login: Option<(&str, &str)>,
) -> Tally {
    let client = new_client();
    if let Some((name, password)) = login {
        app.login_with(&client, name, password).await;
    }
    let (pages, forms) = forms_reached(app, &client, routes).await;
    let log = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        format!(
            "target/fuzz-{:?}-{}.txt",
            app.backend,
            role.replace(' ', "-")
        )
        .to_lowercase(),
    );
    let listed: Vec<String> = forms
        .iter()
        .map(|f| format!("{}\t(on {})", f.key(), f.page))
        .collect();
    std::fs::write(&log, listed.join("\n") + "\n").expect("write the fuzz's form list");
    let mut t = Tally {
        pages,
        forms: forms.len(),
        ..Tally::default()
    };
    for form in &forms {
        if login.is_some() && ends_session(&form.action) {
            continue;
        }
        // The form's real token: fetched with the page, as a browser would.
        let page = app.get_with(&client, &form.page).await;
        let token = attrs(&page.body, "input[name=csrf_token]", "value")
            .into_iter()
            .next()
            .unwrap_or_default();
        // The token itself too: a hostile one is refused like a wrong one.
        let targets: Vec<usize> = (0..form.fields.len()).take(FIELDS_PER_FORM).collect();
        for &i in &targets {
            for h in Hostile::ALL {
                let body: Vec<String> = form
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(j, (n, v))| {
                        let v = if j == i {
                            if form.post { h.encoded() } else { h.in_url(1) }
                        } else if n == "csrf_token" {
                            encode(&token)
                        } else {
                            encode(v)
                        };
                        format!("{}={v}", encode(n))
                    })
                    .collect();
                let body = body.join("&");
                let what = format!(
                    "[{role}] {} {} {}={h:?}",
                    if form.post { "POST" } else { "GET" },
                    form.action,
                    form.fields[i].0
                );
                let r = if form.post {
                    client
                        .post(app.url(&form.action))
                        .header("Origin", &app.address)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(body)
                } else {
                    let path = form.action.split('?').next().unwrap_or_default();
                    client.get(app.url(&format!("{path}?{body}")))
                };
                t.send(what, r).await;
            }
        }
        if let Some((name, password)) = login
            && !logged_in(app, &client).await
        {
            t.session_enders.insert(form.key());
            app.login_with(&client, name, password).await;
        }
    }
    // Every GET route with hostile path segments (or a hostile query).
    for route in routes {
        for h in Hostile::ALL {
            let mut path = String::new();
            let mut params = 0;
            let segments = route.matches('{').count();
            for part in route.split('/').filter(|p| !p.is_empty()) {
                path.push('/');
                if part.starts_with('{') {
                    params += 1;
                    path.push_str(&h.in_url(segments));
                } else {
                    path.push_str(part);
                }
            }
            if path.is_empty() {
                path.push('/');
            }
            if params == 0 {
                path = format!("{path}?q={}", h.in_url(1));
            }
            let what = format!("[{role}] GET {route} with {h:?}");
            t.send(what, client.get(app.url(&path))).await;
        }
    }
    t
}

/// Every text column of every table, read from the database's catalogue.
fn text_columns(app: &TestApp) -> Vec<(String, String)> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Col {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        c: String,
    }
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND upper(p.type) = 'TEXT'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')"
        }
    };
    app.db(|c| diesel::sql_query(sql).load::<Col>(c).unwrap())
        .into_iter()
        .map(|x| (x.t, x.c))
        .collect()
}

/// Rows of each text column holding a hostile value: "table.column: n".
fn stored_hostile_values(app: &TestApp) -> Vec<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut found = Vec::new();
    for (t, c) in text_columns(app) {
        // PostgreSQL's text can hold neither NUL nor invalid UTF-8.
        let cond = match app.backend {
            Backend::Sqlite => format!(
                "instr(\"{c}\", char(8238)) > 0 OR instr(CAST(\"{c}\" AS BLOB), x'00') > 0 \
                 OR instr(CAST(\"{c}\" AS BLOB), x'FF') > 0 OR length(\"{c}\") >= 50000"
            ),
            Backend::Postgres => {
                format!("strpos(\"{c}\", chr(8238)) > 0 OR length(\"{c}\") >= 50000")
            }
        };
        let sql = format!("SELECT COUNT(*) AS n FROM \"{t}\" WHERE {cond}");
        let n = app.db(|conn| diesel::sql_query(&sql).get_result::<N>(conn).unwrap().n);
        if n > 0 {
            found.push(format!("{t}.{c}: {n} row(s)"));
        }
    }
    found
}

async fn hostile_values_in_every_form_and_path_give_no_5xx_and_are_never_stored(b: Backend) {
    let started = Instant::now();
    let app = spawn_app(b).await;
    let site = seed_site(&app).await;
    let routes = get_routes().await;
    assert!(
        stored_hostile_values(&app).is_empty(),
        "the seeded site holds no hostile value to begin with"
    );
    let mut report = Vec::new();
    let (mut server_errors, mut unanswered) = (Vec::new(), Vec::new());
    let (mut forms, mut requests) = (0, 0);
    for (role, login) in site.roles {
        let t0 = Instant::now();
        let t = fuzz_role(&app, &routes, role, login).await;
        report.push(format!(
            "{role}: {} pages, {} forms, {} requests, {} 5xx, {} unanswered, {} session-ending form(s) {:?}, {:.1?}",
            t.pages,
            t.forms,
            t.requests,
            t.server_errors.len(),
            t.unanswered.len(),
            t.session_enders.len(),
            t.session_enders,
            t0.elapsed()
        ));
        eprintln!("fuzz ({b:?}) {}", report.last().unwrap());
        forms += t.forms;
        requests += t.requests;
        server_errors.extend(t.server_errors);
        unanswered.extend(t.unanswered);
    }
    let stored = stored_hostile_values(&app);
    eprintln!(
        "fuzz ({b:?}): {forms} forms, {requests} requests, {} 5xx, {} unanswered, {} column(s) holding a hostile value, {:.1?}",
        server_errors.len(),
        unanswered.len(),
        stored.len(),
        started.elapsed()
    );
    for line in server_errors.iter().chain(&unanswered).chain(&stored) {
        eprintln!("fuzz ({b:?}) found: {}", short(line, 300));
    }
    assert!(forms > 20, "the walk found the site's forms: {report:?}");
    assert!(
        server_errors.is_empty(),
        "{} answer(s) of 5xx:\n{}",
        server_errors.len(),
        server_errors.join("\n")
    );
    assert!(
        unanswered.is_empty(),
        "{} request(s) not answered:\n{}",
        unanswered.len(),
        unanswered.join("\n")
    );
    assert!(
        stored.is_empty(),
        "hostile values were stored:\n{}",
        stored.join("\n")
    );
    assert_eq!(app.get("/healthz").await.status, 200);
}
