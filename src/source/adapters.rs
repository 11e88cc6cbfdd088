//! Every kind of input as a [`Source`] value that a command builds from its arguments and the
//! plan: standard input, walked files (with or without archives), CI logs (paths, standard input,
//! GitHub Actions runs), git history and staged changes. Each is a thin wrapper over its
//! module's entry point; the command runs them all through the one scan-and-report step.

use std::io;
use std::path::PathBuf;

use super::archive::{Archives, Limits};
use super::files::{self, WalkOptions};
use super::git::{self, GitOptions};
use super::reader::Origin;
use super::{Source, SourceError, logs, staged};
use crate::finding::{LogContext, Secret};
use crate::github::Client;
use crate::github::actions::RunFilter;
use crate::scan::Scanner;

/// Standard input, scanned as it arrives, located at `-`.
pub struct Stdin;

impl Source for Stdin {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        scanner.scan_arriving("-", io::stdin().lock(), |l| {
            let location = l.location("-", &Origin::Stdin);
            scanner.record(l.hit, location);
        });
        Ok(())
    }
}

/// Files and directories, walked; archives opened within `archives` limits when given.
pub struct Files {
    pub paths: Vec<PathBuf>,
    pub walk: WalkOptions,
    pub archives: Option<Limits>,
}

impl Source for Files {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let archives = self
            .archives
            .map(|limits| Archives::new(limits, scanner.diagnostics));
        files::scan_paths(scanner, &self.paths, &self.walk, archives.as_ref())?;
        Ok(())
    }
}

/// A CI log read from standard input as it arrives (`kubectl logs -f … | patrol logs -`).
pub struct LogStdin;

impl Source for LogStdin {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let ctx = LogContext::default();
        scanner.scan_arriving("-", io::stdin().lock(), |l| {
            logs::record(scanner, vec![l], "-", &ctx);
        });
        Ok(())
    }
}

/// CI log files, directories and archives.
pub struct LogFiles {
    pub paths: Vec<PathBuf>,
    pub archives: Limits,
}

impl Source for LogFiles {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let archives = Archives::new(self.archives, scanner.diagnostics);
        logs::scan_paths(scanner, &archives, &self.paths)?;
        Ok(())
    }
}

/// The run logs of a GitHub repository, fetched with the API.
pub struct GithubRuns<'a> {
    pub repo: &'a str,
    pub token: &'a Secret,
    pub client: &'a Client,
    pub filter: RunFilter,
    pub archives: Limits,
}

impl Source for GithubRuns<'_> {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let archives = Archives::new(self.archives, scanner.diagnostics);
        logs::scan_github(
            scanner,
            &archives,
            self.client,
            self.token,
            self.repo,
            &self.filter,
            self.archives.max_total,
        )?;
        Ok(())
    }
}

/// A repository's history.
pub struct History {
    pub repo: PathBuf,
    pub options: GitOptions,
}

impl Source for History {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        git::scan_history(scanner, &self.repo, &self.options)?;
        Ok(())
    }
}

/// What is about to be committed in a repository.
pub struct Staged {
    pub repo: PathBuf,
}

impl Source for Staged {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        staged::scan_staged(scanner, &self.repo)?;
        Ok(())
    }
}
