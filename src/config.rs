//! `patrol.toml`: per-repository settings, found at the scanned repository's root or given with
//! `--config`. Extra rules (same format as `rules/`), rule ids to disable, path excludes
//! (gitignore globs), allowlisted fingerprints, and extra placeholder words. Unknown keys and bad
//! values are errors that name the file, the line and the key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::Rule;

pub const FILE_NAME: &str = "patrol.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Extra rules, in the format of `rules/*.toml`.
    #[serde(default)]
    pub rule: Vec<Rule>,
    /// Rule ids to switch off.
    #[serde(default)]
    pub disabled_rules: Vec<String>,
    /// Paths to leave out (gitignore syntax, relative to the repository root).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Fingerprints (SHA-256 of the secret, lowercase hex) never to report.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Words that mark a value as a placeholder, beyond the built-in ones.
    #[serde(default)]
    pub placeholders: Vec<String>,
    /// Where this configuration was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// True for a lowercase hex SHA-256.
pub fn is_fingerprint(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// "line N" for a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

impl Config {
    /// Parses and checks a configuration; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: name.to_string(),
            message,
        };
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let msg = e.message().to_string();
            invalid(match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            })
        })?;
        // Values toml cannot check: fingerprints, globs, empty words.
        let find_line = |needle: &str| text.find(needle).map_or(0, |o| line_of(text, o));
        // The entry itself is never echoed: it may be a token pasted here by mistake.
        for (i, fp) in config.allow.iter().enumerate() {
            if !is_fingerprint(fp) {
                return Err(invalid(format!(
                    "line {}: key `allow`: entry {} is not a fingerprint (64 lowercase hex digits, as in the `fingerprint` field of a report)",
                    find_line(fp),
                    i + 1
                )));
            }
        }
        for g in &config.exclude {
            if let Err(e) = ignore::gitignore::GitignoreBuilder::new("").add_line(None, g) {
                return Err(invalid(format!(
                    "line {}: key `exclude`: {e}",
                    find_line(g)
                )));
            }
        }
        if let Some(w) = config.placeholders.iter().find(|w| w.trim().len() < 3) {
            return Err(invalid(format!(
                "line {}: key `placeholders`: {w:?} is too short to mark placeholders (3 characters at least)",
                find_line(&format!("\"{w}\""))
            )));
        }
        config.path = Some(PathBuf::from(name));
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&path.display().to_string(), &text)
    }

    /// `--config FILE`, else `patrol.toml` in `root` (the scanned repository), else none.
    pub fn discover(explicit: Option<&Path>, root: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(p) = explicit {
            return Config::load(p);
        }
        match root.map(|r| r.join(FILE_NAME)).filter(|p| p.is_file()) {
            Some(p) => Config::load(&p),
            None => Ok(Config::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line_and_key() {
        let e = Config::parse("patrol.toml", "allow = []\n\nexlude = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("patrol.toml") && e.contains("line 3") && e.contains("exlude"),
            "{e}"
        );
        let e = Config::parse("p.toml", "allow = [\n  \"abc\",\n]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("allow"), "{e}");
        let e = Config::parse("p.toml", "disabled_rules = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
        let ok = Config::parse(
            "p.toml",
            &format!(
                "allow = [\"{}\"]\nexclude = [\"vendor/**\"]\n",
                "a".repeat(64)
            ),
        );
        assert!(ok.is_ok());
    }
}
