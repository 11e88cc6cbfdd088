//! The one channel for what is not a finding: unreadable files and other non-fatal problems
//! (printed through the [`Console`] as they happen and kept for the report), notes, the counters
//! behind the summary, and what the progress bar shows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::console::{Console, Counting, Tally};
use crate::matcher::Matcher;

/// A non-fatal problem with one input. Never holds secret material.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// What the summary line and the reports' `summary` object count.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    /// FIFOs, sockets and devices met in a walk: never opened.
    pub skipped_special: u64,
    pub errors: u64,
    pub elapsed_ms: u64,
    /// Findings not reported: allowlisted, excluded, inline-allowed, or in the baseline.
    pub suppressed: u64,
    /// Of those, the ones in the `--baseline`.
    pub baseline: u64,
    /// Some input could not be read completely (`errors` > 0): the scan did not look
    /// everywhere it was asked to.
    pub incomplete: bool,
    /// Facts about the run worth knowing (a shallow clone, submodules not entered, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `patrol github`: what happened to the repositories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repositories: Option<RepositoryStats>,
}

/// `patrol github`'s counts (the json summary's `repositories`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RepositoryStats {
    /// Repositories (and wikis, gists) selected after filters and sharding.
    pub selected: u64,
    /// Fetched (cloned or updated) from the network.
    pub fetched: u64,
    /// Scanned, wholly or incrementally.
    pub scanned: u64,
    /// Left alone: nothing moved since the last complete scan.
    pub skipped: u64,
    /// Could not be listed, fetched or scanned completely (see `errors`).
    pub failed: u64,
    /// Bytes received by fetches.
    pub bytes_fetched: u64,
    /// Listing pages asked for, and of those answered `304 Not Modified`.
    pub listing_pages: u64,
    pub listing_not_modified: u64,
}

pub struct Diagnostics {
    console: Arc<Console>,
    /// Redacts secrets in problem paths and messages (which may quote scanned content).
    redactor: Option<Arc<Matcher>>,
    started: Instant,
    problems: Mutex<Vec<Problem>>,
    notes: Mutex<Vec<String>>,
    /// Files (objects) and bytes scanned, hits, bytes fetched: what the bar draws.
    tally: Arc<Tally>,
    skipped_binary: AtomicU64,
    skipped_large: AtomicU64,
    skipped_special: AtomicU64,
}

impl Diagnostics {
    /// Problems and notes are printed through `console` (which `-q` silences); problems are
    /// still kept for the report.
    pub fn new(console: Arc<Console>) -> Diagnostics {
        let tally = Arc::new(Tally::default());
        console.start_progress(tally.clone());
        Diagnostics {
            console,
            redactor: None,
            started: Instant::now(),
            problems: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
            tally,
            skipped_binary: AtomicU64::new(0),
            skipped_large: AtomicU64::new(0),
            skipped_special: AtomicU64::new(0),
        }
    }

    /// Diagnostics that print nothing (tests, fuzzing).
    pub fn silent() -> Diagnostics {
        Diagnostics::new(Arc::new(Console::new(true)))
    }

    /// From now on, every secret `matcher` finds in a problem's path or message, or in a note,
    /// is redacted before it is printed or kept.
    pub fn redacting(mut self, matcher: Arc<Matcher>) -> Diagnostics {
        self.redactor = Some(matcher);
        self
    }

    fn redact(&self, text: String) -> String {
        match &self.redactor {
            Some(m) => m.redact_text(&text),
            None => text,
        }
    }

    /// The console problems and notes are printed on.
    pub fn console(&self) -> &Console {
        &self.console
    }

    /// Reports a problem with `path` and keeps it for the report.
    pub fn problem(&self, path: impl Into<String>, message: impl Into<String>) {
        let p = Problem {
            path: self.redact(path.into()),
            message: self.redact(message.into()),
        };
        self.console.problem(&p.path, &p.message);
        if let Ok(mut v) = self.problems.lock() {
            v.push(p);
        }
    }

    /// How many problems were reported so far.
    pub fn problem_count(&self) -> usize {
        self.problems.lock().map_or(0, |v| v.len())
    }

    /// A fact about the run (not a problem): printed once and kept for the summary.
    pub fn note(&self, message: &str) {
        let message = &self.redact(message.to_string());
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if notes.iter().any(|n| n == message) {
            return;
        }
        self.console.note(message);
        notes.push(message.to_string());
    }

    pub fn scanned(&self, bytes: u64) {
        self.tally.scanned.fetch_add(1, Ordering::Relaxed);
        self.tally.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A hit was recorded (for the progress bar).
    pub fn found(&self) {
        self.tally.found.fetch_add(1, Ordering::Relaxed);
    }

    /// Where fetches add the bytes they receive, as they arrive (for the progress bar).
    pub fn fetched_bytes(&self) -> &AtomicU64 {
        &self.tally.fetched
    }

    /// From now on the bar counts `total` units named `unit` (e.g. workflow runs).
    pub fn track_units(&self, total: u64, unit: &str) {
        self.console
            .count_progress(Counting::Units(unit.to_string()), total);
    }

    /// From now on the bar counts `total` repositories, with bytes fetched and objects scanned.
    pub fn track_repositories(&self, total: u64) {
        self.console.count_progress(Counting::Repositories, total);
    }

    pub fn unit_done(&self) {
        self.console.progress_step();
    }

    pub fn skipped_binary(&self) {
        self.skipped_binary.fetch_add(1, Ordering::Relaxed);
    }

    pub fn skipped_large(&self) {
        self.skipped_large.fetch_add(1, Ordering::Relaxed);
    }

    /// A FIFO, socket or device met in a walk, skipped without being opened.
    pub fn skipped_special(&self) {
        self.skipped_special.fetch_add(1, Ordering::Relaxed);
    }

    /// Stops the progress bar and returns the counters and problems.
    pub fn finish(self) -> (Stats, Vec<Problem>) {
        self.console.finish_progress();
        let mut problems = self
            .problems
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        problems.sort();
        let stats = Stats {
            files: self.tally.scanned.load(Ordering::Relaxed),
            bytes: self.tally.bytes.load(Ordering::Relaxed),
            skipped_binary: self.skipped_binary.into_inner(),
            skipped_large: self.skipped_large.into_inner(),
            skipped_special: self.skipped_special.into_inner(),
            errors: problems.len() as u64,
            incomplete: !problems.is_empty(),
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            suppressed: 0,
            baseline: 0,
            notes: self.notes.into_inner().unwrap_or_else(|e| e.into_inner()),
            repositories: None,
        };
        (stats, problems)
    }
}

/// `1.5 MiB`-style sizes for people.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
