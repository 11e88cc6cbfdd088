//! The command-line edge: dispatches a parsed [`Cli`] to one file per command and turns the
//! outcome into an exit code. Each command lowers its arguments into a [`crate::plan::Plan`],
//! builds its sources and hands both to [`pipeline::scan_and_report`]. The only module (with
//! `main.rs`) that uses `anyhow`.

mod baseline;
mod config;
mod docs;
mod git;
mod github;
mod hook;
mod image;
mod logs;
mod merge;
mod pipeline;
mod report;
mod respond;
mod rules;
mod scan;
mod staged;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Exit code for usage and fatal errors.
pub const EXIT_ERROR: i32 = 2;
/// Exit code when a live secret was found (`--verify`).
pub const EXIT_LIVE: i32 = 3;
/// Exit code when a revocation failed.
pub const EXIT_REVOKE_FAILED: i32 = 4;
/// Exit code when some input could not be read completely and nothing else decided the code.
pub const EXIT_INCOMPLETE: i32 = 5;

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Git(args) => git::run(args),
        Command::Staged(args) => staged::run(args),
        Command::Hook(args) => hook::run(args.action),
        Command::Verify(args) => respond::verify(args),
        Command::Revoke(args) => respond::revoke(args),
        Command::Steps(args) => respond::steps(args),
        Command::Incident(args) => respond::incident(args),
        Command::Logs(args) => logs::run(args),
        Command::Github(args) => github::run(args),
        Command::Report(args) => report::run(args),
        Command::Image(args) => image::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Baseline(args) => baseline::run(args),
        Command::Config(args) => config::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man => docs::man(),
        Command::Rules(args) => rules::run(args),
    }
}
