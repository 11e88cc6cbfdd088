//! `patrol scan` end to end: the real binary on real files in temp dirs.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn finds_every_token_kind_with_location_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        ("ghp", "classic-pat", "valid"),
        ("gho", "oauth", "valid"),
        ("ghu", "user-to-server", "valid"),
        ("ghs", "installation", "valid"),
        ("ghr", "refresh", "valid"),
        ("ghr36", "refresh", "valid"),
        ("github_pat", "fine-grained-pat", "valid"),
        ("ghs_stateless", "installation", "none"),
        ("v1", "legacy-installation", "none"),
    ];
    let mut planted = Vec::new();
    for (i, (t, kind, checksum)) in kinds.iter().enumerate() {
        let tok = mint(t);
        write(
            dir.path(),
            &format!("src/f{i}.txt"),
            format!("first line\n  token = \"{tok}\"\n"),
        );
        planted.push((tok, *kind, *checksum, i));
    }
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["findings"].as_array().unwrap().len(), planted.len());
    for (tok, kind, checksum, i) in &planted {
        let f = finding(&r, tok);
        assert_eq!(f["kind"], *kind, "{kind}");
        assert_eq!(f["checksum"], *checksum, "{kind}");
        let loc = &f["locations"][0];
        assert_eq!(loc["source"], "file");
        assert!(
            loc["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("f{i}.txt"))
        );
        assert_eq!(loc["line"], 2);
        assert_eq!(loc["column"], 12);
        assert_eq!(loc["offset"], 11 + 11);
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn clean_tree_exits_0_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", "nothing to see\n");
    patrol()
        .args(["scan", dir.path().to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no GitHub credentials found"));
}

#[test]
fn exit_code_is_configurable_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", format!("GH_TOKEN={}\n", mint("ghp")));
    patrol()
        .args(["scan", "--exit-code", "7", dir.path().to_str().unwrap()])
        .assert()
        .code(7);
    patrol().args(["scan", "--no-such-flag"]).assert().code(2);
    patrol()
        .args(["scan", "--rules", "/nonexistent/rules.toml", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rules.toml"));
}

#[test]
fn no_format_leaks_a_secret_without_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let tokens: Vec<String> = ["ghp", "github_pat", "ghs_stateless", "hex40", "ghs:bad"]
        .iter()
        .map(|k| mint(k))
        .collect();
    write(
        dir.path(),
        "leak.env",
        format!(
            "A={}\nB={}\nC={}\nGITHUB_TOKEN={}\nD={}\n",
            tokens[0], tokens[1], tokens[2], tokens[3], tokens[4]
        ),
    );
    // Also an encoded one, to cover the decoding path's output.
    fixture(dir.path(), "docker-config.json");
    let all = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = patrol()
            .args([
                "scan",
                "-f",
                format,
                "--color",
                "always",
                dir.path().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = all(&out);
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "{format} printed a full secret");
            // Not even the random part after the first four characters.
            assert!(
                !text.contains(&t[t.len() - 12..]),
                "{format} printed a secret's tail"
            );
        }
        assert!(text.contains("ghp_"), "{format} should still name the kind");
    }
    let out = patrol()
        .args([
            "scan",
            "-f",
            "json",
            "--show-secrets",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = all(&out);
    assert!(tokens.iter().all(|t| text.contains(t.as_str())));
}

#[test]
fn checksum_failures_follow_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    let bad_ghp = mint("ghp:bad");
    let bad_ghs = mint("ghs:bad");
    let bad_fg = mint("github_pat:bad");
    write(
        dir.path(),
        "a.txt",
        format!("{bad_ghp}\n{bad_ghs}\n{bad_fg}\n"),
    );
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    let found = secrets(&r);
    assert!(
        !found.contains(&bad_ghp),
        "a ghp_ failing its CRC is not a credential"
    );
    assert_eq!(finding(&r, &bad_ghs)["checksum"], "unverified");
    assert_eq!(finding(&r, &bad_fg)["checksum"], "unverified");
    assert_eq!(finding(&r, &bad_fg)["confidence"], "low");

    let (r, _) = json_report(&["scan", "--include-invalid", dir.path().to_str().unwrap()]);
    assert_eq!(finding(&r, &bad_ghp)["checksum"], "invalid");
    assert_eq!(finding(&r, &bad_ghp)["confidence"], "low");

    let (r, code) = json_report(&[
        "scan",
        "--min-confidence",
        "high",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(secrets(&r).is_empty());
}

#[test]
fn the_same_secret_in_many_places_is_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), "a/.env", format!("GHCR_TOKEN={tok}\n"));
    write(
        dir.path(),
        "b/deploy.sh",
        format!("echo {tok} | docker login ghcr.io -u me --password-stdin\n"),
    );
    write(
        dir.path(),
        "c/config.json",
        format!("{{\"a\": \"{tok}\", \"b\": \"{tok}\"}}"),
    );
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(r["findings"].as_array().unwrap().len(), 1);
    assert_eq!(finding(&r, &tok)["locations"].as_array().unwrap().len(), 4);
    assert_eq!(r["summary"]["locations"], 4);
}

#[test]
fn ignored_files_are_scanned_unless_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), ".gitignore", ".env\n");
    write(dir.path(), ".env", format!("GH_TOKEN={tok}\n"));
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![tok.clone()]);
    let (r, code) = json_report(&["scan", "--gitignore", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(secrets(&r).is_empty());
}

#[test]
fn patrolignore_and_exclude_leave_paths_out() {
    let dir = tempfile::tempdir().unwrap();
    let a = mint("ghp");
    let b = mint("gho");
    let c = mint("ghu");
    write(dir.path(), ".patrolignore", "vendor/\n");
    write(dir.path(), "vendor/lib.txt", &a);
    write(dir.path(), "docs/example.md", &b);
    write(dir.path(), "src/main.txt", &c);
    let (r, _) = json_report(&["scan", "--exclude", "docs/**", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![c]);
}

#[test]
fn git_internals_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".git/config",
        format!("url = https://x:{}@github.com/a/b\n", mint("ghp")),
    );
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
}

#[cfg(unix)]
#[test]
fn symlinks_are_followed_only_with_follow() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(outside.path(), "secret.txt", &tok);
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
    let (r, code) = json_report(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
    let (r, _) = json_report(&["scan", "--follow", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![tok]);
}

#[test]
fn binary_files_are_skipped_with_no_binary() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let mut blob = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    blob.extend_from_slice(tok.as_bytes());
    blob.extend_from_slice(&[0u8; 64]);
    write(dir.path(), "app.bin", &blob);
    // A 2 MiB one takes the memory-mapped path.
    let mut big = blob.clone();
    big.resize(2 << 20, 0);
    write(dir.path(), "big.bin", &big);
    let (r, code) = json_report(&["scan", "--no-binary", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["skipped_binary"], 2);
    let (r, _) = json_report(&["scan", "--binary", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![tok]);
    assert_eq!(
        finding(&r, &secrets(&r)[0])["locations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn max_file_size_skips_large_files_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "big.txt",
        format!("{}\n{}", "x".repeat(4096), mint("ghp")),
    );
    let (r, code) = json_report(&[
        "scan",
        "--max-file-size",
        "1K",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["skipped_large"], 1);
}

#[cfg(unix)]
#[test]
fn unreadable_inputs_are_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), "good.txt", &tok);
    std::os::unix::fs::symlink(dir.path().join("vanished"), dir.path().join("dangling")).unwrap();
    let missing = dir.path().join("missing-dir");
    let out = patrol()
        .args(["scan", "--follow", "-f", "json", "--show-secrets"])
        .arg(dir.path())
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings still decide the exit code"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dangling"), "{stderr}");
    assert!(stderr.contains("missing-dir"), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(secrets(&r), vec![tok]);
    assert_eq!(r["summary"]["errors"], 2);
    assert_eq!(r["errors"].as_array().unwrap().len(), 2);
}

#[test]
fn stdin_is_scanned_with_dash() {
    let tok = mint("github_pat");
    let out = patrol()
        .args(["scan", "-", "-f", "jsonl", "--show-secrets"])
        .write_stdin(format!("pasted in chat:\n\n  {tok}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["secret"], tok.as_str());
    assert_eq!(line["source"], "stdin");
    assert_eq!(line["path"], "-");
    assert_eq!(line["line"], 3);
    assert_eq!(line["column"], 3);
}

#[test]
fn huge_minified_line_with_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghu");
    let mut data = vec![0xC3u8, 0x28, 0xFF];
    data.extend(std::iter::repeat_n(b'x', 6 << 20));
    data.extend_from_slice(format!(";var t=\"{tok}\";").as_bytes());
    data.extend(std::iter::repeat_n(b'y', 6 << 20));
    write(dir.path(), "bundle.min.js", &data);
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    let f = finding(&r, &tok);
    assert_eq!(f["locations"][0]["line"], 1);
    assert_eq!(f["locations"][0]["offset"], 3 + (6 << 20) + 8);
}

#[test]
fn utf16_files_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let text = format!("line one\r\nGITHUB_TOKEN={tok}\r\n");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    write(dir.path(), "notes.txt", &bytes);
    let (r, _) = json_report(&["scan", dir.path().to_str().unwrap()]);
    let loc = &finding(&r, &tok)["locations"][0];
    assert_eq!(loc["line"], 2);
    assert_eq!(loc["decoded"], serde_json::json!(["utf-16le"]));
}

#[test]
fn output_file_and_text_summary() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", mint("ghp"));
    let out = dir.path().join("report.txt");
    patrol()
        .args(["scan", "-o"])
        .arg(&out)
        .arg(dir.path().join("a.txt"))
        .assert()
        .code(1)
        .stdout("");
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains("1 secret at 1 location"), "{text}");
    assert!(text.contains("personal access token (classic)"));
    assert!(!text.contains('\x1b'), "no colour in files");
}

#[test]
fn rules_lists_builtins_and_user_rules_are_used() {
    patrol()
        .arg("rules")
        .assert()
        .success()
        .stdout(predicate::str::contains("github-classic-pat"))
        .stdout(predicate::str::contains("github-credential-assignment"));
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "extra.toml",
        r#"
[[rule]]
id = "acme-deploy-key"
description = "ACME deploy key"
kind = "generic"
confidence = "high"
literals = ["ACMEKEY-"]
regex = 'ACMEKEY-[0-9a-f]{32}'
examples = ["ACMEKEY-9f3a9c01d4b7e8f6a5c3b2d1e0f9a8b7"]
counter_examples = ["ACMEKEY-short"]
"#,
    );
    write(
        dir.path(),
        "conf.txt",
        "key: ACMEKEY-9f3a9c01d4b7e8f6a5c3b2d1e0f9a8b7\n",
    );
    patrol()
        .args(["rules", "--rules"])
        .arg(&rules)
        .assert()
        .success()
        .stdout(predicate::str::contains("acme-deploy-key"));
    let (r, _) = json_report(&[
        "scan",
        "--rules",
        rules.to_str().unwrap(),
        dir.path().join("conf.txt").to_str().unwrap(),
    ]);
    assert_eq!(r["findings"][0]["rule"], "acme-deploy-key");
    let bad = write(dir.path(), "bad.toml", "[[rule]]\nid = \"x\"\nbogus = 1\n");
    patrol()
        .args(["rules", "--rules"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"));
}

/// Makes a FIFO at `path`.
#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// Runs `patrol ARGS -f json --show-secrets`, failing (not hanging) after a minute.
fn json_report_in_time(args: &[&str]) -> (serde_json::Value, i32) {
    let out = patrol()
        .args(args)
        .args(["-f", "json", "--show-secrets"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("patrol finished in time");
    assert!(
        out.status.code().is_some(),
        "patrol was killed by a signal: {:?}",
        out.status
    );
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap_or(-1))
}

/// `patrol scan` on a tree with a FIFO, a symlink to `/dev/zero`, and files truncated while
/// they are scanned finishes, finds the other tokens, and exits 1. FIFOs and devices are
/// skipped without being opened, and counted.
#[cfg(unix)]
#[test]
fn fifos_devices_and_files_truncated_during_the_scan_do_not_stop_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    write(dir.path(), "a.env", format!("GH_TOKEN={tok}\n"));
    mkfifo(&dir.path().join("pipe"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
    // Files in the size range that used to be memory-mapped, cut short and grown back over and
    // over while patrol reads them: the text before the cut holds a token.
    let mut live = Vec::new();
    let mut live_tokens = Vec::new();
    for i in 0..4 {
        let t = mint("gho");
        let head = format!("{}token={t}\n", "log line\n".repeat(1000));
        let p = write(dir.path(), &format!("live-{i}.log"), &head);
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(4 << 20).unwrap();
        live.push((f, head.len() as u64));
        live_tokens.push(t);
    }
    let stop = AtomicBool::new(false);
    /// Stops the truncating thread however the scope ends (a failed run panics).
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let (with_follow, without) = std::thread::scope(|s| {
        let _stop = Stop(&stop);
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for (f, head) in &live {
                    let _ = f.set_len(*head);
                    let _ = f.set_len(4 << 20);
                }
            }
        });
        let path = dir.path().to_str().unwrap();
        let without = json_report_in_time(&["scan", path]);
        let with_follow = json_report_in_time(&["scan", "--follow", path]);
        (with_follow, without)
    });
    for (r, code) in [&without, &with_follow] {
        assert_eq!(*code, 1, "{r}");
        let found = secrets(r);
        assert!(found.contains(&tok), "{found:?}");
        for t in &live_tokens {
            assert!(found.contains(t), "a truncated file's token is missing");
        }
    }
    // The FIFO; with --follow, /dev/zero too.
    assert_eq!(without.0["summary"]["skipped_special"], 1);
    assert_eq!(with_follow.0["summary"]["skipped_special"], 2);
}

/// A FIFO named on the command line is read as a stream (`patrol scan <(cmd)`).
#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let tok = mint("ghp");
    let writer = {
        let (fifo, tok) = (fifo.clone(), tok.clone());
        std::thread::spawn(move || std::fs::write(fifo, format!("x {tok}\n")))
    };
    let (r, code) = json_report_in_time(&["scan", fifo.to_str().unwrap()]);
    writer.join().unwrap().unwrap();
    assert_eq!(code, 1);
    assert_eq!(secrets(&r), vec![tok]);
    assert_eq!(r["summary"]["skipped_special"], 0);
}
