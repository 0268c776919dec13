//! The layers hold: a route reads through `models` where it must, but every
//! write goes through a use case in `services` (where the rules in `policy`
//! are checked inside the transaction). Read from the source, so a handler
//! that calls a model's writing function directly fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What marks a model function as one that writes.
const WRITES: [&str; 6] = [
    "insert_into(",
    "diesel::update(",
    "diesel::delete(",
    "INSERT ",
    "UPDATE ",
    "DELETE ",
];

/// model module → its functions that write.
fn writing_functions(models: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(models).expect("src/models") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let module = path.file_stem().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(&path).unwrap();
        let mut writers = BTreeSet::new();
        // Each function runs from its `fn` to the next top-level `fn`.
        let starts: Vec<usize> = src
            .match_indices("\npub fn ")
            .chain(src.match_indices("\npub(crate) fn "))
            .chain(src.match_indices("\nfn "))
            .map(|(i, _)| i)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (n, start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(src.len());
            let body = &src[*start..end];
            let name: String = body
                .split("fn ")
                .nth(1)
                .unwrap()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if WRITES.iter().any(|w| body.contains(w)) {
                writers.insert(name);
            }
        }
        out.insert(module, writers);
    }
    out
}

#[test]
fn routes_never_write_through_models() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let writers = writing_functions(&root.join("src/models"));
    assert!(
        writers
            .get("invitation")
            .is_some_and(|w| w.contains("insert")),
        "the scan found no writing function in models/invitation.rs: {writers:?}"
    );
    let mut found = Vec::new();
    for path in rs_files(&root.join("src/routes")) {
        let src = std::fs::read_to_string(&path).unwrap();
        for (module, fns) in &writers {
            for f in fns {
                for call in [format!("{module}::{f}("), format!("{module}::{f}::<")] {
                    if src.contains(&call) && !src.contains(&format!("services::{module}::{f}(")) {
                        found.push(format!("{}: {call}", path.display()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "routes that write through models instead of a service:\n{}",
        found.join("\n")
    );
}

/// Every `.rs` file below `dir`, in folders too (a module may be a folder).
fn rs_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The crate's top-level modules each `src/` file uses (`crate::x`).
fn uses_by_module(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rs_files(src) {
        let rel = path.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if name != top && !name.is_empty() {
                out.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    out
}

/// The layers point one way: routes → services → policy / models → db →
/// domain (views beside routes, auth and mail below services). A module
/// that reaches up (models formatting for a page, a service importing a
/// route, the extractors importing `routes`) fails here, naming the arrow.
#[test]
fn modules_never_import_a_layer_above_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let uses = uses_by_module(&src);
    let above: [(&str, &[&str]); 9] = [
        (
            "domain",
            &[
                "db", "models", "policy", "services", "auth", "mail", "views", "routes", "state",
                "startup",
            ],
        ),
        (
            "db",
            &[
                "models", "policy", "services", "auth", "mail", "views", "routes", "state",
                "startup",
            ],
        ),
        (
            "models",
            &[
                "policy", "services", "auth", "mail", "views", "routes", "state", "startup",
            ],
        ),
        (
            "policy",
            &[
                "services", "auth", "mail", "views", "routes", "state", "startup",
            ],
        ),
        ("auth", &["services", "views", "routes", "startup"]),
        ("mail", &["services", "views", "routes", "startup"]),
        ("services", &["views", "routes", "state", "startup"]),
        ("views", &["routes", "state", "startup"]),
        ("routes", &["startup"]),
    ];
    let mut wrong = Vec::new();
    for (module, forbidden) in above {
        for used in uses.get(module).into_iter().flatten() {
            if forbidden.contains(&used.as_str()) {
                wrong.push(format!("{module} → {used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up a layer: {wrong:?}");
}

/// No two services import each other: a rule both need lives in a third.
#[test]
fn services_do_not_import_each_other_both_ways() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let me = path.file_stem().unwrap().to_string_lossy().to_string();
        // A service in a folder (services/invitations/) is one service.
        let text = if path.is_dir() {
            std::fs::read_dir(&path)
                .unwrap()
                .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            std::fs::read_to_string(&path).unwrap()
        };
        for pat in ["crate::services::", "super::"] {
            for (i, _) in text.match_indices(pat) {
                let name: String = text[i + pat.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if name != me && !name.is_empty() {
                    uses.entry(me.clone()).or_default().insert(name);
                }
            }
        }
    }
    let loops: Vec<(String, String)> = uses
        .iter()
        .flat_map(|(a, bs)| bs.iter().map(move |b| (a.clone(), b.clone())))
        .filter(|(a, b)| a < b && uses.get(b).is_some_and(|s| s.contains(a)))
        .collect();
    assert!(
        loops.is_empty(),
        "services that import each other: {loops:?}"
    );
}
