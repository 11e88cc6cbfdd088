//! Incremental history: only what is new since the tips already scanned (an organisation's
//! re-scan). The new commits are those reachable from the refs but not from the tips the
//! datastore recorded; each is scanned against its first parent as a range is, so a blob the
//! old history already had is not read again. A blob or tree that a ref names instead of a
//! commit (a tag on a file version) is scanned when no recorded tip named it, and located by
//! the ref. Tips that no longer exist (a force-push, a pruned ref) are simply not hidden.

use std::collections::HashSet;
use std::path::Path;

use git2::{Oid, Repository, Sort};

use super::content::BlobContent;
use super::refs::ref_tips;
use super::walk::{note_submodules, ref_named_blobs, scan_introduced, scan_reachable};
use super::{BlobScan, GitError, GitOptions};
use crate::scan::Scanner;

/// Annotated tags followed to what they name (the object itself when it is no tag).
fn peeled(repo: &Repository, mut id: Oid) -> Oid {
    while let Ok(tag) = repo.find_tag(id) {
        id = tag.target_id();
    }
    id
}

pub(super) fn scan_new(
    scanner: &Scanner,
    content: &BlobContent,
    repo: &Repository,
    git_dir: &Path,
    opts: &GitOptions,
) -> Result<BlobScan, GitError> {
    let mut ref_objects = Vec::new();
    let tips = ref_tips(scanner, repo, opts, &mut ref_objects)?;
    // What the recorded tips named: commits whose history was read, blobs and trees scanned.
    let scanned: HashSet<Oid> = opts
        .scanned_tips
        .iter()
        .map(|old| peeled(repo, *old))
        .collect();
    let new_commits = (|| -> Result<Vec<Oid>, git2::Error> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for tip in &tips {
            walk.push(*tip)?;
        }
        for old in &scanned {
            if repo.find_commit(*old).is_ok() {
                walk.hide(*old)?;
            }
        }
        walk.collect()
    })();
    match new_commits {
        Ok(commits) => {
            ref_objects.retain(|object| !scanned.contains(&object.id));
            let mut gitlinks = 0;
            let named = ref_named_blobs(scanner, &repo.odb()?, ref_objects, &mut gitlinks);
            if gitlinks > 0 {
                note_submodules(scanner);
            }
            scan_introduced(
                scanner,
                content,
                repo,
                git_dir,
                commits,
                HashSet::new(),
                named,
            )
        }
        // A missing or corrupt commit on the way: read the whole history the careful way.
        Err(_) => scan_reachable(scanner, content, repo, git_dir, opts),
    }
}
