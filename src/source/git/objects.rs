//! Reading objects. Objects are read in parallel in pack order (loose objects last), in runs of
//! 256 per worker so each worker's delta-base cache serves the next object; each worker has its
//! own repository handle. Blobs are scanned where libgit2 inflated them; `--all-objects` reads
//! the whole object database this way.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use git2::{ObjectType, Oid, Repository};
use rayon::prelude::*;

use super::attribution::record_message;
use super::tree::TreeCache;
use super::{BlobScan, GitError, packidx};
use crate::scan::Scanner;
use crate::source::reader::Located;

/// Hits per blob id, before attribution.
pub(super) type BlobHits = HashMap<Oid, Vec<Located>>;

/// Objects per run handed to one worker.
const RUN: usize = 256;

/// Reads `oids` in parallel, in pack order, and calls `each(repo, id, kind, data)` for each one
/// read; an object that cannot be read is reported as a problem.
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
    oids.par_chunks(RUN).for_each_init(
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

/// Scans blobs in parallel; the hits of each blob that has any.
pub(super) fn scan_blobs(scanner: &Scanner, git_dir: &Path, blobs: Vec<Oid>) -> BlobHits {
    let found = Mutex::new(HashMap::new());
    let lfs = AtomicU64::new(0);
    read_in_pack_order(scanner, git_dir, blobs, |_, oid, kind, data| {
        if kind == ObjectType::Blob {
            scan_blob(scanner, oid, data, &found, &lfs);
        }
    });
    note_lfs_pointers(scanner, &lfs);
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Git LFS pointer files hold no content worth scanning.
fn is_lfs_pointer(data: &[u8]) -> bool {
    data.len() < 1024 && data.starts_with(b"version https://git-lfs.github.com/spec/")
}

fn scan_blob(
    scanner: &Scanner,
    oid: Oid,
    data: &[u8],
    found: &Mutex<BlobHits>,
    lfs_pointers: &AtomicU64,
) {
    if is_lfs_pointer(data) {
        lfs_pointers.fetch_add(1, Relaxed);
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

fn note_lfs_pointers(scanner: &Scanner, lfs_pointers: &AtomicU64) {
    let n = lfs_pointers.load(Relaxed);
    if n > 0 {
        scanner.diagnostics.note(&format!(
            "{n} Git LFS pointer file(s) skipped (their content is not in the repository)"
        ));
    }
}

/// Every object in the object database, read in parallel: blobs are scanned, commit and tag
/// messages too; reachability does not matter.
pub(super) fn scan_all_objects(
    scanner: &Scanner,
    repo: &Repository,
    git_dir: &Path,
) -> Result<BlobScan, GitError> {
    let mut oids = Vec::new();
    repo.odb()?.foreach(|oid| {
        oids.push(*oid);
        true
    })?;
    let found = Mutex::new(HashMap::new());
    let commits = Mutex::new(Vec::new());
    let cache = TreeCache::new();
    let lfs = AtomicU64::new(0);
    read_in_pack_order(scanner, git_dir, oids, |repo, oid, kind, data| match kind {
        ObjectType::Blob => scan_blob(scanner, oid, data, &found, &lfs),
        ObjectType::Commit => {
            record_message(scanner, repo, "commit-message", oid, raw_message(data));
            commits.lock().unwrap_or_else(|e| e.into_inner()).push(oid);
        }
        ObjectType::Tag => record_message(scanner, repo, "tag-message", oid, raw_message(data)),
        ObjectType::Tree => cache.keep(oid, data),
        _ => {}
    });
    note_lfs_pointers(scanner, &lfs);
    Ok(BlobScan {
        hits_by_blob: found.into_inner().unwrap_or_else(|e| e.into_inner()),
        attribution_tips: commits.into_inner().unwrap_or_else(|e| e.into_inner()),
        introduced_by: None,
        trees: cache.into_map(),
    })
}

/// The message of a raw commit or tag object: what follows the first blank line.
pub(super) fn raw_message(data: &[u8]) -> &[u8] {
    memchr::memmem::find(data, b"\n\n").map_or(&[][..], |i| &data[i + 2..])
}

#[cfg(test)]
mod tests {
    use super::*;

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
