//! `patrol verify`, `patrol revoke`, `patrol incident` (text from standard input or files,
//! then verification, blast radius, revocation, the "What was done" summary and the incident
//! record) and `patrol steps`. `revoke` and `incident` exit by where tokens ended (0 all dead,
//! 3 one still live, 4 a revocation failed).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::pipeline::{Reported, scan_and_report};
use crate::cli::{DetectArgs, IncidentArgs, OutputArgs, RespondArgs, StdinArgs, StepsArgs};
use crate::finding::Finding;
use crate::github::client::web_host;
use crate::github::state;
use crate::plan::{self, RepoConfig, Request};
use crate::record;
use crate::remediate::Host;
use crate::report::Format;
use crate::source::files::Files;
use crate::source::files::WalkOptions;
use crate::source::stdin::Stdin;

pub fn verify(mut args: StdinArgs) -> Result<i32> {
    args.respond.verify = true;
    Ok(scan_text(&[], &args.respond, &args.detect, &args.output, false)?.exit_code)
}

pub fn revoke(mut args: StdinArgs) -> Result<i32> {
    args.respond.revoke = true;
    Ok(scan_text(&[], &args.respond, &args.detect, &args.output, true)?.exit_code)
}

pub fn incident(mut args: IncidentArgs) -> Result<i32> {
    args.respond.verify = true;
    args.respond.revoke = true;
    // Like -o, the record is created before anything is read or sent.
    let record = match &args.record {
        Some(path) => Some((
            path,
            BufWriter::new(
                File::create(path)
                    .with_context(|| format!("cannot write the record {}", path.display()))?,
            ),
        )),
        None => None,
    };
    let reported = scan_text(&args.paths, &args.respond, &args.detect, &args.output, true)?;
    let mut order: Vec<&Finding> = reported.findings.iter().collect();
    order.sort_by_key(|f| crate::respond::severity(f));
    let mut lines = vec![String::new(), "== What was done ==".to_string()];
    if order.is_empty() {
        lines.push("No GitHub credentials found.".to_string());
    }
    for f in order {
        let state = state::of(f).map_or("not checked".to_string(), |s| s.text);
        let severity = f
            .blast_radius
            .as_ref()
            .map(|b| format!(" [{}]", b.severity.as_str()))
            .unwrap_or_default();
        let revoked = f
            .revocation
            .as_ref()
            .map_or("not revoked".to_string(), |r| r.describe());
        lines.push(format!(
            "{}  {}{severity}: {state}; {revoked}",
            f.secret.redacted(),
            f.kind.describe()
        ));
    }
    reported.console.block(lines);
    if let Some((path, mut out)) = record {
        let host = Host::new(web_host(&args.respond.api_url));
        let r = record::build(
            &reported.findings,
            &reported.journal,
            &reported.found_at,
            &host,
        );
        let written = match args.output.format {
            Format::Json => record::write_json(&r, &mut out),
            _ => record::write_markdown(&r, &mut out),
        };
        written
            .and_then(|()| out.flush())
            .with_context(|| format!("cannot write the record {}", path.display()))?;
        reported
            .console
            .message(&format!("incident record written to {}", path.display()));
    }
    Ok(reported.exit_code)
}

pub fn steps(args: StepsArgs) -> Result<i32> {
    let host = crate::remediate::Host::new(crate::github::client::web_host(&args.api_url));
    print!("{}", crate::remediate::create_steps(args.kind, &host));
    Ok(0)
}

/// Scans standard input (or `paths`, when given) and responds as `respond` says.
fn scan_text(
    paths: &[PathBuf],
    respond: &RespondArgs,
    detect: &DetectArgs,
    output: &OutputArgs,
    exit_by_end_state: bool,
) -> Result<Reported> {
    let mut plan = plan::lower(Request {
        repo: RepoConfig::of_current_dir()?,
        detect,
        output,
        respond,
        content: None,
        archives: None,
    })?;
    plan.respond.exit_by_end_state = exit_by_end_state;
    if paths.is_empty() {
        return scan_and_report(&plan, &[&Stdin]);
    }
    let files = Files {
        paths: paths.to_vec(),
        walk: WalkOptions::default(),
        archives: None,
    };
    scan_and_report(&plan, &[&files])
}
