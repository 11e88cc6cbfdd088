//! The command-line edge: runs a parsed [`Cli`] with the library and turns the outcome into an
//! exit code. The only module that uses `anyhow`.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{ArchiveArgs, LogsArgs};
use crate::cli::{
    Cli, ColorChoice, Command, ContentArgs, DetectArgs, GitArgs, HookAction, IncidentArgs,
    OutputArgs, RespondArgs, RulesArgs, ScanArgs, StagedArgs, StepsArgs,
};
use crate::config::Config;
use crate::diagnostics::Diagnostics;
use crate::finding::{Finding, SourceKind};
use crate::github::Client;
use crate::github::ClientConfig;
use crate::github::actions::RunFilter;
use crate::matcher::{Matcher, MatcherOptions};
use crate::report::{Format, Report};
use crate::respond::{self, RespondOptions};
use crate::rules::{self, Rule};
use crate::scan::Scanner;
use crate::source::archive::{Archives, Limits};
use crate::source::files::{self, WalkOptions};
use crate::source::git::{self, GitOptions};
use crate::source::logs;
use crate::source::reader::DEFAULT_CHUNK;
use crate::source::staged;
use crate::suppress::{Reason, Suppressor};

/// Exit code for usage and fatal errors.
pub const EXIT_ERROR: i32 = 2;
/// Exit code when a live secret was found (`--verify`).
pub const EXIT_LIVE: i32 = 3;
/// Exit code when a revocation failed.
pub const EXIT_REVOKE_FAILED: i32 = 4;

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Git(args) => git_history(args),
        Command::Staged(args) => staged(args),
        Command::Hook(args) => hook(args.action),
        Command::Verify(args) => verify(args),
        Command::Revoke(args) => revoke(args),
        Command::Steps(args) => steps(args),
        Command::Incident(args) => incident(args),
        Command::Logs(args) => logs_command(args),
        Command::Baseline(args) => baseline(args),
        Command::Config(args) => config_command(args),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "patrol", &mut io::stdout());
            Ok(0)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut io::stdout())
                .context("cannot write the manual page")?;
            Ok(0)
        }
        Command::Rules(args) => list_rules(args),
    }
}

/// What every scanning command shares: load rules, build the matcher, let `feed` push inputs
/// through a [`Scanner`], filter, report, and pick the exit code.
fn run_scan(
    root: Option<&Path>,
    detect: &DetectArgs,
    output: &OutputArgs,
    content: &ContentArgs,
    respond_args: &RespondArgs,
    feed: impl FnOnce(&Scanner, &Config) -> Result<()>,
) -> Result<(i32, Vec<Finding>)> {
    if let Some(n) = content.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start worker threads")?;
    }
    let config = Config::discover(detect.config.as_deref(), root)?;
    let mut rules = rules::load(&detect.rules)?;
    rules.extend(config.rule.iter().cloned());
    for id in &config.disabled_rules {
        if !rules.iter().any(|r| &r.id == id) {
            anyhow::bail!(
                "{}: key `disabled_rules`: no rule has the id {id:?}",
                config_name(&config)
            );
        }
    }
    rules.retain(|r| !config.disabled_rules.contains(&r.id));
    rules::validate(&rules).with_context(|| format!("in {}", config_name(&config)))?;
    let matcher = Matcher::new(
        rules.clone(),
        MatcherOptions {
            include_invalid: detect.include_invalid,
            extra_placeholders: config
                .placeholders
                .iter()
                .map(|w| w.to_ascii_lowercase().into_bytes())
                .collect(),
        },
    )?;
    let mut suppressor = Suppressor::new(!detect.no_inline_allow);
    suppressor.allow(config.allow.iter().cloned());
    suppressor.exclude(&config.exclude)?;
    if let Some(allow) = root
        .map(|r| r.join(crate::suppress::ALLOW_FILE))
        .filter(|p| p.is_file())
    {
        suppressor.allow_file(&allow)?;
    }
    if let Some(b) = &detect.baseline {
        suppressor.baseline_file(b)?;
    }
    let diagnostics = Diagnostics::new(output.quiet);
    let scanner = Scanner::new(&matcher, &diagnostics, DEFAULT_CHUNK, !content.binary);
    feed(&scanner, &config)?;
    let mut findings = scanner.finish();
    findings.retain(|f| f.confidence >= detect.min_confidence);
    let (mut stats, problems) = diagnostics.finish();
    let (mut findings, suppressed) = suppressor.apply(findings);
    stats.suppressed = suppressed.len() as u64;
    stats.baseline = suppressed
        .iter()
        .filter(|s| s.reason == Reason::Baseline)
        .count() as u64;
    let outcome = respond::respond(&mut findings, &respond_options(respond_args, output.quiet))?;
    let report = Report {
        findings: &findings,
        suppressed: if detect.show_suppressed {
            &suppressed
        } else {
            &[]
        },
        stats: &stats,
        problems: &problems,
        rules: &rules,
        show_secrets: output.show_secrets,
        color: false,
        quiet: output.quiet,
    };
    write_report(report, output)?;
    let code = if outcome.any_failed {
        EXIT_REVOKE_FAILED
    } else if outcome.any_live {
        EXIT_LIVE
    } else if findings.is_empty() {
        0
    } else {
        i32::from(output.exit_code)
    };
    Ok((code, findings))
}

fn config_name(c: &Config) -> String {
    c.path.as_ref().map_or_else(
        || crate::config::FILE_NAME.to_string(),
        |p| p.display().to_string(),
    )
}

/// The directory whose patrol.toml and .patrolallow apply: the first directory scanned.
fn scan_root(paths: &[PathBuf]) -> PathBuf {
    paths
        .iter()
        .find(|p| p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The work tree (or git directory) of the repository at `path`, for its patrol.toml.
fn repo_root(path: &Path) -> PathBuf {
    git::open(path)
        .ok()
        .map(|r| r.workdir().unwrap_or_else(|| r.path()).to_path_buf())
        .unwrap_or_else(|| path.to_path_buf())
}

fn respond_options(a: &RespondArgs, quiet: bool) -> RespondOptions {
    RespondOptions {
        verify: a.verify,
        only_live: a.only_live,
        revoke: a.revoke,
        yes: a.yes,
        dry_run: a.dry_run,
        steps: a.steps,
        audit_log: a.audit_log.clone(),
        client: ClientConfig {
            api_url: a.api_url.clone(),
            timeout: std::time::Duration::from_secs(a.api_timeout.max(1)),
            retries: a.api_retries,
            ..ClientConfig::default()
        },
        interval: std::time::Duration::from_millis(a.api_interval),
        quiet,
    }
}

fn no_content() -> ContentArgs {
    ContentArgs {
        binary: false,
        threads: None,
    }
}

/// Scans standard input (or `paths`) and responds as `respond` says.
fn respond_to_text(
    paths: &[PathBuf],
    respond: &RespondArgs,
    detect: &DetectArgs,
    output: &OutputArgs,
) -> Result<(i32, Vec<Finding>)> {
    let paths = paths.to_vec();
    run_scan(
        Some(Path::new(".")),
        detect,
        output,
        &no_content(),
        respond,
        |scanner, _| {
            if paths.is_empty() {
                scanner.scan_input(SourceKind::Stdin, "-", io::stdin().lock(), None);
            } else {
                files::scan_paths(scanner, &paths, &WalkOptions::default(), None)?;
            }
            Ok(())
        },
    )
}

fn limits(a: &ArchiveArgs) -> Limits {
    Limits {
        max_total: a.max_archive_bytes,
        max_ratio: a.max_archive_ratio.max(1),
        max_depth: a.max_archive_depth.max(1),
    }
}

fn logs_command(args: LogsArgs) -> Result<i32> {
    if args.paths.is_empty() && args.github.is_none() {
        anyhow::bail!(
            "give log files, directories or archives, `-` for standard input, or --github OWNER/REPO"
        );
    }
    let (stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) = args
        .paths
        .iter()
        .cloned()
        .partition(|p| p.as_os_str() == "-");
    // Fetching from GitHub needs a token from the environment (never the command line).
    let github = match &args.github {
        Some(repo) => {
            let token = ["GH_TOKEN", "GITHUB_TOKEN"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()))
                .context("--github needs an API token in GH_TOKEN or GITHUB_TOKEN")?;
            let config = respond_options(&args.respond, args.output.quiet).client;
            Some((
                repo.clone(),
                crate::finding::Secret::new(token.trim().as_bytes().to_vec()),
                Client::new(config)?,
            ))
        }
        None => None,
    };
    let filter = RunFilter {
        runs: args.runs.clone(),
        last: args.last,
        since: args.since.clone(),
        branch: args.branch.clone(),
        workflow: args.workflow.clone(),
    };
    let (code, findings) = run_scan(
        Some(Path::new(".")),
        &args.detect,
        &args.output,
        &args.content,
        &args.respond,
        |scanner, _| {
            let archives = Archives::new(limits(&args.archives), scanner.diagnostics);
            if !stdin.is_empty() {
                let ctx = crate::finding::LogContext::default();
                logs::scan_log(scanner, "-", "-", &mut io::stdin().lock(), None, &ctx);
            }
            logs::scan_paths(scanner, &archives, &paths)?;
            if let Some((repo, token, client)) = &github {
                logs::scan_github(
                    scanner,
                    &archives,
                    client,
                    token,
                    repo,
                    &filter,
                    args.archives.max_archive_bytes,
                )?;
            }
            Ok(())
        },
    )?;
    if let (true, Some((repo, token, client))) = (args.delete_leaking_logs, &github) {
        delete_leaking_logs(&findings, client, token, repo, args.respond.yes)?;
    }
    Ok(code)
}

/// Deletes the logs of the runs where something was found, after asking (or `--yes`).
fn delete_leaking_logs(
    findings: &[Finding],
    client: &Client,
    token: &crate::finding::Secret,
    repo: &str,
    yes: bool,
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
    let mut list = format!("patrol: the logs of {} run(s) hold secrets:", runs.len());
    for (id, url) in &runs {
        list.push_str(&format!("\n  run {id}  {url}"));
    }
    eprintln!("{list}");
    if !yes {
        match respond::confirm("Delete these runs' logs? This cannot be undone.") {
            Some(true) => {}
            Some(false) => {
                eprintln!("patrol: no logs were deleted");
                return Ok(());
            }
            None => {
                eprintln!(
                    "patrol: no logs were deleted: no terminal to confirm on; pass --yes to delete without asking"
                );
                return Ok(());
            }
        }
    }
    let mut failed = 0;
    for (id, _) in &runs {
        match crate::github::actions::delete_logs(client, token, repo, *id) {
            Ok(_) => eprintln!("patrol: deleted the logs of run {id}"),
            Err(e) => {
                failed += 1;
                eprintln!("patrol: could not delete the logs of run {id}: {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("the logs of {failed} run(s) could not be deleted");
    }
    Ok(())
}

/// A baseline is a `json` report without secrets; writing one never fails on findings. It is
/// `scan -f json -q --exit-code 0` over the same paths and detection settings, with clap
/// supplying every other default, so they cannot drift from `scan`'s.
fn baseline(args: crate::cli::BaselineArgs) -> Result<i32> {
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
    scan(scan_args)?;
    Ok(0)
}

fn config_command(args: crate::cli::ConfigArgs) -> Result<i32> {
    match args.action {
        crate::cli::ConfigAction::Check { file } => {
            let config = Config::load(&file)?;
            let mut rules = rules::load(&[] as &[&Path])?;
            rules.extend(config.rule.iter().cloned());
            for id in &config.disabled_rules {
                if !rules.iter().any(|r| &r.id == id) {
                    anyhow::bail!(
                        "{}: key `disabled_rules`: no rule has the id {id:?}",
                        file.display()
                    );
                }
            }
            Matcher::new(rules, MatcherOptions::default())?.compile_all()?;
            println!(
                "{}: ok ({} rule(s), {} disabled, {} exclude(s), {} allowlisted fingerprint(s), {} placeholder word(s))",
                file.display(),
                config.rule.len(),
                config.disabled_rules.len(),
                config.exclude.len(),
                config.allow.len(),
                config.placeholders.len()
            );
            Ok(0)
        }
    }
}

fn verify(mut args: crate::cli::StdinArgs) -> Result<i32> {
    args.respond.verify = true;
    Ok(respond_to_text(&[], &args.respond, &args.detect, &args.output)?.0)
}

fn revoke(mut args: crate::cli::StdinArgs) -> Result<i32> {
    args.respond.revoke = true;
    Ok(respond_to_text(&[], &args.respond, &args.detect, &args.output)?.0)
}

fn incident(mut args: IncidentArgs) -> Result<i32> {
    args.respond.verify = true;
    args.respond.revoke = true;
    let (code, findings) = respond_to_text(&args.paths, &args.respond, &args.detect, &args.output)?;
    if !args.output.quiet {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "\n== What was done ==");
        if findings.is_empty() {
            let _ = writeln!(err, "No GitHub credentials found.");
        }
        for f in &findings {
            let verified = f
                .verification
                .as_ref()
                .map_or("not verified".to_string(), |v| v.describe());
            let revoked = f
                .revocation
                .as_ref()
                .map_or("not revoked".to_string(), |r| r.describe());
            let _ = writeln!(
                err,
                "{}  {}: {verified}; {revoked}",
                f.secret.redacted(),
                f.kind.describe()
            );
        }
    }
    Ok(code)
}

fn steps(args: StepsArgs) -> Result<i32> {
    let host = crate::remediate::Host::new(crate::github::client::web_host(&args.api_url));
    print!("{}", crate::remediate::create_steps(args.kind, &host));
    Ok(0)
}

fn scan(args: ScanArgs) -> Result<i32> {
    let (stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) = args
        .paths
        .iter()
        .cloned()
        .partition(|p| p.as_os_str() == "-");
    let walk = WalkOptions {
        gitignore: args.walk.gitignore,
        excludes: args.walk.exclude.clone(),
        follow: args.walk.follow,
        max_file_size: args.walk.max_file_size,
    };
    let root = scan_root(&paths);
    let (code, _) = run_scan(
        Some(&root),
        &args.detect,
        &args.output,
        &args.content,
        &args.respond,
        |scanner, config| {
            let mut walk = walk;
            walk.excludes.extend(config.exclude.iter().cloned());
            if !stdin.is_empty() {
                scanner.scan_input(SourceKind::Stdin, "-", io::stdin().lock(), None);
            }
            let archives = (!args.walk.no_archives)
                .then(|| Archives::new(limits(&args.archives), scanner.diagnostics));
            files::scan_paths(scanner, &paths, &walk, archives.as_ref())?;
            Ok(())
        },
    )?;
    Ok(code)
}

fn git_history(args: GitArgs) -> Result<i32> {
    let opts = GitOptions {
        all_objects: args.all_objects,
        branches: args.branch.clone(),
        since: args.since.clone(),
        range: args.range.clone(),
    };
    let root = repo_root(&args.repo);
    let (code, _) = run_scan(
        Some(&root),
        &args.detect,
        &args.output,
        &args.content,
        &args.respond,
        |scanner, _| {
            git::scan_history(scanner, &args.repo, &opts)?;
            Ok(())
        },
    )?;
    Ok(code)
}

fn staged(args: StagedArgs) -> Result<i32> {
    let root = repo_root(&args.repo);
    let (code, findings) = run_scan(
        Some(&root),
        &args.detect,
        &args.output,
        &no_content(),
        &args.respond,
        |scanner, _| {
            staged::scan_staged(scanner, &args.repo)?;
            Ok(())
        },
    )?;
    if !findings.is_empty() && !args.output.quiet {
        print_staged_help(&findings);
    }
    Ok(code)
}

/// How to put a blocked commit right, on stderr (the report itself went to stdout).
fn print_staged_help(findings: &[Finding]) {
    let mut places: Vec<(&str, u64)> = findings
        .iter()
        .flat_map(|f| f.locations.iter().map(|l| (l.path.as_str(), l.line)))
        .collect();
    places.sort();
    places.dedup();
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "\npatrol: commit blocked: {} GitHub credential{} in the staged changes.",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(err, "To fix it:");
    for (path, line) in &places {
        let _ = writeln!(
            err,
            "  - remove the token from {path}:{line} (read it from the environment or a secret store instead)"
        );
    }
    let mut paths: Vec<&str> = places.iter().map(|(p, _)| *p).collect();
    paths.dedup();
    let _ = writeln!(
        err,
        "  - then stage the fixed file, or unstage it: git restore --staged {}",
        paths.join(" ")
    );
    let _ = writeln!(
        err,
        "  - if the token was ever pushed, shared or pasted anywhere, treat it as leaked: revoke it \
         (GitHub → Settings → Developer settings → Personal access tokens) and create a new one"
    );
}

fn hook(action: HookAction) -> Result<i32> {
    match action {
        HookAction::Install { repo, force } => {
            let path = crate::hook::install(&repo, force)?;
            println!(
                "installed {}: commits that add GitHub credentials are blocked",
                path.display()
            );
        }
        HookAction::Uninstall { repo } => match crate::hook::uninstall(&repo)? {
            Some(path) => println!("removed {}", path.display()),
            None => println!("no pre-commit hook installed"),
        },
    }
    Ok(0)
}

fn write_report(mut report: Report, out: &OutputArgs) -> Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut sink: Box<dyn Write> = match &out.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => {
            report.color = match out.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => !no_color && io::stdout().is_terminal(),
            };
            Box::new(BufWriter::new(io::stdout().lock()))
        }
    };
    let written = report
        .write(out.format, &mut sink)
        .and_then(|()| sink.flush());
    match written {
        // A closed pipe (`patrol scan | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the report"),
    }
}

fn list_rules(args: RulesArgs) -> Result<i32> {
    let rules: Vec<Rule> = rules::load(&args.rules)?;
    // Compiling checks the user's regexes too.
    Matcher::new(rules.clone(), MatcherOptions::default())?.compile_all()?;
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Json | Format::Jsonl | Format::Sarif => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "kind": r.kind, "confidence": r.confidence,
                        "description": r.description, "literals": r.literals,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        Format::Text => {
            let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let k = rules.iter().map(|r| r.kind.len()).max().unwrap_or(0);
            for r in &rules {
                writeln!(
                    out,
                    "{:w$}  {:k$}  {:6}  {}",
                    r.id,
                    r.kind,
                    r.confidence.as_str(),
                    r.description
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
