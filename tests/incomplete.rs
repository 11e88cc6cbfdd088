//! Fail closed: a scan that could not read everything it was asked to exits 5, unless findings
//! decide the code or `--allow-incomplete` is given; the report says what was not scanned.

mod common;

use common::*;

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = patrol().current_dir(dir).args(args).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn an_unreadable_input_makes_the_scan_incomplete_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "clean.txt", "nothing here\n");
    write(d, "leak.txt", format!("t = {}\n", mint("ghp")));
    assert_eq!(run(d, &["scan", "clean.txt"]).0, 0);
    let (code, out) = run(d, &["scan", "clean.txt", "gone.txt"]);
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("INCOMPLETE"), "the summary says so: {out}");
    assert_eq!(
        run(d, &["scan", "--allow-incomplete", "clean.txt", "gone.txt"]).0,
        0
    );
    assert_eq!(run(d, &["logs", "clean.txt", "gone.txt"]).0, 5);
    assert_eq!(run(d, &["baseline", "clean.txt", "gone.txt"]).0, 5);
    // Findings take precedence; with --exit-code 0 the incomplete scan still fails.
    assert_eq!(run(d, &["scan", "leak.txt", "gone.txt"]).0, 1);
    assert_eq!(
        run(d, &["scan", "--exit-code", "0", "leak.txt", "gone.txt"]).0,
        5
    );
    let (_, json) = run(d, &["scan", "-f", "json", "clean.txt", "gone.txt"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["incomplete"], true);
    assert_eq!(v["errors"][0]["path"], "gone.txt");
}

#[test]
fn quiet_text_reports_keep_the_problems() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "leak.txt", format!("t = {}\n", mint("ghp")));
    let (code, out) = run(d, &["scan", "-q", "-f", "text", "leak.txt", "gone.txt"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("gone.txt"),
        "the problem is in the report: {out}"
    );
    let report = d.join("report.txt");
    let (code, _) = run(
        d,
        &[
            "scan",
            "-o",
            report.to_str().unwrap(),
            "clean.txt",
            "gone.txt",
        ],
    );
    assert_eq!(code, 5);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("gone.txt") && text.contains("INCOMPLETE"),
        "{text}"
    );
}
