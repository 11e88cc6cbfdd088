//! SARIF output validates against the OASIS SARIF 2.1.0 schema, lists each rule once, and
//! carries relative URIs and stable fingerprints.

mod common;

use common::*;

#[test]
fn sarif_validates_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let a = mint("ghp");
    write(dir.path(), "src/one file.rs", format!("let t = \"{a}\";\n"));
    write(
        dir.path(),
        "two.env",
        format!("GH_TOKEN={a}\nGHCR_TOKEN={}\n", mint("ghp")),
    );
    write(dir.path(), "three.txt", mint("github_pat"));
    fixture(dir.path(), "docker-config.json");
    let out = patrol()
        .current_dir(dir.path())
        .args(["scan", ".", "-f", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sarif-schema-2.1.0.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.starts_with("./"), "{uri}");
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert_eq!(
            r["partialFingerprints"]["patrolSecretSha256/v1"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/one%20file.rs"
    ));
}
