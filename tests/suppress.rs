//! Living with findings: patrol.toml, fingerprint allowlists, inline allow comments, baselines,
//! --show-suppressed, completions and the man page.

mod common;

use common::*;
use predicates::prelude::*;
use sha2::{Digest, Sha256};

fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_fingerprint_allowlist_hides_exactly_that_secret() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = mint("ghp");
    let other = mint("ghp");
    // Both on the same line: a position-based ignore would hide both.
    write(
        dir.path(),
        "test/fixture.env",
        format!("A={allowed} B={other}\n"),
    );
    write(dir.path(), "src/app.env", format!("TOKEN={allowed}\n"));
    write(
        dir.path(),
        "patrol.toml",
        format!("allow = [\"{}\"]\n", fingerprint(&allowed)),
    );
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap(), "--show-suppressed"]);
    assert_eq!(code, 1);
    assert_eq!(secrets(&r), vec![other.clone()]);
    let sup = &r["suppressed"][0];
    assert_eq!(sup["reason"], "allowlist");
    assert_eq!(sup["secret"], allowed.as_str());
    assert_eq!(sup["locations"].as_array().unwrap().len(), 2);
    assert_eq!(r["summary"]["suppressed"], 1);

    // The same through .patrolallow.
    std::fs::remove_file(dir.path().join("patrol.toml")).unwrap();
    write(
        dir.path(),
        ".patrolallow",
        format!("# test fixture token\n{}  # rotated\n", fingerprint(&other)),
    );
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![allowed]);
}

#[test]
fn inline_allow_comments_hide_their_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c, d) = (mint("ghp"), mint("gho"), mint("ghu"), mint("ghs"));
    write(
        dir.path(),
        "example.py",
        format!(
            "EXAMPLE = \"{a}\"  # patrol:allow\n\
             OLD = \"{b}\"  # gitleaks:allow\n\
             DOCS = \"{c}\"  # pragma: allowlist secret\n\
             REAL = \"{d}\"\n"
        ),
    );
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![d.clone()]);
    assert_eq!(r["summary"]["suppressed"], 3);
    let (r, _) = json_report(&["scan", "--no-inline-allow", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r).len(), 4);
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let old = [mint("ghp"), mint("github_pat")];
    write(dir.path(), "a.env", format!("A={}\nB={}\n", old[0], old[1]));
    let out = patrol().arg("baseline").arg(dir.path()).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "writing a baseline never fails on findings"
    );
    let baseline = String::from_utf8(out.stdout).unwrap();
    assert!(
        old.iter().all(|t| !baseline.contains(t.as_str())),
        "a baseline holds no secret"
    );
    let base = dir.path().join("..").join(format!(
        "{}.baseline.json",
        dir.path().file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&base, &baseline).unwrap();

    let (r, code) = json_report(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "nothing new");
    assert_eq!(r["summary"]["baseline"], 2);

    let new = mint("gho");
    write(dir.path(), "b.env", format!("C={new}\n"));
    let (r, code) = json_report(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(secrets(&r), vec![new]);
    std::fs::remove_file(base).unwrap();
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "patrol.toml",
        "allow = []\ndisabled_rules = []\nexclud = [\"vendor/**\"]\n",
    );
    patrol()
        .args(["config", "check"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("patrol.toml"))
        .stderr(predicate::str::contains("line 3"))
        .stderr(predicate::str::contains("exclud"));
    // The same file found at the scanned root stops a scan too.
    patrol()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3"));
    let bad = write(
        dir.path(),
        "patrol.toml",
        "allow = [\n  \"not-a-fingerprint\",\n]\n",
    );
    patrol()
        .args(["config", "check"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2"))
        .stderr(predicate::str::contains("allow"));
    let bad = write(
        dir.path(),
        "patrol.toml",
        "disabled_rules = [\"no-such-rule\"]\n",
    );
    patrol()
        .args(["config", "check"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-rule"));
}

#[test]
fn config_rules_disabled_rules_excludes_and_placeholders_apply() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "patrol.toml",
        r#"
disabled_rules = ["github-netrc-password"]
exclude = ["vendor/**"]
placeholders = ["sandbox"]

[[rule]]
id = "acme-key"
description = "ACME key"
kind = "generic"
confidence = "high"
literals = ["ACME-"]
regex = 'ACME-[0-9a-f]{32}'
examples = ["ACME-9f3a9c01d4b7e8f6a5c3b2d1e0f9a8b7"]
counter_examples = ["ACME-1"]
"#,
    );
    write(
        dir.path(),
        ".netrc",
        format!("machine github.com login me password {}\n", mint("hex40")),
    );
    write(dir.path(), "vendor/lib.env", format!("T={}\n", mint("ghp")));
    write(
        dir.path(),
        "app.env",
        "GH_TOKEN=sandbox9f3a0c71d4b7e8f6a5c3b2d1e0f9a8b7\nkey=ACME-9f3a9c01d4b7e8f6a5c3b2d1e0f9a8b7\n", // patrol:allow (test input, not a secret)
    );
    patrol()
        .args(["config", "check"])
        .arg(dir.path().join("patrol.toml"))
        .assert()
        .success();
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["acme-key"], "{r}");

    // Without the placeholder word, the same value is reported.
    let conf = std::fs::read_to_string(dir.path().join("patrol.toml")).unwrap();
    write(
        dir.path(),
        "patrol.toml",
        conf.replace("placeholders = [\"sandbox\"]", ""),
    );
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert!(
        secrets(&r).contains(&"sandbox9f3a0c71d4b7e8f6a5c3b2d1e0f9a8b7".to_string()),
        "{r}"
    );
}

#[test]
fn suppressed_findings_in_sarif_are_marked_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(
        dir.path(),
        "a.py",
        format!("T = \"{tok}\"  # patrol:allow\n"),
    );
    let out = patrol()
        .current_dir(dir.path())
        .args(["scan", ".", "-f", "sarif", "--show-suppressed"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let res = &sarif["runs"][0]["results"][0];
    assert_eq!(res["suppressions"][0]["kind"], "inSource");
}

#[test]
fn completions_and_man_page() {
    patrol()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("patrol"))
        .stdout(predicate::str::contains("--show-secrets"));
    patrol()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH patrol"));
}

#[test]
fn a_token_pasted_as_an_allow_entry_is_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(
        dir.path(),
        "patrol.toml",
        format!("# allowlist\nallow = [\n  \"{tok}\",\n]\n"),
    );
    let out = patrol()
        .args(["scan", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr.contains(&tok[4..]), "the value is echoed: {stderr}");
    assert!(
        stderr.contains("line 3") && stderr.contains("allow"),
        "{stderr}"
    );
    let out = patrol()
        .args(["config", "check"])
        .arg(dir.path().join("patrol.toml"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&tok[4..]));
}

#[test]
fn a_configuration_that_switches_off_a_whole_kind_or_every_path_is_warned_about() {
    let out = patrol().args(["rules", "-f", "json"]).output().unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let kind = rules[0]["kind"].as_str().unwrap();
    let ids: Vec<String> = rules
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| format!("{:?}", r["id"].as_str().unwrap()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", "nothing\n");
    write(
        dir.path(),
        "patrol.toml",
        format!("disabled_rules = [{}]\n", ids.join(", ")),
    );
    let out = patrol().arg("scan").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains(&format!("every rule of kind {kind}")),
        "{stderr}"
    );
    write(dir.path(), "patrol.toml", "exclude = [\"**\"]\n");
    let out = patrol().arg("scan").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("excludes every path"), "{stderr}");
    write(dir.path(), "patrol.toml", "exclude = [\"vendor/**\"]\n");
    let out = patrol().arg("scan").arg(dir.path()).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}
