//! The architecture, kept by tests: the crates under `shared/` depend on each other in one
//! direction only (domain ← adapters and edge ← functions), only the adapters touch AWS or
//! Stripe, and no module of a shared crate is in an import cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use ticketing_tests::repo_root;

/// The shared crates and the workspace crates each may depend on (normal dependencies).
const LAYERS: [(&str, &[&str]); 6] = [
    ("domain", &[]),
    ("edge", &["domain"]),
    ("contract", &["domain", "edge"]),
    ("aws-adapters", &["domain"]),
    ("stripe-adapter", &["domain"]),
    ("embedded", &["domain"]),
];

/// External crates only an adapter may depend on, and which adapter.
const ADAPTED: [(&str, &str); 8] = [
    ("aws-config", "aws-adapters"),
    ("aws-sdk-dynamodb", "aws-adapters"),
    ("aws-sdk-eventbridge", "aws-adapters"),
    ("aws-sdk-scheduler", "aws-adapters"),
    ("aws-sdk-sqs", "aws-adapters"),
    ("serde_dynamo", "aws-adapters"),
    ("async-stripe-client-core", "stripe-adapter"),
    ("hyper-rustls", "stripe-adapter"),
];

/// Crates the domain must not depend on: no runtime, no HTTP, no Lambda, no web framework.
const NOT_IN_DOMAIN: [&str; 6] = ["tokio", "lambda_http", "lambda_runtime", "aws_lambda_events", "axum", "redb"];

/// `cargo metadata`: every workspace package with its normal dependencies.
fn workspace() -> BTreeMap<String, BTreeSet<String>> {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(repo_root())
        .output()
        .expect("cargo metadata runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let dependencies = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dependency| dependency["kind"].is_null())
                .filter(|dependency| !dependency["optional"].as_bool().unwrap_or(false))
                .map(|dependency| dependency["name"].as_str().unwrap().to_owned())
                .collect();
            (package["name"].as_str().unwrap().to_owned(), dependencies)
        })
        .collect()
}

#[test]
fn shared_crates_depend_on_each_other_in_one_direction() {
    let packages = workspace();
    let shared: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    for (name, allowed) in LAYERS {
        let dependencies = &packages[name];
        let internal: BTreeSet<&str> =
            dependencies.iter().map(String::as_str).filter(|dependency| packages.contains_key(*dependency)).collect();
        assert_eq!(internal, allowed.iter().copied().collect(), "{name}'s workspace dependencies");
    }
    for forbidden in NOT_IN_DOMAIN {
        assert!(!packages["domain"].contains(forbidden), "domain depends on {forbidden}");
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo_root().join("shared"))
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(on_disk, shared, "every crate under shared/ has its layer, in a folder of its own name");
}

#[test]
fn only_the_adapters_depend_on_aws_sdks_and_stripe() {
    for (name, dependencies) in workspace() {
        for (external, adapter) in ADAPTED {
            // The test harness sets moto up and inspects it with the SDK itself; the benchmark's
            // baseline (bench/one-call) is one bare SDK call.
            if dependencies.contains(external) && name != "ticketing-tests" && name != "one-call" {
                assert_eq!(name, adapter, "{name} depends on {external}");
            }
        }
        // The test harness checks localstripe's answers against Stripe's own types.
        let stripe = dependencies.iter().filter(|d| d.starts_with("async-stripe")).count();
        assert!(
            stripe == 0 || name == "stripe-adapter" || name == "ticketing-tests",
            "{name} depends on a Stripe crate"
        );
    }
}

/// A module's path (`a::b`, the crate root is ``) from its file.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// Expands a `use` tree (`crate::{a::B, c::{D, E}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else { return vec![tree.to_owned()] };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (index, character) in inner.char_indices() {
        match character {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts.into_iter().filter(|part| !part.is_empty()).flat_map(|part| expand(&format!("{prefix}{part}"))).collect()
}

/// The modules `source` (the module `module`) refers to through `crate::` and `super::`
/// paths, outside its test module.
fn references(module: &str, source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = source
        .split("#[cfg(test)]")
        .next()
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(found) = rest.find("use ") {
        // A word of its own ("refuse " in a string is no `use`).
        if rest[..found].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            rest = &rest[found + 4..];
            continue;
        }
        let start = found;
        let end = start + rest[start..].find(';').unwrap_or(rest.len() - start);
        let tree: String = rest[start + 4..end].chars().filter(|c| !c.is_whitespace()).collect();
        paths.extend(expand(&tree));
        rest = &rest[end..];
    }
    for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
        if (word.starts_with("crate::") || word.starts_with("super::")) && !word.ends_with("::") {
            paths.push(word.to_owned());
        }
    }
    let parent = module.rsplit_once("::").map_or("", |(parent, _)| parent).to_owned();
    let mut referenced = BTreeSet::new();
    for path in paths {
        let absolute = if let Some(path) = path.strip_prefix("crate::") {
            path.to_owned()
        } else if let Some(path) = path.strip_prefix("super::") {
            if parent.is_empty() { path.to_owned() } else { format!("{parent}::{path}") }
        } else {
            continue;
        };
        let segments: Vec<&str> = absolute.split("::").collect();
        let target = (1..=segments.len())
            .rev()
            .map(|length| segments[..length].join("::"))
            .find(|candidate| modules.contains(candidate))
            .unwrap_or_default();
        if target != module && !module.starts_with(&format!("{target}::")) || target.is_empty() {
            referenced.insert(target);
        }
    }
    // `mod child;` makes a module depend on its children.
    for line in code.lines() {
        let line = line.trim();
        let declared = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod "));
        if let Some(child) = declared.and_then(|rest| rest.strip_suffix(';')) {
            referenced.insert(if module.is_empty() { child.to_owned() } else { format!("{module}::{child}") });
        }
    }
    referenced.remove(module);
    referenced
}

/// A cycle of the graph, if any.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, bool>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(true) => return None,
            Some(false) => {
                let start = stack.iter().position(|n| n == node).unwrap();
                return Some(stack[start..].iter().cloned().chain([node.to_owned()]).collect());
            }
            None => {}
        }
        state.insert(node.to_owned(), false);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_owned(), true);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|node| visit(node, graph, &mut state, &mut Vec::new()))
}

#[test]
fn no_module_of_a_shared_crate_is_in_an_import_cycle() {
    for (name, _) in LAYERS {
        // Each crate's folder is its name.
        let src = repo_root().join("shared").join(name).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let modules: BTreeSet<String> = files.iter().map(|file| module_of(&src, file)).collect();
        let graph: BTreeMap<String, BTreeSet<String>> = files
            .iter()
            .map(|file| {
                let module = module_of(&src, file);
                let references = references(&module, &std::fs::read_to_string(file).unwrap(), &modules);
                (module, references)
            })
            .collect();
        assert!(!graph.is_empty() && graph.len() == files.len(), "{name}: {graph:?}");
        assert_eq!(cycle(&graph), None, "{name} has an import cycle");
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let modules: BTreeSet<String> = ["", "a", "b", "b::c"].into_iter().map(String::from).collect();
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("", "mod a;\nmod b;"),
        ("a", "use crate::b::c::{X, Y};"),
        ("b", "mod c;\npub use c::X;"),
        ("b::c", "use super::super::a::Z;\nfn f() { crate::a::g(); }"),
    ]
    .into_iter()
    .map(|(module, source)| (module.to_owned(), references(module, source, &modules)))
    .collect();
    assert_eq!(graph["a"], BTreeSet::from(["b::c".to_owned()]));
    assert!(cycle(&graph).is_some(), "{graph:?}");
    let mut acyclic = graph.clone();
    acyclic.insert("b::c".to_owned(), BTreeSet::new());
    assert_eq!(cycle(&acyclic), None);
}
