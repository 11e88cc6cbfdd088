//! The command line, declared once with clap. Every flag here is documented in the README and
//! is a contract: extend, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;
use crate::rules::Confidence;

#[derive(Debug, Parser)]
#[command(
    name = "patrol",
    version,
    about = "Find leaked GitHub credentials in files, git history and CI logs",
    long_about = "Find leaked GitHub credentials (personal access tokens, classic and fine-grained; \
OAuth, GitHub App user, installation and refresh tokens; legacy tokens; and values assigned to \
GitHub credential names) in files, git history and CI logs, and help put a leak right: verify, revoke, replace.\n\n\
Exit codes: 0 nothing found, 1 findings (see --exit-code), 2 usage or fatal error, 3 a live \
secret was found (--verify), 4 a revocation failed, 5 the scan was incomplete (an input could not \
be read completely; findings codes take precedence; see --allow-incomplete)."
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

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Archives")]
pub struct ArchiveArgs {
    /// Most bytes decompressed from archives in one run (e.g. 500M, 8G)
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "8G")]
    pub max_archive_bytes: u64,
    /// Most decompressed bytes per compressed byte in any archive member
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_archive_ratio: u64,
    /// Most levels of archives inside archives
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_archive_depth: u32,
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

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Respond (these contact GitHub; nothing is sent without them)")]
pub struct RespondArgs {
    /// Check each distinct secret with GitHub (live, dead, unknown, unverifiable)
    #[arg(long)]
    pub verify: bool,
    /// Report only live secrets (implies --verify)
    #[arg(long)]
    pub only_live: bool,
    /// Revoke the secrets found, after listing them and asking on the terminal (see --yes)
    #[arg(long)]
    pub revoke: bool,
    /// Revoke without asking
    #[arg(long)]
    pub yes: bool,
    /// Show what --revoke would do and send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the steps to create and roll out a replacement for each finding
    #[arg(long)]
    pub steps: bool,
    /// Append one JSON line per verification and revocation to FILE (never the secret)
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// GitHub API base URL (GitHub Enterprise Server: https://HOST/api/v3)
    #[arg(long, value_name = "URL", default_value = crate::github::client::DEFAULT_API_URL)]
    pub api_url: String,
    /// Least time between two verification requests, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 250)]
    pub api_interval: u64,
    /// Seconds before a GitHub request times out
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub api_timeout: u64,
    /// Retries of a request after a network error, 5xx or rate limit
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub api_retries: u32,
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
#[command(next_help_heading = "Walking")]
pub struct WalkArgs {
    /// Honour .gitignore and other ignore files (by default ignored files, such as .env, are scanned)
    #[arg(long)]
    pub gitignore: bool,
    /// Leave out paths matching this gitignore-style glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symbolic links
    #[arg(long, short = 'L')]
    pub follow: bool,
    /// Skip files larger than this (e.g. 500K, 20M, 1G)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Do not look inside .zip, .gz, .tar and .tar.gz files
    #[arg(long)]
    pub no_archives: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Content")]
pub struct ContentArgs {
    /// Scan content that looks binary too
    #[arg(long)]
    pub binary: bool,
    /// Worker threads (default: one per core)
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Detection")]
pub struct DetectArgs {
    /// Add the rules in this TOML file (same format as rules/*.toml; repeatable)
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Also report tokens whose checksum fails, marked invalid
    #[arg(long)]
    pub include_invalid: bool,
    /// Report only findings at or above this confidence
    #[arg(long, value_name = "LEVEL", default_value = "low", value_parser = parse_confidence)]
    pub min_confidence: Confidence,
    /// Read this configuration instead of patrol.toml at the scanned repository's root
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A previous json report: its secrets are not reported as new (the summary counts them)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also list suppressed findings, with the reason for each
    #[arg(long)]
    pub show_suppressed: bool,
    /// Ignore inline allow comments (patrol:allow, gitleaks:allow, pragma: allowlist secret)
    #[arg(long)]
    pub no_inline_allow: bool,
    /// Ignore the scanned repository's own configuration: patrol.toml, .patrolallow and
    /// .patrolignore (--config still applies)
    #[arg(long)]
    pub no_repo_config: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to this file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in full (by default at most the prefix and 4 characters are shown)
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit code when something is found
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Exit 0 rather than 5 when some input could not be read completely (it is still reported)
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Print nothing but the report (no progress, summary or warnings on stderr)
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Colour in text output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
    /// List at most N locations per secret (the first ones); every location is still counted
    #[arg(long, value_name = "N", default_value_t = crate::finding::DEFAULT_MAX_LOCATIONS,
          value_parser = parse_max_locations)]
    pub max_locations: usize,
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

fn parse_max_locations(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number, 1 or more".into()),
    }
}

fn parse_confidence(s: &str) -> Result<Confidence, String> {
    s.parse()
}

/// `1234`, `500K`, `20M`, `1G` (binary units; a trailing `B`/`iB` is accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("invalid size {s:?} (examples: 4096, 500K, 20M, 1G)"))
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
