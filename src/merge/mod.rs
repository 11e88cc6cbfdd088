//! `patrol merge`: the reports of shards (`--shard K/N`) or of separate runs combined into the
//! report one run over all of them would have written. `json` reports are read back into
//! [`Finding`]s, deduplicated by fingerprint (never by the secret: a report holds it redacted
//! unless `--show-secrets` was used, and merging never needs it), every location kept up to
//! `--max-locations` and every location counted; they are then written by the ordinary report
//! writers in any format. SARIF reports are merged as SARIF ([`sarif`]).

pub mod sarif;

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostics::{Problem, Stats};
use crate::finding::{Finding, Location, Secret, sort_findings, trim_locations};
use crate::github::blast::BlastRadius;
use crate::github::{Revocation, Verification};
use crate::matcher::Checksum;
use crate::rules::{Confidence, TokenKind};
use crate::suppress::{Reason, Suppressed};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{name}: not JSON: {message}")]
    NotJson { name: String, message: String },
    #[error(
        "{name}: a jsonl report cannot be merged (it has no location counts); write the reports with -f json"
    )]
    Lines { name: String },
    #[error("{name}: not a patrol json or sarif report")]
    NotReport { name: String },
    #[error("{name}: not a patrol json report as this version writes it: {message}")]
    Json { name: String, message: String },
    #[error("{name}: not a patrol SARIF report: {message}")]
    Sarif { name: String, message: String },
}

/// One report, as read.
pub enum Input {
    /// A `json` report.
    Json(Box<JsonReport>),
    /// A `sarif` report (kept as SARIF).
    Sarif(Value),
}

/// Reads one report; `name` says which in errors. The format is told by the content.
pub fn read(name: &str, text: &str) -> Result<Input, MergeError> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(doc) => doc,
        Err(e) if e.classify() == serde_json::error::Category::Syntax && is_lines(text) => {
            return Err(MergeError::Lines { name: name.into() });
        }
        Err(e) => {
            return Err(MergeError::NotJson {
                name: name.into(),
                message: e.to_string(),
            });
        }
    };
    if doc.get("runs").is_some() {
        sarif::check(&doc).map_err(|message| MergeError::Sarif {
            name: name.into(),
            message,
        })?;
        return Ok(Input::Sarif(doc));
    }
    if doc.get("findings").is_none() {
        let lines = doc.get("fingerprint").is_some();
        return Err(if lines {
            MergeError::Lines { name: name.into() }
        } else {
            MergeError::NotReport { name: name.into() }
        });
    }
    let report = serde_json::from_value(doc).map_err(|e| MergeError::Json {
        name: name.into(),
        message: e.to_string(),
    })?;
    Ok(Input::Json(Box::new(report)))
}

/// Whether `text` is JSON objects one a line (a `jsonl` report).
fn is_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.next().is_some_and(|first| {
        serde_json::from_str::<Value>(first).is_ok_and(|v| v.get("fingerprint").is_some())
    })
}

/// A `json` report as patrol writes it (README, "JSON fields").
#[derive(Deserialize)]
pub struct JsonReport {
    findings: Vec<FindingRecord>,
    #[serde(default)]
    suppressed: Vec<SuppressedRecord>,
    /// Its counters: numbers, flags and lists, merged field by field.
    #[serde(default)]
    summary: serde_json::Map<String, Value>,
    #[serde(default)]
    errors: Vec<Problem>,
}

#[derive(Deserialize)]
struct FindingRecord {
    rule: String,
    kind: TokenKind,
    confidence: Confidence,
    checksum: Checksum,
    /// As the report showed it: redacted, or whole with `--show-secrets`.
    secret: String,
    fingerprint: String,
    verification: Option<Verification>,
    revocation: Option<Revocation>,
    verification_before: Option<Verification>,
    blast_radius: Option<BlastRadius>,
    locations: Vec<Location>,
    location_count: u64,
}

#[derive(Deserialize)]
struct SuppressedRecord {
    reason: Reason,
    #[serde(flatten)]
    finding: FindingRecord,
}

/// `json` reports being merged.
pub struct Merger {
    findings: HashMap<String, Finding>,
    suppressed: HashMap<String, Suppressed>,
    problems: BTreeSet<Problem>,
    summary: serde_json::Map<String, Value>,
    max_locations: usize,
}

/// What the merged report holds.
pub struct Merged {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub problems: Vec<Problem>,
    pub stats: Stats,
}

impl Merger {
    /// Lists at most `max_locations` (at least 1) locations per secret.
    pub fn new(max_locations: usize) -> Merger {
        Merger {
            findings: HashMap::new(),
            suppressed: HashMap::new(),
            problems: BTreeSet::new(),
            summary: serde_json::Map::new(),
            max_locations: max_locations.max(1),
        }
    }

    pub fn add(&mut self, report: JsonReport) {
        for f in report.findings {
            absorb(&mut self.findings, f, self.max_locations);
        }
        for s in report.suppressed {
            let fingerprint = s.finding.fingerprint.clone();
            let finding = finding_of(s.finding);
            match self.suppressed.get_mut(&fingerprint) {
                Some(held) => merge_into(&mut held.finding, finding, self.max_locations),
                None => {
                    let reason = s.reason;
                    self.suppressed
                        .insert(fingerprint, Suppressed { finding, reason });
                }
            }
        }
        self.problems.extend(report.errors);
        merge_counters(&mut self.summary, report.summary);
    }

    /// The merged report, secrets shown as `show_secrets` says: a whole secret read from a
    /// report made with `--show-secrets` is redacted unless the merge has it too.
    pub fn finish(self, show_secrets: bool) -> Merged {
        let finish = |f: Finding| -> Finding {
            let mut f = f;
            trim_locations(&mut f, self.max_locations);
            f.secret = shown(&f.secret, show_secrets);
            f
        };
        let mut findings: Vec<Finding> = self.findings.into_values().map(finish).collect();
        sort_findings(&mut findings);
        // A secret reported by one shard is reported, whatever another suppressed.
        let mut suppressed: Vec<Suppressed> = self
            .suppressed
            .into_iter()
            .filter(|(fp, _)| !findings.iter().any(|f| &f.fingerprint == fp))
            .map(|(_, s)| Suppressed {
                finding: finish(s.finding),
                reason: s.reason,
            })
            .collect();
        suppressed.sort_by(|a, b| {
            (a.finding.locations.first(), &a.finding.fingerprint)
                .cmp(&(b.finding.locations.first(), &b.finding.fingerprint))
        });
        // `findings` and `locations` are recounted by the writers; the rest read back.
        let mut summary = self.summary;
        summary.remove("findings");
        summary.remove("locations");
        let stats = serde_json::from_value(Value::Object(summary)).unwrap_or_default();
        Merged {
            findings,
            suppressed,
            problems: self.problems.into_iter().collect(),
            stats,
        }
    }
}

fn finding_of(r: FindingRecord) -> Finding {
    Finding {
        secret: Secret::new(r.secret.into_bytes()),
        fingerprint: r.fingerprint,
        rule: r.rule,
        kind: r.kind,
        confidence: r.confidence,
        checksum: r.checksum,
        locations: r.locations,
        location_count: r.location_count,
        verification: r.verification,
        revocation: r.revocation,
        before: r.verification_before,
        blast_radius: r.blast_radius,
    }
}

fn absorb(held: &mut HashMap<String, Finding>, record: FindingRecord, max: usize) {
    let finding = finding_of(record);
    match held.get_mut(&finding.fingerprint) {
        Some(f) => merge_into(f, finding, max),
        None => {
            held.insert(finding.fingerprint.clone(), finding);
        }
    }
}

/// Adds `other` (the same secret, seen elsewhere) to `f`: the surest rule names it, as in one
/// run; locations are pooled and counted; a live verification and a failed revocation win
/// (they decide the exit code), each with what came with it (the blast radius of that
/// verification, the verification before that revocation); a whole secret is kept over a
/// redacted one.
fn merge_into(f: &mut Finding, other: Finding, max: usize) {
    if (other.confidence, other.checksum) > (f.confidence, f.checksum) {
        f.rule = other.rule;
        f.kind = other.kind;
        f.confidence = other.confidence;
        f.checksum = other.checksum;
    }
    if is_redacted(f.secret.expose()) && !is_redacted(other.secret.expose()) {
        f.secret = other.secret;
    }
    let live = |v: &Option<Verification>| v.as_ref().is_some_and(Verification::is_live);
    let verified =
        f.verification.is_none() || (live(&other.verification) && !live(&f.verification));
    if verified && other.verification.is_some() {
        f.verification = other.verification;
        f.blast_radius = other.blast_radius.or(f.blast_radius.take());
    } else {
        f.blast_radius = f.blast_radius.take().or(other.blast_radius);
    }
    let failed = |r: &Option<Revocation>| matches!(r, Some(Revocation::Failed { .. }));
    let revoked = f.revocation.is_none() || (failed(&other.revocation) && !failed(&f.revocation));
    if revoked && other.revocation.is_some() {
        f.revocation = other.revocation;
        f.before = other.before.or(f.before.take());
    } else {
        f.before = f.before.take().or(other.before);
    }
    f.locations.extend(other.locations);
    f.location_count += other.location_count;
    // `trim_locations` uncounts a location listed twice (the same report merged twice).
    if f.locations.len() >= 2 * max {
        trim_locations(f, max);
    }
}

/// Whether a secret as a report showed it is redacted (what [`Secret::redacted`] writes: a
/// registered prefix, at most four characters, `…`).
fn is_redacted(shown: &[u8]) -> bool {
    let text = String::from_utf8_lossy(shown);
    let Some(body) = text.strip_suffix('…') else {
        return false;
    };
    let prefix = crate::kind::prefix_of(body.as_bytes());
    body[prefix.len()..].chars().count() <= 4
}

/// The secret as the merged report shows it (the sink then prints it as it is).
fn shown(secret: &Secret, show_secrets: bool) -> Secret {
    if show_secrets || is_redacted(secret.expose()) {
        secret.clone()
    } else {
        Secret::new(secret.redacted().into_bytes())
    }
}

/// Adds one report's `summary` counters to `into`: numbers summed, flags or'ed, lists joined
/// without repeats, objects (`repositories`) field by field. Generic, so counters added later
/// merge too.
fn merge_counters(into: &mut serde_json::Map<String, Value>, from: serde_json::Map<String, Value>) {
    for (key, value) in from {
        let merged = match (into.remove(&key), value) {
            (None, v) => v,
            (Some(Value::Number(a)), Value::Number(b)) => match (a.as_u64(), b.as_u64()) {
                (Some(a), Some(b)) => Value::from(a.saturating_add(b)),
                _ => Value::from(a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)),
            },
            (Some(Value::Bool(a)), Value::Bool(b)) => Value::Bool(a || b),
            (Some(Value::Object(mut a)), Value::Object(b)) => {
                merge_counters(&mut a, b);
                Value::Object(a)
            }
            (Some(Value::Array(mut a)), Value::Array(b)) => {
                for v in b {
                    if !a.contains(&v) {
                        a.push(v);
                    }
                }
                Value::Array(a)
            }
            (Some(a), _) => a,
        };
        into.insert(key, merged);
    }
}

#[cfg(test)]
mod tests;
