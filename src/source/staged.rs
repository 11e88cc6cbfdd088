//! What is about to be committed: the index's blobs that differ from `HEAD` (every entry in a
//! repository without commits), read from the index — never the work tree, so a file edited
//! after `git add` can neither hide nor invent a finding — and only the lines the commit adds
//! (for a file git does not diff as text, binary or marked `binary`/`-diff` in `.gitattributes`:
//! the secrets its old version did not hold).
//! `git commit -a` hands hooks a temporary index through `GIT_INDEX_FILE`; it is honoured.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{DiffOptions, Index, Oid};

use crate::scan::Scanner;
use crate::source::git::{GitError, open};
use crate::source::reader::Origin;
use crate::source::{Source, SourceError};

/// What a staged file adds.
enum Added {
    /// These lines (1-based), from git's text diff.
    Lines(HashSet<u32>),
    /// Whatever is not in the old blob (zero id: no old blob) — for files git does not diff
    /// as text.
    NotInOld(Oid),
}

/// Scans the staged changes of the repository at or above `path`.
pub fn scan_staged(scanner: &Scanner, path: &Path) -> Result<(), GitError> {
    let repo = open(path)?;
    let mut index = match std::env::var_os("GIT_INDEX_FILE") {
        Some(file) => {
            // Git gives the path relative to the work tree's top (or absolute).
            let file = PathBuf::from(file);
            let file = match (file.is_absolute(), repo.workdir()) {
                (false, Some(top)) => top.join(file),
                _ => file,
            };
            Index::open(&file)?
        }
        None => repo.index()?,
    };
    index.read(false)?;
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut opts = DiffOptions::new();
    opts.context_lines(0).include_typechange(true);
    let diff = repo.diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))?;

    // What each (path, new blob) adds: its added lines, or, for a file git will not diff as text
    // (binary content, or `binary`/`-diff` in `.gitattributes`), every secret in it that the
    // old blob does not hold. Content that really is binary is then skipped by the scanner.
    let added: RefCell<HashMap<(PathBuf, Oid), Added>> = RefCell::new(HashMap::new());
    let key = |delta: &git2::DiffDelta| {
        let new = delta.new_file();
        let path = new.path().filter(|_| !new.id().is_zero())?;
        Some((path.to_path_buf(), new.id()))
    };
    diff.foreach(
        &mut |_, _| true,
        Some(&mut |delta, _binary| {
            if let Some(k) = key(&delta) {
                added
                    .borrow_mut()
                    .insert(k, Added::NotInOld(delta.old_file().id()));
            }
            true
        }),
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() == '+' {
                if let (Some(k), Some(n)) = (key(&delta), line.new_lineno()) {
                    let mut added = added.borrow_mut();
                    let entry = added
                        .entry(k)
                        .or_insert_with(|| Added::Lines(HashSet::new()));
                    if let Added::Lines(lines) = entry {
                        lines.insert(n);
                    }
                }
            }
            true
        }),
    )?;

    let mut files: Vec<_> = added.into_inner().into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for ((file, blob_id), what) in files {
        let shown = file.to_string_lossy().replace('\\', "/");
        let blob = match repo.find_blob(blob_id) {
            Ok(b) => b,
            Err(e) => {
                scanner.diagnostics.problem(&shown, e.message().to_string());
                continue;
            }
        };
        let Some(hits) = scanner.hits_in_bytes(blob.content()) else {
            continue;
        };
        let old = match &what {
            Added::NotInOld(old) if !old.is_zero() => match repo.find_blob(*old) {
                Ok(b) => Some(b),
                Err(e) => {
                    // Without the old content, every secret in the file counts as added.
                    scanner.diagnostics.problem(&shown, e.message().to_string());
                    None
                }
            },
            _ => None,
        };
        for l in hits {
            let is_added = match &what {
                Added::Lines(lines) => u32::try_from(l.line).is_ok_and(|n| lines.contains(&n)),
                Added::NotInOld(_) => old
                    .as_ref()
                    .is_none_or(|b| memchr::memmem::find(b.content(), &l.hit.secret).is_none()),
            };
            if is_added {
                let location = l.location(&shown, &Origin::Staged);
                scanner.record(l.hit, location);
            }
        }
    }
    Ok(())
}

/// What is about to be committed in a repository.
pub struct Staged {
    pub repo: PathBuf,
}

impl Source for Staged {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        scan_staged(scanner, &self.repo)?;
        Ok(())
    }
}
