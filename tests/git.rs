//! `patrol git`, `patrol staged` and the pre-commit hook, on real repositories made with the
//! git CLI in temp dirs.

mod common;

use std::path::Path;
use std::process::Command as Std;

use common::*;

/// Runs git in `dir` with a fixed identity and no user configuration; panics on failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_raw(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn git_raw(dir: &Path, args: &[&str]) -> std::process::Output {
    git_cmd(dir, args, false)
}

/// Git with a fixed identity and no user configuration; the repository's own hooks run only
/// when `hooks`.
fn git_cmd(dir: &Path, args: &[&str], hooks: bool) -> std::process::Output {
    let mut cmd = Std::new("git");
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "2024-05-01T12:00:00+02:00")
        .env("GIT_COMMITTER_DATE", "2024-05-01T12:00:00+02:00")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ]);
    if !hooks {
        cmd.args(["-c", "core.hooksPath="]);
    }
    cmd.args(args).output().expect("git runs")
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "README.md", "# demo\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "initial"]);
    dir
}

fn commit_file(dir: &Path, rel: &str, contents: &str, msg: &str) -> String {
    write(dir, rel, contents);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

fn git_report(dir: &Path, extra: &[&str]) -> (serde_json::Value, i32) {
    let mut args = vec!["git", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    json_report(&args)
}

#[test]
fn history_finds_deleted_branch_only_message_and_head_tokens_with_attribution() {
    let dir = repo();
    let d = dir.path();
    let deleted = mint("ghp");
    let added_in = commit_file(
        d,
        "config/.env",
        &format!("APP=1\nGH_TOKEN={deleted}\n"),
        "add env",
    );
    commit_file(d, "other.txt", "unrelated\n", "unrelated change");
    std::fs::remove_file(d.join("config/.env")).unwrap();
    git(d, &["commit", "-qam", "remove env"]);
    let at_head = mint("github_pat");
    let head_commit = commit_file(d, "src/lib.rs", &format!("// {at_head}\n"), "add lib");
    let in_message = mint("gho");
    git(
        d,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("debug: token {in_message}"),
        ],
    );
    git(d, &["checkout", "-qb", "feature"]);
    let on_branch = mint("ghu");
    commit_file(
        d,
        "feature.txt",
        &format!("t={on_branch}\n"),
        "feature work",
    );
    git(d, &["checkout", "-q", "main"]);

    let (r, code) = git_report(d, &[]);
    assert_eq!(code, 1);
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![
        deleted.clone(),
        at_head.clone(),
        in_message.clone(),
        on_branch.clone(),
    ];
    want.sort();
    assert_eq!(found, want);

    let loc = &finding(&r, &deleted)["locations"][0];
    assert_eq!(loc["source"], "git");
    assert_eq!(loc["path"], "config/.env");
    assert_eq!(loc["line"], 2);
    assert_eq!(loc["git"]["object"], "blob");
    assert_eq!(loc["git"]["commit"]["id"], added_in.as_str());
    assert_eq!(loc["git"]["commit"]["author"], "Ada Lovelace");
    assert_eq!(loc["git"]["commit"]["email"], "ada@example.com");
    assert_eq!(loc["git"]["commit"]["date"], "2024-05-01T12:00:00+02:00");
    assert_eq!(loc["git"]["commit"]["summary"], "add env");
    assert_eq!(loc["git"]["in_head"], false);

    let loc = &finding(&r, &at_head)["locations"][0];
    assert_eq!(loc["git"]["commit"]["id"], head_commit.as_str());
    assert_eq!(loc["git"]["in_head"], true);

    let loc = &finding(&r, &in_message)["locations"][0];
    assert_eq!(loc["git"]["object"], "commit-message");
    assert_eq!(loc["git"]["in_head"], true);

    let loc = &finding(&r, &on_branch)["locations"][0];
    assert_eq!(loc["git"]["in_head"], false);

    // --branch limits the refs.
    let (r, _) = git_report(d, &["--branch", "feature"]);
    assert!(secrets(&r).contains(&on_branch));
    let (r, _) = git_report(d, &["--branch", "main"]);
    assert!(!secrets(&r).contains(&on_branch));
}

#[test]
fn each_blob_is_scanned_once_and_reported_per_path() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    let body = format!("TOKEN={tok}\n");
    commit_file(d, "a/.env", &body, "a");
    commit_file(d, "b/.env", &body, "b (same blob)");
    let (r, _) = git_report(d, &[]);
    let f = finding(&r, &tok);
    let paths: Vec<&str> = f["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["a/.env", "b/.env"]);
    // Files: README.md and one .env blob (shared by both paths): two blobs, scanned once each.
    assert_eq!(
        r["summary"]["files"].as_u64().unwrap(),
        2 + 3,
        "2 blobs + 3 commit messages"
    );
}

#[test]
fn annotated_tag_messages_and_bare_repositories() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    git(
        d,
        &["tag", "-a", "v1.0", "-m", &format!("release, token {tok}")],
    );
    let bare = tempfile::tempdir().unwrap();
    git(
        bare.path(),
        &["clone", "-q", "--bare", d.to_str().unwrap(), "repo.git"],
    );
    let (r, _) = git_report(&bare.path().join("repo.git"), &[]);
    let loc = &finding(&r, &tok)["locations"][0];
    assert_eq!(loc["git"]["object"], "tag-message");
}

#[test]
fn dangling_commits_need_all_objects() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    commit_file(d, "oops.txt", &format!("{tok}\n"), "oops");
    git(d, &["reset", "-q", "--hard", "HEAD~1"]);
    git(d, &["reflog", "expire", "--expire=now", "--all"]);
    let (r, code) = git_report(d, &[]);
    assert_eq!(code, 0, "{r}");
    let (r, code) = git_report(d, &["--all-objects"]);
    assert_eq!(code, 1);
    let loc = &finding(&r, &tok)["locations"][0];
    assert_eq!(loc["path"], "oops.txt");
    assert_eq!(loc["git"]["commit"]["summary"], "oops");
    assert_eq!(loc["git"]["in_head"], false);
}

#[test]
fn since_scans_only_what_new_commits_introduced() {
    let dir = repo();
    let d = dir.path();
    let old = mint("ghp");
    let base = commit_file(d, "old.txt", &format!("{old}\n"), "old");
    let new = mint("gho");
    commit_file(d, "new.txt", &format!("{new}\n"), "new");
    let (r, _) = git_report(d, &["--since", &base]);
    assert_eq!(secrets(&r), vec![new.clone()]);
    let (r, _) = git_report(d, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(secrets(&r), vec![new]);
    patrol()
        .args(["git", d.to_str().unwrap(), "--since", "no-such-rev"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no-such-rev"));
}

#[test]
fn a_corrupt_object_is_reported_and_the_scan_goes_on() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    commit_file(d, "keep.txt", &format!("{tok}\n"), "keep");
    let victim = commit_file(
        d,
        "victim.txt",
        "some content that will be corrupted\n",
        "victim",
    );
    let blob = git(d, &["rev-parse", &format!("{victim}:victim.txt")]);
    let obj = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"this is not zlib data").unwrap();
    let out = patrol()
        .args(["git", d.to_str().unwrap(), "-f", "json", "--show-secrets"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(secrets(&r), vec![tok]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&blob),
        "the broken object is named: {stderr}"
    );
    assert!(r["summary"]["errors"].as_u64().unwrap() >= 1);
}

#[test]
fn hook_blocks_a_commit_that_adds_a_token_and_passes_a_clean_one() {
    let dir = repo();
    let d = dir.path();
    patrol().args(["hook", "install"]).arg(d).assert().success();
    assert!(is_hook(d));

    write(d, "clean.txt", "hello\n");
    git(d, &["add", "clean.txt"]);
    let out = git_raw_hooks(d, &["commit", "-qm", "clean"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let tok = mint("ghp");
    write(
        d,
        "deploy/.env.deploy",
        format!("GHCR_USERNAME=me\nGHCR_TOKEN={tok}\n"),
    );
    git(d, &["add", "deploy/.env.deploy"]);
    let out = git_raw_hooks(d, &["commit", "-qm", "leak"]);
    assert!(!out.status.success(), "the commit must be blocked");
    // Git sends a pre-commit hook's standard output to its standard error.
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("deploy/.env.deploy:2:12"), "{all}");
    assert!(
        all.contains("git restore --staged deploy/.env.deploy"),
        "{all}"
    );
    assert!(!all.contains(&tok), "no full secret in hook output");

    // `git commit -a` of a tracked file goes through a temporary index.
    git(d, &["reset", "-q"]);
    std::fs::remove_file(d.join("deploy/.env.deploy")).unwrap();
    write(d, "clean.txt", format!("hello\ntoken {}\n", mint("gho")));
    let out = git_raw_hooks(d, &["commit", "-qam", "sneaky"]);
    assert!(!out.status.success(), "commit -a must be blocked too");
}

#[test]
fn staged_reads_the_index_not_the_work_tree_and_only_added_lines() {
    let dir = repo();
    let d = dir.path();
    let existing = mint("ghp");
    commit_file(
        d,
        "notes.txt",
        &format!("{existing}\nline two\n"),
        "old token already committed",
    );

    // A new line elsewhere: the old token is not part of this commit.
    write(
        d,
        "notes.txt",
        format!("{existing}\nline two\nline three\n"),
    );
    git(d, &["add", "notes.txt"]);
    let (r, code) = json_report(&["staged", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");

    // Staged token, then removed from the work tree only: still blocked.
    let tok = mint("github_pat");
    write(d, "app.cfg", format!("token = {tok}\n"));
    git(d, &["add", "app.cfg"]);
    write(d, "app.cfg", "token = from-env\n");
    let (r, code) = json_report(&["staged", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    let loc = &finding(&r, &tok)["locations"][0];
    assert_eq!(loc["source"], "staged");
    assert_eq!(loc["path"], "app.cfg");

    // Token only in the work tree, not staged: nothing to block.
    git(d, &["add", "app.cfg"]);
    write(d, "app.cfg", format!("token = {}\n", mint("ghp")));
    let (_, code) = json_report(&["staged", d.to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn staged_in_a_repository_without_commits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let tok = mint("ghs");
    write(d, "first.txt", format!("{tok}\n"));
    git(d, &["add", "."]);
    let (r, code) = json_report(&["staged", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(secrets(&r), vec![tok]);
}

#[test]
fn hook_install_respects_foreign_hooks_and_hooks_path() {
    let dir = repo();
    let d = dir.path();
    let hook = d.join(".git/hooks/pre-commit");
    write(d, ".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    patrol().args(["hook", "install"]).arg(d).assert().code(2);
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    patrol().args(["hook", "uninstall"]).arg(d).assert().code(2);
    assert!(hook.exists(), "uninstall leaves a foreign hook alone");
    patrol()
        .args(["hook", "install", "--force"])
        .arg(d)
        .assert()
        .success();
    assert!(is_hook(d));
    patrol()
        .args(["hook", "uninstall"])
        .arg(d)
        .assert()
        .success();
    assert!(!hook.exists());

    git(d, &["config", "core.hooksPath", ".githooks"]);
    patrol().args(["hook", "install"]).arg(d).assert().success();
    assert!(d.join(".githooks/pre-commit").exists());
}

fn is_hook(d: &Path) -> bool {
    std::fs::read_to_string(d.join(".git/hooks/pre-commit"))
        .is_ok_and(|s| s.contains("patrol") && s.contains("staged"))
}

/// Like `git_raw` but with the repository's own hooks enabled.
fn git_raw_hooks(dir: &Path, args: &[&str]) -> std::process::Output {
    git_cmd(dir, args, true)
}

#[test]
fn worktrees_shallow_clones_submodules_and_lfs_pointers() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    commit_file(d, "old.txt", &format!("{tok}\n"), "old");
    commit_file(
        d,
        "lfs.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n",
        "lfs pointer",
    );
    let sub = repo();
    git(
        d,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            sub.path().to_str().unwrap(),
            "vendor/sub",
        ],
    );
    git(d, &["commit", "-qm", "add submodule"]);
    commit_file(d, "new.txt", "nothing\n", "new");

    let (r, _) = git_report(d, &[]);
    let notes = r["summary"]["notes"].to_string();
    assert!(notes.contains("submodules are not entered"), "{notes}");
    let (r, _) = git_report(d, &["--all-objects"]);
    assert_eq!(
        r["summary"]["errors"], 0,
        "a submodule is not a missing object: {r}"
    );
    assert!(
        r["summary"]["notes"]
            .to_string()
            .contains("submodules are not entered"),
        "{r}"
    );
    assert!(notes.contains("LFS pointer"), "{notes}");
    assert_eq!(secrets(&r), vec![tok.clone()]);

    // A linked worktree sees the same history.
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    git(d, &["worktree", "add", "-q", wt_path.to_str().unwrap()]);
    let (r, _) = git_report(&wt_path, &[]);
    assert_eq!(secrets(&r), vec![tok]);

    // A shallow clone is scanned, and says so.
    let shallow = tempfile::tempdir().unwrap();
    let url = format!("file://{}", d.display());
    git(shallow.path(), &["clone", "-q", "--depth", "1", &url, "s"]);
    let (r, _) = git_report(&shallow.path().join("s"), &[]);
    assert!(r["summary"]["notes"].to_string().contains("shallow"), "{r}");
    assert_eq!(
        r["summary"]["errors"], 0,
        "the shallow boundary is not a problem: {r}"
    );
    for extra in [&["--all-objects"][..], &["--since", "HEAD"][..]] {
        let (r, _) = git_report(&shallow.path().join("s"), extra);
        assert_eq!(r["summary"]["errors"], 0, "{extra:?}: {r}");
    }
}

#[test]
fn a_corrupt_tree_in_a_since_range_is_reported_and_the_range_goes_on() {
    let dir = repo();
    let d = dir.path();
    let base = git(d, &["rev-parse", "HEAD"]);
    let tok = mint("ghp");
    commit_file(d, "keep.txt", &format!("{tok}\n"), "keep");
    let broken = commit_file(d, "dir/other.txt", "fine\n", "broken tree");
    let tree = git(d, &["rev-parse", &format!("{broken}^{{tree}}")]);
    let obj = d.join(".git/objects").join(&tree[..2]).join(&tree[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"not zlib").unwrap();
    let out = patrol()
        .args([
            "git",
            d.to_str().unwrap(),
            "--since",
            &base,
            "-f",
            "json",
            "--show-secrets",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(secrets(&r), vec![tok]);
    assert!(stderr.contains(&broken), "the commit is named: {stderr}");
}

/// Makes a file in the object database writable (git writes objects read-only).
fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

/// The path of loose object `id` in repository `d`.
fn loose(d: &Path, id: &str) -> std::path::PathBuf {
    d.join(".git/objects").join(&id[..2]).join(&id[2..])
}

/// The pack and index files of repository `d`, after `git repack -ad`.
fn packed(d: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    git(d, &["repack", "-adq"]);
    let pack_dir = d.join(".git/objects/pack");
    let mut pack = None;
    let mut idx = None;
    for e in std::fs::read_dir(&pack_dir).unwrap() {
        let p = e.unwrap().path();
        match p.extension().and_then(|x| x.to_str()) {
            Some("pack") => pack = Some(p),
            Some("idx") => idx = Some(p),
            _ => {}
        }
    }
    (pack.expect("a pack"), idx.expect("an index"))
}

/// Runs `patrol git` on `d` with `extra`; the JSON report, the exit code and stderr.
fn git_run(d: &Path, extra: &[&str]) -> (serde_json::Value, i32, String) {
    let out = patrol()
        .args(["git", d.to_str().unwrap(), "-f", "json", "--show-secrets"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {stderr}"));
    (r, out.status.code().unwrap_or(-1), stderr)
}

fn errors(r: &serde_json::Value) -> u64 {
    r["summary"]["errors"].as_u64().unwrap()
}

/// History packed, then a commit made on top with loose objects: a token in HEAD's tree.
fn packed_history_with_token_at_head() -> (tempfile::TempDir, String, String) {
    let dir = repo();
    let d = dir.path();
    commit_file(d, "a.txt", "one\n", "one");
    let middle = commit_file(d, "b.txt", "two\n", "two");
    packed(d);
    let tok = mint("ghp");
    commit_file(d, "token.txt", &format!("{tok}\n"), "head");
    (dir, tok, middle)
}

#[test]
fn a_missing_commit_is_walked_around_and_heads_tree_is_scanned() {
    let dir = repo();
    let d = dir.path();
    let middle = commit_file(d, "a.txt", "one\n", "one");
    let tok = mint("ghp");
    commit_file(d, "token.txt", &format!("{tok}\n"), "head");
    std::fs::remove_file(loose(d, &middle)).unwrap();
    let (r, code, stderr) = git_run(d, &[]);
    assert_eq!(secrets(&r), vec![tok], "{stderr}");
    assert!(errors(&r) >= 1, "{stderr}");
    assert!(
        stderr.contains(&middle),
        "the missing commit is named: {stderr}"
    );
    assert_ne!(code, 0);
}

#[test]
fn a_clean_history_with_a_missing_commit_is_an_incomplete_scan() {
    let dir = repo();
    let d = dir.path();
    let middle = commit_file(d, "a.txt", "one\n", "one");
    commit_file(d, "b.txt", "two\n", "two");
    std::fs::remove_file(loose(d, &middle)).unwrap();
    let (r, code, stderr) = git_run(d, &[]);
    assert!(secrets(&r).is_empty());
    assert_eq!(code, 5, "{stderr}");
    // What is there was scanned: HEAD's message, README.md and b.txt at least.
    assert!(r["summary"]["files"].as_u64().unwrap() >= 3, "{r}");
    let (_, code, _) = git_run(d, &["--allow-incomplete"]);
    assert_eq!(code, 0);
}

#[test]
fn a_truncated_pack_is_walked_around_and_heads_tree_is_scanned() {
    let (dir, tok, _) = packed_history_with_token_at_head();
    let d = dir.path();
    for e in std::fs::read_dir(d.join(".git/objects/pack")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pack") {
            writable(&p);
            let len = std::fs::metadata(&p).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.set_len(len / 2).unwrap();
        }
    }
    let (r, code, stderr) = git_run(d, &[]);
    assert_eq!(secrets(&r), vec![tok], "{stderr}");
    assert!(errors(&r) >= 1, "{stderr}");
    assert_ne!(code, 0);
}

#[test]
fn a_missing_commit_inside_a_range_is_walked_around() {
    let dir = repo();
    let d = dir.path();
    let base = git(d, &["rev-parse", "HEAD"]);
    let early = mint("gho");
    let middle = commit_file(d, "early.txt", &format!("{early}\n"), "early");
    let tok = mint("ghp");
    commit_file(d, "token.txt", &format!("{tok}\n"), "head");
    std::fs::remove_file(loose(d, &middle)).unwrap();
    let (r, code, stderr) = git_run(d, &["--since", &base]);
    // The early token's blob is still there: HEAD's tree holds it, and with its commit
    // missing the next commit's whole tree counts as new.
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![early, tok];
    want.sort();
    assert_eq!(found, want, "{stderr}");
    assert!(
        stderr.contains(&middle),
        "the missing commit is named: {stderr}"
    );
    assert!(errors(&r) >= 1, "{stderr}");
    assert_ne!(code, 0);
}

#[test]
fn a_garbage_pack_index_is_walked_around_and_heads_tree_is_scanned() {
    let (dir, tok, _) = packed_history_with_token_at_head();
    let d = dir.path();
    let pack_dir = d.join(".git/objects/pack");
    for e in std::fs::read_dir(&pack_dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx") {
            writable(&p);
            std::fs::write(&p, vec![0x5a; 2000]).unwrap();
        }
    }
    let (r, code, stderr) = git_run(d, &[]);
    assert_eq!(secrets(&r), vec![tok], "{stderr}");
    assert!(errors(&r) >= 1, "{stderr}");
    assert_ne!(code, 0);
}

#[test]
fn all_objects_reports_missing_objects() {
    let dir = repo();
    let d = dir.path();
    let c = commit_file(d, "gone.txt", "soon missing\n", "gone");
    let blob = git(d, &["rev-parse", &format!("{c}:gone.txt")]);
    std::fs::remove_file(loose(d, &blob)).unwrap();
    let (r, code, stderr) = git_run(d, &[]);
    assert!(errors(&r) >= 1, "without --all-objects: {stderr}");
    assert_eq!(code, 5, "an incomplete scan: {stderr}");
    let (r, code, stderr) = git_run(d, &["--all-objects"]);
    assert!(errors(&r) >= 1, "with --all-objects: {stderr}");
    assert!(
        stderr.contains(&blob),
        "the missing blob is named: {stderr}"
    );
    assert_eq!(code, 5, "an incomplete scan: {stderr}");
}

#[test]
fn branch_scans_only_that_branch_not_head() {
    let dir = repo();
    let d = dir.path();
    git(d, &["branch", "quiet"]);
    let tok = mint("ghp");
    commit_file(d, "main.txt", &format!("{tok}\n"), "token on main");
    let (r, code) = git_report(d, &["--branch", "quiet"]);
    assert_eq!(secrets(&r), Vec::<String>::new());
    assert_eq!(code, 0);
    let (r, _) = git_report(d, &["--branch", "main"]);
    assert_eq!(secrets(&r), vec![tok]);
}

#[test]
fn staged_scans_files_marked_binary_or_no_diff_in_gitattributes() {
    let dir = repo();
    let d = dir.path();
    commit_file(
        d,
        ".gitattributes",
        "*.env binary\n*.cfg -diff\n",
        "attributes",
    );
    let a = mint("ghp");
    let b = mint("gho");
    write(d, "deploy.env", format!("GH_TOKEN={a}\n"));
    write(d, "app.cfg", format!("token = {b}\n"));
    git(d, &["add", "."]);
    let (r, code) = json_report(&["staged", d.to_str().unwrap()]);
    let mut found = secrets(&r);
    found.sort();
    let mut want = vec![a.clone(), b];
    want.sort();
    assert_eq!(found, want);
    assert_eq!(code, 1);

    // Once committed, a token already there is not new; one added to the file is.
    git(d, &["commit", "-qm", "tokens"]);
    let c = mint("ghu");
    write(d, "deploy.env", format!("GH_TOKEN={a}\nOTHER={c}\n"));
    git(d, &["add", "."]);
    let (r, code) = json_report(&["staged", d.to_str().unwrap()]);
    assert_eq!(secrets(&r), vec![c]);
    assert_eq!(code, 1);
}

#[test]
fn a_range_that_adds_a_submodule_does_not_read_it_as_a_blob() {
    let dir = repo();
    let d = dir.path();
    let base = git(d, &["rev-parse", "HEAD"]);
    let sub = repo();
    git(
        d,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            sub.path().to_str().unwrap(),
            "vendor/sub",
        ],
    );
    git(d, &["commit", "-qm", "add submodule"]);
    let (r, code, stderr) = git_run(d, &["--since", &base]);
    assert_eq!(errors(&r), 0, "{stderr}");
    assert_eq!(code, 0, "{stderr}");
    let notes = r["summary"]["notes"].to_string();
    assert!(notes.contains("submodules are not entered"), "{notes}");
}

/// The SHA-256 fingerprint of `secret`, as reports and allowlists write it.
fn fingerprint(secret: &str) -> String {
    patrol::finding::Secret::new(secret.as_bytes().to_vec()).fingerprint()
}

#[test]
fn a_range_cannot_switch_off_its_own_scan_with_repository_configuration() {
    let dir = repo();
    let d = dir.path();
    let base = git(d, &["rev-parse", "HEAD"]);
    let tok = mint("ghp");
    let fp = fingerprint(&tok);
    // The pull request adds a token and the configuration that would hide it.
    write(
        d,
        "patrol.toml",
        format!(
            "exclude = [\"**\"]\ndisabled_rules = [\"github-classic-pat\"]\n\
             placeholders = [\"ghp\", \"{}\"]\nallow = [\"{fp}\"]\n",
            &tok[4..12]
        ),
    );
    write(d, ".patrolallow", format!("{fp}\n"));
    write(d, ".patrolignore", "*\n");
    commit_file(d, "deploy.txt", &format!("{tok}\n"), "add deploy token");
    // Today's work tree hides it from a whole-history scan: the configuration is the repo's own.
    let (r, _) = git_report(d, &[]);
    assert!(secrets(&r).is_empty(), "{r}");
    for extra in [
        vec!["--since", base.as_str()],
        vec!["--range", &format!("{base}..HEAD")],
    ] {
        let (r, code, stderr) = git_run(d, &extra);
        assert_eq!(secrets(&r), vec![tok.clone()], "{extra:?}: {stderr}");
        assert_eq!(code, 1, "{stderr}");
        let notes = r["summary"]["notes"].to_string();
        for name in ["patrol.toml", ".patrolallow", ".patrolignore"] {
            assert!(notes.contains(name), "{extra:?}: {notes}");
        }
        assert!(
            notes.contains("repository configuration changed"),
            "{notes}"
        );
    }
}

#[test]
fn a_range_is_scanned_with_the_base_revisions_configuration() {
    let dir = repo();
    let d = dir.path();
    let old = mint("ghp");
    // The base allows one known token by fingerprint; the range adds it again elsewhere.
    commit_file(
        d,
        ".patrolallow",
        &format!("{}\n", fingerprint(&old)),
        "allow a known test token",
    );
    let base = git(d, &["rev-parse", "HEAD"]);
    let new = mint("gho");
    commit_file(d, "a.txt", &format!("{old}\n{new}\n"), "tokens");
    let (r, code, stderr) = git_run(d, &["--since", &base]);
    assert_eq!(secrets(&r), vec![new], "{stderr}");
    assert_eq!(code, 1);
    assert!(
        !r["summary"]["notes"]
            .to_string()
            .contains("repository configuration changed"),
        "{r}"
    );
}

#[test]
fn no_repo_config_ignores_the_repositorys_own_configuration() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    write(d, "patrol.toml", "exclude = [\"secret/**\"]\n");
    write(d, ".patrolallow", format!("{}\n", fingerprint(&tok)));
    write(d, ".patrolignore", "secret/\n");
    commit_file(d, "secret/t.txt", &format!("{tok}\n"), "token and config");
    let path = d.to_str().unwrap();
    for cmd in [vec!["git", path], vec!["scan", path]] {
        let (r, _) = json_report(&cmd);
        assert!(secrets(&r).is_empty(), "{cmd:?} honours the config: {r}");
        let mut with = cmd.clone();
        with.push("--no-repo-config");
        let (r, code) = json_report(&with);
        assert_eq!(secrets(&r), vec![tok.clone()], "{with:?}");
        assert_eq!(code, 1);
    }
    // staged: a new token in an allowed... file the configuration excludes.
    let staged_tok = mint("gho");
    write(d, ".patrolallow", format!("{}\n", fingerprint(&staged_tok)));
    git(d, &["add", ".patrolallow"]);
    git(d, &["commit", "-qm", "allow"]);
    write(d, "secret/u.txt", format!("{staged_tok}\n"));
    git(d, &["add", "secret/u.txt"]);
    let (r, code) = json_report(&["staged", path]);
    assert!(secrets(&r).is_empty(), "{r}");
    assert_eq!(code, 0);
    let (r, code) = json_report(&["staged", path, "--no-repo-config"]);
    assert_eq!(secrets(&r), vec![staged_tok]);
    assert_eq!(code, 1);
}

#[test]
fn a_detached_head_on_a_missing_commit_is_a_problem() {
    let dir = repo();
    let d = dir.path();
    let tok = mint("ghp");
    let head = commit_file(d, "t.txt", &format!("{tok}\n"), "token");
    git(d, &["checkout", "-q", "--detach"]);
    git(d, &["branch", "-q", "-f", "main", "HEAD~1"]);
    std::fs::remove_file(loose(d, &head)).unwrap();
    let (r, code, stderr) = git_run(d, &[]);
    assert!(stderr.contains("HEAD"), "{stderr}");
    assert!(errors(&r) >= 1, "{stderr}");
    assert_eq!(code, 5, "{stderr}");
}

#[test]
fn refs_that_name_a_blob_or_a_tree_are_scanned_and_located_by_the_ref() {
    let dir = repo();
    let d = dir.path();
    let (in_blob, in_tree, in_tagged) = (mint("ghp"), mint("gho"), mint("ghu"));
    // Objects no commit holds: a blob and a tree written straight into the object database.
    write(d, "loose.txt", format!("token {in_blob}\n"));
    let blob = git(d, &["hash-object", "-w", "loose.txt"]);
    git(d, &["tag", "file-version", &blob]);
    write(d, "sub/conf.env", format!("GITHUB_TOKEN={in_tree}\n"));
    git(d, &["add", "sub/conf.env"]);
    let tree = git(d, &["write-tree", "--prefix=sub/"]);
    git(d, &["tag", "tree-version", &tree]);
    write(d, "other.txt", format!("t {in_tagged}\n"));
    let other = git(d, &["hash-object", "-w", "other.txt"]);
    git(
        d,
        &["tag", "-a", "-m", "annotated", "annotated-blob", &other],
    );
    git(d, &["rm", "-q", "--cached", "sub/conf.env"]);
    std::fs::remove_dir_all(d.join("sub")).unwrap();
    std::fs::remove_file(d.join("loose.txt")).unwrap();
    std::fs::remove_file(d.join("other.txt")).unwrap();
    let (r, code) = git_report(d, &[]);
    assert_eq!(code, 1, "{r}");
    let place = |secret: &str| {
        let l = &finding(&r, secret)["locations"][0];
        (
            l["path"].as_str().unwrap().to_string(),
            l["git"]["id"].clone(),
        )
    };
    assert_eq!(place(&in_blob).0, "refs/tags/file-version", "{r}");
    assert_eq!(place(&in_blob).1, blob.as_str());
    assert_eq!(place(&in_tree).0, "refs/tags/tree-version:conf.env", "{r}");
    assert_eq!(place(&in_tagged).0, "refs/tags/annotated-blob", "{r}");
    assert!(!r["errors"].to_string().contains("peeled"), "{r}");
    // --all-objects names them by their refs too.
    let (r, _) = git_report(d, &["--all-objects"]);
    let l = &finding(&r, &in_tree)["locations"][0];
    assert_eq!(l["path"], "refs/tags/tree-version:conf.env", "{r}");
}
