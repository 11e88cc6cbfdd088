//! What is about to be committed: the index's blobs that differ from `HEAD` (every entry in a
//! repository without commits), read from the index — never the work tree, so a file edited
//! after `git add` can neither hide nor invent a finding — and only the lines the commit adds.
//! `git commit -a` hands hooks a temporary index through `GIT_INDEX_FILE`; it is honoured.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{DiffOptions, Index, Oid};

use crate::finding::SourceKind;
use crate::scan::Scanner;
use crate::source::git::{GitError, open};

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
    // Every file is diffed as text, whatever `.gitattributes` says (`binary`, `-diff`): a token
    // is a token in any file; content that really is binary is still skipped by the scanner.
    opts.context_lines(0)
        .include_typechange(true)
        .force_text(true);
    let diff = repo.diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))?;

    // Added lines per (path, new blob).
    let mut added: HashMap<(PathBuf, Oid), HashSet<u32>> = HashMap::new();
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() == '+' {
                if let (Some(p), Some(n)) = (delta.new_file().path(), line.new_lineno()) {
                    added
                        .entry((p.to_path_buf(), delta.new_file().id()))
                        .or_default()
                        .insert(n);
                }
            }
            true
        }),
    )?;

    let mut files: Vec<_> = added.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for ((file, blob_id), lines) in files {
        let shown = file.to_string_lossy().replace('\\', "/");
        let blob = match repo.find_blob(blob_id) {
            Ok(b) => b,
            Err(e) => {
                scanner.diagnostics.problem(&shown, e.message().to_string());
                continue;
            }
        };
        let data = blob.content();
        let Some(hits) = scanner.scan_only_bytes(data) else {
            continue;
        };
        for l in hits {
            if !u32::try_from(l.line).is_ok_and(|n| lines.contains(&n)) {
                continue;
            }
            let location = l.location(SourceKind::Staged, &shown);
            scanner.record(l.hit, location);
        }
    }
    Ok(())
}
