//! Standard error belongs to the console: `-q` leaves it empty whatever happened, and nothing
//! from scanned content reaches a terminal unescaped.

mod common;

use std::path::Path;
use std::process::Command as Process;

use common::*;

/// Runs patrol in `dir` and returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = patrol()
        .current_dir(dir)
        .args(args)
        .write_stdin(stdin.to_string())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn quiet_leaves_stderr_empty_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = mint("ghp");
    write(d, "leak.txt", format!("token = {token}\n"));
    git(d, &["init", "-q"]);
    git(d, &["add", "leak.txt"]);
    git(d, &["commit", "-q", "-m", "add"]);
    write(d, "staged.txt", format!("again = {}\n", mint("ghp")));
    git(d, &["add", "staged.txt"]);
    let input = format!("pasted {token}\n");
    // Each command gets a finding and, where it reads paths, one that cannot be read.
    let runs: &[&[&str]] = &[
        &["scan", "-q", "leak.txt", "no-such-file"],
        &["scan", "-q", "-f", "text", "leak.txt", "no-such-file"],
        &["logs", "-q", "leak.txt", "no-such-file", "-"],
        &["baseline", "leak.txt", "no-such-file"],
        &["git", "-q", "."],
        &["staged", "-q", "."],
        &["incident", "-q", "--dry-run", "leak.txt", "no-such-file"],
        &["verify", "-q", "--dry-run"],
        &["revoke", "-q"],
        &["revoke", "-q", "--dry-run", "--steps"],
        &["scan", "-q", "--steps", "leak.txt"],
    ];
    for args in runs {
        let (code, stdout, stderr) = run(d, args, &input);
        assert!(
            stderr.is_empty(),
            "patrol {args:?} printed on stderr: {stderr}"
        );
        assert!(!stdout.is_empty(), "patrol {args:?} printed no report");
        assert_ne!(code, 2, "patrol {args:?} failed");
    }
}

#[test]
fn control_characters_in_names_are_escaped_on_stdout_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "evil\x1b[2J.txt", format!("t = {}\n", mint("ghp")));
    let (code, stdout, stderr) = run(
        d,
        &["scan", "--color", "never", "-f", "text", ".", "gone\x1b[2J"],
        "",
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("evil\\x1b[2J.txt"), "{stdout}");
    assert!(stderr.contains("gone\\x1b[2J"), "{stderr}");
    assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'));
}

#[test]
fn a_token_in_a_commit_message_or_a_file_name_is_never_printed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let token = mint("ghp");
    let named = mint("ghp");
    git(d, &["init", "-q"]);
    write(d, "a.txt", "nothing here\n");
    write(d, &format!("{named}.txt"), format!("x = {}\n", mint("ghp")));
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", &format!("old token {token}")]);
    for format in ["json", "jsonl", "sarif", "text"] {
        for cmd in [&["git", "."][..], &["scan", "."][..]] {
            let (code, stdout, stderr) = run(d, &[cmd, &["-f", format]].concat(), "");
            assert_eq!(code, 1, "{cmd:?} {format}: {stderr}");
            for secret in [&token, &named] {
                assert!(
                    !stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()),
                    "{cmd:?} -f {format} printed a whole secret: {stdout}"
                );
            }
        }
    }
}

#[test]
fn quiet_git_with_a_corrupt_object_and_a_finding_prints_nothing_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "keep.txt", format!("{}\n", mint("ghp")));
    write(d, "victim.txt", "content that will be corrupted\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "add"]);
    let out = Process::new("git")
        .args(["rev-parse", "HEAD:victim.txt"])
        .current_dir(d)
        .output()
        .unwrap();
    let blob = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let obj = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"this is not zlib data").unwrap();
    let (code, stdout, stderr) = run(d, &["git", "-q", "-f", "json", "."], "");
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["summary"]["errors"].as_u64().unwrap() >= 1, "{stdout}");
    let (code, _, stderr) = run(d, &["git", "."], "");
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&blob),
        "without -q the problem is printed: {stderr}"
    );
}
