//! The command-line edge: runs a parsed [`Cli`] with the library and turns the outcome into an
//! exit code. The only module that uses `anyhow`.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::{Cli, ColorChoice, Command, OutputArgs, RulesArgs, ScanArgs};
use crate::diagnostics::Diagnostics;
use crate::finding::SourceKind;
use crate::matcher::{Matcher, MatcherOptions};
use crate::report::{Format, Report};
use crate::rules::{self, Rule};
use crate::scan::Scanner;
use crate::source::files::{self, WalkOptions};
use crate::source::reader::DEFAULT_CHUNK;

/// Exit code for usage and fatal errors.
pub const EXIT_ERROR: i32 = 2;

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(args) => list_rules(args),
    }
}

fn scan(args: ScanArgs) -> Result<i32> {
    if let Some(n) = args.walk.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start worker threads")?;
    }
    let rules = rules::load(&args.detect.rules)?;
    let matcher = Matcher::new(
        rules.clone(),
        MatcherOptions {
            include_invalid: args.detect.include_invalid,
        },
    )?;
    let diagnostics = Diagnostics::new(args.output.quiet);
    let scanner = Scanner::new(&matcher, &diagnostics, DEFAULT_CHUNK, !args.walk.binary);
    let (stdin, paths): (Vec<PathBuf>, Vec<PathBuf>) =
        args.paths.into_iter().partition(|p| p.as_os_str() == "-");
    if !stdin.is_empty() {
        scanner.scan_input(SourceKind::Stdin, "-", io::stdin().lock(), None);
    }
    let walk = WalkOptions {
        gitignore: args.walk.gitignore,
        excludes: args.walk.exclude,
        follow: args.walk.follow,
        max_file_size: args.walk.max_file_size,
    };
    files::scan_paths(&scanner, &paths, &walk)?;
    let mut findings = scanner.finish();
    findings.retain(|f| f.confidence >= args.detect.min_confidence);
    let (stats, problems) = diagnostics.finish();
    let report = Report {
        findings: &findings,
        stats: &stats,
        problems: &problems,
        rules: &rules,
        show_secrets: args.output.show_secrets,
        color: false,
    };
    write_report(report, &args.output)?;
    Ok(if findings.is_empty() {
        0
    } else {
        i32::from(args.output.exit_code)
    })
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
    Matcher::new(rules.clone(), MatcherOptions::default())?;
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
