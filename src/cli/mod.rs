//! The command line, declared once with clap. Every flag here is documented in the README and
//! is a contract: extend, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

mod github;
mod groups;

pub use github::*;
pub use groups::*;

#[derive(Debug, Parser)]
#[command(
    name = "patrol",
    // `patrol 0.1.0 (commit 1a2b3c4d5e6f, built 2026-11-26)`; see build.rs.
    version = concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        env!("PATROL_COMMIT"),
        ", built ",
        env!("PATROL_BUILD_DATE"),
        ")"
    ),
    about = "Find leaked GitHub credentials in files, git history and CI logs",
    long_about = "Find leaked GitHub credentials (personal access tokens, classic and fine-grained; \
OAuth, GitHub App user, installation and refresh tokens; legacy tokens; and values assigned to \
GitHub credential names) in files, git history and CI logs, and help put a leak right: verify, revoke, replace.\n\n\
Exit codes: 0 nothing found, 1 findings (see --exit-code), 2 usage or fatal error, 3 a live \
secret was found (--verify), 4 a revocation failed, 5 the scan was incomplete (an input could not \
be read completely; findings codes take precedence; see --allow-incomplete).\n\n\
`revoke` and `incident` exit by where tokens end: 0 every token found is dead at the end \
(revoked or dead before), 1 some token's end is not known (unverifiable, lockout, not revoked), \
3 a token is still live, 4 a revocation failed, 5 all dead but an input was not read completely. \
`scan --revoke` keeps the findings codes."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (`-` reads standard input)
    Scan(ScanArgs),
    /// Scan a repository's history: every blob of every ref, commit and tag messages
    Git(GitArgs),
    /// Scan what is about to be committed (the pre-commit check)
    Staged(StagedArgs),
    /// Install or remove the git pre-commit hook that runs `patrol staged`
    Hook(HookArgs),
    /// Check whether tokens read from standard input are live (never from the command line)
    Verify(StdinArgs),
    /// Revoke the GitHub tokens found in standard input (a chat message, a log excerpt)
    Revoke(StdinArgs),
    /// Print the steps to create and roll out a replacement for a token kind
    Steps(StepsArgs),
    /// "I pasted a token in chat": find, verify, revoke (after one confirmation) and explain
    Incident(IncidentArgs),
    /// Scan CI logs: files, directories, archives (GitHub run-log zips, .gz, .tar.gz), stdin,
    /// or GitHub Actions run logs fetched with --github
    Logs(LogsArgs),
    /// Scan every repository of an organisation or user (history, and optionally pull-request
    /// heads, wikis, gists and Actions run logs), incrementally, with a mirror cache and a datastore
    Github(GithubArgs),
    /// Print the findings stored in a `patrol github` datastore, in any output format
    Report(ReportArgs),
    /// Scan container images: docker save tarballs, OCI layouts, or REGISTRY/NAME[:TAG|@DIGEST]
    /// pulled over the registry API (every layer, deleted files included, and the config)
    Image(ImageArgs),
    /// Combine reports (json or sarif) of shards or separate runs into one, deduplicated by
    /// secret, every location kept; the exit code follows the merged findings as a scan's would
    Merge(MergeArgs),
    /// Write a baseline (a json report without secrets) of what PATH… holds now, to stdout
    Baseline(BaselineArgs),
    /// Check a configuration file
    Config(ConfigArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the manual page (roff)
    Man,
    /// List the detection rules
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Files or directories
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub detect: DetectArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The reports, as `-f json` or `-f sarif` wrote them (all in one format); with
    /// --datastore, the datastores of `patrol github`
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Merge datastores instead, into this one (replaced at once when complete; it may be
    /// one of the inputs), then print its findings as `patrol report --datastore` does
    #[arg(long, value_name = "OUT", conflicts_with_all = ["baseline", "show_suppressed"])]
    pub datastore: Option<PathBuf>,
    /// A previous json report: its secrets are not reported as new (the summary counts them)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also list suppressed findings, with the reason for each
    #[arg(long)]
    pub show_suppressed: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate a patrol.toml (default: ./patrol.toml)
    Check {
        #[arg(default_value = "patrol.toml")]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files, directories and archives; `-` reads standard input
    pub paths: Vec<PathBuf>,
    /// Fetch and scan the GitHub Actions run logs of OWNER/REPO (API token from GH_TOKEN or GITHUB_TOKEN)
    #[arg(long, value_name = "OWNER/REPO")]
    pub github: Option<String>,
    /// Only this run (repeatable)
    #[arg(long = "run", value_name = "ID", requires = "github")]
    pub runs: Vec<u64>,
    /// Only the N most recent runs
    #[arg(long, value_name = "N", requires = "github")]
    pub last: Option<usize>,
    /// Only runs created on or after DATE (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", requires = "github")]
    pub since: Option<String>,
    /// Only runs on this branch
    #[arg(long, value_name = "NAME", requires = "github")]
    pub branch: Option<String>,
    /// Only runs of this workflow file (e.g. ci.yml)
    #[arg(long, value_name = "FILE", requires = "github")]
    pub workflow: Option<String>,
    /// Delete the logs of runs where a secret was found (asks first; see --yes)
    #[arg(long, requires = "github")]
    pub delete_leaking_logs: bool,
    #[command(flatten)]
    pub archives: ArchiveArgs,
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
pub struct ImageArgs {
    /// `docker save` tarballs (compressed too), OCI layout directories or tarballs, or image
    /// references REGISTRY/NAME[:TAG|@DIGEST] (credentials from GHCR_TOKEN, GH_TOKEN or the
    /// docker configuration; never on the command line)
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Scan this platform of a multi-platform image (default: this machine's)
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    pub platform: Option<String>,
    /// Scan every platform of a multi-platform image, attestations included
    #[arg(long)]
    pub all_platforms: bool,
    #[command(flatten)]
    pub archives: ArchiveArgs,
    #[command(flatten)]
    pub content: ContentArgs,
    #[command(flatten)]
    pub respond: RespondArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `verify` and `revoke`: free text on standard input.
#[derive(Debug, Args)]
pub struct StdinArgs {
    #[command(flatten)]
    pub respond: RespondArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct StepsArgs {
    /// classic-pat, fine-grained-pat, oauth, user-to-server, installation, refresh,
    /// legacy-installation, legacy-hex or generic
    #[arg(value_name = "KIND", value_parser = parse_kind)]
    pub kind: crate::rules::TokenKind,
    /// GitHub API base URL, for GitHub Enterprise Server links
    #[arg(long, value_name = "URL", default_value = crate::github::client::DEFAULT_API_URL)]
    pub api_url: String,
}

#[derive(Debug, Args)]
pub struct IncidentArgs {
    /// Files to read (a chat export such as a Slack JSON export); standard input by default
    pub paths: Vec<PathBuf>,
    /// Write an incident record to FILE: Markdown (JSON with -f json) — when and where each
    /// token was found, its blast radius, each action with its time and GitHub's answer, the
    /// final state and the remaining manual steps; never a secret
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub respond: RespondArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository (a work tree, a bare repository or a linked worktree)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Also scan objects no ref reaches (dangling commits and blobs left by a force-push or an amend)
    #[arg(long)]
    pub all_objects: bool,
    /// Scan only what the commits REV..HEAD introduced (for pull requests)
    #[arg(long, value_name = "REV", conflicts_with_all = ["range", "all_objects"])]
    pub since: Option<String>,
    /// Scan only what the commits of the range A..B introduced
    #[arg(long, value_name = "A..B", conflicts_with = "all_objects")]
    pub range: Option<String>,
    /// Limit the refs to this branch (repeatable)
    #[arg(long, value_name = "NAME", conflicts_with = "all_objects")]
    pub branch: Vec<String>,
    /// Do not look inside archives and compressed files committed to history
    #[arg(long)]
    pub no_archives: bool,
    #[command(flatten)]
    pub archives: ArchiveArgs,
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
pub struct StagedArgs {
    /// The repository
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub respond: RespondArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Write .git/hooks/pre-commit (or core.hooksPath's) to run `patrol staged`
    Install {
        /// The repository
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Replace an existing hook that patrol did not write
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook if patrol wrote it
    Uninstall {
        /// The repository
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub archives: ArchiveArgs,
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
pub struct RulesArgs {
    /// Add the rules in this TOML file (repeatable)
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Output format (text or json)
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: Format,
}

fn parse_kind(s: &str) -> Result<crate::rules::TokenKind, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("500K"), Ok(500 << 10));
        assert_eq!(parse_size("20MiB"), Ok(20 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
