//! The argument groups that several commands share (walking, archives, content, respond,
//! detection, output) and the value parsers behind them. Each flag is documented in the README
//! and is a contract: extend, never rename.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::report::Format;
use crate::rules::Confidence;

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
    /// Most requests spent on each live token's blast radius (owner, scopes, organisations,
    /// repositories it reads, pushes to, administers); 0 skips it
    #[arg(long, value_name = "N", default_value_t = crate::github::blast::DEFAULT_LIMIT)]
    pub blast_radius_limit: u32,
    /// Keep re-checking a token GitHub accepted to revoke for this long (after 2, 5, 10, 20, 20…
    /// seconds) before calling it submitted but still live
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub recheck_for: u64,
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
    /// Scan content that looks binary with every rule (default: the checksummed token rules only)
    #[arg(long, conflicts_with = "no_binary")]
    pub binary: bool,
    /// Skip content that looks binary (counted as skipped)
    #[arg(long)]
    pub no_binary: bool,
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
