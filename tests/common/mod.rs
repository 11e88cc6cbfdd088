//! Shared test helpers: the binary, token minting, fixture filling and git; a stand-in for
//! GitHub's API ([`api`]); container images built byte for byte and a stand-in registry
//! ([`image`]).
#![allow(dead_code)]

pub mod api;
pub mod image;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use patrol::template::{Filled, Mint, fill};

pub fn patrol() -> Command {
    let mut cmd = Command::cargo_bin("patrol").expect("patrol binary");
    cmd.env_remove("NO_COLOR");
    cmd
}

/// A fresh token of the template kind (`ghp`, `github_pat`, `ghs:bad`, …).
pub fn mint(kind: &str) -> String {
    Mint::new().token(kind).expect("known template")
}

/// Writes `contents` at `dir/rel`, creating folders.
pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, contents).expect("write");
    p
}

/// Fills a template from `fixtures/` into `dir`, keeping its relative path.
pub fn fixture(dir: &Path, rel: &str) -> Filled {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    let text = std::fs::read_to_string(&src).expect("fixture");
    let filled = fill(&text, &mut Mint::new());
    write(dir, rel, &filled.bytes);
    filled
}

/// Runs `patrol ARGS` and parses its JSON report.
pub fn json_report(args: &[&str]) -> (serde_json::Value, i32) {
    let out = patrol()
        .args(args)
        .args(["-f", "json", "--show-secrets"])
        .output()
        .expect("run");
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, code)
}

/// The secrets of a JSON report (run with --show-secrets).
pub fn secrets(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["secret"].as_str().expect("secret").to_string())
        .collect()
}

/// The finding for `secret`.
pub fn finding<'a>(report: &'a serde_json::Value, secret: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["secret"] == secret)
        .unwrap_or_else(|| panic!("no finding for {}", &secret[..secret.len().min(8)]))
}

/// Runs git in `dir` isolated from the machine's and the user's configuration (no system
/// config, `HOME` is `dir`, no hooks, no signing), as Ada Lovelace; panics with git's error
/// when it fails. Returns its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// True when `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`, read whole.
pub fn all_files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
}
