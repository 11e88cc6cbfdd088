//! Walking history: every commit reachable from the selected refs with every tree and blob it
//! holds (each tree entered once), or, for `--since`/`--range`, only what each commit of the
//! range introduced (its tree against its first parent's). Commits and trees are read from the
//! object database directly, so a missing or corrupt one is reported and walked around: the
//! rest of history is still scanned.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Odb, Oid, Repository, Sort};

use super::attribution::record_message;
use super::commits::{CommitGraph, read_commit, shallow_boundary};
use super::config::{config_change_notice, config_files_changed, resolve_range};
use super::content::BlobContent;
use super::objects::{raw_message, scan_blobs};
use super::refs::{RefObject, ref_tips};
use super::tree::{TreeCache, introduced_blobs, parse_entries};
use super::{BlobScan, GitError, GitOptions};
use crate::scan::Scanner;

pub(super) fn note_submodules(scanner: &Scanner) {
    scanner
        .diagnostics
        .note("submodules are not entered: scan each submodule's repository on its own");
}

/// Every blob reachable from the selected refs, scanned once; commit messages on the way.
pub(super) fn scan_reachable(
    scanner: &Scanner,
    content: &BlobContent,
    repo: &Repository,
    git_dir: &Path,
    opts: &GitOptions,
) -> Result<BlobScan, GitError> {
    let diag = scanner.diagnostics;
    let mut ref_objects = Vec::new();
    let tips = ref_tips(scanner, repo, opts, &mut ref_objects)?;
    let shallow = shallow_boundary(repo);
    let odb = repo.odb()?;
    let cache = TreeCache::new();
    let mut graph = CommitGraph::default();
    let mut unreadable: HashSet<Oid> = HashSet::new();
    let mut seen_trees = HashSet::new();
    let mut blobs = HashSet::new();
    let mut gitlinks = 0usize;
    let mut pending = tips.clone();
    while let Some(id) = pending.pop() {
        if graph.nodes.contains_key(&id) || unreadable.contains(&id) {
            continue;
        }
        let Some((mut node, raw)) = read_commit(scanner, &odb, id) else {
            unreadable.insert(id);
            continue;
        };
        record_message(scanner, repo, "commit-message", id, raw_message(raw.data()));
        if shallow.contains(&id) {
            node.parents.clear();
        }
        pending.extend(node.parents.iter().copied());
        let mut trees = vec![node.tree];
        graph.nodes.insert(id, node);
        while let Some(t) = trees.pop() {
            if !seen_trees.insert(t) {
                continue;
            }
            let obj = match odb.read(t) {
                Ok(o) => o,
                Err(e) => {
                    diag.problem(format!("tree {t}"), e.message().to_string());
                    unreadable.insert(t);
                    continue;
                }
            };
            cache.keep(t, obj.data());
            let parsed = parse_entries(obj.data(), |_, id, kind| match kind {
                ObjectType::Tree => trees.push(id),
                ObjectType::Blob => {
                    blobs.insert(id);
                }
                _ => gitlinks += 1,
            });
            if let Err(e) = parsed {
                diag.problem(format!("tree {t}"), e.to_string());
                unreadable.insert(t);
            }
        }
    }
    let named_by_refs = ref_named_blobs(scanner, &odb, ref_objects, &mut gitlinks);
    blobs.extend(named_by_refs.keys().copied());
    if gitlinks > 0 {
        note_submodules(scanner);
    }
    let hits_by_blob = scan_blobs(scanner, content, git_dir, blobs.into_iter().collect());
    Ok(BlobScan {
        hits_by_blob,
        attribution_tips: tips,
        graph,
        introduced_by: None,
        trees: cache.into_map(),
        unreadable,
        named_by_refs,
    })
}

/// The blobs that refs name instead of a commit, directly or in the tree they name, each with
/// the paths it is shown at: the ref's name (`refs/tags/t`), or `ref:path` inside its tree
/// (git's own `rev:path`). A tree that cannot be read is reported and walked around.
pub(super) fn ref_named_blobs(
    scanner: &Scanner,
    odb: &Odb,
    objects: Vec<RefObject>,
    gitlinks: &mut usize,
) -> HashMap<Oid, Vec<String>> {
    let mut named: HashMap<Oid, Vec<String>> = HashMap::new();
    for object in objects {
        if object.kind != ObjectType::Tree {
            named.entry(object.id).or_default().push(object.name);
            continue;
        }
        let name = &object.name;
        introduced_blobs(
            odb,
            None,
            object.id,
            &mut |blob, path| {
                named
                    .entry(blob)
                    .or_default()
                    .push(format!("{name}:{path}"))
            },
            &mut || *gitlinks += 1,
            &mut |tree, message| {
                scanner
                    .diagnostics
                    .problem(format!("{name}: tree {tree}"), message)
            },
        );
    }
    named
}

/// The commits of `A..B`, parents before children. libgit2's revision walk first (it stops
/// early on a long history); when it meets a missing or corrupt commit, the commits are read
/// one by one instead and every one that cannot be read is reported.
fn range_commits(
    scanner: &Scanner,
    repo: &Repository,
    odb: &Odb,
    range: &str,
    unreadable: &mut HashSet<Oid>,
) -> Result<Vec<Oid>, GitError> {
    let (from, to) = resolve_range(repo, range)?;
    let fast = (|| -> Result<Vec<Oid>, git2::Error> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        walk.push(to)?;
        walk.hide(from)?;
        walk.collect()
    })();
    if let Ok(commits) = fast {
        return Ok(commits);
    }
    let shallow = shallow_boundary(repo);
    let mut ancestors = |tips: Vec<Oid>, stop: &HashSet<Oid>| {
        let mut graph = CommitGraph::default();
        let mut pending = tips;
        while let Some(id) = pending.pop() {
            if stop.contains(&id) || graph.nodes.contains_key(&id) || unreadable.contains(&id) {
                continue;
            }
            match read_commit(scanner, odb, id) {
                Some((mut node, _)) => {
                    if shallow.contains(&id) {
                        node.parents.clear();
                    }
                    pending.extend(node.parents.iter().copied());
                    graph.nodes.insert(id, node);
                }
                None => {
                    unreadable.insert(id);
                }
            }
        }
        graph
    };
    let base: HashSet<Oid> = ancestors(vec![from], &HashSet::new())
        .nodes
        .into_keys()
        .collect();
    let range_graph = ancestors(vec![to], &base);
    Ok(range_graph.oldest_first(&[to]))
}

/// Notes the repository configuration files that the range changes (their version in the range
/// is not used: see [`super::config`]).
fn note_config_changes(scanner: &Scanner, repo: &Repository, range: &str) {
    let changed =
        resolve_range(repo, range).and_then(|(base, tip)| config_files_changed(repo, base, tip));
    match changed {
        Ok(changed) => {
            if let Some(notice) = config_change_notice(&changed) {
                scanner.diagnostics.note(&notice);
            }
        }
        Err(e) => scanner
            .diagnostics
            .problem("(repository configuration)", e.to_string()),
    }
}

/// Only what the commits of `A..B` introduced: each commit's tree against its first parent's.
pub(super) fn scan_range(
    scanner: &Scanner,
    content: &BlobContent,
    repo: &Repository,
    git_dir: &Path,
    range: &str,
) -> Result<BlobScan, GitError> {
    let odb = repo.odb()?;
    let mut unreadable = HashSet::new();
    let commits = range_commits(scanner, repo, &odb, range, &mut unreadable)?;
    note_config_changes(scanner, repo, range);
    scan_introduced(
        scanner,
        content,
        repo,
        git_dir,
        commits,
        unreadable,
        HashMap::new(),
    )
}

/// What each of `commits` (parents before children) introduced against its first parent:
/// its message and the blobs its tree adds, and the blobs `named_by_refs` (see
/// [`ref_named_blobs`]), each scanned once.
pub(super) fn scan_introduced(
    scanner: &Scanner,
    content: &BlobContent,
    repo: &Repository,
    git_dir: &Path,
    commits: Vec<Oid>,
    mut unreadable: HashSet<Oid>,
    named_by_refs: HashMap<Oid, Vec<String>>,
) -> Result<BlobScan, GitError> {
    let odb = repo.odb()?;
    let shallow = shallow_boundary(repo);
    let mut introduced_by: HashMap<(Oid, String), Oid> = HashMap::new();
    let mut blobs: HashSet<Oid> = named_by_refs.keys().copied().collect();
    let mut gitlinks = 0usize;
    for id in commits {
        if unreadable.contains(&id) {
            continue;
        }
        let Some((node, raw)) = read_commit(scanner, &odb, id) else {
            unreadable.insert(id);
            continue;
        };
        record_message(scanner, repo, "commit-message", id, raw_message(raw.data()));
        // A first parent that cannot be read is reported once, and everything in this
        // commit's tree counts as new.
        let parent_tree = match node.parents.first() {
            Some(&p) if !shallow.contains(&id) && !unreadable.contains(&p) => {
                match read_commit(scanner, &odb, p) {
                    Some((parent, _)) => Some(parent.tree),
                    None => {
                        unreadable.insert(p);
                        None
                    }
                }
            }
            _ => None,
        };
        introduced_blobs(
            &odb,
            parent_tree,
            node.tree,
            &mut |blob, path| {
                blobs.insert(blob);
                introduced_by.entry((blob, path)).or_insert(id);
            },
            &mut || gitlinks += 1,
            &mut |tree, message| {
                scanner
                    .diagnostics
                    .problem(format!("commit {id}: tree {tree}"), message)
            },
        );
    }
    if gitlinks > 0 {
        note_submodules(scanner);
    }
    let hits_by_blob = scan_blobs(scanner, content, git_dir, blobs.into_iter().collect());
    Ok(BlobScan {
        hits_by_blob,
        attribution_tips: Vec::new(),
        graph: CommitGraph::default(),
        introduced_by: Some(introduced_by),
        trees: HashMap::new(),
        unreadable: HashSet::new(),
        named_by_refs,
    })
}
