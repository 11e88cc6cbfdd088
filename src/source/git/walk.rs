//! Walking history: every commit reachable from the selected refs with every tree and blob it
//! holds (each tree entered once), or, for `--since`/`--range`, only what each commit of the
//! range introduced (its diff against its first parent).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Sort};

use super::attribution::record_message;
use super::objects::scan_blobs;
use super::refs::ref_tips;
use super::tree::{TreeCache, parse_entries};
use super::{BlobScan, GitError, GitOptions};
use crate::scan::Scanner;

/// Every blob reachable from the selected refs, scanned once; commit messages on the way.
pub(super) fn scan_reachable(
    scanner: &Scanner,
    repo: &Repository,
    git_dir: &Path,
    opts: &GitOptions,
) -> Result<BlobScan, GitError> {
    let diag = scanner.diagnostics;
    let tips = ref_tips(scanner, repo, opts)?;
    let mut walk = repo.revwalk()?;
    for t in &tips {
        walk.push(*t)?;
    }
    let odb = repo.odb()?;
    let cache = TreeCache::new();
    let mut seen_trees = HashSet::new();
    let mut blobs = HashSet::new();
    let mut gitlinks = 0usize;
    for oid in walk {
        let commit = match oid.and_then(|o| repo.find_commit(o)) {
            Ok(c) => c,
            Err(e) => {
                diag.problem("(history)", e.message().to_string());
                continue;
            }
        };
        record_message(
            scanner,
            repo,
            "commit-message",
            commit.id(),
            commit.message_bytes(),
        );
        let mut stack = vec![commit.tree_id()];
        while let Some(t) = stack.pop() {
            if !seen_trees.insert(t) {
                continue;
            }
            let obj = match odb.read(t) {
                Ok(o) => o,
                Err(e) => {
                    diag.problem(format!("tree {t}"), e.message().to_string());
                    continue;
                }
            };
            cache.keep(t, obj.data());
            let parsed = parse_entries(obj.data(), |_, id, kind| match kind {
                ObjectType::Tree => stack.push(id),
                ObjectType::Blob => {
                    blobs.insert(id);
                }
                _ => gitlinks += 1,
            });
            if let Err(e) = parsed {
                diag.problem(format!("tree {t}"), e.to_string());
            }
        }
    }
    if gitlinks > 0 {
        note_submodules(scanner);
    }
    let hits_by_blob = scan_blobs(scanner, git_dir, blobs.into_iter().collect());
    Ok(BlobScan {
        hits_by_blob,
        attribution_tips: tips,
        introduced_by: None,
        trees: cache.into_map(),
    })
}

fn note_submodules(scanner: &Scanner) {
    scanner
        .diagnostics
        .note("submodules are not entered: scan each submodule's repository on its own");
}

/// Only what the commits of `A..B` introduced: each commit's diff against its first parent.
pub(super) fn scan_range(
    scanner: &Scanner,
    repo: &Repository,
    git_dir: &Path,
    range: &str,
) -> Result<BlobScan, GitError> {
    let bad = |e: git2::Error| GitError::Revision {
        rev: range.to_string(),
        message: e.message().to_string(),
    };
    let mut walk = repo.revwalk()?;
    walk.push_range(range).map_err(bad)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut introduced_by: HashMap<(Oid, String), Oid> = HashMap::new();
    let mut blobs = HashSet::new();
    let mut commits = Vec::new();
    for oid in walk {
        // A missing or corrupt object is reported with its id; the other commits go on.
        let commit = match oid.and_then(|o| repo.find_commit(o)) {
            Ok(c) => c,
            Err(e) => {
                scanner
                    .diagnostics
                    .problem("(history)", e.message().to_string());
                continue;
            }
        };
        commits.push(commit.id());
        record_message(
            scanner,
            repo,
            "commit-message",
            commit.id(),
            commit.message_bytes(),
        );
        let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
        let diff = commit
            .tree()
            .and_then(|tree| repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None));
        let diff = match diff {
            Ok(d) => d,
            Err(e) => {
                scanner
                    .diagnostics
                    .problem(format!("commit {}", commit.id()), e.message().to_string());
                continue;
            }
        };
        for delta in diff.deltas() {
            let new = delta.new_file();
            if new.id().is_zero()
                || !matches!(
                    delta.status(),
                    git2::Delta::Added
                        | git2::Delta::Modified
                        | git2::Delta::Renamed
                        | git2::Delta::Copied
                        | git2::Delta::Typechange
                )
            {
                continue;
            }
            let Some(path) = new.path() else { continue };
            blobs.insert(new.id());
            introduced_by
                .entry((new.id(), path.to_string_lossy().into_owned()))
                .or_insert(commit.id());
        }
    }
    let hits_by_blob = scan_blobs(scanner, git_dir, blobs.into_iter().collect());
    Ok(BlobScan {
        hits_by_blob,
        attribution_tips: commits,
        introduced_by: Some(introduced_by),
        trees: HashMap::new(),
    })
}
