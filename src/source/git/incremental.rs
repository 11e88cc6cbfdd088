//! Incremental history: only what the commits not reachable from already-scanned tips
//! introduced (an organisation's re-scan). The new commits are those reachable from the refs
//! but not from the tips the datastore recorded; each is scanned against its first parent as a
//! range is, so a blob the old history already had is not read again. Tips that no longer
//! exist (a force-push, a pruned ref) are simply not hidden.

use std::collections::HashSet;
use std::path::Path;

use git2::{Oid, Repository, Sort};

use super::content::BlobContent;
use super::refs::ref_tips;
use super::walk::{scan_introduced, scan_reachable};
use super::{BlobScan, GitError, GitOptions};
use crate::scan::Scanner;

pub(super) fn scan_new(
    scanner: &Scanner,
    content: &BlobContent,
    repo: &Repository,
    git_dir: &Path,
    opts: &GitOptions,
) -> Result<BlobScan, GitError> {
    // Blobs and trees that refs name are scanned by a full scan; a re-scan reads new commits.
    let tips = ref_tips(scanner, repo, opts, &mut Vec::new())?;
    let odb = repo.odb()?;
    let new_commits = (|| -> Result<Vec<Oid>, git2::Error> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for tip in &tips {
            walk.push(*tip)?;
        }
        for old in &opts.scanned_tips {
            if odb.exists(*old) && repo.find_commit(*old).is_ok() {
                walk.hide(*old)?;
            }
        }
        walk.collect()
    })();
    match new_commits {
        Ok(commits) => scan_introduced(scanner, content, repo, git_dir, commits, HashSet::new()),
        // A missing or corrupt commit on the way: read the whole history the careful way.
        Err(_) => scan_reachable(scanner, content, repo, git_dir, opts),
    }
}
