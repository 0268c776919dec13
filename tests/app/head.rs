//! HEAD on every GET route answers as GET does, without a body and without
//! changing anything; and the list of the router's GET routes that this
//! test and the crawl (crawl.rs) go through.

use crate::backend_tests;
use crate::helpers::*;

/// The router's GET routes, in the order it tries them, read from the real
/// router: every resource pattern in actix's resource map (printed with
/// `Debug`, its only way to list them) that a GET of a sample path reaches.
/// A route added to `routes::config` shows up here by itself.
pub async fn get_routes() -> Vec<String> {
    use actix_web::dev::Service;
    use actix_web::{App, HttpRequest, HttpResponse, test, web};
    const NOT_ROUTED: u16 = 418;
    let app = test::init_service(
        App::new()
            .configure(guildhall::routes::config)
            .wrap_fn(|req, srv| {
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    let pattern = res.request().match_pattern().unwrap_or_default();
                    res.headers_mut().insert(
                        actix_web::http::header::HeaderName::from_static("x-pattern"),
                        actix_web::http::header::HeaderValue::from_str(&pattern).unwrap(),
                    );
                    Ok(res)
                }
            })
            .default_service(web::to(|req: HttpRequest| async move {
                HttpResponse::build(actix_web::http::StatusCode::from_u16(NOT_ROUTED).unwrap())
                    .body(format!("{:?}", req.resource_map()))
            })),
    )
    .await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/no/such/route/anywhere")
            .to_request(),
    )
    .await;
    let map = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    // The root's `nodes` list the resources in the order they were
    // registered; the `named` map printed before them is in hash order.
    let (_, nodes) = map.split_once("nodes: Some([").expect("the root's nodes");
    let mut patterns: Vec<String> = Vec::new();
    for part in nodes.split("patterns: Single(\"").skip(1) {
        let p = part.split("\")").next().unwrap().replace("\\\\", "\\");
        if !p.is_empty() && !patterns.contains(&p) {
            patterns.push(p);
        }
    }
    assert!(
        patterns.len() > 20,
        "could not read the router's resources from {map}"
    );
    let mut gets = Vec::new();
    for p in patterns {
        let res = test::call_service(
            &app,
            test::TestRequest::get()
                .uri(&sample(&p, |_| "1".into()))
                .to_request(),
        )
        .await;
        let routed_to = res
            .headers()
            .get("x-pattern")
            .map(|v| v.to_str().unwrap().to_string());
        if res.status().as_u16() != NOT_ROUTED && routed_to.as_deref() == Some(p.as_str()) {
            gets.push(p);
        }
    }
    gets
}

/// `pattern` with each `{name}` or `{name:regex}` replaced by `value(name)`.
pub fn sample(pattern: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let name = rest[start + 1..end].split(':').next().unwrap();
        out.push_str(&value(name));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn get_routes_are_read_from_the_router() {
    let routes = get_routes().await;
    for r in [
        "/",
        "/healthz",
        "/static/{name}",
        "/groups/{slug}",
        "/messages/{id:\\d+}",
        "/account/users/new",
        "/account/users/{id}",
    ] {
        assert!(
            routes.contains(&r.to_string()),
            "{r} missing from {routes:?}"
        );
    }
    // POST-only routes are not GET routes, even where a GET pattern would
    // take their path (/verify-email/resend is a {token} to the GET route).
    for r in ["/logout", "/verify-email/resend", "/groups/{slug}/join"] {
        assert!(
            !routes.contains(&r.to_string()),
            "{r} is POST only: {routes:?}"
        );
    }
    // "new" comes before "{id}", as the router tries them.
    let pos = |r: &str| routes.iter().position(|x| x == r).unwrap();
    assert!(pos("/account/users/new") < pos("/account/users/{id}"));
}

struct Answer {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    length: Option<String>,
    body: Vec<u8>,
}

async fn ask(client: &reqwest::Client, method: reqwest::Method, url: &str) -> Answer {
    let r = client
        .request(method.clone(), url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let header = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
    let (content_type, location, length) = (
        header("content-type"),
        header("location"),
        header("content-length"),
    );
    Answer {
        status: r.status().as_u16(),
        content_type,
        location,
        length,
        body: r.bytes().await.unwrap().to_vec(),
    }
}

backend_tests!(head_answers_every_get_route_like_get);

async fn head_answers_every_get_route_like_get(b: Backend) {
    let app = spawn_app(b).await;
    let pw = "hank-password-1";
    let (_, hank) = app.logged_in("hank", pw).await;
    let (_, bob) = app.logged_in("bob", pw).await;
    assert_eq!(
        app.new_group(&hank, "Hall", "hall", "open").await.status,
        303
    );
    let routes = get_routes().await;
    let visitor = new_client();
    for (who, client) in [("visitor", &visitor), ("hank", &hank)] {
        for route in &routes {
            let path = sample(route, |name| match name {
                "slug" => "hall".into(),
                "name" => "app.css".into(),
                _ => "1".into(),
            });
            let url = app.url(&path);
            let get = ask(client, reqwest::Method::GET, &url).await;
            let head = ask(client, reqwest::Method::HEAD, &url).await;
            let what = format!("{route} ({path}) as {who}");
            assert_eq!(head.status, get.status, "HEAD vs GET status of {what}");
            assert_eq!(
                head.content_type, get.content_type,
                "Content-Type of {what}"
            );
            assert_eq!(head.location, get.location, "Location of {what}");
            assert!(head.body.is_empty(), "HEAD of {what} has a body");
        }
    }
    // Where the body cannot vary, HEAD gives its exact length.
    for path in ["/healthz", "/static/app.css"] {
        let get = ask(&visitor, reqwest::Method::GET, &app.url(path)).await;
        let head = ask(&visitor, reqwest::Method::HEAD, &app.url(path)).await;
        assert_eq!(head.status, 200, "HEAD {path}");
        assert_eq!(
            head.length,
            Some(get.body.len().to_string()),
            "Content-Length of HEAD {path}"
        );
    }

    // A HEAD changes nothing: hank's new message stays unread until he
    // GETs the conversation.
    let sent = app
        .submit_with(
            &bob,
            "/messages/new",
            "/messages",
            &[("to", "hank"), ("subject", "Hi"), ("body", "Hello hank")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let conversation = sent.location.expect("the new conversation");

    let unread = || app.count("conversation_members WHERE unread");
    assert_eq!(unread(), 1);
    let head = ask(&hank, reqwest::Method::HEAD, &app.url(&conversation)).await;
    assert_eq!(head.status, 200);
    assert_eq!(unread(), 1, "HEAD marked the conversation read");
    assert_eq!(app.get_with(&hank, &conversation).await.status, 200);
    assert_eq!(unread(), 0);
}
/// Whether `path` (no query) is an instance of `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    actix_web::dev::ResourceDef::new(pattern).is_match(path)
}
