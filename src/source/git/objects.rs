//! Reading objects. Objects are read in parallel in pack order (loose objects last), in runs of
//! 256 per worker so each worker's delta-base cache serves the next object; each worker has its
//! own repository handle. Blobs are scanned where libgit2 inflated them; `--all-objects` reads
//! the whole object database this way.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use git2::{ObjectType, Oid, Repository};
use rayon::prelude::*;

use super::attribution::record_message;
use super::commits::{CommitGraph, parse_commit, shallow_boundary};
use super::content::{BlobContent, Place};
use super::refs::ref_objects;
use super::tree::{TreeCache, parse_entries};
use super::walk::{note_submodules, ref_named_blobs};
use super::{BlobScan, GitError, packidx};
use crate::scan::Scanner;

/// Hits per blob id, by place in the blob, before attribution.
pub(super) type BlobHits = HashMap<Oid, Vec<Place>>;

/// Objects per run handed to one worker.
const RUN: usize = 256;

/// Reads `oids` in parallel, in pack order, and calls `each(repo, id, kind, data)` for each one
/// read. Every object ends read or as a problem: one that cannot be read, and every object of a
/// run whose worker cannot open the repository, is reported with its id.
pub(super) fn read_in_pack_order(
    scanner: &Scanner,
    git_dir: &Path,
    mut oids: Vec<Oid>,
    each: impl Fn(&Repository, Oid, ObjectType, &[u8]) + Sync,
) {
    let positions = packidx::pack_positions(&git_dir.join("objects"));
    oids.sort_by_key(|o| (positions.get(o).copied().unwrap_or((u32::MAX, 0)), *o));
    oids.dedup();
    drop(positions);
    let not_read = |run: &[Oid], why: &str| {
        for oid in run {
            scanner
                .diagnostics
                .problem(format!("object {oid}"), format!("not read: {why}"));
        }
    };
    oids.par_chunks(RUN).for_each_init(
        || Repository::open(git_dir).map_err(|e| e.message().to_string()),
        |repo, run| {
            let repo = match repo {
                Ok(r) => r,
                Err(why) => return not_read(run, &format!("cannot open the repository: {why}")),
            };
            let odb = match repo.odb() {
                Ok(o) => o,
                Err(e) => {
                    let why = format!("cannot open the object database: {}", e.message());
                    return not_read(run, &why);
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

/// Scans blobs in parallel; the hits of each blob that has any.
pub(super) fn scan_blobs(
    scanner: &Scanner,
    content: &BlobContent,
    git_dir: &Path,
    blobs: Vec<Oid>,
) -> BlobHits {
    let found = Mutex::new(HashMap::new());
    let lfs = AtomicU64::new(0);
    read_in_pack_order(scanner, git_dir, blobs, |_, oid, kind, data| {
        if kind == ObjectType::Blob {
            scan_blob(scanner, content, oid, data, &found, &lfs);
        }
    });
    note_lfs_pointers(scanner, &lfs);
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Git LFS pointer files hold no content worth scanning.
fn is_lfs_pointer(data: &[u8]) -> bool {
    data.len() < 1024 && data.starts_with(b"version https://git-lfs.github.com/spec/")
}

/// Scans one blob as `patrol scan` would scan it as a file (see [`super::content`]).
fn scan_blob(
    scanner: &Scanner,
    content: &BlobContent,
    oid: Oid,
    data: &[u8],
    found: &Mutex<BlobHits>,
    lfs_pointers: &AtomicU64,
) {
    if is_lfs_pointer(data) {
        lfs_pointers.fetch_add(1, Relaxed);
        return;
    }
    let places = content.hits(scanner, oid, data);
    if !places.is_empty() {
        found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(oid, places);
    }
}

fn note_lfs_pointers(scanner: &Scanner, lfs_pointers: &AtomicU64) {
    let n = lfs_pointers.load(Relaxed);
    if n > 0 {
        scanner.diagnostics.note(&format!(
            "{n} Git LFS pointer file(s) skipped (their content is not in the repository)"
        ));
    }
}

/// Every object in the object database, read in parallel: blobs are scanned, commit and tag
/// messages too; reachability does not matter. An object that another object or a ref points
/// to but that is not in the database is reported as missing (as a walk from the refs would).
pub(super) fn scan_all_objects(
    scanner: &Scanner,
    content: &BlobContent,
    repo: &Repository,
    git_dir: &Path,
) -> Result<BlobScan, GitError> {
    let mut oids = Vec::new();
    repo.odb()?.foreach(|oid| {
        oids.push(*oid);
        true
    })?;
    let mut present = oids.clone();
    present.sort_unstable();
    let shallow = shallow_boundary(repo);
    let missing = Mutex::new(HashMap::<Oid, String>::new());
    let expect = |id: Oid, by: &dyn Fn() -> String| {
        if present.binary_search(&id).is_err() {
            missing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(id)
                .or_insert_with(by);
        }
    };
    let found = Mutex::new(HashMap::new());
    let graph = Mutex::new(CommitGraph::default());
    let cache = TreeCache::new();
    let lfs = AtomicU64::new(0);
    let gitlinks = AtomicU64::new(0);
    read_in_pack_order(scanner, git_dir, oids, |repo, oid, kind, data| match kind {
        ObjectType::Blob => scan_blob(scanner, content, oid, data, &found, &lfs),
        ObjectType::Commit => {
            record_message(scanner, repo, "commit-message", oid, raw_message(data));
            let Some(mut node) = parse_commit(data) else {
                return scanner
                    .diagnostics
                    .problem(format!("commit {oid}"), "malformed commit object");
            };
            if shallow.contains(&oid) {
                node.parents.clear();
            }
            expect(node.tree, &|| format!("the tree of commit {oid}"));
            for p in &node.parents {
                expect(*p, &|| format!("a parent of commit {oid}"));
            }
            let mut graph = graph.lock().unwrap_or_else(|e| e.into_inner());
            graph.nodes.insert(oid, node);
        }
        ObjectType::Tag => {
            record_message(scanner, repo, "tag-message", oid, raw_message(data));
            if let Some(target) = tag_target(data) {
                expect(target, &|| format!("the target of tag {oid}"));
            }
        }
        ObjectType::Tree => {
            cache.keep(oid, data);
            let parsed = parse_entries(data, |_, id, kind| {
                if kind == ObjectType::Commit {
                    gitlinks.fetch_add(1, Relaxed);
                } else {
                    expect(id, &|| format!("an entry of tree {oid}"));
                }
            });
            if let Err(e) = parsed {
                scanner
                    .diagnostics
                    .problem(format!("tree {oid}"), e.to_string());
            }
        }
        _ => {}
    });
    for reference in repo.references()?.flatten() {
        if let Some(target) = reference.target() {
            let name = reference.name().unwrap_or("(a ref)");
            expect(target, &|| format!("ref {name}"));
        }
    }
    let mut missing: Vec<_> = missing
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .collect();
    missing.sort();
    for (id, by) in missing {
        scanner.diagnostics.problem(
            format!("object {id}"),
            format!("missing from the object database ({by} points to it)"),
        );
    }
    note_lfs_pointers(scanner, &lfs);
    if gitlinks.load(Relaxed) > 0 {
        note_submodules(scanner);
    }
    let graph = graph.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(BlobScan {
        hits_by_blob: found.into_inner().unwrap_or_else(|e| e.into_inner()),
        attribution_tips: graph.nodes.keys().copied().collect(),
        graph,
        introduced_by: None,
        trees: cache.into_map(),
        unreadable: HashSet::new(),
        named_by_refs: ref_named_blobs(scanner, &repo.odb()?, ref_objects(repo)?, &mut 0),
    })
}

/// The object an annotated tag points to (its `object` header line).
fn tag_target(data: &[u8]) -> Option<Oid> {
    let line = data.split(|&b| b == b'\n').next()?;
    let hex = line.strip_prefix(b"object ")?;
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
}

/// The message of a raw commit or tag object: what follows the first blank line.
pub(super) fn raw_message(data: &[u8]) -> &[u8] {
    memchr::memmem::find(data, b"\n\n").map_or(&[][..], |i| &data[i + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostics;
    use crate::matcher::{Matcher, MatcherOptions};
    use crate::source::reader::OnBinary;

    #[test]
    fn objects_a_worker_cannot_read_are_each_reported() {
        let rules = crate::rules::load(&[] as &[&Path]).unwrap();
        let matcher = Matcher::new(rules, MatcherOptions::default()).unwrap();
        let console = std::sync::Arc::new(crate::console::Console::new(true));
        let diagnostics = Diagnostics::new(console);
        let scanner = Scanner::new(&matcher, &diagnostics, 1 << 20, OnBinary::Skip);
        let oids: Vec<Oid> = (1..=3u8)
            .map(|n| Oid::from_bytes(&[n; 20]).unwrap())
            .collect();
        let dir = std::env::temp_dir().join("patrol-no-such-repository");
        let read = AtomicU64::new(0);
        read_in_pack_order(&scanner, &dir, oids.clone(), |_, _, _, _| {
            read.fetch_add(1, Relaxed);
        });
        assert_eq!(read.load(Relaxed), 0);
        let (_, problems) = diagnostics.finish();
        let named: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        for oid in &oids {
            assert!(
                named.contains(&format!("object {oid}").as_str()),
                "{named:?}"
            );
        }
        assert!(problems[0].message.contains("cannot open the repository"));
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
