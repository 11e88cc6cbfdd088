//! The one scan-and-report step every scanning command ends in: run the sources through one
//! [`Scanner`], filter by confidence, suppress, respond (verify, revoke), hand everything to the
//! report's [`Sink`] and pick the exit code. A `jsonl` report that no response changes is fed
//! while the scan runs.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use super::{EXIT_INCOMPLETE, EXIT_LIVE, EXIT_REVOKE_FAILED};
use crate::console::{self, Console};
use crate::diagnostics::{Diagnostics, Stats};
use crate::finding::{Finding, Location};
use crate::github::state::{self, End};
use crate::plan::{OutputPlan, Plan};
use crate::report::{self, Format, Sink, SinkOptions};
use crate::respond;
use crate::rules::Rule;
use crate::scan::Scanner;
use crate::source::Source;
use crate::source::reader::{DEFAULT_CHUNK, OnBinary};
use crate::suppress::Reason;

/// What a scan left for the command: its exit code and the findings reported.
pub struct Reported {
    pub exit_code: i32,
    pub findings: Vec<Finding>,
    /// Where the command prints anything it has to add.
    pub console: Arc<Console>,
    /// Every action taken on GitHub, in order (for the incident record).
    pub journal: Vec<crate::audit::Entry>,
    /// When the scan ended: when its tokens were found.
    pub found_at: String,
}

/// What a command adds to the shared steps (`patrol github`: findings stored by earlier runs,
/// `--new`, the datastore's record of responses).
pub trait Extras {
    /// False when the command changes findings after the scan (then a jsonl report waits).
    fn streams(&self) -> bool {
        true
    }
    /// Called after the responses, before the report is written: may drop findings of this
    /// run, adjust the stats, and returns more findings to report (not responded to).
    fn before_report(
        &mut self,
        findings: &mut Vec<Finding>,
        stats: &mut Stats,
    ) -> Result<Vec<Finding>>;
}

/// No extras: what most commands use.
struct Plain;

impl Extras for Plain {
    fn before_report(&mut self, _: &mut Vec<Finding>, _: &mut Stats) -> Result<Vec<Finding>> {
        Ok(Vec::new())
    }
}

/// Scans `sources` in order with `plan`, reports, and responds as the plan says.
pub fn scan_and_report(plan: &Plan, sources: &[&dyn Source]) -> Result<Reported> {
    scan_and_report_with(plan, sources, &mut Plain)
}

/// [`scan_and_report`] with a command's [`Extras`].
pub fn scan_and_report_with(
    plan: &Plan,
    sources: &[&dyn Source],
    extras: &mut dyn Extras,
) -> Result<Reported> {
    // The output is opened before anything is read or sent: an unwritable `-o` must not
    // leave tokens revoked and no report written.
    let sink = Mutex::new(open_sink(&plan.output, plan.rules.clone())?);
    if let Some(n) = plan.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start worker threads")?;
    }
    let diagnostics = Diagnostics::new(plan.console.clone()).redacting(plan.matcher.clone());
    // Verification and revocation change findings after the scan: only then is jsonl held back.
    let r = &plan.respond;
    let streaming = plan.output.format == Format::Jsonl
        && !(r.verify || r.only_live || r.revoke)
        && extras.streams();
    let live = Live {
        plan,
        sink: &sink,
        shown: Mutex::new(HashMap::new()),
        error: Mutex::new(None),
    };
    let on_location = |f: &Finding| live.location(f);
    let on_binary = match &plan.binary_matcher {
        Some(m) => OnBinary::ScanWith(m),
        None => OnBinary::Skip,
    };
    let mut scanner = Scanner::new(&plan.matcher, &diagnostics, DEFAULT_CHUNK, on_binary)
        .with_max_locations(plan.output.max_locations);
    if streaming {
        scanner = scanner.streaming_to(&on_location);
    }
    for source in sources {
        source.scan(&scanner)?;
    }
    let mut findings = scanner.finish();
    let found_at = crate::time::now_utc();
    findings.retain(|f| f.confidence >= plan.min_confidence);
    let (mut stats, problems) = diagnostics.finish();
    let (mut findings, suppressed) = plan.suppressor.apply(findings);
    stats.suppressed = suppressed.len() as u64;
    stats.baseline = suppressed
        .iter()
        .filter(|s| s.reason == Reason::Baseline)
        .count() as u64;
    let outcome = respond::respond(&mut findings, &plan.respond, &plan.console)?;
    let extra = extras.before_report(&mut findings, &mut stats)?;
    if let Some(e) = live.error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        written(Err(e))?;
    }
    let mut sink = sink.into_inner().unwrap_or_else(|e| e.into_inner());
    let write = |sink: &mut Box<dyn Sink>| -> io::Result<()> {
        if !streaming {
            for f in &findings {
                sink.finding(f)?;
            }
        }
        for f in &extra {
            sink.finding(f)?;
        }
        if plan.show_suppressed {
            for s in &suppressed {
                sink.suppressed(s)?;
            }
        }
        for p in &problems {
            sink.problem(p)?;
        }
        sink.finish(&stats)
    };
    written(write(&mut sink))?;
    // `revoke` and `incident` say where tokens ended (every one dead is done); the other
    // commands say what was found.
    let by_end = plan.respond.exit_by_end_state;
    let ends: Vec<End> = findings.iter().map(state::end).collect();
    let live = if by_end {
        ends.contains(&End::Live)
    } else {
        outcome.any_live
    };
    let settled = by_end && ends.iter().all(|e| *e == End::Dead);
    let exit_code = exit_code(
        Outcome {
            revocation_failed: outcome.any_failed,
            live,
            found: !(settled || (findings.is_empty() && extra.is_empty())),
            incomplete: stats.incomplete,
        },
        &plan.output,
    );
    findings.extend(extra);
    Ok(Reported {
        exit_code,
        findings,
        console: plan.console.clone(),
        journal: outcome.journal,
        found_at,
    })
}

/// What decides a run's exit code.
pub(super) struct Outcome {
    pub revocation_failed: bool,
    pub live: bool,
    pub found: bool,
    pub incomplete: bool,
}

/// The exit code of a run (README, "Exit codes"): a failed revocation, then a live secret, then
/// findings (`--exit-code`), then an incomplete scan (unless `--allow-incomplete`).
pub(super) fn exit_code(o: Outcome, output: &OutputPlan) -> i32 {
    if o.revocation_failed {
        EXIT_REVOKE_FAILED
    } else if o.live {
        EXIT_LIVE
    } else if o.found && output.exit_code != 0 {
        i32::from(output.exit_code)
    } else if o.incomplete && !output.allow_incomplete {
        EXIT_INCOMPLETE
    } else {
        0
    }
}

/// Feeds a streaming sink while the scan runs, with the filters the end of the run applies:
/// confidence, suppression, one line per distinct location, at most `--max-locations` each.
struct Live<'p> {
    plan: &'p Plan,
    sink: &'p Mutex<Box<dyn Sink>>,
    shown: Mutex<HashMap<String, HashSet<Location>>>,
    error: Mutex<Option<io::Error>>,
}

impl Live<'_> {
    fn location(&self, f: &Finding) {
        let Some(location) = f.locations.first() else {
            return;
        };
        if f.confidence < self.plan.min_confidence
            || self
                .plan
                .suppressor
                .hides_location(&f.fingerprint, location)
        {
            return;
        }
        {
            let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
            let seen = shown.entry(f.fingerprint.clone()).or_default();
            if seen.len() >= self.plan.output.max_locations || !seen.insert(location.clone()) {
                return;
            }
        }
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = sink.finding(f) {
            self.error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        }
    }
}

/// The report's sink, writing to `-o FILE` (created now) or standard output; `rules` describe
/// the findings (SARIF).
pub(super) fn open_sink(out: &OutputPlan, rules: Vec<Rule>) -> Result<Box<dyn Sink>> {
    let (writer, color) = open_output(out)?;
    Ok(report::make_sink(
        out.format,
        writer,
        SinkOptions {
            show_secrets: out.show_secrets,
            color,
            quiet: out.quiet,
            list_problems: out.quiet || out.path.is_some(),
            rules,
        },
    ))
}

/// Where the report goes: `-o FILE` (created now) or standard output, and whether text there
/// is coloured.
pub(super) fn open_output(out: &OutputPlan) -> Result<(Box<dyn Write + Send>, bool)> {
    Ok(match &out.path {
        Some(path) => (
            Box::new(BufWriter::new(
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
            )),
            false,
        ),
        None => (
            Box::new(BufWriter::new(io::stdout())),
            console::use_color(out.color, io::stdout().is_terminal()),
        ),
    })
}

pub(super) fn written(result: io::Result<()>) -> Result<()> {
    match result {
        // A closed pipe (`patrol scan | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the report"),
    }
}
