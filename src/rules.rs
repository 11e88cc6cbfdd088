//! Rules as data: the TOML files under `rules/` (embedded at build time) and user files given
//! with `--rules`. This module is the only place that parses rule files; the matcher compiles
//! what it returns.

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The rule files shipped inside the binary, with the names used in error messages.
pub const BUILTIN: &[(&str, &str)] = &[
    ("rules/tokens.toml", include_str!("../rules/tokens.toml")),
    ("rules/context.toml", include_str!("../rules/context.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rule file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid rule file {path}: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
    #[error("rule {id}: invalid regex: {source}")]
    Regex {
        id: String,
        source: Box<regex::Error>,
    },
    #[error("rule {id}: {message}")]
    Invalid { id: String, message: String },
    #[error("rule {id}: key `{key}`: example {number} {message}")]
    Example {
        id: String,
        key: &'static str,
        number: usize,
        message: &'static str,
    },
}

pub use crate::kind::TokenKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
    /// One step down, used when a checksum could not be confirmed.
    pub fn lower(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

impl FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!(
                "unknown confidence {s:?} (expected low, medium or high)"
            )),
        }
    }
}

/// How a candidate is confirmed after its regex matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// CRC32/base62 tail of classic-format tokens.
    Crc32,
    /// The unofficial SHA-256/base32 check of fine-grained tokens.
    FineGrained,
    /// A value without a prefix: drop references, placeholders, uniform strings and values
    /// shaped like prefixed tokens (their own rules judge those).
    Opaque,
    /// The part after the last `_` is a JWT whose header and payload decode as base64url JSON
    /// objects; a value that is not is reported at low confidence.
    Jwt,
}

/// What to do with a token whose checksum fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChecksumFailure {
    /// Not a credential: dropped (shown, marked invalid, with `--include-invalid`).
    #[default]
    Drop,
    /// Reported as `unverified`, one confidence step lower.
    Report,
}

/// One rule as written in a rule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub description: String,
    /// A token kind, or `auto` to name it from the value found.
    pub kind: String,
    pub confidence: Confidence,
    /// Literal strings, one of which occurs in every match; the prefilter searches them all at once.
    pub literals: Vec<String>,
    /// Also search the literals' base64, percent, JSON `\u` and UTF-16 forms.
    #[serde(default)]
    pub encoded: bool,
    /// Run around each literal hit. The named group `secret` (or `secret2`, …) is the secret;
    /// without one, the whole match.
    pub regex: String,
    /// Bytes before and after a literal hit that the regex may see.
    #[serde(default = "default_window")]
    pub window: [usize; 2],
    /// Let the window cross line ends.
    #[serde(default)]
    pub multiline: bool,
    #[serde(default)]
    pub validator: Option<Validator>,
    /// Absent: what the kind's registry entry says ([`crate::kind::Kind::checksum_failure`]).
    #[serde(default)]
    pub checksum_failure: Option<ChecksumFailure>,
    /// Text that must produce a finding of this rule (templates such as `{{ghp}}` allowed).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Text that must produce no finding at all.
    #[serde(default)]
    pub counter_examples: Vec<String>,
    /// Shipped in the binary (its regex and examples are checked by the tests), as opposed to
    /// a user's rule, which is checked when it is loaded.
    #[serde(skip)]
    pub builtin: bool,
}

fn default_window() -> [usize; 2] {
    [0, 1024]
}

impl Rule {
    /// The fixed kind, or `None` for `auto`.
    pub fn fixed_kind(&self) -> Result<Option<TokenKind>, RuleError> {
        if self.kind == "auto" {
            return Ok(None);
        }
        self.kind
            .parse()
            .map(Some)
            .map_err(|message| RuleError::Invalid {
                id: self.id.clone(),
                message,
            })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// Parses one rule file's text; `name` is used in errors.
pub fn parse(name: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        path: name.to_string(),
        source: Box::new(e),
    })?;
    Ok(file.rule)
}

/// The embedded rules.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.extend(
            parse(name, text)?
                .into_iter()
                .map(|r| Rule { builtin: true, ..r }),
        );
    }
    Ok(out)
}

/// Reads a user rule file.
pub fn load_file(path: &Path) -> Result<Vec<Rule>, RuleError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// The built-in rules followed by the user's, with duplicate ids refused.
pub fn load(user_files: &[impl AsRef<Path>]) -> Result<Vec<Rule>, RuleError> {
    let mut rules = builtin()?;
    for f in user_files {
        rules.extend(load_file(f.as_ref())?);
    }
    validate(&rules)?;
    Ok(rules)
}

/// Bounds on a rule's parameters, so that a rule file (untrusted input, like anything else a
/// scanned repository holds) cannot overflow the matcher or make a scan crawl. README
/// ("Rules as data") documents them.
pub mod bounds {
    /// Shortest literal: the prefilter's SIMD search fingerprints 4 bytes.
    pub const MIN_LITERAL: usize = 4;
    pub const MAX_LITERAL: usize = 256;
    pub const MAX_LITERALS: usize = 16;
    /// Bytes on each side of a literal hit that the regex may see.
    pub const MAX_WINDOW: usize = 1024;
    /// Length of the regex's source text.
    pub const MAX_REGEX: usize = 8192;
    pub const MAX_ID: usize = 100;
}

/// Checks a whole rule set: unique ids, parameters within [`bounds`], known kinds. Errors
/// name the rule and the key.
pub fn validate(rules: &[Rule]) -> Result<(), RuleError> {
    use bounds::*;
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        let invalid = |message: String| RuleError::Invalid {
            id: r.id.clone(),
            message,
        };
        if r.id.is_empty() || r.id.len() > MAX_ID || r.id.chars().any(char::is_control) {
            return Err(invalid(format!(
                "key `id`: 1 to {MAX_ID} characters without control characters"
            )));
        }
        if !seen.insert(r.id.as_str()) {
            return Err(invalid("duplicate rule id".into()));
        }
        if r.literals.is_empty() || r.literals.len() > MAX_LITERALS {
            return Err(invalid(format!(
                "key `literals`: needs 1 to {MAX_LITERALS} literals, has {}",
                r.literals.len()
            )));
        }
        if let Some((i, l)) = r
            .literals
            .iter()
            .enumerate()
            .find(|(_, l)| !(MIN_LITERAL..=MAX_LITERAL).contains(&l.len()))
        {
            return Err(invalid(format!(
                "key `literals`: literal {} is {} bytes; each must be {MIN_LITERAL} to {MAX_LITERAL} bytes",
                i + 1,
                l.len()
            )));
        }
        if let Some(w) = r.window.iter().find(|&&w| w > MAX_WINDOW) {
            return Err(invalid(format!(
                "key `window`: {w} is over the limit of {MAX_WINDOW} bytes on each side"
            )));
        }
        if r.regex.len() > MAX_REGEX {
            return Err(invalid(format!(
                "key `regex`: {} bytes, over the limit of {MAX_REGEX}",
                r.regex.len()
            )));
        }
        r.fixed_kind()?;
    }
    Ok(())
}
