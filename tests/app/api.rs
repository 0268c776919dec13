//! The JSON API with personal access tokens: a token is made on
//! /account/tokens, shown once, kept as a hash, used, revoked; it reaches
//! only its communities (404 elsewhere) and scopes (403 without); cookies
//! never authenticate it; 100 invitations through it come out as the form
//! says for the same list; lists page by keyset; resend, extend and cancel
//! answer with their outcome; NUL is refused; 600 requests a minute per
//! token, fired at once; and every answer matches the served OpenAPI
//! description.

use crate::backend_tests;
use crate::helpers::*;
use crate::invitation_policy::{big_and_eng, save_policy};
use diesel::prelude::*;
use guildhall::db::schema::{api_tokens, invitations, invite_report_lines, invite_reports};
use serde_json::{Value, json};

backend_tests!(
    a_token_is_made_shown_once_used_and_revoked,
    a_token_reaches_only_its_communities_and_scopes,
    a_hundred_invitations_through_the_api_come_out_as_through_the_form,
    invitations_and_members_are_listed_shown_and_changed,
    a_token_makes_at_most_600_requests_a_minute_fired_at_once,
);

const PW: &str = "correct horse battery";

/// Makes a token on /account/tokens as `c`; returns it as shown.
async fn make_token(
    app: &TestApp,
    c: &reqwest::Client,
    name: &str,
    scopes: &[&str],
    communities: &[&str],
) -> String {
    let mut form: Vec<(String, String)> =
        vec![("name".into(), name.into()), ("days".into(), "30".into())];
    form.extend(scopes.iter().map(|s| ("scope".into(), s.to_string())));
    form.extend(
        communities
            .iter()
            .map(|g| ("community".into(), app.group_id(g).to_string())),
    );
    let page = app.get_with(c, "/account/tokens").await;
    form.push(("csrf_token".into(), csrf_from(&page.body)));
    let r = c
        .post(app.url("/account/tokens"))
        .header("Origin", &app.address)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let shown = app.get_with(c, "/account/tokens").await;
    let token = attrs(&shown.body, "#made-token", "value");
    assert_eq!(token.len(), 1, "{}", shown.main_text());
    token[0].clone()
}

/// A request with `token` (none: no Authorization header): (status, JSON).
async fn api(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let c = reqwest::Client::new();
    let url = app.url(&format!("/api/v1{path}"));
    let mut r = match method {
        "POST" => c.post(url),
        _ => c.get(url),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    check_against_openapi(app, method, path, status, &v).await;
    (status, v)
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

async fn a_token_is_made_shown_once_used_and_revoked(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    // A form that names nothing is refused, field by field.
    let page = app.get_with(&alice, "/account/tokens").await;
    let p = app
        .post_with(
            &alice,
            "/account/tokens",
            &[
                ("csrf_token", &csrf_from(&page.body)),
                ("name", " "),
                ("days", "3"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    for says in [
        "Enter a name",
        "Choose at least one of the scopes listed.",
        "Choose at least one of the communities listed.",
        "Choose one of the expiries listed.",
    ] {
        assert!(p.main_text().contains(says), "{says}: {}", p.main_text());
    }
    // bob may not invite to Big: he cannot make a token that reaches it.
    let (_, bob) = app.logged_in("bob", PW).await;
    let page = app.get_with(&bob, "/account/tokens").await;
    assert!(page.main_text().contains("you have none"));
    let big = app.group_id("big").to_string();
    let p = app
        .post_with(
            &bob,
            "/account/tokens",
            &[
                ("csrf_token", &csrf_from(&page.body)),
                ("name", "sneaky"),
                ("scope", "members:read"),
                ("community", &big),
                ("days", "7"),
            ],
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(app.count("api_tokens"), 0);

    let token = make_token(&app, &alice, "HR sync", &["invitations:read"], &["big"]).await;
    assert!(token.starts_with("ghp_") && token.len() == 47, "{token}");
    // Shown once; only its hash is kept.
    let again = app.get_with(&alice, "/account/tokens").await;
    assert!(attrs(&again.body, "#made-token", "value").is_empty());
    assert!(!again.body.contains(&token));
    let (hash, prefix): (String, String) = app.db(|c| {
        api_tokens::table
            .select((api_tokens::token_hash, api_tokens::prefix))
            .first(c)
            .unwrap()
    });
    assert_eq!(hash, guildhall::auth::tokens::hash(&token));
    assert!(token.starts_with(&prefix));
    assert!(again.main_text().contains("Never"), "not used yet");

    let (s, v) = api(&app, Some(&token), "GET", "/groups/big", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["name"], "Big");
    let used = app.get_with(&alice, "/account/tokens").await;
    assert!(!used.main_text().contains("Never"), "{}", used.main_text());

    // Revoked after a confirmation: refused from then on.
    let id: i64 = app.db(|c| api_tokens::table.select(api_tokens::id).first(c).unwrap());
    let action = format!("/account/tokens/{id}/revoke");
    let p = app
        .confirm_with(&alice, "/account/tokens", &action, &[])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let (s, v) = api(&app, Some(&token), "GET", "/groups/big", None).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
    let page = app.get_with(&alice, "/account/tokens").await;
    assert!(page.main_text().contains("revoked"));
    // Someone else cannot revoke (or see) alice's token.
    assert_eq!(forged_post(&app, &bob, &action).await.status, 404);

    // Ten revokes of another token at the same instant: one revokes it,
    // the other nine find it revoked already; it is refused from then on.
    let second = make_token(&app, &alice, "Second", &["invitations:read"], &["big"]).await;
    let id: i64 = app.db(|c| {
        api_tokens::table
            .select(api_tokens::id)
            .order(api_tokens::id.desc())
            .first(c)
            .unwrap()
    });
    let owner = app.user_by_username("alice");
    let revokes = (0..10).map(|_| app.state.revoke_token(&owner, id));
    let outcomes = futures_util::future::join_all(revokes).await;
    let revoked: Vec<bool> = outcomes.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(revoked.iter().filter(|r| **r).count(), 1, "{revoked:?}");
    let (s, v) = api(&app, Some(&second), "GET", "/groups/big", None).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
}

async fn a_token_reaches_only_its_communities_and_scopes(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    assert_eq!(
        app.new_group(&alice, "Other", "other", "invite_only")
            .await
            .status,
        303
    );
    let token = make_token(&app, &alice, "read", &["invitations:read"], &["big"]).await;
    let t = Some(token.as_str());
    // Its community and the managed community below it; nothing else.
    assert_eq!(api(&app, t, "GET", "/groups/big", None).await.0, 200);
    let (s, v) = api(&app, t, "GET", "/groups/eng", None).await;
    assert_eq!((s, v["parent"].as_str()), (200, Some("big")));
    let (s, v) = api(&app, t, "GET", "/groups/other", None).await;
    assert_eq!((s, code(&v)), (404, "not_found"));
    assert_eq!(
        api(&app, t, "GET", "/groups/other/invitations", None)
            .await
            .0,
        404
    );
    // A scope it lacks.
    let (s, v) = api(&app, t, "GET", "/groups/big/members", None).await;
    assert_eq!((s, code(&v)), (403, "insufficient_scope"));
    let (s, v) = api(
        &app,
        t,
        "POST",
        "/groups/big/invitations",
        Some(json!({"invitees": ["x@example.com"]})),
    )
    .await;
    assert_eq!((s, code(&v)), (403, "insufficient_scope"));
    assert_eq!(app.count("invitations"), 0);
    // No token, a malformed one, a made-up one.
    assert_eq!(
        code(&api(&app, None, "GET", "/groups/big", None).await.1),
        "unauthorized"
    );
    let (s, v) = api(&app, Some("ghp_nope"), "GET", "/groups/big", None).await;
    assert_eq!((s, code(&v)), (401, "invalid_token"));
    let fake = format!("ghp_{}", "A".repeat(43));
    assert_eq!(
        api(&app, Some(&fake), "GET", "/groups/big", None).await.0,
        401
    );
    // A cookie session is not a token: refused, and a write without the
    // CSRF token is refused before that.
    let r = alice
        .get(app.url("/api/v1/groups/big"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = alice
        .post(app.url("/api/v1/groups/big/invitations"))
        .header("Origin", &app.address)
        .json(&json!({"invitees": ["x@example.com"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("invitations"), 0);
    // A deactivated account's token stops working.
    app.db(|c| {
        diesel::update(guildhall::db::schema::users::table)
            .filter(guildhall::db::schema::users::username.eq("alice"))
            .set(guildhall::db::schema::users::status.eq("deactivated"))
            .execute(c)
            .unwrap()
    });
    let (s, v) = api(&app, t, "GET", "/groups/big", None).await;
    assert_eq!((s, code(&v)), (403, "account_inactive"));
}

/// The same list for the form and the API: new people, members, one
/// already invited, an address the policy refuses, an unknown username
/// and an invalid entry.
fn the_list(tag: &str) -> Vec<String> {
    let mut list: Vec<String> = (0..93).map(|i| format!("{tag}{i}@example.com")).collect();
    list.extend(["member0", "member1", "ghost"].map(String::from));
    list.push("pending@example.com".into());
    list.push("someone@blocked.example".into());
    list.push("alice".into());
    list.push(format!("{tag}0@example.com"));
    assert_eq!(list.len(), 100);
    list
}

async fn a_hundred_invitations_through_the_api_come_out_as_through_the_form(b: Backend) {
    let app = spawn_app(b).await;
    let (_, alice) = app.logged_in("alice", PW).await;
    let member = app.builtin_role("GroupMember");
    for slug in ["form", "api"] {
        let name = if slug == "form" { "Form" } else { "Api" };
        assert_eq!(
            app.new_group(&alice, name, slug, "invite_only")
                .await
                .status,
            303
        );
        let p = save_policy(
            &app,
            &alice,
            slug,
            &[("blocked_domains", "blocked.example")],
        )
        .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let p = app
            .send_invite(&alice, slug, &[("send_to", "pending@example.com")])
            .await;
        assert_eq!(p.status, 200);
    }
    for i in 0..2 {
        let id = app.create_user(&format!("member{i}"), PW);
        app.add_member("form", id, member);
        app.add_member("api", id, member);
    }
    let token = make_token(&app, &alice, "w", &["invitations:write"], &["api"]).await;
    let p = app
        .send_invite(&alice, "form", &[("send_to", &the_list("p").join("\n"))])
        .await;
    assert_eq!(p.status, 200);
    let (s, v) = api(
        &app,
        Some(&token),
        "POST",
        "/groups/api/invitations",
        Some(json!({"invitees": the_list("p"), "role": "groupmember", "message": "Hello"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["invited"], 93);
    let mut from_api: Vec<(String, String)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["invitee"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The form's report of the same list, line by line (the duplicate
    // entry is dropped by both as the list is read).
    let form_group = app.group_id("form");
    let report: i64 = app.db(|c| {
        invite_reports::table
            .filter(invite_reports::group_id.eq(form_group))
            .order(invite_reports::id.desc())
            .select(invite_reports::id)
            .first(c)
            .unwrap()
    });
    let mut from_form: Vec<(String, String)> = app.db(|c| {
        invite_report_lines::table
            .filter(invite_report_lines::report_id.eq(report))
            .select((invite_report_lines::entry, invite_report_lines::outcome))
            .load(c)
            .unwrap()
    });
    assert_eq!(from_form.len(), 99);
    from_api.sort();
    from_form.sort();
    assert_eq!(from_api, from_form);
    for expected in [
        ("member0", "already_member"),
        ("ghost", "no_such_user"),
        ("pending@example.com", "already_invited"),
        ("someone@blocked.example", "not_allowed"),
        ("alice", "already_member"),
    ] {
        assert!(
            from_api.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?}"
        );
    }
    let api_group = app.group_id("api");
    let n: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::group_id.eq(api_group))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(n, 94, "93 and the one invited before");
    // An unknown role, NUL, or a list too long: refused, nothing written.
    let (s, v) = api(
        &app,
        Some(&token),
        "POST",
        "/groups/api/invitations",
        Some(json!({"invitees": ["q@example.com"], "role": "Boss"})),
    )
    .await;
    assert_eq!((s, code(&v)), (422, "unknown_role"));
    let (s, v) = api(
        &app,
        Some(&token),
        "POST",
        "/groups/api/invitations",
        Some(json!({"invitees": ["q\u{0}@example.com"]})),
    )
    .await;
    assert_eq!((s, code(&v)), (422, "invalid"));
    let many: Vec<String> = (0..501).map(|i| format!("m{i}@example.com")).collect();
    let (s, v) = api(
        &app,
        Some(&token),
        "POST",
        "/groups/api/invitations",
        Some(json!({"invitees": many})),
    )
    .await;
    assert_eq!((s, code(&v)), (422, "invalid"), "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 500")
    );
    let after: i64 = app.db(|c| {
        invitations::table
            .filter(invitations::group_id.eq(api_group))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(after, 94);
}

async fn invitations_and_members_are_listed_shown_and_changed(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let member = app.builtin_role("GroupMember");
    for i in 0..120 {
        let id = app.create_user(&format!("m{i:03}"), PW);
        app.add_member("big", id, member);
    }
    let token = make_token(
        &app,
        &alice,
        "all",
        &["invitations:read", "invitations:write", "members:read"],
        &["big"],
    )
    .await;
    let t = Some(token.as_str());
    let list: Vec<String> = (0..150).map(|i| format!("p{i}@example.com")).collect();
    let (s, v) = api(
        &app,
        t,
        "POST",
        "/groups/big/invitations",
        Some(json!({"invitees": list})),
    )
    .await;
    assert_eq!((s, v["invited"].as_i64()), (200, Some(150)));
    // Pages of 100, newest first, by keyset.
    let (_, first) = api(&app, t, "GET", "/groups/big/invitations", None).await;
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert_eq!(items[0]["email"], "p149@example.com");
    let next = first["next"].as_str().unwrap().to_string();
    let (_, second) = api(
        &app,
        t,
        "GET",
        &format!("/groups/big/invitations?before={next}"),
        None,
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 50);
    assert!(second["next"].is_null());
    let (s, v) = api(&app, t, "GET", "/groups/big/invitations?status=nope", None).await;
    assert_eq!((s, code(&v)), (422, "invalid"));
    // Members: alice and 120, by name, 100 a page.
    let (_, m1) = api(&app, t, "GET", "/groups/big/members", None).await;
    assert_eq!(m1["items"].as_array().unwrap().len(), 100);
    let after = m1["next"].as_str().unwrap().to_string();
    let (_, m2) = api(
        &app,
        t,
        "GET",
        &format!("/groups/big/members?after={}", urlencode(&after)),
        None,
    )
    .await;
    assert_eq!(m2["items"].as_array().unwrap().len(), 21);
    // One invitation: shown, extended, resent, cancelled; then not open.
    let id = items[0]["id"].as_i64().unwrap();
    let (s, v) = api(
        &app,
        t,
        "GET",
        &format!("/groups/big/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("pending")));
    let expires = v["expires_at"].as_str().unwrap().to_string();
    let (s, v) = api(
        &app,
        t,
        "POST",
        &format!("/groups/big/invitations/{id}/extend"),
        None,
    )
    .await;
    assert_eq!((s, v["outcome"].as_str()), (200, Some("done")));
    assert!(v["invitation"]["expires_at"].as_str().unwrap() > expires.as_str());
    let (s, _) = api(
        &app,
        t,
        "POST",
        &format!("/groups/big/invitations/{id}/resend"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = api(
        &app,
        t,
        "POST",
        &format!("/groups/big/invitations/{id}/cancel"),
        None,
    )
    .await;
    assert_eq!(
        (s, v["invitation"]["status"].as_str()),
        (200, Some("cancelled"))
    );
    let (s, v) = api(
        &app,
        t,
        "POST",
        &format!("/groups/big/invitations/{id}/cancel"),
        None,
    )
    .await;
    assert_eq!((s, v["outcome"].as_str()), (409, Some("not_open")));
    // Another group's invitation id is not found here.
    assert_eq!(
        api(&app, t, "GET", "/groups/eng/invitations/999999", None)
            .await
            .0,
        404
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn a_token_makes_at_most_600_requests_a_minute_fired_at_once(b: Backend) {
    let app = spawn_app(b).await;
    let alice = big_and_eng(&app).await;
    let token = make_token(&app, &alice, "busy", &["invitations:read"], &["big"]).await;
    let c = reqwest::Client::new();
    let url = app.url("/api/v1/groups/big");
    let requests = (0..650).map(|_| c.get(&url).bearer_auth(&token)).collect();
    let answers = at_once(requests).await;
    let ok = answers.iter().filter(|p| p.status == 200).count();
    let limited = answers.iter().filter(|p| p.status == 429).count();
    assert_eq!((ok, limited), (600, 50));
    let (s, v) = api(&app, Some(&token), "GET", "/groups/big", None).await;
    assert_eq!((s, code(&v)), (429, "rate_limited"));
    // A minute later it works again.
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(
        api(&app, Some(&token), "GET", "/groups/big", None).await.0,
        200
    );
}

/// Checks `body` against the served OpenAPI description of `method` on
/// `path`'s template for `status`: the status must be documented and the
/// body must have the schema's types, required properties and enums.
async fn check_against_openapi(app: &TestApp, method: &str, path: &str, status: u16, body: &Value) {
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bare = path.split('?').next().unwrap();
    let template = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|t| matches(t, bare))
        .unwrap_or_else(|| panic!("{bare} is not in openapi.json"))
        .clone();
    let op = &doc["paths"][&template][method.to_lowercase()];
    assert!(op.is_object(), "{method} {template} is not in openapi.json");
    let mut response = &op["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {template} does not document {status}: {body}"
    );
    if let Some(r) = response["$ref"].as_str() {
        response = resolve(&doc, r);
    }
    let schema = &response["content"]["application/json"]["schema"];
    conforms(&doc, schema, body, &format!("{method} {template} {status}"));
}

fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()))
}

fn resolve<'a>(doc: &'a Value, r: &str) -> &'a Value {
    r.trim_start_matches("#/")
        .split('/')
        .fold(doc, |v, k| &v[k])
}

fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) {
    if let Some(r) = schema["$ref"].as_str() {
        return conforms(doc, resolve(doc, r), v, at);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(
        types.is_empty()
            || types.contains(&kind)
            || (kind == "integer" && types.contains(&"number")),
        "{at}: {v} is {kind}, the description says {types:?}"
    );
    if let (Some(allowed), Some(s)) = (schema["enum"].as_array(), v.as_str()) {
        assert!(
            allowed.iter().any(|a| a == s),
            "{at}: {s} is not one of {allowed:?}"
        );
    }
    if let Value::Object(o) = v {
        for r in schema["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap();
            assert!(o.contains_key(r), "{at}: {r} missing in {v}");
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, s) in props {
                if let Some(x) = o.get(k) {
                    conforms(doc, s, x, &format!("{at}.{k}"));
                }
            }
            for k in o.keys() {
                assert!(props.contains_key(k), "{at}: {k} is not described");
            }
        }
    }
    if let Value::Array(items) = v {
        for (i, x) in items.iter().enumerate() {
            conforms(doc, &schema["items"], x, &format!("{at}[{i}]"));
        }
    }
}
