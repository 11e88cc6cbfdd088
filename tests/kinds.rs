//! Rules and kinds as the user meets them: rule files are untrusted input (bounds, regexes that
//! do not compile, examples that do not hold), placeholder words never hide a token whose
//! checksum is valid.

mod common;

use std::path::Path;

use common::*;

fn rule_file(dir: &Path, extra: &str) -> String {
    let text = format!(
        "[[rule]]\nid = \"acme-key\"\ndescription = \"ACME key\"\nkind = \"generic\"\n\
         confidence = \"high\"\nliterals = [\"ACMEKEY-\"]\n{extra}\n"
    );
    write(dir, "acme.toml", text).display().to_string()
}

/// A repository with one commit and one staged file, each holding a token.
fn repo_with_token(dir: &Path) {
    git(dir, &["init", "-q"]);
    write(dir, "a.env", format!("GH_TOKEN={}\n", mint("ghp")));
    git(dir, &["add", "a.env"]);
    git(dir, &["commit", "-q", "-m", "one"]);
    write(dir, "b.env", format!("GH_TOKEN={}\n", mint("ghp")));
    git(dir, &["add", "b.env"]);
}

/// Every command that loads rules refuses a rule file it cannot use, naming the rule and the
/// key, with exit code 2 — never a scan that silently skips the rule.
fn every_command_refuses(dir: &Path, rules: &str, expect: &[&str]) {
    let d = dir.to_str().unwrap();
    let runs: [&[&str]; 5] = [
        &["scan", d],
        &["git", d],
        &["logs", d],
        &["staged", d],
        &["rules"],
    ];
    for args in runs {
        let out = patrol()
            .args(args)
            .args(["--rules", rules])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for e in expect {
            assert!(stderr.contains(e), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn a_regex_over_the_size_limit_is_an_error_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_token(dir.path());
    let rules = rule_file(dir.path(), "regex = 'ACMEKEY-(?:[a-z0-9]{100}){1000}'");
    every_command_refuses(dir.path(), &rules, &["acme-key"]);
}

#[test]
fn rule_parameters_out_of_bounds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    repo_with_token(dir.path());
    let window = rule_file(
        dir.path(),
        "regex = 'ACMEKEY-[0-9a-f]{32}'\nwindow = [0, 9223372036854775807]",
    );
    every_command_refuses(dir.path(), &window, &["acme-key", "`window`"]);
    let short = write(
        dir.path(),
        "short.toml",
        "[[rule]]\nid = \"tiny\"\ndescription = \"d\"\nkind = \"generic\"\nconfidence = \"high\"\n\
         literals = [\"AK\"]\nregex = 'AK[0-9]{8}'\n",
    );
    every_command_refuses(dir.path(), short.to_str().unwrap(), &["tiny", "`literals`"]);
}

#[test]
fn rules_and_config_check_run_user_examples_without_echoing_them() {
    let dir = tempfile::tempdir().unwrap();
    let good = rule_file(
        dir.path(),
        "regex = 'ACMEKEY-[0-9a-f]{32}'\nexamples = [\"k = ACMEKEY-3f2a9c01d4b7e8f6a5c3b2d1e0f9a8b7\"]\n\
         counter_examples = [\"ACMEKEY-short\"]",
    );
    patrol()
        .args(["rules", "--rules", &good])
        .assert()
        .success();
    let secretish = "ACMEKEY-ffffffffffffffffffffffffffffffzz";
    let bad = rule_file(
        dir.path(),
        &format!(
            "regex = 'ACMEKEY-[0-9a-f]{{32}}'\nexamples = [\"k = ACMEKEY-3f2a9c01d4b7e8f6a5c3b2d1e0f9a8b7\", \"{secretish}\"]"
        ),
    );
    let out = patrol().args(["rules", "--rules", &bad]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("acme-key") && stderr.contains("example 2"),
        "{stderr}"
    );
    assert!(!stderr.contains("ffffffff"), "{stderr}");

    let config = write(
        dir.path(),
        "patrol.toml",
        "[[rule]]\nid = \"acme-key\"\ndescription = \"d\"\nkind = \"generic\"\nconfidence = \"high\"\n\
         literals = [\"ACMEKEY-\"]\nregex = 'ACMEKEY-[0-9a-f]{4}'\n\
         counter_examples = [\"ACMEKEY-abcd-but-not-a-key\"]\n",
    );
    let out = patrol()
        .args(["config", "check", config.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("acme-key") && stderr.contains("counter_examples"),
        "{stderr}"
    );
    assert!(!stderr.contains("but-not-a-key"), "{stderr}");
}

#[test]
fn placeholder_words_in_patrol_toml_never_hide_a_checksum_valid_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint("ghp");
    write(
        dir.path(),
        "patrol.toml",
        "placeholders = [\"ghp\", \"github\"]\n",
    );
    write(dir.path(), "deploy.env", format!("GHCR_TOKEN={token}\n"));
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets(&r), vec![token]);
}

#[test]
fn a_token_repeated_many_times_keeps_its_count_and_the_first_locations() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint("ghp");
    let line = format!("2025-04-07T12:57:33.2904078Z Using token {token}\n");
    let log = write(dir.path(), "ci.log", line.repeat(20_000));
    let log = log.to_str().unwrap();
    let (r, code) = json_report(&["logs", log, "--max-locations", "10"]);
    assert_eq!(code, 1);
    let f = finding(&r, &token);
    assert_eq!(f["location_count"], 20_000);
    let lines: Vec<u64> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, (1..=10).collect::<Vec<_>>());
    assert_eq!(r["summary"]["locations"], 20_000);
    let (r, _) = json_report(&["logs", log]);
    assert_eq!(
        finding(&r, &token)["locations"].as_array().unwrap().len(),
        100
    );

    let out = patrol()
        .args(["logs", log, "--max-locations", "3", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("and 19997 more locations (20000 in all"),
        "{text}"
    );
    patrol()
        .args(["logs", log, "--max-locations", "0"])
        .assert()
        .code(2);
}
