//! Findings: one secret with every place it was seen. Hits from all sources are gathered here
//! and deduplicated by the secret. [`Secret`] is the only type that holds a secret's bytes; reports
//! turn it into text only through `report::SecretDisplay`, fixed when the sink is made: redacted
//! unless the user asked.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::github::blast::BlastRadius;
use crate::github::{Revocation, Verification};
use crate::matcher::{Checksum, Encoding, Hit};
use crate::rules::{Confidence, TokenKind};

mod chat;
mod image;
pub use chat::ChatContext;
pub use image::ImageContext;

/// A secret's bytes. `Debug` redacts, so a panic or a log line cannot print it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// The secret itself, for the GitHub client and `--show-secrets`.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Lowercase hex SHA-256 of the secret: safe to print, store and compare.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(&self.0)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// At most the prefix and four characters, then `…`.
    pub fn redacted(&self) -> String {
        let text = String::from_utf8_lossy(&self.0);
        // A registered prefix says what the token is, not what it unlocks: shown in full.
        let prefix = crate::kind::prefix_of(text.as_bytes());
        let body = &text[prefix.len()..];
        let keep = (body.chars().count() / 4).min(4);
        let shown: String = body.chars().take(keep).collect();
        format!("{prefix}{shown}…")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// Where a location's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    File,
    Stdin,
    Git,
    /// The index: what is about to be committed.
    Staged,
    /// A CI log (file, archive member, or downloaded GitHub Actions run log).
    Log,
    /// A container image: a file in a layer, or the image config.
    Image,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Stdin => "stdin",
            SourceKind::Git => "git",
            SourceKind::Staged => "staged",
            SourceKind::Log => "log",
            SourceKind::Image => "image",
        }
    }
}

/// One place a secret was seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub source: SourceKind,
    /// The repository (`OWNER/NAME`) this place is in, when a run reads many (`patrol github`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The path as given or walked (`-` for stdin).
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based byte column within the line.
    pub column: u64,
    /// 0-based byte offset from the start of the input.
    pub offset: u64,
    /// Decoding steps from the text at this place to the secret, outermost first.
    pub decoded: Vec<Encoding>,
    /// For git history: the commit that introduced the text here, and whether it is still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitContext>,
    /// For CI logs: archive, member, job, step, timestamp and run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogContext>,
    /// For container images: image, layer or config part, and what the history says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageContext>,
    /// For chat exports (Slack, Teams, Discord, Mattermost): the message the text belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatContext>,
    /// The line carries an inline allow marker.
    #[serde(skip)]
    pub inline_allow: bool,
}

/// Where in a CI log a location is. Fields are absent when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LogContext {
    /// The archive the log came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// The member inside the archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The line's Actions timestamp (`2025-04-07T12:57:33.2904078Z`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// GitHub Actions run id and page, for downloaded logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
}

/// Where in a repository's history a location is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct GitContext {
    /// `blob`, `commit-message` or `tag-message`.
    pub object: &'static str,
    /// The blob, commit or tag id holding the text.
    pub id: String,
    /// The earliest commit that introduced the blob at this path (the commit itself for a
    /// message); absent for a blob that no commit reaches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    /// The same blob is at the same path in HEAD's tree (for messages: the commit is reachable
    /// from HEAD).
    pub in_head: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, RFC 3339 with the author's offset.
    pub date: String,
    pub summary: String,
}

/// A [`GitContext`] read back from a datastore: its object kind is one of the names git
/// locations use.
#[derive(Deserialize)]
struct StoredGitContext {
    object: String,
    id: String,
    commit: Option<CommitInfo>,
    in_head: bool,
}

impl<'de> Deserialize<'de> for GitContext {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<GitContext, D::Error> {
        let g = StoredGitContext::deserialize(d)?;
        let object = ["blob", "commit-message", "tag-message"]
            .into_iter()
            .find(|k| *k == g.object)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown git object kind {:?}", g.object))
            })?;
        Ok(GitContext {
            object,
            id: g.id,
            commit: g.commit,
            in_head: g.in_head,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub secret: Secret,
    pub fingerprint: String,
    pub rule: String,
    pub kind: TokenKind,
    pub confidence: Confidence,
    pub checksum: Checksum,
    /// The first locations (in location order), at most the collector's `max_locations`.
    pub locations: Vec<Location>,
    /// Every distinct location the secret was seen at, kept or not.
    pub location_count: u64,
    /// Set by `--verify` (and before revoking).
    pub verification: Option<Verification>,
    /// Set by `--revoke`.
    pub revocation: Option<Revocation>,
    /// What verification said before a revocation (`verification` is then the re-check).
    pub before: Option<Verification>,
    /// What a live token opens (verification of a live token).
    pub blast_radius: Option<BlastRadius>,
}

/// How many locations of one secret are kept by default (`--max-locations`).
pub const DEFAULT_MAX_LOCATIONS: usize = 100;

/// Gathers hits from any number of sources and threads (behind a lock) into findings. Memory
/// stays bounded however often a secret repeats: each finding counts every location but keeps
/// only the first `max_locations` (in location order, so the choice does not depend on which
/// thread came first).
pub struct Collector {
    by_secret: HashMap<Secret, Finding>,
    max_locations: usize,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new(DEFAULT_MAX_LOCATIONS)
    }
}

/// Sorts, drops repeats (uncounting them) and keeps the first `max`. A count read from a report
/// is what the report says: never below the locations it lists.
pub(crate) fn trim_locations(f: &mut Finding, max: usize) {
    f.locations.sort();
    let before = f.locations.len();
    f.locations.dedup();
    let repeats = (before - f.locations.len()) as u64;
    f.location_count = f
        .location_count
        .saturating_sub(repeats)
        .max(f.locations.len() as u64);
    f.locations.truncate(max);
}

impl Collector {
    /// Keeps at most `max_locations` (at least 1) locations per secret.
    pub fn new(max_locations: usize) -> Collector {
        Collector {
            by_secret: HashMap::new(),
            max_locations: max_locations.max(1),
        }
    }

    pub fn add(&mut self, hit: Hit, rule_id: &str, location: Location) {
        let secret = Secret::new(hit.secret);
        let finding = self
            .by_secret
            .entry(secret.clone())
            .or_insert_with(|| Finding {
                fingerprint: secret.fingerprint(),
                secret,
                rule: rule_id.to_string(),
                kind: hit.kind,
                confidence: hit.confidence,
                checksum: hit.checksum,
                locations: Vec::new(),
                location_count: 0,
                verification: None,
                revocation: None,
                before: None,
                blast_radius: None,
            });
        // The surest rule names the finding when several found the same secret.
        if (hit.confidence, hit.checksum) > (finding.confidence, finding.checksum) {
            finding.rule = rule_id.to_string();
            finding.kind = hit.kind;
            finding.confidence = hit.confidence;
            finding.checksum = hit.checksum;
        }
        finding.locations.push(location);
        finding.location_count += 1;
        // Trimming when twice the limit is reached keeps the work per location constant.
        if finding.locations.len() >= 2 * self.max_locations {
            trim_locations(finding, self.max_locations);
        }
    }

    /// Adds a finding gathered elsewhere (another scanner's): its locations join this
    /// secret's, counted, and the surest rule names it.
    pub fn merge(&mut self, other: Finding) {
        let Some(finding) = self.by_secret.get_mut(&other.secret) else {
            self.by_secret.insert(other.secret.clone(), other);
            return;
        };
        if (other.confidence, other.checksum) > (finding.confidence, finding.checksum) {
            finding.rule = other.rule;
            finding.kind = other.kind;
            finding.confidence = other.confidence;
            finding.checksum = other.checksum;
        }
        finding.locations.extend(other.locations);
        finding.location_count += other.location_count;
        if finding.locations.len() >= 2 * self.max_locations {
            trim_locations(finding, self.max_locations);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_secret.is_empty()
    }

    /// Findings ordered by their first location, each with its first `max_locations` sorted,
    /// distinct locations.
    pub fn finish(self) -> Vec<Finding> {
        let max = self.max_locations;
        let mut out: Vec<Finding> = self
            .by_secret
            .into_values()
            .map(|mut f| {
                trim_locations(&mut f, max);
                f
            })
            .collect();
        sort_findings(&mut out);
        out
    }
}

/// The order of findings in every report: by their first location, then fingerprint.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.locations.first(), &a.fingerprint).cmp(&(b.locations.first(), &b.fingerprint))
    });
}

#[cfg(test)]
mod tests;
