//! What the progress bar says. The figures are atomics ([`Tally`]) that scanning and fetching
//! threads bump with one relaxed add; the line is only formatted when the bar is drawn (at most
//! 8 times a second, by [`line`]), so counting costs nothing per file or per packet. The line
//! holds counts and sizes only: never a path, a URL or anything read from an input, so no secret
//! can reach it.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::ProgressStyle;

use crate::diagnostics::human_bytes;

/// The running counts behind the bar (and the summary's `files`, `bytes`).
#[derive(Debug, Default)]
pub struct Tally {
    /// Inputs scanned: files, git objects, log files.
    pub scanned: AtomicU64,
    /// Bytes of those.
    pub bytes: AtomicU64,
    /// Hits recorded.
    pub found: AtomicU64,
    /// Bytes received by fetches from the network (`patrol github`).
    pub fetched: AtomicU64,
}

impl Tally {
    fn figures(&self) -> Figures {
        Figures {
            scanned: self.scanned.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            found: self.found.load(Ordering::Relaxed),
            fetched: self.fetched.load(Ordering::Relaxed),
        }
    }
}

/// A [`Tally`] read at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub scanned: u64,
    pub bytes: u64,
    pub found: u64,
    pub fetched: u64,
}

/// What the bar counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counting {
    /// Files scanned: `120 files  3.1 MiB  1.0 MiB/s  2 found`.
    Files,
    /// Units done out of a total (workflow runs, images): `3/10 runs  3.1 MiB  1.0 MiB/s  2 found`.
    Units(String),
    /// `patrol github`: repositories done/total, bytes fetched, objects scanned, findings:
    /// `3/100 repositories  1.2 MiB fetched  5012 objects  40.1 MiB  2.0 MiB/s  7 found`.
    Repositories,
}

/// The bar's line after the spinner: `done` of `total` units (ignored when counting files),
/// the figures, and the scanning rate over `elapsed`.
pub fn line(counting: &Counting, done: u64, total: u64, f: Figures, elapsed: Duration) -> String {
    let mut out = String::new();
    match counting {
        Counting::Files => {
            let _ = write!(out, "{} files  ", f.scanned);
        }
        Counting::Units(unit) => {
            let _ = write!(out, "{done}/{total} {unit}  ");
        }
        Counting::Repositories => {
            let _ = write!(
                out,
                "{done}/{total} repositories  {} fetched  {} objects  ",
                human_bytes(f.fetched),
                f.scanned
            );
        }
    }
    let secs = elapsed.as_secs_f64().max(1e-3);
    let _ = write!(
        out,
        "{}  {}/s  {} found",
        human_bytes(f.bytes),
        human_bytes((f.bytes as f64 / secs) as u64),
        f.found
    );
    out
}

/// A bar style drawing `counting` from `tally` each time the bar is drawn.
pub fn style(counting: Counting, tally: Arc<Tally>) -> ProgressStyle {
    let draw = move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
        let total = state.len().unwrap_or(0);
        let text = line(
            &counting,
            state.pos(),
            total,
            tally.figures(),
            state.elapsed(),
        );
        let _ = w.write_str(&text);
    };
    ProgressStyle::with_template("{spinner} {figures}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("figures", draw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIGURES: Figures = Figures {
        scanned: 5012,
        bytes: 42_048_512,
        found: 7,
        fetched: 1_258_291,
    };

    #[test]
    fn the_organisation_line_shows_repositories_fetched_bytes_objects_and_findings() {
        let text = line(
            &Counting::Repositories,
            3,
            100,
            FIGURES,
            Duration::from_secs(20),
        );
        assert_eq!(
            text,
            "3/100 repositories  1.2 MiB fetched  5012 objects  40.1 MiB  2.0 MiB/s  7 found"
        );
    }

    #[test]
    fn files_and_units_lines_keep_their_shape() {
        let d = Duration::from_secs(20);
        assert_eq!(
            line(&Counting::Files, 0, 0, FIGURES, d),
            "5012 files  40.1 MiB  2.0 MiB/s  7 found"
        );
        assert_eq!(
            line(&Counting::Units("runs".into()), 2, 9, FIGURES, d),
            "2/9 runs  40.1 MiB  2.0 MiB/s  7 found"
        );
        // No time elapsed yet: a rate, not a division by zero.
        assert!(line(&Counting::Files, 0, 0, Figures::default(), Duration::ZERO).contains("0 B/s"));
    }
}
