//! `patrol scan PATH…`: files, directories, archives and standard input.

use anyhow::Result;

use super::pipeline::scan_and_report;
use crate::cli::ScanArgs;
use crate::plan::{self, RepoConfig, Request};
use crate::source::Source;
use crate::source::files::Files;
use crate::source::files::WalkOptions;
use crate::source::stdin::Stdin;

pub fn run(args: ScanArgs) -> Result<i32> {
    let (stdin, paths) = plan::split_stdin(&args.paths);
    let plan = plan::lower(Request {
        repo: RepoConfig::of_scanned_paths(&paths)?,
        detect: &args.detect,
        output: &args.output,
        respond: &args.respond,
        content: Some(&args.content),
        archives: Some(&args.archives),
    })?;
    let mut excludes = args.walk.exclude.clone();
    excludes.extend(plan.config_excludes.iter().cloned());
    let files = Files {
        paths,
        walk: WalkOptions {
            gitignore: args.walk.gitignore,
            excludes,
            follow: args.walk.follow,
            max_file_size: args.walk.max_file_size,
            no_repo_config: args.detect.no_repo_config,
        },
        archives: (!args.walk.no_archives).then_some(plan.archive_limits),
    };
    let sources: Vec<&dyn Source> = if stdin {
        vec![&Stdin, &files]
    } else {
        vec![&files]
    };
    Ok(scan_and_report(&plan, &sources)?.exit_code)
}
