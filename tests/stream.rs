//! Reports as sinks: `jsonl` is written while the scan runs, and standard input is scanned as it
//! arrives, so a token printed into a pipe that stays open is reported at once.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

fn first_line_while_stdin_is_open(args: &[&str], input: &str) -> String {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("patrol"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(10));
    // Only now is standard input closed.
    drop(stdin);
    let _ = child.wait();
    line.unwrap_or_else(|_| panic!("patrol {args:?} wrote nothing while its input was open"))
}

#[test]
fn a_token_in_an_open_pipe_is_reported_before_the_pipe_closes() {
    let tok = mint("ghp");
    let input = format!("2025-04-07T12:57:33.2904078Z deploying with {tok}\n");
    for args in [
        &["logs", "-", "-f", "jsonl"][..],
        &["scan", "-", "-f", "jsonl"][..],
    ] {
        let line = first_line_while_stdin_is_open(args, &input);
        let v: serde_json::Value = serde_json::from_str(&line).expect("one jsonl line");
        assert_eq!(v["line"], 1, "{line}");
        assert_eq!(v["path"], "-");
        assert!(!line.contains(&tok), "redacted: {line}");
    }
}

#[test]
fn streamed_jsonl_keeps_one_line_per_distinct_location_and_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tok = mint("ghp");
    let hidden = mint("ghp");
    write(d, "a.txt", format!("{tok}\n{tok}\n"));
    write(d, "b.txt", format!("{tok}\n{hidden} # patrol:allow\n"));
    let out = patrol()
        .args(["scan", "-f", "jsonl", "--show-secrets"])
        .arg(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l["secret"] == tok.as_str()));
    let fps: std::collections::HashSet<_> =
        lines.iter().map(|l| l["fingerprint"].clone()).collect();
    assert_eq!(fps.len(), 1, "one secret, deduplicated by fingerprint");
}
