//! Attribution: which commit introduced a blob with hits, at which path. Only blobs with hits
//! are attributed, after the scan: one oldest-first walk finds, for each (blob, path), the
//! earliest commit whose tree holds it, so a clean history costs one pass. Commit and tag
//! messages are their own location and are recorded as soon as they are scanned.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository};

use super::content::{Place, place_path};
use super::tree::read_entries;
use super::{BlobScan, GitError};
use crate::finding::{CommitInfo, GitContext};
use crate::scan::Scanner;
use crate::source::reader::Origin;

/// Who made commit `oid`, when, and its summary.
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
pub(super) fn record_message(
    scanner: &Scanner,
    repo: &Repository,
    object: &'static str,
    id: Oid,
    message: &[u8],
) {
    let short = &id.to_string()[..12];
    let path = format!("{object} {short}");
    let Some(hits) = scanner.hits_in_bytes(message) else {
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
        let location = l.location(
            &path,
            &Origin::Git(GitContext {
                object,
                id: id.to_string(),
                commit: commit.clone(),
                in_head,
            }),
        );
        scanner.record(l.hit, location);
    }
}

/// Finds where each blob with hits entered history and records one location per
/// (blob, path, hit).
pub(super) fn attribute_and_record(
    scanner: &Scanner,
    repo: &Repository,
    mut scan: BlobScan,
) -> Result<(), GitError> {
    if scan.hits_by_blob.is_empty() {
        return Ok(());
    }
    let targets: HashSet<Oid> = scan.hits_by_blob.keys().copied().collect();
    let introduced = match scan.introduced_by.take() {
        Some(k) => k,
        None => first_introductions(scanner, repo, &scan, &targets),
    };
    let head_tree = repo.head().and_then(|h| h.peel_to_tree()).ok();
    let mut infos: HashMap<Oid, Option<CommitInfo>> = HashMap::new();
    let mut by_blob: HashMap<Oid, Vec<(&String, Oid)>> = HashMap::new();
    for ((blob, path), commit) in &introduced {
        if targets.contains(blob) {
            by_blob.entry(*blob).or_default().push((path, *commit));
        }
    }
    for (blob, hits) in scan.hits_by_blob {
        let mut places = by_blob.remove(&blob).unwrap_or_default();
        places.sort();
        let named = scan.named_by_refs.get(&blob);
        for name in named.into_iter().flatten() {
            record_blob(scanner, blob, &hits, name, None, false);
        }
        if places.is_empty() && named.is_none() {
            // No commit reaches this blob (only with --all-objects): report the blob itself.
            record_blob(
                scanner,
                blob,
                &hits,
                &format!("blob {}", &blob.to_string()[..12]),
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
            record_blob(scanner, blob, &hits, path, info, in_head);
        }
    }
    Ok(())
}

/// Records the hits of `blob`, found at `path`, each place inside it at its own path.
fn record_blob(
    scanner: &Scanner,
    blob: Oid,
    places: &[Place],
    path: &str,
    commit: Option<CommitInfo>,
    in_head: bool,
) {
    let origin = Origin::Git(GitContext {
        object: "blob",
        id: blob.to_string(),
        commit,
        in_head,
    });
    for place in places {
        let shown = place_path(path, blob, &place.member);
        for l in &place.hits {
            scanner.record(l.hit.clone(), l.location(&shown, &origin));
        }
    }
}

/// Oldest-first walk over the commits the scan read: the first commit whose tree holds each
/// target blob at each path. A subtree already seen at the same path holds nothing new and is
/// not entered again. Paths are interned, and built only for subtrees and target blobs. Trees
/// the scan already reported as unreadable are skipped silently.
fn first_introductions(
    scanner: &Scanner,
    repo: &Repository,
    scan: &BlobScan,
    targets: &HashSet<Oid>,
) -> HashMap<(Oid, String), Oid> {
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
    for commit in scan.graph.oldest_first(&scan.attribution_tips) {
        let Some(node) = scan.graph.nodes.get(&commit) else {
            continue;
        };
        let mut stack = vec![(node.tree, 0u32)];
        while let Some((t, prefix_id)) = stack.pop() {
            if scan.unreadable.contains(&t) || !seen.insert((t, prefix_id)) {
                continue;
            }
            let prefix = paths[prefix_id as usize].clone();
            let read = read_entries(repo, &scan.trees, t, |name, id, kind| match kind {
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
                    out.entry((id, join(&prefix, name))).or_insert(commit);
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
    out
}
