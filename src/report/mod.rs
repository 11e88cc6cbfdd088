//! Reports: one writer per format over the same findings. Writers see secrets only through the
//! [`SecretDisplay`] their sink fixed when it was made, which redacts unless `--show-secrets`
//! was given.

mod json;
pub mod sarif;
mod sink;
mod text;

pub use sink::{SecretDisplay, Sink, SinkOptions, make as make_sink};

use std::io::{self, Write};

use crate::diagnostics::{Problem, Stats};
use crate::finding::{ChatContext, Finding};
use crate::rules::Rule;
use crate::suppress::Suppressed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: grouped by secret, with a one-line summary.
    Text,
    /// One JSON document.
    Json,
    /// One JSON object per location.
    Jsonl,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
}

/// Everything a writer may show.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    /// Listed only with `--show-suppressed` (empty otherwise).
    pub suppressed: &'a [Suppressed],
    pub stats: &'a Stats,
    pub problems: &'a [Problem],
    /// Every rule that was loaded (SARIF lists the ones with results).
    pub rules: &'a [Rule],
    /// How secrets are shown, fixed by the sink.
    pub secrets: SecretDisplay,
    pub color: bool,
    /// `--quiet`: the text report is the findings alone, without the summary line.
    pub quiet: bool,
    /// The text report lists the problems itself (they were not printed on stderr, or the
    /// report goes to a file).
    pub list_problems: bool,
}

impl Report<'_> {
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Text => text::write(self, out),
            Format::Json => json::write(self, out),
            Format::Jsonl => json::write_lines(self, out),
            Format::Sarif => sarif::write(self, out),
        }
    }

    fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// One line naming a chat message: `slack acme #general, by Alice, 2024-05-01T12:34:56Z, in
/// thread 1714566896.000100, edited, field text, https://…` (the parts the export gave).
pub fn chat_line(c: &ChatContext) -> String {
    let mut parts = vec![c.platform.clone()];
    let mut place = Vec::new();
    place.extend(c.workspace.clone());
    place.extend(c.channel.as_ref().map(|ch| format!("#{ch}")));
    if !place.is_empty() {
        parts[0] = format!("{} {}", c.platform, place.join(" "));
    }
    parts.extend(c.author.as_ref().map(|a| format!("by {a}")));
    parts.extend(c.time.clone());
    parts.extend(c.message.as_ref().map(|m| format!("message {m}")));
    parts.extend(c.thread.as_ref().map(|t| format!("in thread {t}")));
    if c.previous_version {
        parts.push("in a previous version (edit history)".into());
    } else if c.edited {
        parts.push("edited".into());
    }
    parts.extend(c.field.as_ref().map(|f| format!("field {f}")));
    parts.extend(c.link.clone());
    parts.join(", ")
}
