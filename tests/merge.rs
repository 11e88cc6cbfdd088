//! `patrol merge`: reports of parts of a scan combine into the report of the whole scan —
//! one finding per secret, every location kept and counted, SARIF as one run — with the exit
//! code a scan of everything would have had, and never a secret the merge was not asked to show.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Runs `patrol ARGS` in `dir`: exit code, stdout, stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = patrol().current_dir(dir).args(args).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

/// Two parts of one tree: a secret in both (three times in `b`), one only in each.
struct Tree {
    dir: tempfile::TempDir,
    shared: String,
    only_a: String,
    only_b: String,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (shared, only_a, only_b) = (mint("ghp"), mint("github_pat"), mint("gho"));
    write(d, "a/app.env", format!("GH_TOKEN={shared}\n"));
    write(d, "a/deploy/ci.yml", format!("token: {only_a}\n"));
    write(d, "b/one.txt", format!("t = {shared}\nu = {only_b}\n"));
    write(d, "b/two.txt", format!("x\ny = {shared}\nz = {shared}\n"));
    write(d, "b/clean.txt", "nothing here\n");
    Tree {
        dir,
        shared,
        only_a,
        only_b,
    }
}

/// Scans `parts` in one run and each part on its own, all with `extra` flags; returns the
/// whole run's report and the parts' report files.
fn whole_and_parts(t: &Tree, parts: &[&str], extra: &[&str]) -> (String, Vec<String>) {
    let d = t.dir.path();
    let mut whole = vec!["scan"];
    whole.extend(parts);
    whole.extend(extra);
    let (code, out, err) = run(d, &whole);
    assert_eq!(code, 1, "{err}");
    let mut files = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let file = format!("part-{i}.report");
        let mut args = vec!["scan", part, "-o", &file];
        args.extend(extra);
        let (code, _, err) = run(d, &args);
        assert!(code == 0 || code == 1, "{err}");
        files.push(file);
    }
    (out, files)
}

fn merge(t: &Tree, files: &[String], extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    run(t.dir.path(), &args)
}

#[test]
fn merged_json_reports_equal_the_report_of_one_run() {
    let t = tree();
    let (whole, parts) = whole_and_parts(&t, &["a", "b"], &["-f", "json"]);
    let (code, merged, err) = merge(&t, &parts, &["-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let (whole, merged) = (json(&whole), json(&merged));
    assert_eq!(merged["findings"], whole["findings"]);
    assert_eq!(merged["findings"].as_array().unwrap().len(), 3);
    for key in [
        "findings",
        "locations",
        "files",
        "bytes",
        "errors",
        "incomplete",
    ] {
        assert_eq!(
            merged["summary"][key], whole["summary"][key],
            "summary.{key}"
        );
    }
    assert_eq!(merged["errors"], whole["errors"]);
    // Deduplicated by secret, every location kept: the shared one is at four places.
    let shared = merged["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location_count"] == 4)
        .expect("the shared secret");
    let paths: Vec<&str> = shared["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a/app.env", "b/one.txt", "b/two.txt", "b/two.txt"]);
    // The secrets stayed redacted, as in the parts.
    for secret in [&t.shared, &t.only_a, &t.only_b] {
        assert!(!merged.to_string().contains(secret.as_str()));
    }
}

#[test]
fn max_locations_lists_the_first_and_counts_them_all() {
    let t = tree();
    let limit = ["-f", "json", "--max-locations", "2"];
    let (whole, parts) = whole_and_parts(&t, &["b", "a"], &limit);
    let (code, merged, err) = merge(&t, &parts, &limit);
    assert_eq!(code, 1, "{err}");
    let (whole, merged) = (json(&whole), json(&merged));
    assert_eq!(merged["findings"], whole["findings"]);
    let shared = &merged["findings"][0];
    assert_eq!(shared["location_count"], 4);
    assert_eq!(shared["locations"].as_array().unwrap().len(), 2);
    assert_eq!(shared["locations"][0]["path"], "a/app.env");
    assert_eq!(merged["summary"]["locations"], 6);
    // The same report twice is not two sightings of what it lists.
    let (_, twice, _) = merge(&t, &[parts[1].clone(), parts[1].clone()], &["-f", "json"]);
    let twice = json(&twice);
    let a_only = json(&std::fs::read_to_string(t.dir.path().join(&parts[1])).unwrap());
    assert_eq!(twice["findings"], a_only["findings"]);
}

/// SARIF results as a set (order is not part of the format's meaning).
fn results(sarif: &Value) -> Vec<String> {
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let mut out: Vec<String> = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            // Which index a rule has depends on the rules listed, checked separately.
            r.as_object_mut().unwrap().remove("ruleIndex");
            r.to_string()
        })
        .collect();
    out.sort();
    out
}

fn rule_ids(sarif: &Value) -> Vec<String> {
    sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn assert_valid_sarif(sarif: &Value) {
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sarif-schema-2.1.0.json"
    );
    let schema: Value = json(&std::fs::read_to_string(schema).unwrap());
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rule_ids(sarif)[index], r["ruleId"].as_str().unwrap());
    }
}

#[test]
fn sarif_reports_merge_into_one_run_equal_to_one_scan() {
    let t = tree();
    let (whole, parts) = whole_and_parts(&t, &["a", "b"], &["-f", "sarif"]);
    let (code, merged, err) = merge(&t, &parts, &["-f", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let (whole, merged) = (json(&whole), json(&merged));
    assert_valid_sarif(&merged);
    assert_eq!(results(&merged), results(&whole));
    assert_eq!(rule_ids(&merged), rule_ids(&whole));
    // SARIF reports make SARIF only.
    let (code, _, err) = merge(&t, &parts, &["-f", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("-f sarif"), "{err}");
}

#[test]
fn json_reports_merge_into_sarif_and_text() {
    let t = tree();
    let (_, parts) = whole_and_parts(&t, &["a", "b"], &["-f", "json"]);
    let (_, whole, _) = run(t.dir.path(), &["scan", "a", "b", "-f", "sarif"]);
    let (code, merged, err) = merge(&t, &parts, &["-f", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let (whole, merged) = (json(&whole), json(&merged));
    assert_valid_sarif(&merged);
    assert_eq!(results(&merged), results(&whole));
    let (code, text, _) = merge(&t, &parts, &["-f", "text", "--color", "never"]);
    assert_eq!(code, 1);
    assert!(text.contains("3 secrets at 6 locations"), "{text}");
}

#[test]
fn secrets_stay_redacted_unless_the_merge_shows_them() {
    let t = tree();
    for format in ["json", "sarif"] {
        let (_, parts) = whole_and_parts(&t, &["a", "b"], &["-f", format, "--show-secrets"]);
        let outputs: &[&str] = if format == "json" {
            &["json", "jsonl", "sarif", "text"]
        } else {
            &["sarif"]
        };
        for out in outputs {
            let (code, report, _) = merge(&t, &parts, &["-f", out]);
            assert_eq!(code, 1);
            for secret in [&t.shared, &t.only_a, &t.only_b] {
                assert!(
                    !report.contains(secret.as_str()),
                    "{format} merged into {out} shows a secret: {report}"
                );
            }
            assert!(report.contains('…'), "redacted: {report}");
            let (_, shown, _) = merge(&t, &parts, &["-f", out, "--show-secrets"]);
            for secret in [&t.shared, &t.only_a, &t.only_b] {
                assert!(shown.contains(secret.as_str()), "{format} into {out}");
            }
        }
    }
    // Redacted reports stay as they were: the merge does not shorten them again.
    let (whole, parts) = whole_and_parts(&t, &["a", "b"], &["-f", "json"]);
    let (_, merged, _) = merge(&t, &parts, &["-f", "json", "--show-secrets"]);
    assert_eq!(json(&merged)["findings"], json(&whole)["findings"]);
}

#[test]
fn the_exit_code_follows_the_merged_findings() {
    let t = tree();
    let d = t.dir.path();
    let (whole, parts) = whole_and_parts(&t, &["a", "b"], &["-f", "json"]);
    std::fs::write(d.join("before.json"), &whole).unwrap();
    assert_eq!(merge(&t, &parts, &[]).0, 1);
    assert_eq!(merge(&t, &parts, &["--exit-code", "7"]).0, 7);
    assert_eq!(merge(&t, &parts, &["--exit-code", "0"]).0, 0);
    // Nothing new since the baseline: 0; listed as suppressed on request.
    let (code, out, err) = merge(&t, &parts, &["--baseline", "before.json", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let out = json(&out);
    assert_eq!(out["findings"], Value::Array(vec![]));
    assert_eq!(out["summary"]["baseline"], 3);
    let (_, out, _) = merge(
        &t,
        &parts,
        &[
            "--baseline",
            "before.json",
            "--show-suppressed",
            "-f",
            "json",
        ],
    );
    assert_eq!(json(&out)["suppressed"][0]["reason"], "baseline");
    // A new secret in one part: 1, and only it is reported.
    let fresh = mint("ghp");
    write(d, "b/new.txt", format!("k = {fresh}\n"));
    let (_, parts) = whole_and_parts(&t, &["a", "b"], &["-f", "json", "--show-secrets"]);
    let (code, out, _) = merge(
        &t,
        &parts,
        &["--baseline", "before.json", "--show-secrets", "-f", "json"],
    );
    assert_eq!(code, 1);
    assert_eq!(secrets(&json(&out)), vec![fresh]);
    // The same for SARIF: results of the baseline are marked suppressed.
    let (_, sarif_parts) = whole_and_parts(&t, &["a", "b"], &["-f", "sarif"]);
    let (code, out, _) = merge(
        &t,
        &sarif_parts,
        &["--baseline", "before.json", "-f", "sarif"],
    );
    assert_eq!(code, 1);
    let out = json(&out);
    let open: Vec<&Value> = out["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .collect();
    assert_eq!(open.len(), 1);
    std::fs::remove_file(d.join("b/new.txt")).unwrap();
    let (_, sarif_parts) = whole_and_parts(&t, &["a", "b"], &["-f", "sarif"]);
    assert_eq!(
        merge(
            &t,
            &sarif_parts,
            &["--baseline", "before.json", "-f", "sarif"]
        )
        .0,
        0
    );
}

#[test]
fn an_incomplete_part_makes_the_merge_incomplete() {
    let t = tree();
    let d = t.dir.path();
    for format in ["json", "sarif"] {
        let clean = format!("clean.{format}");
        let broken = format!("broken.{format}");
        assert_eq!(
            run(d, &["scan", "b/clean.txt", "-f", format, "-o", &clean]).0,
            0
        );
        assert_eq!(
            run(
                d,
                &[
                    "scan",
                    "b/clean.txt",
                    "gone.txt",
                    "-f",
                    format,
                    "-o",
                    &broken
                ]
            )
            .0,
            5
        );
        let (code, out, err) = run(d, &["merge", &clean, &broken, "-f", format]);
        assert_eq!(code, 5, "{format}: {out}");
        assert!(out.contains("gone.txt"), "the report names it: {out}");
        if format == "json" {
            assert!(err.contains("gone.txt"), "stderr names it: {err}");
            assert_eq!(json(&out)["summary"]["incomplete"], true);
        }
        let (code, _, _) = run(
            d,
            &["merge", &clean, &broken, "-f", format, "--allow-incomplete"],
        );
        assert_eq!(code, 0);
        assert_eq!(run(d, &["merge", &clean, &clean, "-f", format]).0, 0);
    }
}

#[test]
fn what_cannot_be_merged_is_named() {
    let t = tree();
    let d = t.dir.path();
    run(d, &["scan", "a", "-f", "json", "-o", "a.json"]);
    run(d, &["scan", "a", "-f", "sarif", "-o", "a.sarif"]);
    run(d, &["scan", "a", "-f", "jsonl", "-o", "a.jsonl"]);
    write(d, "notes.txt", "not a report\n");
    write(d, "other.json", "{\"results\": []}\n");
    let cases: &[(&[&str], &str)] = &[
        (&["a.json", "notes.txt"], "notes.txt: not JSON"),
        (
            &["other.json"],
            "other.json: not a patrol json or sarif report",
        ),
        (&["a.jsonl"], "-f json"),
        (&["a.json", "a.sarif"], "one format"),
        (&["a.json", "missing.json"], "missing.json"),
    ];
    for (inputs, message) in cases {
        let mut args = vec!["merge"];
        args.extend(*inputs);
        let (code, out, err) = run(d, &args);
        assert_eq!(code, 2, "{inputs:?}: {out}");
        assert!(err.contains(message), "{inputs:?}: {err}");
        assert!(out.is_empty());
    }
    let (code, _, _) = run(d, &["merge"]);
    assert_eq!(code, 2, "at least one report");
}

#[test]
fn datastores_that_cannot_be_merged_are_named_and_the_output_is_left_as_it_was() {
    let t = tree();
    let d = t.dir.path();
    let good = d.join("good.db");
    let newer = d.join("newer.db");
    for db in [&good, &newer] {
        patrol::datastore::Datastore::open(db).unwrap();
    }
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute("UPDATE meta SET value = '2' WHERE key = 'schema'", [])
        .unwrap();
    run(d, &["scan", "a", "-f", "json", "-o", "a.json"]);
    let mut damaged = std::fs::read(&good).unwrap();
    damaged.truncate(100);
    std::fs::write(d.join("damaged.db"), damaged).unwrap();
    write(d, "out.db", "what was there before\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--datastore", "out.db", "good.db", "newer.db"],
            "newer.db: schema version 2",
        ),
        (
            &["--datastore", "out.db", "a.json"],
            "a.json: not a patrol datastore",
        ),
        (
            &["--datastore", "out.db", "good.db", "damaged.db"],
            "damaged.db",
        ),
        (&["--datastore", "out.db", "missing.db"], "missing.db"),
        (
            &["a.json", "good.db"],
            "good.db: a datastore: merge datastores with --datastore",
        ),
        (
            &["--datastore", "out.db", "good.db", "--baseline", "a.json"],
            "--baseline",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["merge"];
        all.extend(*args);
        let (code, out, err) = run(d, &all);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(
            std::fs::read_to_string(d.join("out.db")).unwrap(),
            "what was there before\n"
        );
    }
    let leftovers = std::fs::read_dir(d)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".patrol")
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary file left");
    // One good datastore merges (into a copy of itself: nothing found, exit 0).
    let (code, out, err) = run(
        d,
        &["merge", "--datastore", "out.db", "good.db", "-f", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["findings"], Value::Array(vec![]));
    assert!(err.contains("1 datastore merged into out.db"), "{err}");
}

#[test]
fn a_report_counting_fewer_locations_than_it_lists_is_merged() {
    // Found by fuzzing `merge`: `location_count: 0` beside listed locations, merged with itself,
    // made the count go below zero (a panic in a debug build, a huge count in a release one).
    let t = tree();
    let d = t.dir.path();
    run(d, &["scan", "a", "-f", "json", "-o", "a.json"]);
    let mut report = json(&std::fs::read_to_string(d.join("a.json")).unwrap());
    for f in report["findings"].as_array_mut().unwrap() {
        f["location_count"] = 0.into();
    }
    write(d, "odd.json", report.to_string());
    let (code, out, err) = run(d, &["merge", "odd.json", "odd.json", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let merged = json(&out);
    for f in merged["findings"].as_array().unwrap() {
        let listed = f["locations"].as_array().unwrap().len() as u64;
        assert!(listed >= 1, "{f}");
        assert_eq!(f["location_count"].as_u64(), Some(listed), "{f}");
    }
}

#[test]
fn an_error_quoting_a_malformed_report_never_prints_a_token_whole() {
    let t = tree();
    let d = t.dir.path();
    let tok = mint("ghp");
    // serde quotes the string it did not expect; the token must come out redacted.
    write(d, "bad.json", format!("{{\"findings\": \"{tok}\"}}\n"));
    let (code, out, err) = run(d, &["merge", "bad.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("bad.json"), "{err}");
    assert!(
        err.contains(&tok[..8]),
        "the error still says what it read: {err}"
    );
    assert!(!err.contains(&tok) && !out.contains(&tok), "{err}");
}
