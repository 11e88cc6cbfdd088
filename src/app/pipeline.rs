//! The one scan-and-report step every scanning command ends in: run the sources through one
//! [`Scanner`], filter by confidence, suppress, respond (verify, revoke), write the report and
//! pick the exit code.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

use std::sync::Arc;

use anyhow::{Context, Result};

use super::{EXIT_INCOMPLETE, EXIT_LIVE, EXIT_REVOKE_FAILED};
use crate::console::{self, Console};
use crate::diagnostics::Diagnostics;
use crate::finding::Finding;
use crate::plan::{OutputPlan, Plan};
use crate::report::Report;
use crate::respond;
use crate::scan::Scanner;
use crate::source::Source;
use crate::source::reader::DEFAULT_CHUNK;
use crate::suppress::Reason;

/// What a scan left for the command: its exit code and the findings reported.
pub struct Reported {
    pub exit_code: i32,
    pub findings: Vec<Finding>,
    /// Where the command prints anything it has to add.
    pub console: Arc<Console>,
}

/// Scans `sources` in order with `plan`, reports, and responds as the plan says.
pub fn scan_and_report(plan: &Plan, sources: &[&dyn Source]) -> Result<Reported> {
    // The output is opened before anything is read or sent: an unwritable `-o` must not
    // leave tokens revoked and no report written.
    let mut out = open_output(&plan.output)?;
    if let Some(n) = plan.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start worker threads")?;
    }
    let diagnostics = Diagnostics::new(plan.console.clone()).redacting(plan.matcher.clone());
    let scanner = Scanner::new(&plan.matcher, &diagnostics, DEFAULT_CHUNK, plan.skip_binary)
        .with_max_locations(plan.output.max_locations);
    for source in sources {
        source.scan(&scanner)?;
    }
    let mut findings = scanner.finish();
    findings.retain(|f| f.confidence >= plan.min_confidence);
    let (mut stats, problems) = diagnostics.finish();
    let (mut findings, suppressed) = plan.suppressor.apply(findings);
    stats.suppressed = suppressed.len() as u64;
    stats.baseline = suppressed
        .iter()
        .filter(|s| s.reason == Reason::Baseline)
        .count() as u64;
    let outcome = respond::respond(&mut findings, &plan.respond, &plan.console)?;
    let report = Report {
        findings: &findings,
        suppressed: if plan.show_suppressed {
            &suppressed
        } else {
            &[]
        },
        stats: &stats,
        problems: &problems,
        rules: &plan.rules,
        show_secrets: plan.output.show_secrets,
        color: false,
        quiet: plan.output.quiet,
        list_problems: plan.output.quiet || plan.output.path.is_some(),
    };
    write_report(report, &plan.output, &mut out)?;
    let exit_code = if outcome.any_failed {
        EXIT_REVOKE_FAILED
    } else if outcome.any_live {
        EXIT_LIVE
    } else if !findings.is_empty() && plan.output.exit_code != 0 {
        i32::from(plan.output.exit_code)
    } else if stats.incomplete && !plan.output.allow_incomplete {
        EXIT_INCOMPLETE
    } else {
        0
    };
    Ok(Reported {
        exit_code,
        findings,
        console: plan.console.clone(),
    })
}

/// Where the report goes: `-o FILE` (created now) or standard output.
fn open_output(out: &OutputPlan) -> Result<Box<dyn Write>> {
    Ok(match &out.path {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout())),
    })
}

fn write_report(mut report: Report, out: &OutputPlan, sink: &mut Box<dyn Write>) -> Result<()> {
    if out.path.is_none() {
        report.color = console::use_color(out.color, io::stdout().is_terminal());
    }
    let written = report.write(out.format, sink).and_then(|()| sink.flush());
    match written {
        // A closed pipe (`patrol scan | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the report"),
    }
}
