//! Reports as sinks: a run hands each format its findings, suppressed findings and problems one
//! at a time, then the counters. Whether secrets are shown is decided once, when the sink is
//! made: the sink owns a [`SecretDisplay`] and the writers show secrets only through it. `jsonl` writes each finding as it comes (and can be fed while the scan runs); `json`,
//! `sarif` and `text` are documents with a summary, so they keep what they are given until
//! [`Sink::finish`].

use std::io::{self, Write};

use super::{Format, Report, json};
use crate::diagnostics::{Problem, Stats};
use crate::finding::{Finding, Secret};
use crate::rules::Rule;
use crate::suppress::Suppressed;

/// One report being written.
pub trait Sink: Send {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn finding(&mut self, finding: &Finding) -> io::Result<()>;
    fn suppressed(&mut self, suppressed: &Suppressed) -> io::Result<()>;
    fn problem(&mut self, problem: &Problem) -> io::Result<()>;
    /// Writes what is left (the summary) and flushes.
    fn finish(&mut self, stats: &Stats) -> io::Result<()>;
}

/// How a sink shows what it is given; fixed when it is made.
pub struct SinkOptions {
    /// `--show-secrets`.
    pub show_secrets: bool,
    /// Colour in text output.
    pub color: bool,
    /// `-q`: the text report leaves out the summary line.
    pub quiet: bool,
    /// The text report lists the problems itself.
    pub list_problems: bool,
    /// Every rule loaded (SARIF describes the ones with results).
    pub rules: Vec<Rule>,
}

/// How every writer shows a secret: decided once, when the sink is made (`--show-secrets`). Its
/// field is private to this module, so no writer can choose to show a secret.
#[derive(Debug, Clone, Copy)]
pub struct SecretDisplay {
    show: bool,
}

impl SecretDisplay {
    /// The secret as this report shows it: redacted, or whole with `--show-secrets`.
    pub fn text(self, secret: &Secret) -> String {
        if self.show {
            String::from_utf8_lossy(secret.expose()).into_owned()
        } else {
            secret.redacted()
        }
    }
}

/// The sink for `format`, writing to `out`.
pub fn make(format: Format, out: Box<dyn Write + Send>, options: SinkOptions) -> Box<dyn Sink> {
    let secrets = SecretDisplay {
        show: options.show_secrets,
    };
    match format {
        Format::Jsonl => Box::new(Lines { out, secrets }),
        Format::Json | Format::Sarif | Format::Text => Box::new(Document {
            format,
            out,
            options,
            secrets,
            findings: Vec::new(),
            suppressed: Vec::new(),
            problems: Vec::new(),
        }),
    }
}

/// `jsonl`: one line per location, written and flushed at once.
struct Lines {
    out: Box<dyn Write + Send>,
    secrets: SecretDisplay,
}

impl Sink for Lines {
    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        json::write_finding_lines(finding, self.secrets, &mut self.out)?;
        self.out.flush()
    }
    fn suppressed(&mut self, _: &Suppressed) -> io::Result<()> {
        Ok(())
    }
    fn problem(&mut self, _: &Problem) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &Stats) -> io::Result<()> {
        self.out.flush()
    }
}

/// A format written as one document at the end.
struct Document {
    format: Format,
    out: Box<dyn Write + Send>,
    options: SinkOptions,
    secrets: SecretDisplay,
    findings: Vec<Finding>,
    suppressed: Vec<Suppressed>,
    problems: Vec<Problem>,
}

impl Sink for Document {
    fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        self.findings.push(finding.clone());
        Ok(())
    }
    fn suppressed(&mut self, s: &Suppressed) -> io::Result<()> {
        self.suppressed.push(Suppressed {
            finding: s.finding.clone(),
            reason: s.reason,
        });
        Ok(())
    }
    fn problem(&mut self, problem: &Problem) -> io::Result<()> {
        self.problems.push(problem.clone());
        Ok(())
    }
    fn finish(&mut self, stats: &Stats) -> io::Result<()> {
        let report = Report {
            findings: &self.findings,
            suppressed: &self.suppressed,
            stats,
            problems: &self.problems,
            rules: &self.options.rules,
            secrets: self.secrets,
            color: self.options.color,
            quiet: self.options.quiet,
            list_problems: self.options.list_problems,
        };
        report.write(self.format, &mut self.out)?;
        self.out.flush()
    }
}
