//! The README's guarantees table holds only tests that run: every test it names exists in
//! the test file it names, and every suite of `domain::testing` runs on the adapters.

use std::collections::BTreeMap;
use std::path::Path;

use ticketing_tests::repo_root;

/// Every `.rs` file directly under `dir`, by name without `.rs`, with its text.
fn sources(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    files
}

/// Whether `text` holds `name` as a whole identifier; a `*` in `name` stands for any part of
/// one (`*_makes_a_refund_once`).
fn holds_identifier(text: &str, name: &str) -> bool {
    let identifier = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let (prefix, suffix) = name.split_once('*').unwrap_or((name, ""));
    let wildcard = name.contains('*');
    text.split(|c: char| !identifier(c))
        .any(|word| if wildcard { word.starts_with(prefix) && word.ends_with(suffix) } else { word == name })
}

/// The test names in backquotes in the guarantees table: `file::module::test`.
fn named_tests(readme: &str) -> Vec<String> {
    let start = readme.find("### Guarantees and the tests that prove them").expect("the guarantees table");
    let table = &readme[start..];
    let table = &table[..table[1..].find("\n## ").map_or(table.len(), |end| end + 1)];
    table
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| {
            quoted.contains("::")
                && quoted.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:*".contains(c))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_test_the_guarantees_table_names_is_in_the_file_it_names() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let mut files = BTreeMap::new();
    for binary in ["api", "aws", "checks", "conformance"] {
        files.extend(sources(&repo_root().join("tests").join(binary)));
    }
    let named = named_tests(&readme);
    assert!(named.len() > 100, "the table names its tests: {} found", named.len());
    let mut checked = 0;
    let mut missing = Vec::new();
    for name in &named {
        let segments: Vec<&str> = name.split("::").collect();
        // A unit test of a crate (`domain` `payments::settle::tests::…`) is named by its module.
        let Some(source) = files.get(segments[0]) else { continue };
        checked += 1;
        let test = segments[segments.len() - 1];
        if test != "*" && !holds_identifier(source, test) {
            missing.push(name.as_str());
        }
    }
    assert!(checked > 100, "most named tests are the tests crate's: {checked} checked");
    assert!(missing.is_empty(), "the guarantees table names tests that do not exist: {missing:#?}");
}

#[test]
fn every_suite_of_domain_testing_runs_on_the_adapters() {
    let runners: String = sources(&repo_root().join("tests/conformance")).into_values().collect();
    let mut suites = 0;
    let mut never_run = Vec::new();
    for (module, text) in sources(&repo_root().join("shared/domain/src/testing")) {
        // A suite is a public async function that returns nothing; helpers return a value.
        for declared in text.split("pub async fn ").skip(1) {
            let name = &declared[..declared.find(['(', '<']).unwrap()];
            let signature = &declared[..declared.find('{').unwrap()];
            if signature.contains("->") {
                continue;
            }
            suites += 1;
            if !holds_identifier(&runners, name) {
                never_run.push(format!("{module}::{name}"));
            }
        }
    }
    assert!(suites > 40, "the suites are found: {suites}");
    assert!(never_run.is_empty(), "suites no runner of tests/conformance runs: {never_run:#?}");
}
