//! scripts/action-release.sh: which release the GitHub Action runs, from its `version` input and
//! the ref it was used at (a release tag, a moving major tag, a release commit, or a branch that
//! has no release and is built from source). The tag lookup for a commit runs `git ls-remote`
//! against a real repository made here.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
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

/// Runs the script as action.yml does, the Action checked out at `action` (its Cargo.toml says
/// 0.1.0) and hosted under `server`; returns what it wrote to GITHUB_OUTPUT.
fn choose(
    server: &Path,
    action: &Path,
    version: &str,
    action_ref: &str,
) -> HashMap<String, String> {
    std::fs::write(
        action.join("Cargo.toml"),
        "[package]\nname = \"patrol\"\nversion = \"0.1.0\"\n",
    )
    .expect("write Cargo.toml");
    let output = action.join("github-output");
    let _ = std::fs::remove_file(&output);
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action-release.sh"))
        .env("VERSION", version)
        .env("ACTION_REF", action_ref)
        .env("ACTION_REPOSITORY", "acme/patrol")
        .env("GITHUB_ACTION_PATH", action)
        .env("GITHUB_SERVER_URL", server)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TOOL_CACHE", "/cache")
        .env("RUNNER_TEMP", "/temp")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&output)
        .expect("GITHUB_OUTPUT written")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The Action's repository with a release commit tagged v0.1.0 (annotated) and a later
/// unreleased commit; returns (server, release commit, unreleased commit).
fn hosted_action() -> (tempfile::TempDir, String, String) {
    let server = tempfile::tempdir().expect("tempdir");
    let repo = server.path().join("acme/patrol");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    git(
        &repo,
        &["commit", "-q", "--allow-empty", "-m", "release 0.1.0"],
    );
    git(&repo, &["tag", "-a", "v0.1.0", "-m", "v0.1.0"]);
    let released = git(&repo, &["rev-parse", "HEAD"]);
    git(
        &repo,
        &["commit", "-q", "--allow-empty", "-m", "after the release"],
    );
    let unreleased = git(&repo, &["rev-parse", "HEAD"]);
    (server, released, unreleased)
}

#[test]
fn a_release_tag_runs_that_release_from_the_tool_cache() {
    let action = tempfile::tempdir().expect("tempdir");
    let out = choose(action.path(), action.path(), "", "v1.2.3");
    assert_eq!(out["version"], "v1.2.3");
    assert_eq!(out["dir"], "/cache/patrol/v1.2.3/Linux-X64");
}

#[test]
fn a_moving_major_or_minor_tag_runs_the_release_it_points_at() {
    let action = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        choose(action.path(), action.path(), "", "v0")["version"],
        "v0.1.0"
    );
    assert_eq!(
        choose(action.path(), action.path(), "", "v0.1")["version"],
        "v0.1.0"
    );
    // A tag whose number is not the checkout's version names no release.
    assert_eq!(
        choose(action.path(), action.path(), "", "v1")["version"],
        ""
    );
    assert_eq!(
        choose(action.path(), action.path(), "", "v0.2")["version"],
        ""
    );
}

#[test]
fn a_branch_has_no_release_and_is_built_from_source() {
    let action = tempfile::tempdir().expect("tempdir");
    for action_ref in ["main", "", "release/v0.1.0"] {
        let out = choose(action.path(), action.path(), "", action_ref);
        assert_eq!(out["version"], "", "{action_ref}");
        assert_eq!(out["dir"], "/temp/patrol-source", "{action_ref}");
    }
}

#[test]
fn the_version_input_pins_another_release() {
    let action = tempfile::tempdir().expect("tempdir");
    let out = choose(action.path(), action.path(), "v0.0.9", "main");
    assert_eq!(out["version"], "v0.0.9");
    assert_eq!(out["dir"], "/cache/patrol/v0.0.9/Linux-X64");
}

#[test]
fn a_commit_pin_runs_a_release_only_at_the_tagged_commit() {
    let (server, released, unreleased) = hosted_action();
    let action = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        choose(server.path(), action.path(), "", &released)["version"],
        "v0.1.0"
    );
    assert_eq!(
        choose(server.path(), action.path(), "", &unreleased)["version"],
        ""
    );
    // An unreachable repository is no release, not a failure.
    let nowhere = action.path().join("nowhere");
    assert_eq!(
        choose(&nowhere, action.path(), "", &released)["version"],
        ""
    );
}
