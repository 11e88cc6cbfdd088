//! `patrol report --datastore FILE`: the findings a `patrol github` datastore holds, in any
//! output format. Secrets are never stored, so each is shown by its redacted form and
//! fingerprint; `--new` keeps the ones first seen in the datastore's last run.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Parser;

use super::pipeline::{open_sink, written};
use crate::cli::{Cli, Command, OutputArgs, ReportArgs};
use crate::datastore::Datastore;
use crate::diagnostics::Stats;
use crate::plan::{self, OutputPlan, RepoConfig, Request};

pub fn run(args: ReportArgs) -> Result<i32> {
    print_stored(&args.datastore, args.new, &args.output)
}

/// Prints the findings the datastore at `path` holds (`new`: only those first seen in its last
/// run) as `output` says; returns the exit code.
pub fn print_stored(path: &Path, new: bool, output: &OutputArgs) -> Result<i32> {
    // Detection and respond settings do not apply to stored findings: their defaults.
    let Command::Github(defaults) = Cli::try_parse_from(["patrol", "github"])?.command else {
        anyhow::bail!("internal: default arguments");
    };
    let plan = plan::lower(Request {
        repo: RepoConfig::none(),
        detect: &defaults.detect,
        output,
        respond: &defaults.respond,
        content: None,
        archives: None,
    })?;
    let store = Datastore::open_existing(path)?;
    let last_run = store.last_run()?;
    let stored = store
        .stored(None, plan.output.max_locations)
        .context("cannot read the stored findings")?;
    let findings: Vec<_> = stored
        .into_iter()
        .filter(|s| !new || Some(s.first_run) == last_run)
        .map(|s| s.finding)
        .collect();
    // What is stored is the redacted form already: shown as it is, not shortened again.
    let stored_form = OutputPlan {
        show_secrets: true,
        ..plan.output.clone()
    };
    let mut sink = open_sink(&stored_form, plan.rules.clone())?;
    let mut write = || -> std::io::Result<()> {
        for f in &findings {
            sink.finding(f)?;
        }
        sink.finish(&Stats::default())
    };
    written(write())?;
    Ok(if !findings.is_empty() && plan.output.exit_code != 0 {
        i32::from(plan.output.exit_code)
    } else {
        0
    })
}
