//! `patrol merge REPORT…`: shard reports combined into one (see [`crate::merge`]), written in
//! any format, with the exit code a scan of everything would have had. `patrol merge
//! --datastore OUT DB…`: shard datastores combined into one ([`crate::datastore::merge`]), then
//! printed as `patrol report --datastore OUT` prints it.

use std::io::Write;

use anyhow::{Context, Result, bail};

use super::pipeline::{Outcome, exit_code, open_output, open_sink, written};
use crate::cli::MergeArgs;
use crate::console::Console;
use crate::github::{Revocation, Verification};
use crate::merge::sarif::SarifMerger;
use crate::merge::{self, Input, Merger};
use crate::plan::OutputPlan;
use crate::report::Format;
use crate::suppress::{Reason, Suppressor};

pub fn run(args: MergeArgs) -> Result<i32> {
    let output = OutputPlan::of(&args.output);
    let console = Console::new(output.quiet).with_color(output.color);
    if let Some(out) = &args.datastore {
        let merged = crate::datastore::merge::merge(&args.reports, out)?;
        console.note(&format!(
            "{} datastore{} merged into {}: {} runs, {} secrets, {} repositories",
            args.reports.len(),
            if args.reports.len() == 1 { "" } else { "s" },
            out.display(),
            merged.runs,
            merged.secrets,
            merged.repositories
        ));
        return super::report::print_stored(out, false, &args.output);
    }
    let mut suppressor = Suppressor::new(false);
    if let Some(b) = &args.baseline {
        suppressor.baseline_file(b)?;
    }
    let mut json = Merger::new(output.max_locations);
    let mut sarif = SarifMerger::default();
    let (mut json_inputs, mut sarif_inputs) = (0, 0);
    for path in &args.reports {
        let name = path.display().to_string();
        if crate::datastore::schema::check_file(path).is_ok() {
            bail!("{name}: a datastore: merge datastores with --datastore OUT");
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        match merge::read(&name, &text)? {
            Input::Json(report) => {
                json.add(*report);
                json_inputs += 1;
            }
            Input::Sarif(doc) => {
                sarif.add(doc);
                sarif_inputs += 1;
            }
        }
    }
    if sarif_inputs > 0 {
        if json_inputs > 0 {
            bail!("cannot merge json and SARIF reports together: write every report in one format");
        }
        if output.format != Format::Sarif {
            bail!(
                "SARIF reports merge into SARIF only (-f sarif); merge json reports for any format"
            );
        }
        let (doc, o) = sarif.finish(output.show_secrets, |fp| suppressor.in_baseline(fp));
        let (mut out, _) = open_output(&output)?;
        written(
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush()),
        )?;
        let outcome = Outcome {
            revocation_failed: o.revocation_failed,
            live: o.live,
            found: o.found,
            incomplete: o.incomplete,
        };
        return Ok(exit_code(outcome, &output));
    }
    let merged = json.finish(output.show_secrets);
    let (findings, newly_suppressed) = suppressor.apply(merged.findings);
    let mut stats = merged.stats;
    stats.suppressed += newly_suppressed.len() as u64;
    stats.baseline += newly_suppressed
        .iter()
        .filter(|s| s.reason == Reason::Baseline)
        .count() as u64;
    for p in &merged.problems {
        console.problem(&p.path, &p.message);
    }
    // The merger already decided how each secret is shown: the writers print it as it is.
    let shown_as_merged = OutputPlan {
        show_secrets: true,
        ..output.clone()
    };
    let mut sink = open_sink(&shown_as_merged, crate::rules::builtin()?)?;
    let write = |sink: &mut Box<dyn crate::report::Sink>| -> std::io::Result<()> {
        for f in &findings {
            sink.finding(f)?;
        }
        if args.show_suppressed {
            for s in merged.suppressed.iter().chain(&newly_suppressed) {
                sink.suppressed(s)?;
            }
        }
        for p in &merged.problems {
            sink.problem(p)?;
        }
        sink.finish(&stats)
    };
    written(write(&mut sink))?;
    let outcome = Outcome {
        revocation_failed: findings
            .iter()
            .any(|f| matches!(f.revocation, Some(Revocation::Failed { .. }))),
        live: findings
            .iter()
            .any(|f| f.verification.as_ref().is_some_and(Verification::is_live)),
        found: !findings.is_empty(),
        incomplete: stats.incomplete || !merged.problems.is_empty(),
    };
    Ok(exit_code(outcome, &output))
}
