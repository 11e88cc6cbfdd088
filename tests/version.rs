//! `patrol --version` names the version, the commit and the build date; build.rs finds the
//! commit in a git checkout, in the `.cargo_vcs_info.json` of a packaged crate, or says
//! "unknown".

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

/// `patrol 0.1.0 (commit 1a2b3c4d5e6f, built 2026-11-26)`, split into its three values.
fn parse(line: &str) -> (String, String, String) {
    let rest = line.strip_prefix("patrol ").expect("starts with the name");
    let (version, rest) = rest.split_once(" (commit ").expect("commit");
    let (commit, rest) = rest.split_once(", built ").expect("build date");
    let date = rest.strip_suffix(')').expect("closing parenthesis");
    (version.into(), commit.into(), date.into())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn version_names_the_version_the_commit_and_the_build_date() {
    let out = patrol().arg("--version").output().expect("run");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).expect("utf-8");
    let (version, commit, date) = parse(line.trim_end());
    assert_eq!(version, env!("CARGO_PKG_VERSION"));

    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected = build_script::commit_of(here).unwrap_or_else(|| "unknown".into());
    assert_eq!(commit, expected);
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );

    let bytes = date.as_bytes();
    assert_eq!(bytes.len(), 10, "{date}");
    assert!(date[..4].parse::<u32>().expect("year") >= 2024, "{date}");
    assert!(
        (1..=12).contains(&date[5..7].parse::<u32>().expect("month")),
        "{date}"
    );
    assert!(
        (1..=31).contains(&date[8..].parse::<u32>().expect("day")),
        "{date}"
    );
    assert_eq!((bytes[4], bytes[7]), (b'-', b'-'), "{date}");
}

#[test]
fn a_git_checkout_gives_its_head() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    git(dir, &["init", "-q"]);
    std::fs::write(dir.join("Cargo.toml"), "[package]\n").expect("write");
    git(dir, &["add", "."]);
    git(
        dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "one",
        ],
    );
    let head = git(dir, &["rev-parse", "HEAD"]);
    assert_eq!(build_script::commit_of(dir), Some(head[..12].to_string()));

    // A crate unpacked inside someone else's repository is not that repository's commit.
    let nested = dir.join("registry/patrol-0.1.0");
    std::fs::create_dir_all(&nested).expect("mkdir");
    assert_eq!(build_script::commit_of(&nested), None);
}

#[test]
fn a_packaged_crate_gives_the_commit_it_was_packaged_from() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sha = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(
        tmp.path().join(".cargo_vcs_info.json"),
        format!("{{\n  \"git\": {{\n    \"sha1\": \"{sha}\"\n  }},\n  \"path_in_vcs\": \"\"\n}}\n"),
    )
    .expect("write");
    assert_eq!(
        build_script::commit_of(tmp.path()),
        Some(sha[..12].to_string())
    );
}

#[test]
fn no_git_and_no_vcs_info_is_unknown() {
    let tmp = tempfile::tempdir().expect("tempdir");
    assert_eq!(build_script::commit_of(tmp.path()), None);
}

#[test]
fn build_dates_are_utc_calendar_days() {
    assert_eq!(build_script::date(0), "1970-01-01");
    assert_eq!(build_script::date(1_795_996_799), "2026-11-29");
    assert_eq!(build_script::date(951_782_400), "2000-02-29");
}
