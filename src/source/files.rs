//! Files and directories: walked with `ignore`, scanned in parallel with rayon.
//!
//! Ignored files ARE scanned by default (a git-ignored `.env` is the commonest leak);
//! `--gitignore` honours ignore files. `.patrolignore` (gitignore syntax) and `--exclude` globs
//! always exclude. `.git/` internals are skipped; symlinks are followed only with `--follow`.

use std::fs::File;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
use rayon::prelude::*;

use crate::finding::SourceKind;
use crate::scan::Scanner;

#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Honour .gitignore, .ignore, global and repository excludes.
    pub gitignore: bool,
    /// Gitignore-style globs to leave out.
    pub excludes: Vec<String>,
    /// Follow symbolic links.
    pub follow: bool,
    /// Skip files larger than this many bytes.
    pub max_file_size: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("invalid --exclude glob {glob:?}: {source}")]
    Glob { glob: String, source: ignore::Error },
}

/// Name of the per-directory exclude file, gitignore syntax.
pub const IGNORE_FILE: &str = ".patrolignore";

fn walker(roots: &[PathBuf], opts: &WalkOptions) -> Result<WalkBuilder, WalkError> {
    let mut b = WalkBuilder::new(&roots[0]);
    for r in &roots[1..] {
        b.add(r);
    }
    b.standard_filters(false)
        .hidden(false)
        .git_ignore(opts.gitignore)
        .git_global(opts.gitignore)
        .git_exclude(opts.gitignore)
        .ignore(opts.gitignore)
        .parents(opts.gitignore)
        .require_git(false)
        .follow_links(opts.follow)
        .add_custom_ignore_filename(IGNORE_FILE)
        .filter_entry(|e| e.file_name() != ".git");
    if !opts.excludes.is_empty() {
        let mut ob = OverrideBuilder::new(".");
        for g in &opts.excludes {
            ob.add(&format!("!{g}")).map_err(|source| WalkError::Glob {
                glob: g.clone(),
                source,
            })?;
        }
        let ov = ob.build().map_err(|source| WalkError::Glob {
            glob: opts.excludes.join(", "),
            source,
        })?;
        b.overrides(ov);
    }
    Ok(b)
}

/// Walks `roots` and scans every file with `scanner`, in parallel.
pub fn scan_paths(
    scanner: &Scanner,
    roots: &[PathBuf],
    opts: &WalkOptions,
) -> Result<(), WalkError> {
    if roots.is_empty() {
        return Ok(());
    }
    let diag = scanner.diagnostics;
    // Walking is cheap next to scanning: walk in order (stable error output), then scan the
    // files in parallel with rayon's work stealing.
    let mut files = Vec::new();
    for entry in walker(roots, opts)?.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let (path, msg) = walk_error_parts(&e);
                diag.problem(path, msg);
                continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        // A symlink given on the command line is followed; met while walking, only with --follow.
        if ft.is_dir() || (ft.is_symlink() && entry.depth() > 0) {
            continue;
        }
        files.push(entry.into_path());
    }
    files
        .par_iter()
        .for_each(|path| scan_file(scanner, path, opts));
    Ok(())
}

fn scan_file(scanner: &Scanner, path: &Path, opts: &WalkOptions) {
    let diag = scanner.diagnostics;
    let shown = path.display().to_string();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return diag.problem(shown, e.to_string()),
    };
    let len = match file.metadata() {
        Ok(m) if !m.is_file() => return,
        Ok(m) if opts.max_file_size.is_some_and(|max| m.len() > max) => {
            return diag.skipped_large();
        }
        Ok(m) => m.len(),
        Err(e) => return diag.problem(shown, e.to_string()),
    };
    scanner.scan_input(SourceKind::File, &shown, file, Some(len));
}

fn walk_error_parts(e: &ignore::Error) -> (String, String) {
    match e {
        ignore::Error::WithPath { path, err } => (path.display().to_string(), err.to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_parts(err)
        }
        other => ("(walk)".to_string(), other.to_string()),
    }
}
