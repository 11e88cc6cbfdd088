//! `json` (one document) and `jsonl` (one object per location). Field names are a documented
//! contract (README, "JSON fields"): extend, never rename.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, SecretDisplay};
use crate::diagnostics::{Problem, Stats};
use crate::finding::{Finding, Location};
use crate::github::blast::BlastRadius;
use crate::github::state::{self, TokenState};
use crate::github::{Revocation, Verification};
use crate::matcher::Encoding;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<FindingOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressed: Vec<SuppressedOut<'a>>,
    summary: Summary<'a>,
    errors: &'a [Problem],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    locations: usize,
    #[serde(flatten)]
    stats: &'a Stats,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    kind: &'a str,
    confidence: &'a str,
    checksum: &'a str,
    secret: String,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation: Option<&'a Revocation>,
    /// After a revocation: the verification before it (`verification` is then the re-check).
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_before: Option<&'a Verification>,
    /// Before and after (`live → revoked`), once anything was checked or done.
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<TokenState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blast_radius: Option<&'a BlastRadius>,
    locations: &'a [Location],
    /// Every location seen; `locations` lists the first `--max-locations` of them.
    location_count: u64,
}

#[derive(Serialize)]
struct SuppressedOut<'a> {
    reason: &'static str,
    #[serde(flatten)]
    finding: FindingOut<'a>,
}

#[derive(Serialize)]
struct LineOut<'a> {
    fingerprint: &'a str,
    rule: &'a str,
    kind: &'a str,
    confidence: &'a str,
    checksum: &'a str,
    secret: String,
    source: &'a str,
    path: &'a str,
    line: u64,
    column: u64,
    offset: u64,
    decoded: &'a [Encoding],
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a crate::finding::GitContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a crate::finding::ImageContext>,
    chat: Option<&'a crate::finding::ChatContext>,
}

fn finding_out<'a>(f: &'a Finding, secrets: SecretDisplay) -> FindingOut<'a> {
    FindingOut {
        rule: &f.rule,
        kind: f.kind.as_str(),
        confidence: f.confidence.as_str(),
        checksum: f.checksum.as_str(),
        secret: secrets.text(&f.secret),
        fingerprint: &f.fingerprint,
        verification: f.verification.as_ref(),
        revocation: f.revocation.as_ref(),
        verification_before: f.before.as_ref().filter(|_| f.revocation.is_some()),
        state: state::of(f),
        blast_radius: f.blast_radius.as_ref(),
        locations: &f.locations,
        location_count: f.location_count,
    }
}

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: 1,
        tool: Tool {
            name: "patrol",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: r
            .findings
            .iter()
            .map(|f| finding_out(f, r.secrets))
            .collect(),
        suppressed: r
            .suppressed
            .iter()
            .map(|s| SuppressedOut {
                reason: s.reason.as_str(),
                finding: finding_out(&s.finding, r.secrets),
            })
            .collect(),
        summary: Summary {
            findings: r.findings.len(),
            locations: r.findings.iter().map(|f| f.location_count as usize).sum(),
            stats: r.stats,
        },
        errors: r.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub fn write_lines(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    for f in r.findings {
        write_finding_lines(f, r.secrets, out)?;
    }
    Ok(())
}

/// One line per location of `f`.
pub fn write_finding_lines(
    f: &Finding,
    secrets: SecretDisplay,
    out: &mut dyn Write,
) -> io::Result<()> {
    {
        let secret = secrets.text(&f.secret);
        let state = state::of(f).map(|s| s.text);
        let severity = f.blast_radius.as_ref().map(|b| b.severity.as_str());
        for l in &f.locations {
            let line = LineOut {
                fingerprint: &f.fingerprint,
                rule: &f.rule,
                kind: f.kind.as_str(),
                confidence: f.confidence.as_str(),
                checksum: f.checksum.as_str(),
                secret: secret.clone(),
                source: l.source.as_str(),
                path: &l.path,
                line: l.line,
                column: l.column,
                offset: l.offset,
                decoded: &l.decoded,
                verification: f.verification.as_ref().map(|v| v.status()),
                revocation: f.revocation.as_ref().map(|r| r.status()),
                state: state.clone(),
                severity,
                git: l.git.as_ref(),
                image: l.image.as_ref(),
                chat: l.chat.as_ref(),
            };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
