//! Build script: the commit and build date that `patrol --version` prints.
//!
//! The commit is `PATROL_BUILD_COMMIT` when set (the container build, which has no `.git`), else
//! comes from the `.cargo_vcs_info.json` cargo writes into a published crate (so
//! `cargo install patrol` names the commit it was packaged from), else from `git rev-parse` when
//! the source is a git checkout whose top level is this crate, else "unknown". The date is
//! `SOURCE_DATE_EPOCH` when set (reproducible builds), else today, in UTC.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

// The crate's own RFC 3339 formatting (std only), shared rather than written twice.
#[allow(dead_code)]
#[path = "src/time.rs"]
mod time;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest_dir);
    let commit = std::env::var("PATROL_BUILD_COMMIT")
        .ok()
        .map(|sha| sha.trim().chars().take(12).collect::<String>())
        .filter(|sha| sha.len() == 12 && sha.chars().all(|c| c.is_ascii_hexdigit()))
        .or_else(|| commit_of(dir))
        .unwrap_or_else(|| "unknown".into());
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=PATROL_COMMIT={commit}");
    println!("cargo:rustc-env=PATROL_BUILD_DATE={}", date(epoch));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=PATROL_BUILD_COMMIT");
    for watched in watched_files(dir) {
        println!("cargo:rerun-if-changed={watched}");
    }
}

/// The abbreviated (12 hex digits) commit the source in `dir` was taken from, if known.
pub fn commit_of(dir: &Path) -> Option<String> {
    vcs_info_commit(dir).or_else(|| git_commit(dir))
}

/// `git.sha1` of `.cargo_vcs_info.json`, present only in a crate made by `cargo package`.
fn vcs_info_commit(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let at = text.find("\"sha1\"")?;
    let rest = &text[at + "\"sha1\"".len()..];
    let start = rest.find('"')? + 1;
    let sha: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 12).then(|| sha[..12].to_string())
}

/// HEAD of the git checkout whose top level is `dir` (not of some repository above it, such as
/// a home directory kept in git while cargo unpacks a crate under it).
fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = std::fs::canonicalize(&top).ok()? == std::fs::canonicalize(dir).ok()?;
    if !same {
        return None;
    }
    let sha = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    sha.chars().all(|c| c.is_ascii_hexdigit()).then_some(sha)
}

/// The files whose change moves HEAD: HEAD itself, the branch it points to, packed refs.
fn watched_files(dir: &Path) -> Vec<String> {
    let mut paths = vec![".cargo_vcs_info.json".to_string()];
    if git_commit(dir).is_some() {
        paths.push(git(dir, &["rev-parse", "--git-path", "HEAD"]).unwrap_or_default());
        paths.push(git(dir, &["rev-parse", "--git-path", "packed-refs"]).unwrap_or_default());
        if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            paths.push(git(dir, &["rev-parse", "--git-path", &branch]).unwrap_or_default());
        }
    }
    paths
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| dir.join(p).to_string_lossy().into_owned())
        .filter(|p| Path::new(p).exists())
        .collect()
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// `YYYY-MM-DD` of a Unix time, in UTC.
pub fn date(epoch_secs: u64) -> String {
    let mut text = time::rfc3339(i64::try_from(epoch_secs).unwrap_or(0), 0);
    text.truncate("YYYY-MM-DD".len());
    text
}
