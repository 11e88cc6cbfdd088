//! Rules as data: the TOML files under `rules/` (embedded at build time) and user files given
//! with `--rules`. This module is the only place that parses rule files; the matcher compiles
//! what it returns.

use std::fmt;
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
}

/// What a GitHub credential is; decides how it is verified, revoked and replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// `ghp_` personal access token (classic).
    ClassicPat,
    /// `github_pat_` fine-grained personal access token.
    FineGrainedPat,
    /// `gho_` OAuth app access token.
    Oauth,
    /// `ghu_` GitHub App user-to-server token.
    UserToServer,
    /// `ghs_` GitHub App installation token (classic or stateless format).
    Installation,
    /// `ghr_` GitHub App refresh token.
    Refresh,
    /// `v1.` + 40 hex: installation token of GitHub Enterprise Server before 3.2.
    LegacyInstallation,
    /// 40 lowercase hex: personal access or OAuth token issued before April 2021.
    LegacyHex,
    /// Any other value found where a GitHub credential belongs.
    Generic,
}

impl TokenKind {
    pub const ALL: [TokenKind; 9] = [
        TokenKind::ClassicPat,
        TokenKind::FineGrainedPat,
        TokenKind::Oauth,
        TokenKind::UserToServer,
        TokenKind::Installation,
        TokenKind::Refresh,
        TokenKind::LegacyInstallation,
        TokenKind::LegacyHex,
        TokenKind::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::ClassicPat => "classic-pat",
            TokenKind::FineGrainedPat => "fine-grained-pat",
            TokenKind::Oauth => "oauth",
            TokenKind::UserToServer => "user-to-server",
            TokenKind::Installation => "installation",
            TokenKind::Refresh => "refresh",
            TokenKind::LegacyInstallation => "legacy-installation",
            TokenKind::LegacyHex => "legacy-hex",
            TokenKind::Generic => "generic",
        }
    }

    /// A phrase for people.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::ClassicPat => "personal access token (classic)",
            TokenKind::FineGrainedPat => "fine-grained personal access token",
            TokenKind::Oauth => "OAuth app token",
            TokenKind::UserToServer => "GitHub App user token",
            TokenKind::Installation => "GitHub App installation token",
            TokenKind::Refresh => "GitHub App refresh token",
            TokenKind::LegacyInstallation => "legacy installation token",
            TokenKind::LegacyHex => "legacy (pre-2021) token",
            TokenKind::Generic => "credential",
        }
    }

    /// Names the kind of a secret from its shape, for rules whose kind is `auto`.
    pub fn classify(secret: &[u8]) -> TokenKind {
        let prefixes: [(&[u8], TokenKind); 6] = [
            (b"ghp_", TokenKind::ClassicPat),
            (b"gho_", TokenKind::Oauth),
            (b"ghu_", TokenKind::UserToServer),
            (b"ghs_", TokenKind::Installation),
            (b"ghr_", TokenKind::Refresh),
            (b"github_pat_", TokenKind::FineGrainedPat),
        ];
        if let Some((_, kind)) = prefixes.iter().find(|(p, _)| secret.starts_with(p)) {
            return *kind;
        }
        let is_hex40 =
            |s: &[u8]| s.len() == 40 && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if is_hex40(secret) {
            TokenKind::LegacyHex
        } else if secret.starts_with(b"v1.") && is_hex40(&secret[3..]) {
            TokenKind::LegacyInstallation
        } else {
            TokenKind::Generic
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = TokenKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown token kind {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

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
    #[serde(default)]
    pub checksum_failure: ChecksumFailure,
    /// Text that must produce a finding of this rule (templates such as `{{ghp}}` allowed).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Text that must produce no finding at all.
    #[serde(default)]
    pub counter_examples: Vec<String>,
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
        out.extend(parse(name, text)?);
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

/// Checks a whole rule set: unique ids, literals, known kinds.
pub fn validate(rules: &[Rule]) -> Result<(), RuleError> {
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        if !seen.insert(r.id.as_str()) {
            return Err(RuleError::Invalid {
                id: r.id.clone(),
                message: "duplicate rule id".into(),
            });
        }
        if r.literals.is_empty() || r.literals.iter().any(|l| l.len() < 2) {
            return Err(RuleError::Invalid {
                id: r.id.clone(),
                message: "needs at least one literal of two or more bytes".into(),
            });
        }
        r.fixed_kind()?;
    }
    Ok(())
}
