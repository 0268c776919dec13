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
    for entry in std::fs::read_dir(root.join("src/routes")).unwrap() {
        let path = entry.unwrap().path();
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
