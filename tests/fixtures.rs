//! The places tokens hide (fixtures/ templates, filled with minted tokens): each token is found
//! in its file, at the line of its (encoded) text, with the decoding chain; the clean fixtures
//! (references, placeholders, near misses) produce nothing.

mod common;

use common::*;

/// (fixture, index of the minted token to expect, line, decoding chain)
const CASES: &[(&str, usize, u64, &[&str])] = &[
    ("env.deploy", 0, 4, &[]),
    ("docker-config.json", 0, 4, &["base64"]),
    ("k8s-pull-secret.yaml", 0, 7, &["base64", "base64"]),
    ("git-config", 0, 4, &[]),
    ("git-config", 1, 7, &["base64"]),
    ("npmrc", 0, 2, &[]),
    ("netrc", 0, 3, &[]),
    ("deploy.sh", 0, 3, &[]),
    ("deploy.sh", 1, 4, &[]),
    ("settings.json", 0, 1, &["json-escape"]),
    ("settings.json", 1, 1, &["percent"]),
];

#[test]
fn every_hiding_place_is_found_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut filled = std::collections::HashMap::new();
    for (name, ..) in CASES {
        filled
            .entry(*name)
            .or_insert_with(|| fixture(dir.path(), name));
    }
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    for (name, index, line, chain) in CASES {
        let tok = &filled[name].tokens[*index];
        let f = finding(&r, tok);
        let loc = f["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(name) && l["line"] == *line)
            .unwrap_or_else(|| panic!("{name}: token {index} not at line {line}: {f}"));
        assert_eq!(loc["decoded"], serde_json::json!(chain), "{name}");
    }
    let expected: std::collections::HashSet<_> = filled
        .values()
        .flat_map(|f| f.tokens.iter().cloned())
        .collect();
    let found: std::collections::HashSet<_> = secrets(&r).into_iter().collect();
    assert_eq!(found, expected, "exactly the planted tokens");
}

#[test]
fn clean_fixtures_produce_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "clean/workflow.yml",
        "clean/.env.example",
        "clean/near-misses.txt",
    ] {
        fixture(dir.path(), name);
    }
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
}
