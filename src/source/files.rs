//! Files and directories: walked with `ignore`, scanned in parallel with rayon.
//!
//! Ignored files ARE scanned by default (a git-ignored `.env` is the commonest leak);
//! `--gitignore` honours ignore files. `.patrolignore` (gitignore syntax) and `--exclude` globs
//! always exclude. `.git/` internals are skipped; symlinks are followed only with `--follow`.

use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use rayon::prelude::*;

use crate::diagnostics::Diagnostics;
use crate::scan::Scanner;
use crate::source::archive::{self, Archives, Limits};
use crate::source::chat::{self, Exports};
use crate::source::document::{self, HeadTap};
use crate::source::reader::{self, Origin};

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
    /// Do not read `.patrolignore` files (`--no-repo-config`).
    pub no_repo_config: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("invalid --exclude glob {glob:?}: {source}")]
    Glob { glob: String, source: ignore::Error },
}

/// Files handed from the walker to the scanners at a time.
const BATCH: usize = 16;

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
        .follow_links(opts.follow);
    if !opts.no_repo_config {
        b.add_custom_ignore_filename(IGNORE_FILE);
    }
    // --exclude globs are gitignore lines relative to each root they are given for.
    let excludes: Vec<(PathBuf, Gitignore)> = roots
        .iter()
        .filter(|_| !opts.excludes.is_empty())
        .map(|root| {
            let mut gb = GitignoreBuilder::new(root);
            for g in &opts.excludes {
                gb.add_line(None, g).map_err(|source| WalkError::Glob {
                    glob: g.clone(),
                    source,
                })?;
            }
            let gi = gb.build().map_err(|source| WalkError::Glob {
                glob: opts.excludes.join(", "),
                source,
            })?;
            Ok((root.clone(), gi))
        })
        .collect::<Result<_, WalkError>>()?;
    b.filter_entry(move |e| {
        if e.file_name() == ".git" {
            return false;
        }
        if excludes.is_empty() {
            return true;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        !excludes.iter().any(|(root, gi)| {
            e.path().starts_with(root)
                && gi.matched_path_or_any_parents(e.path(), is_dir).is_ignore()
        })
    });
    Ok(b)
}

/// Walks `roots` and scans every file with `scanner`, in parallel; archives are opened when
/// `archives` is given. Chat exports are read as messages too, with the names their side files
/// give (read once per export, in `chats`).
pub fn scan_paths(
    scanner: &Scanner,
    roots: &[PathBuf],
    opts: &WalkOptions,
    archives: Option<&Archives>,
) -> Result<(), WalkError> {
    let chats = Exports::default();
    let chats = &chats;
    for_each_file(
        scanner.diagnostics,
        roots,
        opts,
        |path, named| match archives {
            Some(a) => scan_file_or_archive(scanner, a, chats, path, named, opts),
            None => scan_file(
                scanner,
                chats,
                path,
                named,
                opts,
                &archive::Limits::default(),
            ),
        },
    )
}

/// Walks `roots` and calls `each` for every file to read, in parallel, with `named` true for a
/// path given on the command line (read whatever it is: `patrol logs <(cmd)` passes a pipe).
/// FIFOs, sockets and devices met while walking are counted as skipped, never opened.
pub fn for_each_file(
    diag: &Diagnostics,
    roots: &[PathBuf],
    opts: &WalkOptions,
    each: impl Fn(&Path, bool) + Sync,
) -> Result<(), WalkError> {
    if roots.is_empty() {
        return Ok(());
    }
    let walk = walker(roots, opts)?.build();
    // The walk runs on its own thread, in order (stable error output), and hands over files in
    // batches; rayon scans the batches in parallel as they come.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(PathBuf, bool)>>(64);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for entry in walk {
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
                let named = entry.depth() == 0;
                // A symlink named on the command line is followed; met while walking, only
                // with --follow (then `ft` is its target's type).
                if ft.is_dir() || (ft.is_symlink() && !named) {
                    continue;
                }
                if !named && !ft.is_file() {
                    diag.skipped_special();
                    continue;
                }
                batch.push((entry.into_path(), named));
                if batch.len() == BATCH && tx.send(std::mem::take(&mut batch)).is_err() {
                    return;
                }
            }
            let _ = tx.send(batch);
        });
        rx.into_iter()
            .par_bridge()
            .for_each(|batch| batch.iter().for_each(|(path, named)| each(path, *named)));
    });
    Ok(())
}

/// An input opened for reading.
pub enum Opened {
    /// A regular file and its length.
    File(File, u64),
    /// Anything else named on the command line (a pipe, a FIFO, a device): read as a stream.
    Stream(File),
    /// A FIFO, socket or device met in a walk (the walk saw a file; it was replaced since).
    Special,
}

/// Opens `path` to read. A walked path is opened without blocking (a FIFO would wait for a
/// writer forever) and must still be a regular file once open.
pub fn open_input(path: &Path, named: bool) -> std::io::Result<Opened> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if !named {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    Ok(match (meta.is_file(), named) {
        (true, _) => Opened::File(file, meta.len()),
        (false, true) => Opened::Stream(file),
        (false, false) => Opened::Special,
    })
}

/// How a path is shown: as walked, without a leading `./`.
pub fn shown(path: &Path) -> String {
    path.strip_prefix("./")
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A file, or an archive when its first bytes (read once, and reused by the text scan) or
/// failing that its name say so.
fn scan_file_or_archive(
    scanner: &Scanner,
    archives: &Archives,
    chats: &Exports,
    path: &Path,
    named: bool,
    opts: &WalkOptions,
) {
    let diag = scanner.diagnostics;
    let name = shown(path);
    let Some((mut file, len)) = open_to_scan(scanner, path, &name, named, opts) else {
        return;
    };
    let sniff = reader::SNIFF as u64;
    let mut head = Vec::with_capacity(len.unwrap_or(sniff).min(sniff) as usize);
    if let Err(e) = (&mut file).take(sniff).read_to_end(&mut head) {
        return diag.problem(name, format!("read error: {e}"));
    }
    let limits = archives.limits();
    let Some(kind) = archive::recognise(&head, &name) else {
        let rest = Cursor::new(head).chain(file);
        return scan_opened(scanner, chats, path, &name, rest, len, &limits);
    };
    let member: &archive::Member = &|member_path, member, reader, _size, chain| {
        chat::scan_member(scanner, chats, &limits, member_path, member, reader, chain);
    };
    match len {
        Some(_) => {
            // A Slack export's users and channels name the messages before them in the zip.
            if kind == archive::Kind::Zip {
                chats.preload_zip(&file, &name);
            }
            match file.rewind() {
                Ok(()) => archives.scan_opened(file, &name, kind, member),
                Err(e) => diag.problem(name, format!("read error: {e}")),
            }
        }
        None => archives.scan_read(&mut Cursor::new(head).chain(file), &name, kind, member),
    }
}

/// Opens a file to scan, with its length when it is a regular file; `None` when it was
/// skipped or reported.
fn open_to_scan(
    scanner: &Scanner,
    path: &Path,
    shown: &str,
    named: bool,
    opts: &WalkOptions,
) -> Option<(File, Option<u64>)> {
    let diag = scanner.diagnostics;
    match open_input(path, named) {
        Err(e) => diag.problem(shown, e.to_string()),
        Ok(Opened::Special) => diag.skipped_special(),
        Ok(Opened::File(_, len)) if opts.max_file_size.is_some_and(|max| len > max) => {
            diag.skipped_large();
        }
        Ok(Opened::File(f, len)) => return Some((f, Some(len))),
        Ok(Opened::Stream(f)) => return Some((f, None)),
    }
    None
}

/// Scans a file raw and, when it is a document (PDF, email), decoded as well.
fn scan_file(
    scanner: &Scanner,
    chats: &Exports,
    path: &Path,
    named: bool,
    opts: &WalkOptions,
    limits: &Limits,
) {
    let shown = shown(path);
    if let Some((file, len)) = open_to_scan(scanner, path, &shown, named, opts) {
        scan_opened(scanner, chats, path, &shown, file, len, limits);
    }
}

/// Scans an opened file (`len`: its length when it is a regular file); a regular file that is
/// a chat export is read as messages as well.
fn scan_opened(
    scanner: &Scanner,
    chats: &Exports,
    path: &Path,
    shown: &str,
    file: impl Read,
    len: Option<u64>,
    limits: &Limits,
) {
    let mut head = HeadTap::default();
    let hits = match len {
        Some(_) => {
            let hits = scanner.hits_in(shown, head.reading(file));
            let hits = match (hits, chat::recognise(shown, head.bytes())) {
                (Some(raw), Some(platform)) => {
                    return chat::scan_file(scanner, chats, path, shown, platform, raw);
                }
                (hits, _) => hits,
            };
            let raw = hits.as_deref();
            document::scan_document_file(scanner, limits, path, shown, head.bytes(), raw);
            hits
        }
        None => scanner.hits_in(shown, file),
    };
    if let Some(hits) = hits {
        scanner.record_all(&Origin::File, shown, hits);
    }
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

/// Files and directories, walked; archives opened within `archives` limits when given.
pub struct Files {
    pub paths: Vec<PathBuf>,
    pub walk: WalkOptions,
    pub archives: Option<archive::Limits>,
}

impl crate::source::Source for Files {
    fn scan(&self, scanner: &Scanner) -> Result<(), crate::source::SourceError> {
        let archives = self
            .archives
            .map(|limits| Archives::new(limits, scanner.diagnostics));
        scan_paths(scanner, &self.paths, &self.walk, archives.as_ref())?;
        Ok(())
    }
}
