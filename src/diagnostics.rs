//! The one channel for what is not a finding: unreadable files and other non-fatal problems
//! (printed through the [`Console`] as they happen and kept for the report), notes, the counters
//! behind the summary, and what the progress bar shows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::console::Console;
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
    files: AtomicU64,
    bytes: AtomicU64,
    skipped_binary: AtomicU64,
    skipped_large: AtomicU64,
    skipped_special: AtomicU64,
    found: AtomicU64,
    /// The bar counts units (such as workflow runs) rather than files.
    units: std::sync::atomic::AtomicBool,
    progress: Option<ProgressBar>,
}

impl Diagnostics {
    /// Problems and notes are printed through `console` (which `-q` silences); problems are
    /// still kept for the report.
    pub fn new(console: Arc<Console>) -> Diagnostics {
        let progress = console.start_progress();
        Diagnostics {
            console,
            redactor: None,
            started: Instant::now(),
            problems: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped_binary: AtomicU64::new(0),
            skipped_large: AtomicU64::new(0),
            skipped_special: AtomicU64::new(0),
            found: AtomicU64::new(0),
            units: std::sync::atomic::AtomicBool::new(false),
            progress,
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
        let files = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(bar) = &self.progress {
            if !self.units.load(Ordering::Relaxed) {
                bar.set_position(files);
            }
            self.refresh(bar);
        }
    }

    fn refresh(&self, bar: &ProgressBar) {
        let total = self.bytes.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let found = self.found.load(Ordering::Relaxed);
        bar.set_message(format!(
            "{}  {}/s  {found} found",
            human_bytes(total),
            human_bytes((total as f64 / secs) as u64)
        ));
    }

    /// A hit was recorded (for the progress bar).
    pub fn found(&self) {
        self.found.fetch_add(1, Ordering::Relaxed);
    }

    /// From now on the bar counts `total` units named `unit` (e.g. workflow runs).
    pub fn track_units(&self, total: u64, unit: &str) {
        self.units.store(true, Ordering::Relaxed);
        if let Some(bar) = &self.progress {
            bar.set_length(total);
            bar.set_position(0);
            let template = format!("{{spinner}} {{pos}}/{{len}} {unit}  {{msg}}");
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
        }
    }

    pub fn unit_done(&self) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
            self.refresh(bar);
        }
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
            files: self.files.into_inner(),
            bytes: self.bytes.into_inner(),
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
