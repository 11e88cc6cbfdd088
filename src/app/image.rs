//! `patrol image TARGET…`: container images from files, directories and registries.

use std::time::Duration;

use anyhow::Result;

use super::pipeline::scan_and_report;
use crate::cli::ImageArgs;
use crate::plan::{self, RepoConfig, Request};
use crate::registry::Registry;
use crate::source::image::{Images, Platforms};

pub fn run(args: ImageArgs) -> Result<i32> {
    let plan = plan::lower(Request {
        repo: RepoConfig::of_current_dir()?,
        detect: &args.detect,
        output: &args.output,
        respond: &args.respond,
        content: Some(&args.content),
        archives: Some(&args.archives),
    })?;
    let platforms = match (&args.platform, args.all_platforms) {
        (_, true) => Platforms::All,
        (Some(p), false) => Platforms::One(p.trim_matches('/').to_string()),
        (None, false) => Platforms::Host,
    };
    let registry = Registry::new(
        Duration::from_secs(args.respond.api_timeout.max(1)),
        args.respond.api_retries,
    )?;
    let images = Images {
        targets: args.targets.clone(),
        platforms,
        archives: plan.archive_limits,
        registry: &registry,
    };
    Ok(scan_and_report(&plan, &[&images])?.exit_code)
}
