//! CI logs: log files, directories, standard input and archives (GitHub's run-log zip layout —
//! `N_job.txt` at the top, `job/N_step.txt` per step, step files possibly missing — `.gz` and
//! `.tar.gz`). Each location carries the archive and member, the job and step names from the
//! layout, and the line's Actions timestamp. Matching needs no normalisation pass: timestamps,
//! `##[group]` markers, CRLF and a BOM are ordinary bytes to the rules, and the matcher strips
//! ANSI colour codes only in the few windows that hold a candidate and an escape.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::finding::{LogContext, Secret};
use crate::github::Client;
use crate::github::actions::{self, ActionsError, Run, RunFilter};
use crate::scan::Scanner;
use crate::source::archive::{self, Archives};
use crate::source::document;
use crate::source::files::{self, Opened, WalkError, WalkOptions};
use crate::source::reader::{Located, Origin};
use crate::source::{Source, SourceError};

/// Job and step names from a member path in GitHub's run-log layout.
pub fn layout(member: &str) -> (Option<String>, Option<String>) {
    let strip = |file: &str| -> String {
        let stem = file.strip_suffix(".txt").unwrap_or(file);
        let digits = stem.trim_start_matches('-');
        match digits.split_once('_') {
            Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                rest.to_string()
            }
            _ => stem.to_string(),
        }
    };
    let mut parts: Vec<&str> = member.split('/').collect();
    let file = parts.pop().unwrap_or(member);
    if !file.ends_with(".txt") {
        return (None, None);
    }
    match parts.last() {
        // `job/N_step.txt`
        Some(job) => (Some((*job).to_string()), Some(strip(file))),
        // `N_job.txt` at the top
        None => (Some(strip(file)), None),
    }
}

/// The Actions timestamp at the start of a line (after a BOM), if there is one.
pub fn timestamp(line_head: &[u8]) -> Option<String> {
    let head = line_head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line_head);
    let end = head.iter().position(|&b| b == b' ')?;
    let t = &head[..end];
    let shape_ok = t.len() >= 20
        && t[4] == b'-'
        && t[7] == b'-'
        && t[10] == b'T'
        && t[13] == b':'
        && t[16] == b':'
        && t.last() == Some(&b'Z')
        && t[..4].iter().all(u8::is_ascii_digit);
    shape_ok.then(|| String::from_utf8_lossy(t).into_owned())
}

/// Records hits from one log with its context.
pub fn record(scanner: &Scanner, hits: Vec<Located>, path: &str, base: &LogContext) {
    scanner.record_all(&Origin::Log(base), path, hits);
}

/// Scans one log member of an archive (through the container steps `chain`): decoded as well
/// when its name or first bytes say it is a document, as `patrol scan` reads members.
pub fn scan_log_member(
    scanner: &Scanner,
    limits: &archive::Limits,
    path: &str,
    name: &str,
    input: &mut dyn Read,
    chain: &[crate::matcher::Encoding],
    base: &LogContext,
) {
    let hits = document::member_hits(scanner, limits, path, name, input, chain);
    record(scanner, hits, path, &context_for(name, base));
}

/// `base` with the job and step that `name` gives in GitHub's layout.
fn context_for(name: &str, base: &LogContext) -> LogContext {
    let (job, step) = layout(name);
    LogContext {
        job: base.job.clone().or(job),
        step: base.step.clone().or(step),
        ..base.clone()
    }
}

/// Scans a downloaded run-log zip.
pub fn scan_run_archive(
    scanner: &Scanner,
    archives: &Archives,
    file: std::fs::File,
    shown: &str,
    base: &LogContext,
) {
    archives.scan_opened(
        file,
        shown,
        archive::Kind::Zip,
        &|path, member, reader, _size, chain| {
            let ctx = LogContext {
                archive: Some(shown.to_string()),
                member: Some(member.to_string()),
                ..base.clone()
            };
            let limits = archives.limits();
            scan_log_member(scanner, &limits, path, member, reader, chain, &ctx);
        },
    );
}

/// `patrol logs --github OWNER/REPO`: the selected runs' log archives, downloaded in parallel
/// (bounded by the worker count) to temporary files and scanned from there. An expired or failing run is reported
/// and skipped. Returns the runs that were scanned.
pub fn scan_github(
    scanner: &Scanner,
    archives: &Archives,
    client: &Client,
    token: &Secret,
    repo: &str,
    filter: &RunFilter,
    limit: u64,
) -> Result<Vec<Run>, ActionsError> {
    let runs = actions::list_runs(client, token, repo, filter)?;
    let diag = scanner.diagnostics;
    if runs.is_empty() {
        diag.note("no workflow run matched");
    }
    diag.track_units(runs.len() as u64, "runs");
    runs.par_iter().for_each(|run| {
        match actions::download_logs(client, token, repo, run.id, limit) {
            Ok(file) => {
                let base = LogContext {
                    run_id: Some(run.id),
                    run_url: Some(run.html_url.clone()),
                    ..LogContext::default()
                };
                scan_run_archive(
                    scanner,
                    archives,
                    file,
                    &format!("run-{}.zip", run.id),
                    &base,
                );
            }
            Err(e) => diag.problem(format!("run {}", run.id), e.to_string()),
        }
        diag.unit_done();
    });
    Ok(runs)
}

/// `patrol logs PATH…`: files and directories (walked), archives opened.
pub fn scan_paths(
    scanner: &Scanner,
    archives: &Archives,
    roots: &[PathBuf],
) -> Result<(), WalkError> {
    files::for_each_file(
        scanner.diagnostics,
        roots,
        &WalkOptions::default(),
        |path, named| scan_path(scanner, archives, path, named),
    )
}

fn scan_path(scanner: &Scanner, archives: &Archives, path: &Path, named: bool) {
    let shown = files::shown(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(kind) = archive::kind_of(&shown) {
        let file = match files::open_input(path, named) {
            Ok(Opened::File(f, _) | Opened::Stream(f)) => f,
            Ok(Opened::Special) => return scanner.diagnostics.skipped_special(),
            Err(e) => return scanner.diagnostics.problem(shown, e.to_string()),
        };
        archives.scan_opened(
            file,
            &shown,
            kind,
            &|member_path, member, reader, _size, chain| {
                let ctx = LogContext {
                    archive: Some(shown.clone()),
                    member: Some(member.to_string()),
                    ..LogContext::default()
                };
                let limits = archives.limits();
                scan_log_member(scanner, &limits, member_path, member, reader, chain, &ctx);
            },
        );
        return;
    }
    let hits = match files::open_input(path, named) {
        Err(e) => return scanner.diagnostics.problem(shown, e.to_string()),
        Ok(Opened::Special) => return scanner.diagnostics.skipped_special(),
        Ok(Opened::File(file, _) | Opened::Stream(file)) => scanner.hits_in(&shown, file),
    };
    if let Some(hits) = hits {
        record(
            scanner,
            hits,
            &shown,
            &context_for(&name, &LogContext::default()),
        );
    }
}

/// A CI log read from standard input as it arrives (`kubectl logs -f … | patrol logs -`).
pub struct LogStdin;

impl Source for LogStdin {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let ctx = LogContext::default();
        scanner.scan_arriving("-", std::io::stdin().lock(), |l| {
            record(scanner, vec![l], "-", &ctx);
        });
        Ok(())
    }
}

/// CI log files, directories and archives.
pub struct LogFiles {
    pub paths: Vec<PathBuf>,
    pub archives: archive::Limits,
}

impl Source for LogFiles {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let archives = Archives::new(self.archives, scanner.diagnostics);
        scan_paths(scanner, &archives, &self.paths)?;
        Ok(())
    }
}

/// The run logs of a GitHub repository, fetched with the API.
pub struct GithubRuns<'a> {
    pub repo: &'a str,
    pub token: &'a Secret,
    pub client: &'a Client,
    pub filter: RunFilter,
    pub archives: archive::Limits,
}

impl Source for GithubRuns<'_> {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        let archives = Archives::new(self.archives, scanner.diagnostics);
        scan_github(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_layout() {
        assert_eq!(layout("0_build.txt"), (Some("build".into()), None));
        assert_eq!(
            layout("-9999999999_test (ubuntu).txt"),
            (Some("test (ubuntu)".into()), None)
        );
        assert_eq!(
            layout("build/3_Run tests.txt"),
            (Some("build".into()), Some("Run tests".into()))
        );
        assert_eq!(
            layout("build/system.txt"),
            (Some("build".into()), Some("system".into()))
        );
        assert_eq!(
            layout("logs/deploy/3_Publish.txt"),
            (Some("deploy".into()), Some("Publish".into()))
        );
        assert_eq!(layout("notes.md"), (None, None));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp(b"\xEF\xBB\xBF2025-04-07T12:57:33.2904078Z ##[group]Run x").as_deref(),
            Some("2025-04-07T12:57:33.2904078Z")
        );
        assert_eq!(timestamp(b"no timestamp here"), None);
        assert_eq!(timestamp(b"2025-04-07"), None);
    }
}
