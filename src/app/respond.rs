//! `patrol verify`, `patrol revoke`, `patrol incident` (text from standard input or files,
//! then verification and revocation) and `patrol steps`.

use std::path::PathBuf;

use anyhow::Result;

use super::pipeline::{Reported, scan_and_report};
use crate::cli::{DetectArgs, IncidentArgs, OutputArgs, RespondArgs, StdinArgs, StepsArgs};
use crate::plan::{self, RepoConfig, Request};
use crate::source::files::Files;
use crate::source::files::WalkOptions;
use crate::source::stdin::Stdin;

pub fn verify(mut args: StdinArgs) -> Result<i32> {
    args.respond.verify = true;
    Ok(scan_text(&[], &args.respond, &args.detect, &args.output)?.exit_code)
}

pub fn revoke(mut args: StdinArgs) -> Result<i32> {
    args.respond.revoke = true;
    Ok(scan_text(&[], &args.respond, &args.detect, &args.output)?.exit_code)
}

pub fn incident(mut args: IncidentArgs) -> Result<i32> {
    args.respond.verify = true;
    args.respond.revoke = true;
    let reported = scan_text(&args.paths, &args.respond, &args.detect, &args.output)?;
    let mut lines = vec![String::new(), "== What was done ==".to_string()];
    if reported.findings.is_empty() {
        lines.push("No GitHub credentials found.".to_string());
    }
    for f in &reported.findings {
        let verified = f
            .verification
            .as_ref()
            .map_or("not verified".to_string(), |v| v.describe());
        let revoked = f
            .revocation
            .as_ref()
            .map_or("not revoked".to_string(), |r| r.describe());
        lines.push(format!(
            "{}  {}: {verified}; {revoked}",
            f.secret.redacted(),
            f.kind.describe()
        ));
    }
    reported.console.block(lines);
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
) -> Result<Reported> {
    let plan = plan::lower(Request {
        repo: RepoConfig::of_current_dir()?,
        detect,
        output,
        respond,
        content: None,
        archives: None,
    })?;
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
