//! `patrol baseline PATH…`: a `json` report without secrets; writing one never fails on
//! findings, only on an incomplete scan (exit 5).

use anyhow::Result;

use crate::cli::{BaselineArgs, Cli, Command};

/// It is `scan -f json -q --exit-code 0` over the same paths and detection settings, with clap
/// supplying every other default, so they cannot drift from `scan`'s.
pub fn run(args: BaselineArgs) -> Result<i32> {
    let parsed = <Cli as clap::Parser>::try_parse_from([
        "patrol",
        "scan",
        "-f",
        "json",
        "-q",
        "--exit-code",
        "0",
        "--color",
        "never",
    ])?;
    let Command::Scan(mut scan_args) = parsed.command else {
        anyhow::bail!("internal error: `scan` did not parse as a scan");
    };
    scan_args.paths = args.paths;
    scan_args.detect = args.detect;
    // Findings never fail a baseline; an incomplete scan does (the baseline would miss what
    // could not be read).
    match super::scan::run(scan_args)? {
        super::EXIT_INCOMPLETE => Ok(super::EXIT_INCOMPLETE),
        _ => Ok(0),
    }
}
