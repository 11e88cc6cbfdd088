//! Suppression that cannot hide the wrong secret. A fingerprint (SHA-256 of the secret) in
//! `patrol.toml` or `.patrolallow` hides that secret everywhere and nothing else; a baseline (a
//! previous `json` report) hides the secrets it lists as "not new"; an inline marker hides the
//! secrets on its own line; config excludes drop locations by path. Every suppressed finding
//! keeps its reason, for `--show-suppressed` and the summary.

use std::collections::HashSet;
use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::config::is_fingerprint;
use crate::finding::Finding;

/// A per-repository list of allowed fingerprints, one per line, `#` comments.
pub const ALLOW_FILE: &str = ".patrolallow";

#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a patrol json or jsonl report (no `fingerprint` fields)")]
    Baseline { path: String },
    #[error("{path}:{line}: not a fingerprint (64 lowercase hex digits)")]
    AllowLine { path: String, line: usize },
    #[error("invalid exclude {glob:?}: {message}")]
    Exclude { glob: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// The fingerprint is allowlisted.
    Allowlist,
    /// Every location is excluded by path.
    Excluded,
    /// Every location's line carries an inline allow marker.
    Inline,
    /// The fingerprint is in the baseline.
    Baseline,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Allowlist => "allowlist",
            Reason::Excluded => "excluded",
            Reason::Inline => "inline",
            Reason::Baseline => "baseline",
        }
    }
}

pub struct Suppressed {
    pub finding: Finding,
    pub reason: Reason,
}

#[derive(Default)]
pub struct Suppressor {
    allow: HashSet<String>,
    baseline: HashSet<String>,
    inline: bool,
    excludes: Option<Gitignore>,
}

impl Suppressor {
    pub fn new(inline: bool) -> Suppressor {
        Suppressor {
            inline,
            ..Suppressor::default()
        }
    }

    pub fn allow(&mut self, fingerprints: impl IntoIterator<Item = String>) {
        self.allow.extend(fingerprints);
    }

    /// Reads `.patrolallow`-style lines (fingerprints, blank lines, `#` comments) from `text`;
    /// `name` is used in errors.
    pub fn allow_text(&mut self, name: &str, text: &str) -> Result<(), SuppressError> {
        for (i, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            if !is_fingerprint(entry) {
                return Err(SuppressError::AllowLine {
                    path: name.to_string(),
                    line: i + 1,
                });
            }
            self.allow.insert(entry.to_string());
        }
        Ok(())
    }

    /// The fingerprints of a previous `json` (or `jsonl`) report.
    pub fn baseline_file(&mut self, path: &Path) -> Result<(), SuppressError> {
        let text = std::fs::read_to_string(path).map_err(|source| SuppressError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut found = Vec::new();
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(doc) => {
                for f in doc["findings"].as_array().into_iter().flatten() {
                    found.extend(f["fingerprint"].as_str().map(str::to_string));
                }
            }
            Err(_) => {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                    found.extend(v["fingerprint"].as_str().map(str::to_string));
                }
            }
        }
        let is_report = text.contains("\"fingerprint\"") || text.contains("\"findings\"");
        if found.is_empty() && !is_report {
            return Err(SuppressError::Baseline {
                path: path.display().to_string(),
            });
        }
        self.baseline
            .extend(found.into_iter().filter(|f| is_fingerprint(f)));
        Ok(())
    }

    /// Whether the baseline lists the secret with `fingerprint`.
    pub fn in_baseline(&self, fingerprint: &str) -> bool {
        self.baseline.contains(fingerprint)
    }

    /// Paths (gitignore globs, relative to the repository) whose locations are dropped.
    pub fn exclude(&mut self, globs: &[String]) -> Result<(), SuppressError> {
        if globs.is_empty() {
            return Ok(());
        }
        let mut b = GitignoreBuilder::new("");
        for g in globs {
            b.add_line(None, g).map_err(|e| SuppressError::Exclude {
                glob: g.clone(),
                message: e.to_string(),
            })?;
        }
        self.excludes = Some(b.build().map_err(|e| SuppressError::Exclude {
            glob: globs.join(", "),
            message: e.to_string(),
        })?);
        Ok(())
    }

    fn excluded(&self, path: &str) -> bool {
        let Some(gi) = &self.excludes else {
            return false;
        };
        // Archive members and git paths: judge the file part before any `!`.
        let file = path.split('!').next().unwrap_or(path);
        gi.matched_path_or_any_parents(file.trim_start_matches("./"), false)
            .is_ignore()
    }

    /// Whether a location of the secret with `fingerprint` is left out of the report (for
    /// streaming: the same decision [`Suppressor::apply`] makes, one location at a time).
    pub fn hides_location(&self, fingerprint: &str, location: &crate::finding::Location) -> bool {
        self.allow.contains(fingerprint)
            || self.baseline.contains(fingerprint)
            || self.excluded(&location.path)
            || (self.inline && location.inline_allow)
    }

    /// Splits findings into reported and suppressed.
    pub fn apply(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Suppressed>) {
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        for mut f in findings {
            let reason = if self.allow.contains(&f.fingerprint) {
                Some(Reason::Allowlist)
            } else if f.locations.iter().all(|l| self.excluded(&l.path)) {
                Some(Reason::Excluded)
            } else if self.inline
                && f.locations
                    .iter()
                    .all(|l| l.inline_allow || self.excluded(&l.path))
            {
                Some(Reason::Inline)
            } else if self.baseline.contains(&f.fingerprint) {
                Some(Reason::Baseline)
            } else {
                None
            };
            match reason {
                Some(reason) => suppressed.push(Suppressed { finding: f, reason }),
                None => {
                    f.locations
                        .retain(|l| !(self.excluded(&l.path) || self.inline && l.inline_allow));
                    kept.push(f);
                }
            }
        }
        (kept, suppressed)
    }
}
