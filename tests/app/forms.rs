//! Forms as a person finds them in a page, not as a test would like them
//! to be: a form is looked for inside `<main>` (or the site's header, where
//! "Log out" is), among those a browser displays (none inside `<title>`,
//! `<template>` or an element with `hidden`), by the label of its button or
//! by where it posts. Its action, method and fields come from the HTML; a
//! field is filled by its `<label>` or named by its `name`, and a name the
//! form does not have fails the test. What is sent is what a browser sends:
//! every field's value as the page filled it (hidden fields, checked boxes,
//! selected options, text as given), with the test's values in their place.
//!
//! A test that forges a request on purpose posts with `post_with` and says
//! so in its name.

use scraper::{ElementRef, Html, Selector};
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub method: String,
    /// What a browser would send if the form were submitted untouched.
    values: Vec<(String, String)>,
    /// Every field's name (buttons included: a button's name and value go
    /// with the form when it is the one pressed).
    names: BTreeSet<String>,
    /// (label text, the name of the field it labels).
    labels: Vec<(String, String)>,
    /// The submit buttons a person sees.
    buttons: Vec<Button>,
}

#[derive(Debug, Clone)]
struct Button {
    /// Its visible text (an `<input>`'s value).
    label: String,
    /// Sent along when it is the one pressed.
    pair: Option<(String, String)>,
    /// Where it sends the form instead of the form's action.
    formaction: Option<String>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text_of(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a browser shows `e`: not inside `<head>` or `<template>`, nor
/// under an element with `hidden` or an inline `display: none`.
fn displayed(e: ElementRef<'_>) -> bool {
    let mut node = Some(e);
    while let Some(el) = node {
        let v = el.value();
        let style = v.attr("style").unwrap_or("").replace(' ', "");
        if v.attr("hidden").is_some()
            || style.contains("display:none")
            || matches!(v.name(), "template" | "head" | "title")
        {
            return false;
        }
        node = el.parent().and_then(ElementRef::wrap);
    }
    true
}

/// Whether a displayed submit button outside `form` sends it (`form=` its id).
fn has_displayed_button(doc: &Html, form: ElementRef<'_>) -> bool {
    let Some(id) = form.value().attr("id") else {
        return false;
    };
    doc.select(&sel("button, input[type=submit]"))
        .filter(|b| b.value().attr("form") == Some(id))
        .filter(|b| !matches!(b.value().attr("type"), Some("button" | "reset")))
        .any(displayed)
}

/// The forms a person sees in `html`: those in `<main>` first, then those in
/// the page's header (the menu's "Log out").
pub fn forms(html: &str, page_path: &str) -> Vec<Form> {
    let doc = Html::parse_document(html);
    let mut found = Vec::new();
    for region in ["main form", "body > header form"] {
        // A hidden form still counts when a displayed button names it (`form=`).
        for f in doc
            .select(&sel(region))
            .filter(|f| displayed(*f) || has_displayed_button(&doc, *f))
        {
            found.push(Form::read(&doc, f, page_path));
        }
    }
    found
}

/// The displayed form of `html` that posts to `action`; fails, naming the
/// forms there are, when there is none.
pub fn posting_to(html: &str, page_path: &str, action: &str) -> Form {
    let all = forms(html, page_path);
    let want = strip_fragment(action);
    if let Some(f) = all.iter().find(|f| f.action == want) {
        return f.clone();
    }
    // A button of the form may send it elsewhere (`formaction`).
    for f in &all {
        if let Some(b) = f
            .buttons
            .iter()
            .find(|b| b.formaction.as_deref() == Some(want.as_str()))
        {
            let mut f = f.clone();
            f.press(&b.clone());
            return f;
        }
    }
    panic!(
        "{page_path} shows no form that posts to {action}; its forms post to {:?}",
        all.iter()
            .flat_map(|f| {
                std::iter::once(f.action.clone())
                    .chain(f.buttons.iter().filter_map(|b| b.formaction.clone()))
            })
            .collect::<Vec<_>>()
    )
}

/// The displayed form of `html` whose submit button reads `label`.
pub fn with_button(html: &str, page_path: &str, label: &str) -> Form {
    let all = forms(html, page_path);
    for f in &all {
        if let Some(b) = f.buttons.iter().find(|b| b.label == label) {
            let mut f = f.clone();
            f.press(&b.clone());
            return f;
        }
    }
    panic!(
        "{page_path} shows no form with a {label:?} button; its buttons: {:?}",
        all.iter()
            .flat_map(|f| f.buttons.iter().map(|b| &b.label))
            .collect::<Vec<_>>()
    )
}

/// As [`with_button`], for one of several buttons with the same label
/// (a row's "Approve"): the one that sends `value`.
pub fn with_button_valued(html: &str, page_path: &str, label: &str, value: &str) -> Form {
    let all = forms(html, page_path);
    for f in &all {
        if let Some(b) = f
            .buttons
            .iter()
            .find(|b| b.label == label && b.pair.as_ref().is_some_and(|(_, v)| v == value))
        {
            let mut f = f.clone();
            f.press(&b.clone());
            return f;
        }
    }
    panic!("{page_path} shows no {label:?} button sending {value:?}")
}

fn strip_fragment(url: &str) -> String {
    url.split('#').next().unwrap_or("").to_string()
}

impl Form {
    fn read(doc: &Html, form: ElementRef<'_>, page_path: &str) -> Form {
        let v = form.value();
        let action = match v.attr("action") {
            Some(a) if !a.is_empty() => strip_fragment(a),
            _ => page_path.to_string(),
        };
        let method = v.attr("method").unwrap_or("get").to_ascii_lowercase();
        // The form's own fields, and those outside it that name it (`form=`).
        let mut controls: Vec<ElementRef<'_>> = form
            .select(&sel("input, select, textarea, button"))
            .filter(|c| c.value().attr("form").is_none())
            .collect();
        if let Some(id) = v.attr("id") {
            controls.extend(
                doc.select(&sel("input, select, textarea, button"))
                    .filter(|c| c.value().attr("form") == Some(id)),
            );
        }
        let mut f = Form {
            action,
            method,
            values: Vec::new(),
            names: BTreeSet::new(),
            labels: Vec::new(),
            buttons: Vec::new(),
        };
        for c in &controls {
            f.take_control(doc, *c);
        }
        f
    }

    fn take_control(&mut self, doc: &Html, c: ElementRef<'_>) {
        let v = c.value();
        let name = v.attr("name").map(str::to_string);
        let kind = v.attr("type").unwrap_or("").to_ascii_lowercase();
        let is_button = match v.name() {
            "button" => !matches!(kind.as_str(), "button" | "reset"),
            "input" => matches!(kind.as_str(), "submit" | "image"),
            _ => false,
        };
        if is_button {
            let label = match v.name() {
                "button" => text_of(c),
                _ => v.attr("value").unwrap_or("Submit").to_string(),
            };
            let pair = name
                .clone()
                .map(|n| (n, v.attr("value").unwrap_or("").to_string()));
            if displayed(c) {
                self.buttons.push(Button {
                    label,
                    pair,
                    formaction: v
                        .attr("formaction")
                        .filter(|a| !a.is_empty())
                        .map(strip_fragment),
                });
            }
            if let Some(n) = name {
                self.names.insert(n);
            }
            return;
        }
        let Some(name) = name else { return };
        if v.name() == "button" {
            return;
        }
        self.names.insert(name.clone());
        if let Some(label) = label_of(doc, c) {
            self.labels.push((label, name.clone()));
        }
        if v.attr("disabled").is_some() {
            return;
        }
        match (v.name(), kind.as_str()) {
            ("input", "checkbox" | "radio") if v.attr("checked").is_some() => {
                let value = v.attr("value").unwrap_or("on");
                self.values.push((name, value.to_string()));
            }
            ("input", "checkbox" | "radio") => {}
            ("input", "file" | "reset" | "button") => {}
            ("input", _) => {
                let value = v.attr("value").unwrap_or("");
                self.values.push((name, value.to_string()));
            }
            ("textarea", _) => {
                let text: String = c.text().collect();
                self.values
                    .push((name, text.strip_prefix('\n').unwrap_or(&text).to_string()));
            }
            ("select", _) => {
                let options: Vec<ElementRef<'_>> = c.select(&sel("option")).collect();
                let value_of = |o: &ElementRef<'_>| {
                    o.value()
                        .attr("value")
                        .map(str::to_string)
                        .unwrap_or_else(|| text_of(*o))
                };
                let selected: Vec<String> = options
                    .iter()
                    .filter(|o| o.value().attr("selected").is_some())
                    .map(value_of)
                    .collect();
                if !selected.is_empty() {
                    for s in selected {
                        self.values.push((name.clone(), s));
                    }
                } else if let Some(first) = options.first().filter(|_| v.attr("multiple").is_none())
                {
                    self.values.push((name, value_of(first)));
                }
            }
            _ => {}
        }
    }

    /// The name of the field labelled `label`; fails when no label says so.
    pub fn field(&self, label: &str) -> String {
        self.labels
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| {
                panic!(
                    "the form posting to {} has no field labelled {label:?}; its labels: {:?}",
                    self.action,
                    self.labels.iter().map(|(l, _)| l).collect::<Vec<_>>()
                )
            })
    }

    /// Types `value` into the field labelled `label`.
    pub fn fill(mut self, label: &str, value: &str) -> Self {
        let name = self.field(label);
        self.set(&name, value);
        self
    }

    /// Sets the field named `name` (all its values); fails when the form
    /// has no such field.
    pub fn set(&mut self, name: &str, value: &str) {
        self.assert_has(name);
        self.values.retain(|(n, _)| n != name);
        self.values.push((name.to_string(), value.to_string()));
    }

    /// Unticks every box named `name`.
    pub fn clear(mut self, name: &str) -> Self {
        self.assert_has(name);
        self.values.retain(|(n, _)| n != name);
        self
    }

    /// One more value of the field `name` (a list of checkboxes).
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.assert_has(name);
        self.values.push((name.to_string(), value.to_string()));
        self
    }

    fn assert_has(&self, name: &str) {
        assert!(
            self.names.contains(name),
            "the form posting to {} has no field named {name:?}; its fields: {:?}",
            self.action,
            self.names
        );
    }

    /// Presses `button`: its name and value go along, to its `formaction`
    /// if it has one.
    fn press(&mut self, button: &Button) {
        if let Some((n, v)) = &button.pair {
            self.values.retain(|(name, _)| name != n);
            self.values.push((n.clone(), v.clone()));
        }
        if let Some(a) = &button.formaction {
            self.action = a.clone();
        }
    }

    /// The fields as sent with `given` in place of what the page filled
    /// in; each given name must be one of the form's.
    pub fn with(mut self, given: &[(&str, &str)]) -> Self {
        let names: BTreeSet<&str> = given.iter().map(|(n, _)| *n).collect();
        for n in &names {
            self.assert_has(n);
        }
        self.values.retain(|(n, _)| !names.contains(n.as_str()));
        self.values
            .extend(given.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        self
    }

    pub fn fields(&self) -> &[(String, String)] {
        &self.values
    }
}

/// The text of the `<label>` of control `c`: `<label for=id>` or the label
/// around it; an `aria-label` otherwise.
fn label_of(doc: &Html, c: ElementRef<'_>) -> Option<String> {
    let id = c.value().attr("id");
    if let Some(l) = id.and_then(|id| {
        doc.select(&sel("label"))
            .find(|l| l.value().attr("for") == Some(id))
    }) {
        return Some(text_of(l));
    }
    let mut node = c.parent().and_then(ElementRef::wrap);
    while let Some(el) = node {
        if el.value().name() == "label" {
            return Some(text_of(el));
        }
        node = el.parent().and_then(ElementRef::wrap);
    }
    c.value().attr("aria-label").map(str::to_string)
}

/// The text a person reads in the page's `<main>`: displayed elements
/// only, whitespace collapsed.
pub fn main_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let Some(main) = doc.select(&sel("main")).next() else {
        return String::new();
    };
    let mut out = Vec::new();
    collect_text(main, &mut out);
    out.join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn collect_text(e: ElementRef<'_>, out: &mut Vec<String>) {
    let v = e.value();
    let style = v.attr("style").unwrap_or("").replace(' ', "");
    if v.attr("hidden").is_some()
        || style.contains("display:none")
        || matches!(v.name(), "template" | "script" | "style")
    {
        return;
    }
    for child in e.children() {
        if let Some(el) = ElementRef::wrap(child) {
            collect_text(el, out);
        } else if let Some(t) = child.value().as_text() {
            out.push(t.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en"><head>
        <title>Sign in <form action="/in-title" method="post"><button>Go</button></form></title></head>
        <body><header><form action="/logout" method="post"><input type="hidden" name="csrf_token" value="t"><button>Log out</button></form></header>
        <main><h1>Page</h1>
        <form action="/groups" method="post" id="g">
          <input type="hidden" name="csrf_token" value="t">
          <label for="name">Name</label><input id="name" name="name" value="Old">
          <label><input type="checkbox" name="open" value="1" checked> Open</label>
          <select name="role"><option value="2">Member</option><option value="3" selected>Admin</option></select>
          <textarea name="about">
hello</textarea>
          <button name="action" value="send">Create group</button>
        </form>
        <div hidden><form action="/hidden" method="post"><button>Hidden</button></form></div>
        <button form="g" name="extra" value="x">Elsewhere</button>
        <p>Seen <span hidden>unseen</span></p>
        </main></body></html>"#;

    #[test]
    fn a_form_is_found_by_its_button_or_its_action_and_sends_what_the_page_filled() {
        let f = with_button(PAGE, "/groups/new", "Create group");
        assert_eq!((f.action.as_str(), f.method.as_str()), ("/groups", "post"));
        let f = f.fill("Name", "New");
        let sent: Vec<(&str, &str)> = f
            .fields()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert!(sent.contains(&("name", "New")) && !sent.contains(&("name", "Old")));
        assert!(sent.contains(&("open", "1")));
        assert!(sent.contains(&("role", "3")));
        assert!(sent.contains(&("about", "hello")));
        assert!(sent.contains(&("action", "send")));
        assert!(sent.contains(&("csrf_token", "t")));
        assert_eq!(posting_to(PAGE, "/", "/logout").action, "/logout");
        // A button outside the form that names it belongs to it.
        assert!(
            with_button(PAGE, "/", "Elsewhere")
                .fields()
                .contains(&("extra".into(), "x".into()))
        );
    }

    #[test]
    fn a_button_with_formaction_sends_the_form_there() {
        let page = r#"<html><body><main><form method="post">
            <input type="hidden" name="csrf_token" value="t">
            <button formaction="/invitations/7/accept">Accept</button>
            <button formaction="/invitations/7/decline">Decline</button>
            </form></main></body></html>"#;
        assert_eq!(
            posting_to(page, "/invitations", "/invitations/7/decline").action,
            "/invitations/7/decline"
        );
        assert_eq!(
            with_button(page, "/invitations", "Accept").action,
            "/invitations/7/accept"
        );
    }

    #[test]
    #[should_panic(expected = "no form that posts to /in-title")]
    fn a_form_inside_the_title_is_not_found() {
        posting_to(PAGE, "/", "/in-title");
    }

    #[test]
    #[should_panic(expected = "no form with a \"Hidden\" button")]
    fn a_hidden_form_is_not_found() {
        with_button(PAGE, "/", "Hidden");
    }

    #[test]
    #[should_panic(expected = "no field named \"nickname\"")]
    fn a_field_the_form_lacks_fails() {
        with_button(PAGE, "/", "Create group").with(&[("nickname", "x")]);
    }

    #[test]
    #[should_panic(expected = "no field labelled \"Nickname\"")]
    fn a_label_the_form_lacks_fails() {
        with_button(PAGE, "/", "Create group").fill("Nickname", "x");
    }

    #[test]
    fn main_text_is_what_a_person_reads() {
        let t = main_text(PAGE);
        assert!(t.contains("Seen") && !t.contains("unseen") && !t.contains("Sign in"));
    }
}
