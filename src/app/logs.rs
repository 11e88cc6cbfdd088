//! `patrol logs`: CI log files, directories, archives, standard input and GitHub Actions run
//! logs; `--delete-leaking-logs` afterwards.

use anyhow::{Context, Result};

use super::pipeline::scan_and_report;
use crate::cli::LogsArgs;
use crate::console::Console;
use crate::finding::{Finding, Secret};
use crate::github::Client;
use crate::github::actions::RunFilter;
use crate::plan::{self, RepoConfig, Request};
use crate::source::Source;
use crate::source::logs::{GithubRuns, LogFiles, LogStdin};

/// The repository whose run logs are fetched, and how.
struct Github {
    repo: String,
    token: Secret,
    client: Client,
}

pub fn run(args: LogsArgs) -> Result<i32> {
    if args.paths.is_empty() && args.github.is_none() {
        anyhow::bail!(
            "give log files, directories or archives, `-` for standard input, or --github OWNER/REPO"
        );
    }
    let (stdin, paths) = plan::split_stdin(&args.paths);
    // Fetching from GitHub needs a token from the environment (never the command line).
    let github = match &args.github {
        Some(repo) => {
            let token = ["GH_TOKEN", "GITHUB_TOKEN"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()))
                .context("--github needs an API token in GH_TOKEN or GITHUB_TOKEN")?;
            let config = plan::respond_options(&args.respond).client;
            Some(Github {
                repo: repo.clone(),
                token: Secret::new(token.trim().as_bytes().to_vec()),
                client: Client::new(config)?,
            })
        }
        None => None,
    };
    let plan = plan::lower(Request {
        repo: RepoConfig::of_current_dir()?,
        detect: &args.detect,
        output: &args.output,
        respond: &args.respond,
        content: Some(&args.content),
        archives: Some(&args.archives),
    })?;
    let files = LogFiles {
        paths,
        archives: plan.archive_limits,
    };
    let runs = github.as_ref().map(|g| GithubRuns {
        repo: &g.repo,
        token: &g.token,
        client: &g.client,
        filter: RunFilter {
            runs: args.runs.clone(),
            last: args.last,
            since: args.since.clone(),
            branch: args.branch.clone(),
            workflow: args.workflow.clone(),
            newer_than: None,
        },
        archives: plan.archive_limits,
    });
    let mut sources: Vec<&dyn Source> = Vec::new();
    if stdin {
        sources.push(&LogStdin);
    }
    sources.push(&files);
    if let Some(runs) = &runs {
        sources.push(runs);
    }
    let reported = scan_and_report(&plan, &sources)?;
    if let (true, Some(g)) = (args.delete_leaking_logs, &github) {
        // A failed deletion is reported, but the findings still decide the exit code.
        if let Err(e) =
            delete_leaking_logs(&reported.findings, g, args.respond.yes, &reported.console)
        {
            reported.console.warning(&format!("{e:#}"));
        }
    }
    Ok(reported.exit_code)
}

/// Deletes the logs of the runs where something was found, after asking (or `--yes`).
fn delete_leaking_logs(
    findings: &[Finding],
    github: &Github,
    yes: bool,
    console: &Console,
) -> Result<()> {
    let mut runs: Vec<(u64, String)> = findings
        .iter()
        .flat_map(|f| f.locations.iter())
        .filter_map(|l| {
            l.log
                .as_ref()
                .and_then(|g| Some((g.run_id?, g.run_url.clone().unwrap_or_default())))
        })
        .collect();
    runs.sort();
    runs.dedup();
    if runs.is_empty() {
        return Ok(());
    }
    let mut list = vec![format!(
        "patrol: the logs of {} run(s) hold secrets:",
        runs.len()
    )];
    for (id, url) in &runs {
        list.push(format!("  run {id}  {url}"));
    }
    console.block(list);
    if !yes {
        match console.confirm("Delete these runs' logs? This cannot be undone.") {
            Some(true) => {}
            Some(false) => {
                console.message("no logs were deleted");
                return Ok(());
            }
            None => {
                console.message(
                    "no logs were deleted: no terminal to confirm on; pass --yes to delete without asking",
                );
                return Ok(());
            }
        }
    }
    let mut failed = 0;
    for (id, _) in &runs {
        match crate::github::actions::delete_logs(&github.client, &github.token, &github.repo, *id)
        {
            Ok(_) => console.message(&format!("deleted the logs of run {id}")),
            Err(e) => {
                failed += 1;
                console.message(&format!("could not delete the logs of run {id}: {e}"));
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("the logs of {failed} run(s) could not be deleted");
    }
    Ok(())
}
