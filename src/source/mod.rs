//! Sources turn inputs into bytes with a location and know nothing of rules: `reader` scans any
//! byte stream in overlapping chunks and numbers lines; `files` walks paths in parallel; `git`
//! reads history; `staged` reads what is about to be committed; `stdin` reads standard input as
//! it arrives (`arriving`); `logs` reads CI logs and `archive` opens zip, gzip and tar files for
//! both.
//!
//! Every source implements [`Source`] in its own module (`files::Files`, `stdin::Stdin`,
//! `logs::{LogFiles, LogStdin, GithubRuns}`, `git::History`, `staged::Staged`): a command
//! builds its sources from the plan and hands each the one [`Scanner`]. A source hands bytes to
//! the scanner with where they came from, and reports every input it could not read completely
//! as a problem (which makes the scan incomplete); it never prints.

pub mod archive;
pub mod arriving;
pub mod binary;
pub mod chat;
pub mod document;
pub mod files;
pub mod git;
pub mod image;
pub mod logs;
pub mod org;
pub mod reader;
pub mod staged;
pub mod stdin;

use crate::scan::Scanner;

/// One kind of input: files, standard input, git history, staged changes, CI logs, …
pub trait Source {
    /// Scans everything this source was asked to read. An `Err` is fatal for the run (the
    /// repository does not exist, a bad exclude pattern); anything that fails for one input only
    /// is a problem reported through `scanner.diagnostics`, and scanning goes on.
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError>;
}

/// A fatal error from a source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Walk(#[from] files::WalkError),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error(transparent)]
    Actions(#[from] crate::github::actions::ActionsError),
    #[error("{0}")]
    Other(String),
}
