//! `patrol git [REPO]`: a repository's history.

use anyhow::Result;

use super::pipeline::scan_and_report;
use crate::cli::GitArgs;
use crate::plan::{self, RepoConfig, Request};
use crate::source::git::History;
use crate::source::git::{self, GitOptions};

pub fn run(args: GitArgs) -> Result<i32> {
    let options = GitOptions {
        all_objects: args.all_objects,
        branches: args.branch.clone(),
        since: args.since.clone(),
        range: args.range.clone(),
        no_archives: args.no_archives,
        ..GitOptions::default()
    };
    // A range is scanned with the configuration of its base revision, never its own.
    let repo = match git::config::config_at_base(&args.repo, &options)? {
        Some(base) => RepoConfig::at_revision(&base),
        None => RepoConfig::of_repository(&args.repo)?,
    };
    let plan = plan::lower(Request {
        repo,
        detect: &args.detect,
        output: &args.output,
        respond: &args.respond,
        content: Some(&args.content),
        archives: Some(&args.archives),
    })?;
    let history = History {
        repo: args.repo.clone(),
        options: GitOptions {
            archive_limits: plan.archive_limits,
            ..options
        },
    };
    Ok(scan_and_report(&plan, &[&history])?.exit_code)
}
