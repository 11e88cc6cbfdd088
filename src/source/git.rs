//! Git history. Every blob reachable from every ref (branches, tags, remote-tracking refs, stash,
//! notes) is scanned exactly once, deduplicated by id, in parallel (one `git2::Repository` per
//! worker); commit and annotated-tag messages are scanned too. `--all-objects` reads the object
//! database itself, so objects no ref reaches (a force-push's or an amend's leftovers) are found.
//!
//! Only blobs with hits are attributed afterwards: one oldest-first walk finds, for each
//! (blob, path), the earliest commit that introduced it, so a clean history costs one pass.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository, Sort};
use rayon::prelude::*;

use crate::finding::{CommitInfo, GitContext, Location, SourceKind};
use crate::scan::Scanner;
use crate::source::reader::Located;

#[derive(Debug, Clone, Default)]
pub struct GitOptions {
    /// Scan every object in the object database, reachable or not.
    pub all_objects: bool,
    /// Limit the refs to these branches (short or full names).
    pub branches: Vec<String>,
    /// Scan only what `REV..HEAD` introduced.
    pub since: Option<String>,
    /// Scan only what the commits of `A..B` introduced.
    pub range: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path}: not a git repository: {message}")]
    Open { path: String, message: String },
    #[error("bad revision {rev:?}: {message}")]
    Revision { rev: String, message: String },
    #[error("no ref matches --branch {0:?}")]
    NoBranch(String),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// Opens the repository at or above `path` (work tree, bare repository or linked worktree).
pub fn open(path: &Path) -> Result<Repository, GitError> {
    Repository::discover(path).map_err(|e| GitError::Open {
        path: path.display().to_string(),
        message: e.message().to_string(),
    })
}

/// Git LFS pointer files hold no content worth scanning.
fn is_lfs_pointer(data: &[u8]) -> bool {
    data.len() < 1024 && data.starts_with(b"version https://git-lfs.github.com/spec/")
}

/// What the history scan found before attribution.
struct Pass {
    /// Hits per blob.
    blob_hits: HashMap<Oid, Vec<Located>>,
    /// Commits whose history the attribution walk starts from.
    tips: Vec<Oid>,
    /// (blob, path) → introducing commit, when the scan already knows it (range mode).
    known: Option<HashMap<(Oid, String), Oid>>,
    /// Raw trees read by the scan, kept for the attribution walk.
    trees: HashMap<Oid, Box<[u8]>>,
}

/// Raw tree objects kept from the scan for the attribution walk, within a memory budget
/// (beyond it the walk reads trees again through libgit2).
struct TreeCache {
    map: Mutex<HashMap<Oid, Box<[u8]>>>,
    left: std::sync::atomic::AtomicUsize,
}

impl TreeCache {
    const BUDGET: usize = 192 << 20;

    fn new() -> TreeCache {
        TreeCache {
            map: Mutex::new(HashMap::new()),
            left: std::sync::atomic::AtomicUsize::new(Self::BUDGET),
        }
    }

    fn keep(&self, oid: Oid, raw: &[u8]) {
        use std::sync::atomic::Ordering::Relaxed;
        let cost = raw.len() + 64;
        if self
            .left
            .fetch_update(Relaxed, Relaxed, |l| l.checked_sub(cost))
            .is_ok()
        {
            self.map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(oid, raw.into());
        }
    }

    fn into_map(self) -> HashMap<Oid, Box<[u8]>> {
        self.map.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// Calls `f(name, id, kind)` for each entry of a raw tree object; false if it is malformed.
/// Public for the `git_tree` fuzz target (`fuzz/`): keep a public parse function of raw trees.
pub fn tree_entries(raw: &[u8], mut f: impl FnMut(&[u8], Oid, ObjectType)) -> bool {
    let mut i = 0;
    while i < raw.len() {
        let Some(sp) = memchr::memchr(b' ', &raw[i..]) else {
            return false;
        };
        let mode = &raw[i..i + sp];
        let name_start = i + sp + 1;
        let Some(nul) = memchr::memchr(0, &raw[name_start..]) else {
            return false;
        };
        let id_start = name_start + nul + 1;
        let Some(id) = raw
            .get(id_start..id_start + 20)
            .and_then(|b| Oid::from_bytes(b).ok())
        else {
            return false;
        };
        let kind = match mode {
            b"40000" => ObjectType::Tree,
            b"160000" => ObjectType::Commit,
            _ => ObjectType::Blob,
        };
        f(&raw[name_start..name_start + nul], id, kind);
        i = id_start + 20;
    }
    true
}

/// The entries of tree `oid`, from the cache or the repository.
fn with_tree(
    repo: &Repository,
    cache: &HashMap<Oid, Box<[u8]>>,
    oid: Oid,
    f: impl FnMut(&[u8], Oid, ObjectType),
) -> Result<(), git2::Error> {
    let ok = match cache.get(&oid) {
        Some(raw) => tree_entries(raw, f),
        None => tree_entries(repo.odb()?.read(oid)?.data(), f),
    };
    if ok {
        Ok(())
    } else {
        Err(git2::Error::from_str("malformed tree object"))
    }
}

/// libgit2 settings for reading every object once: no SHA-1 re-verification of each object
/// read (as `git cat-file`; corruption still fails inflation and is reported) and no object
/// cache (nothing is read twice, so it only costs allocations and locks).
fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::strict_hash_verification(false);
        git2::opts::enable_caching(false);
    });
}

pub fn scan_history(scanner: &Scanner, path: &Path, opts: &GitOptions) -> Result<(), GitError> {
    tune_libgit2();
    let repo = open(path)?;
    let diag = scanner.diagnostics;
    if repo.is_shallow() {
        diag.note("shallow clone: history before the shallow boundary is not in this repository and was not scanned");
    }
    let git_dir = repo.path().to_path_buf();
    let pass = if let Some(range) = range_of(opts) {
        scan_range(scanner, &repo, &git_dir, &range)?
    } else if opts.all_objects {
        scan_all_objects(scanner, &repo, &git_dir)?
    } else {
        scan_reachable(scanner, &repo, &git_dir, opts)?
    };
    attribute_and_record(scanner, &repo, pass)
}

fn range_of(opts: &GitOptions) -> Option<String> {
    opts.range
        .clone()
        .or_else(|| opts.since.as_ref().map(|rev| format!("{rev}..HEAD")))
}

/// Ref tips: commits (peeled), and annotated tags whose messages are scanned on the way.
fn tips(scanner: &Scanner, repo: &Repository, opts: &GitOptions) -> Result<Vec<Oid>, GitError> {
    let mut out = Vec::new();
    let mut matched = vec![false; opts.branches.len()];
    for reference in repo.references()? {
        let reference = match reference {
            Ok(r) => r,
            Err(e) => {
                scanner
                    .diagnostics
                    .problem("(refs)", e.message().to_string());
                continue;
            }
        };
        let name = reference.name().unwrap_or("").to_string();
        if !opts.branches.is_empty() {
            let hit = opts.branches.iter().position(|b| {
                name == *b
                    || name == format!("refs/heads/{b}")
                    || (name.starts_with("refs/remotes/") && name.ends_with(&format!("/{b}")))
            });
            match hit {
                Some(i) => matched[i] = true,
                None => continue,
            }
        }
        let Some(target) = reference.target() else {
            continue;
        };
        if let Ok(tag) = repo.find_tag(target) {
            scan_message(
                scanner,
                repo,
                "tag-message",
                tag.id(),
                tag.message_bytes().unwrap_or(b""),
            );
        }
        match reference.peel(ObjectType::Commit) {
            Ok(obj) => out.push(obj.id()),
            Err(e) => scanner.diagnostics.problem(name, e.message().to_string()),
        }
    }
    if let Some(i) = matched.iter().position(|m| !m) {
        return Err(GitError::NoBranch(opts.branches[i].clone()));
    }
    if let Ok(head) = repo.head().and_then(|h| h.peel(ObjectType::Commit)) {
        out.push(head.id());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn scan_reachable(
    scanner: &Scanner,
    repo: &Repository,
    git_dir: &Path,
    opts: &GitOptions,
) -> Result<Pass, GitError> {
    let diag = scanner.diagnostics;
    let tips = tips(scanner, repo, opts)?;
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
        scan_message(
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
            let ok = tree_entries(obj.data(), |_, id, kind| match kind {
                ObjectType::Tree => stack.push(id),
                ObjectType::Blob => {
                    blobs.insert(id);
                }
                _ => gitlinks += 1,
            });
            if !ok {
                diag.problem(format!("tree {t}"), "malformed tree object");
            }
        }
    }
    if gitlinks > 0 {
        diag.note("submodules are not entered: scan each submodule's repository on its own");
    }
    let blob_hits = scan_blobs(scanner, git_dir, blobs.into_iter().collect());
    Ok(Pass {
        blob_hits,
        tips,
        known: None,
        trees: cache.into_map(),
    })
}

/// Reads `oids` in parallel, in pack order (loose objects last) and in runs, so that each
/// worker's delta-base cache serves the next object; one repository handle per worker.
fn read_objects(
    scanner: &Scanner,
    git_dir: &Path,
    mut oids: Vec<Oid>,
    each: impl Fn(&Repository, Oid, ObjectType, &[u8]) + Sync,
) {
    let positions = super::packidx::pack_positions(&git_dir.join("objects"));
    oids.sort_by_key(|o| (positions.get(o).copied().unwrap_or((u32::MAX, 0)), *o));
    oids.dedup();
    drop(positions);
    oids.par_chunks(256).for_each_init(
        || Repository::open(git_dir).ok(),
        |repo, run| {
            let Some(repo) = repo else { return };
            let odb = match repo.odb() {
                Ok(o) => o,
                Err(e) => {
                    return scanner
                        .diagnostics
                        .problem("(object database)", e.message().to_string());
                }
            };
            for oid in run {
                match odb.read(*oid) {
                    Ok(obj) => each(repo, *oid, obj.kind(), obj.data()),
                    Err(e) => scanner
                        .diagnostics
                        .problem(format!("object {oid}"), e.message().to_string()),
                }
            }
        },
    );
}

/// Scans blobs in parallel.
fn scan_blobs(scanner: &Scanner, git_dir: &Path, blobs: Vec<Oid>) -> HashMap<Oid, Vec<Located>> {
    let found = Mutex::new(HashMap::new());
    let lfs = std::sync::atomic::AtomicU64::new(0);
    read_objects(scanner, git_dir, blobs, |_, oid, kind, data| {
        if kind == ObjectType::Blob {
            scan_blob_bytes(scanner, oid, data, &found, &lfs);
        }
    });
    lfs_note(scanner, &lfs);
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn scan_blob_bytes(
    scanner: &Scanner,
    oid: Oid,
    data: &[u8],
    found: &Mutex<HashMap<Oid, Vec<Located>>>,
    lfs: &std::sync::atomic::AtomicU64,
) {
    if is_lfs_pointer(data) {
        lfs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return;
    }
    if let Some(hits) = scanner.scan_only_bytes(data) {
        if !hits.is_empty() {
            found
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(oid, hits);
        }
    }
}

fn lfs_note(scanner: &Scanner, lfs: &std::sync::atomic::AtomicU64) {
    let n = lfs.load(std::sync::atomic::Ordering::Relaxed);
    if n > 0 {
        scanner.diagnostics.note(&format!(
            "{n} Git LFS pointer file(s) skipped (their content is not in the repository)"
        ));
    }
}

/// Every object in the object database, read in parallel: blobs are scanned, commit and tag
/// messages too; reachability does not matter.
fn scan_all_objects(
    scanner: &Scanner,
    repo: &Repository,
    git_dir: &Path,
) -> Result<Pass, GitError> {
    let mut oids = Vec::new();
    repo.odb()?.foreach(|oid| {
        oids.push(*oid);
        true
    })?;
    let found = Mutex::new(HashMap::new());
    let commits = Mutex::new(Vec::new());
    let cache = TreeCache::new();
    let lfs = std::sync::atomic::AtomicU64::new(0);
    read_objects(scanner, git_dir, oids, |repo, oid, kind, data| match kind {
        ObjectType::Blob => scan_blob_bytes(scanner, oid, data, &found, &lfs),
        ObjectType::Commit => {
            scan_message(scanner, repo, "commit-message", oid, raw_message(data));
            commits.lock().unwrap_or_else(|e| e.into_inner()).push(oid);
        }
        ObjectType::Tag => scan_message(scanner, repo, "tag-message", oid, raw_message(data)),
        ObjectType::Tree => cache.keep(oid, data),
        _ => {}
    });
    lfs_note(scanner, &lfs);
    Ok(Pass {
        blob_hits: found.into_inner().unwrap_or_else(|e| e.into_inner()),
        tips: commits.into_inner().unwrap_or_else(|e| e.into_inner()),
        known: None,
        trees: cache.into_map(),
    })
}

/// The message of a raw commit or tag object: what follows the first blank line.
fn raw_message(data: &[u8]) -> &[u8] {
    memchr::memmem::find(data, b"\n\n").map_or(&[][..], |i| &data[i + 2..])
}

/// Only what the commits of `A..B` introduced: each commit's diff against its first parent.
fn scan_range(
    scanner: &Scanner,
    repo: &Repository,
    git_dir: &Path,
    range: &str,
) -> Result<Pass, GitError> {
    let bad = |e: git2::Error| GitError::Revision {
        rev: range.to_string(),
        message: e.message().to_string(),
    };
    let mut walk = repo.revwalk()?;
    walk.push_range(range).map_err(bad)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut known: HashMap<(Oid, String), Oid> = HashMap::new();
    let mut blobs = HashSet::new();
    let mut tips = Vec::new();
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
        tips.push(commit.id());
        scan_message(
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
            known
                .entry((new.id(), path.to_string_lossy().into_owned()))
                .or_insert(commit.id());
        }
    }
    let blob_hits = scan_blobs(scanner, git_dir, blobs.into_iter().collect());
    Ok(Pass {
        blob_hits,
        tips,
        known: Some(known),
        trees: HashMap::new(),
    })
}

fn commit_info(repo: &Repository, oid: Oid) -> Option<CommitInfo> {
    let c = repo.find_commit(oid).ok()?;
    let author = c.author();
    Some(CommitInfo {
        id: oid.to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: crate::time::rfc3339(author.when().seconds(), author.when().offset_minutes()),
        summary: String::from_utf8_lossy(c.summary_bytes().unwrap_or(b"")).into_owned(),
    })
}

/// Scans a commit or tag message and records its hits right away (the location is the object).
fn scan_message(
    scanner: &Scanner,
    repo: &Repository,
    object: &'static str,
    id: Oid,
    message: &[u8],
) {
    let short = &id.to_string()[..12];
    let path = format!("{object} {short}");
    let Some(hits) = scanner.scan_only_bytes(message) else {
        return;
    };
    if hits.is_empty() {
        return;
    }
    let commit = if object == "commit-message" {
        commit_info(repo, id)
    } else {
        None
    };
    let in_head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .is_some_and(|head| head == id || repo.graph_descendant_of(head, id).unwrap_or(false));
    for l in hits {
        let location = Location {
            git: Some(GitContext {
                object,
                id: id.to_string(),
                commit: commit.clone(),
                in_head,
            }),
            ..l.location(SourceKind::Git, &path)
        };
        scanner.record(l.hit, location);
    }
}

/// Finds where each blob with hits entered history and records one location per
/// (blob, path, hit).
fn attribute_and_record(scanner: &Scanner, repo: &Repository, pass: Pass) -> Result<(), GitError> {
    if pass.blob_hits.is_empty() {
        return Ok(());
    }
    let targets: HashSet<Oid> = pass.blob_hits.keys().copied().collect();
    let introduced = match pass.known {
        Some(k) => k,
        None => first_introductions(scanner, repo, &pass.trees, &pass.tips, &targets)?,
    };
    let head_tree = repo.head().and_then(|h| h.peel_to_tree()).ok();
    let mut infos: HashMap<Oid, Option<CommitInfo>> = HashMap::new();
    let mut by_blob: HashMap<Oid, Vec<(&String, Oid)>> = HashMap::new();
    for ((blob, path), commit) in &introduced {
        if targets.contains(blob) {
            by_blob.entry(*blob).or_default().push((path, *commit));
        }
    }
    for (blob, hits) in pass.blob_hits {
        let mut places = by_blob.remove(&blob).unwrap_or_default();
        places.sort();
        if places.is_empty() {
            // No commit reaches this blob (only with --all-objects): report the blob itself.
            record_blob(
                scanner,
                &blob,
                &hits,
                format!("blob {}", &blob.to_string()[..12]),
                None,
                false,
            );
            continue;
        }
        for (path, commit) in places {
            let info = infos
                .entry(commit)
                .or_insert_with(|| commit_info(repo, commit))
                .clone();
            let in_head = head_tree
                .as_ref()
                .and_then(|t| t.get_path(Path::new(path)).ok())
                .is_some_and(|e| e.id() == blob);
            record_blob(scanner, &blob, &hits, path.clone(), info, in_head);
        }
    }
    Ok(())
}

fn record_blob(
    scanner: &Scanner,
    blob: &Oid,
    hits: &[Located],
    path: String,
    commit: Option<CommitInfo>,
    in_head: bool,
) {
    for l in hits {
        let location = Location {
            git: Some(GitContext {
                object: "blob",
                id: blob.to_string(),
                commit: commit.clone(),
                in_head,
            }),
            ..l.location(SourceKind::Git, &path)
        };
        scanner.record(l.hit.clone(), location);
    }
}

/// Oldest-first walk from `tips`: the first commit whose tree holds each target blob at each
/// path. A subtree already seen at the same path holds nothing new and is not entered again.
/// Paths are interned, and built only for subtrees and target blobs.
fn first_introductions(
    scanner: &Scanner,
    repo: &Repository,
    trees: &HashMap<Oid, Box<[u8]>>,
    tips: &[Oid],
    targets: &HashSet<Oid>,
) -> Result<HashMap<(Oid, String), Oid>, GitError> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for t in tips {
        if let Err(e) = walk.push(*t) {
            scanner
                .diagnostics
                .problem(format!("commit {t}"), e.message().to_string());
        }
    }
    let mut paths: Vec<String> = vec![String::new()];
    let mut path_ids: HashMap<String, u32> = HashMap::new();
    let mut seen: HashSet<(Oid, u32)> = HashSet::new();
    let mut out = HashMap::new();
    let join = |prefix: &str, name: &[u8]| {
        let name = String::from_utf8_lossy(name);
        if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        }
    };
    for oid in walk {
        let Ok(commit) = oid.and_then(|o| repo.find_commit(o)) else {
            continue;
        };
        let mut stack = vec![(commit.tree_id(), 0u32)];
        while let Some((t, prefix_id)) = stack.pop() {
            if !seen.insert((t, prefix_id)) {
                continue;
            }
            let prefix = paths[prefix_id as usize].clone();
            let read = with_tree(repo, trees, t, |name, id, kind| match kind {
                ObjectType::Tree => {
                    let path = join(&prefix, name);
                    let next = paths.len() as u32;
                    let pid = *path_ids.entry(path.clone()).or_insert_with(|| {
                        paths.push(path);
                        next
                    });
                    stack.push((id, pid));
                }
                ObjectType::Blob if targets.contains(&id) => {
                    out.entry((id, join(&prefix, name))).or_insert(commit.id());
                }
                _ => {}
            });
            if let Err(e) = read {
                scanner
                    .diagnostics
                    .problem(format!("tree {t}"), e.message().to_string());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_trees_parse() {
        let id = [7u8; 20];
        let mut raw = b"100644 a.txt\0".to_vec();
        raw.extend_from_slice(&id);
        raw.extend_from_slice(b"40000 dir\0");
        raw.extend_from_slice(&id);
        let mut got = Vec::new();
        assert!(tree_entries(&raw, |n, o, k| got.push((n.to_vec(), o, k))));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, b"a.txt");
        assert_eq!(got[1].2, ObjectType::Tree);
        assert!(!tree_entries(&raw[..raw.len() - 3], |_, _, _| {}));
    }

    #[test]
    fn raw_messages_and_lfs_pointers() {
        assert_eq!(
            raw_message(b"tree abc\nauthor x\n\nsubject\n\nbody"),
            b"subject\n\nbody"
        );
        assert!(is_lfs_pointer(
            b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 12\n"
        ));
        assert!(!is_lfs_pointer(b"hello"));
    }
}
