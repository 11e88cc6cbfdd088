//! Git history. Every blob reachable from every ref (branches, tags, remote-tracking refs, stash,
//! notes) is scanned exactly once, deduplicated by id, in parallel; commit and annotated-tag
//! messages are scanned too. `--all-objects` reads the object database itself, so objects no ref
//! reaches (a force-push's or an amend's leftovers) are found.
//!
//! - [`refs`]: which commits the scan starts from;
//! - [`commits`]: commits read from the object database, and the order attribution needs;
//! - [`walk`]: the commits, trees and blobs reachable from them, or what a range introduced;
//! - [`incremental`]: only what commits not reachable from already-scanned tips introduced;
//! - [`objects`]: reading objects in parallel in pack order ([`packidx`]) and scanning blobs;
//! - [`content`]: what a blob holds — archives, compressed files and documents opened as
//!   `patrol scan` opens files;
//! - [`attribution`]: which commit introduced each blob with hits, at which path;
//! - [`tree`]: the raw tree parser and the tree cache the attribution walk reuses;
//! - [`config`]: repository configuration as of a range's base revision.

mod attribution;
mod commits;
pub mod config;
mod content;
mod incremental;
mod objects;
mod packidx;
mod refs;
pub mod tree;
mod walk;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::scan::Scanner;
use crate::source::archive::Limits;
use crate::source::{Source, SourceError};

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
    /// Do not open archives and compressed files committed to history (`--no-archives`).
    pub no_archives: bool,
    /// The limits archives committed to history are opened within.
    pub archive_limits: Limits,
    /// Commits whose history was already scanned: only what the commits they do not reach
    /// introduced is read (`patrol github`'s incremental runs).
    pub scanned_tips: Vec<Oid>,
}

impl GitOptions {
    /// The range to scan (`A..B`), if only part of history is wanted.
    pub fn range(&self) -> Option<String> {
        self.range
            .clone()
            .or_else(|| self.since.as_ref().map(|rev| format!("{rev}..HEAD")))
    }
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

/// What the scan of blobs found, before attribution.
struct BlobScan {
    /// Hits per blob.
    hits_by_blob: objects::BlobHits,
    /// Commits whose history the attribution walk starts from.
    attribution_tips: Vec<Oid>,
    /// The commits the scan read (not needed in range mode).
    graph: commits::CommitGraph,
    /// (blob, path) → the commit that introduced it, when the scan already knows (range mode).
    introduced_by: Option<HashMap<(Oid, String), Oid>>,
    /// Raw trees read by the scan, kept for the attribution walk.
    trees: HashMap<Oid, Box<[u8]>>,
    /// Trees and commits already reported as unreadable (not reported again).
    unreadable: HashSet<Oid>,
    /// Blobs that refs name instead of a commit, with the paths they are shown at
    /// (`refs/tags/t`, `refs/tags/t:dir/file`).
    named_by_refs: HashMap<Oid, Vec<String>>,
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

/// Scans the history of the repository at or above `path`.
pub fn scan_history(scanner: &Scanner, path: &Path, opts: &GitOptions) -> Result<(), GitError> {
    tune_libgit2();
    let repo = open(path)?;
    if repo.is_shallow() {
        scanner.diagnostics.note("shallow clone: history before the shallow boundary is not in this repository and was not scanned");
    }
    let git_dir = repo.path().to_path_buf();
    let content = content::BlobContent::new(scanner, opts.archive_limits, !opts.no_archives);
    let scan = if let Some(range) = opts.range() {
        walk::scan_range(scanner, &content, &repo, &git_dir, &range)?
    } else if !opts.scanned_tips.is_empty() {
        incremental::scan_new(scanner, &content, &repo, &git_dir, opts)?
    } else if opts.all_objects {
        objects::scan_all_objects(scanner, &content, &repo, &git_dir)?
    } else {
        walk::scan_reachable(scanner, &content, &repo, &git_dir, opts)?
    };
    attribution::attribute_and_record(scanner, &repo, scan)
}

/// A repository's history.
pub struct History {
    pub repo: PathBuf,
    pub options: GitOptions,
}

impl Source for History {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        scan_history(scanner, &self.repo, &self.options)?;
        Ok(())
    }
}
