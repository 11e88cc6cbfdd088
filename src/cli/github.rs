//! The arguments of `patrol github` (an organisation, a user or a list of repositories: every
//! repository's history, and optionally pull-request heads, wikis, gists and Actions run logs)
//! and of `patrol report --datastore` (what the datastore holds). Documented in the README:
//! a contract, extend, never rename.

use std::path::PathBuf;

use clap::Args;

use super::{ContentArgs, DetectArgs, OutputArgs, RespondArgs};

#[derive(Debug, Args)]
#[command(next_help_heading = "Targets")]
pub struct GithubTargets {
    /// Every repository of this organisation (repeatable)
    #[arg(long = "org", value_name = "ORG")]
    pub orgs: Vec<String>,
    /// Every repository of this user (repeatable; with --gists, their gists too)
    #[arg(long = "user", value_name = "USER")]
    pub users: Vec<String>,
    /// This repository (repeatable)
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    pub repos: Vec<String>,
    /// The repositories listed in FILE, one OWNER/NAME a line (`#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub repos_from: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "What to scan")]
pub struct GithubScope {
    /// Also scan every repository's GitHub Actions run logs
    #[arg(long)]
    pub logs: bool,
    /// Also scan pull-request heads (refs/pull/*/head), closed and unmerged ones included
    #[arg(long)]
    pub pull_refs: bool,
    /// Also scan each repository's wiki (when it has one)
    #[arg(long)]
    pub wikis: bool,
    /// Also scan the gists of each --user
    #[arg(long)]
    pub gists: bool,
    /// Also scan the container packages of each --org and --user (ghcr.io, or containers.HOST
    /// of GitHub Enterprise Server): every tagged version, every platform
    #[arg(long)]
    pub packages: bool,
    /// With --packages: the untagged versions too
    #[arg(long, requires = "packages")]
    pub include_untagged: bool,
    /// With --packages: pull from this registry (HOST[:PORT]) instead of GitHub's; HTTPS,
    /// except to a loopback address
    #[arg(long, value_name = "HOST", requires = "packages")]
    pub registry: Option<String>,
    /// Include forks (left out by default)
    #[arg(long)]
    pub include_forks: bool,
    /// Include archived repositories (left out by default)
    #[arg(long)]
    pub include_archived: bool,
    /// Leave out repositories (and packages) whose OWNER/NAME matches this glob (repeatable;
    /// `*` any run of characters, `?` one)
    #[arg(long, value_name = "OWNER/NAME-GLOB")]
    pub exclude: Vec<String>,
    /// With --logs: only runs created on or after DATE (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", requires = "logs")]
    pub since: Option<String>,
    /// Scan only shard K of N (0 ≤ K < N, as JOB_COMPLETION_INDEX): a stable subset of the
    /// repositories by a hash of OWNER/NAME
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse_shard)]
    pub shard: Option<crate::shard::Shard>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Cache and state")]
pub struct GithubState {
    /// Where the bare mirrors are kept between runs (default: the user cache directory's patrol/)
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The SQLite datastore of scanned tips and findings (default: CACHE_DIR/patrol.db)
    #[arg(long, value_name = "FILE")]
    pub datastore: Option<PathBuf>,
    /// Repositories cloned or fetched at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub fetch_jobs: usize,
    /// Report only secrets first seen in this run
    #[arg(long)]
    pub new: bool,
    /// Ignore the saved state: scan every repository's whole history again
    #[arg(long)]
    pub full: bool,
    /// Longest wait for the API rate limit, in seconds; past it the run stops cleanly with
    /// what was done recorded (and the scan is incomplete)
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub max_wait: u64,
}

#[derive(Debug, Args)]
pub struct GithubArgs {
    #[command(flatten)]
    pub targets: GithubTargets,
    #[command(flatten)]
    pub scope: GithubScope,
    #[command(flatten)]
    pub state: GithubState,
    #[command(flatten)]
    pub content: ContentArgs,
    #[command(flatten)]
    pub respond: RespondArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The datastore written by `patrol github`
    #[arg(long, value_name = "FILE")]
    pub datastore: PathBuf,
    /// Only the secrets first seen in the datastore's last run
    #[arg(long)]
    pub new: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}
