//! `sarif`: SARIF 2.1.0 as GitHub code scanning accepts it. One rule per rule id with results,
//! one result per location, relative `artifactLocation` URIs, and a stable
//! `partialFingerprints` entry derived from the secret's fingerprint. Each result's properties
//! repeat the secret as shown, so that `patrol merge` can redact a report again.

use std::io::{self, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Report;
use crate::matcher::Checksum;
use crate::rules::{Confidence, TokenKind};

/// Percent-encodes what may not stand in a URI reference; keeps `/`.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "note",
    }
}

const HELP: &str = "A GitHub credential was found in this file. Treat it as compromised: \
revoke it (`patrol scan PATH --revoke`, or delete it in the owner's GitHub settings), create a \
replacement with the least scopes needed, store it as a secret (for Actions: `gh secret set NAME`), \
remove it from the file, and rewrite history if it was committed.";

/// A result's text: what was found, with the secret as the report shows it (`patrol merge`
/// rewrites it when it redacts).
pub fn message(kind: TokenKind, secret: &str, checksum: Checksum) -> String {
    let checksum = match checksum {
        Checksum::Valid => " (checksum valid)",
        Checksum::Unverified => " (checksum unverified)",
        Checksum::Invalid => " (checksum INVALID)",
        Checksum::None => "",
    };
    format!(
        "GitHub {} {secret}{checksum} found; revoke and replace it.",
        kind.describe()
    )
}

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let all = r
        .findings
        .iter()
        .map(|f| (f, None))
        .chain(r.suppressed.iter().map(|s| (&s.finding, Some(s.reason))));
    let mut rule_ids: Vec<&str> = all.clone().map(|(f, _)| f.rule.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let desc = r.rule(id).map_or(*id, |rule| rule.description.as_str());
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": desc},
                "fullDescription": {"text": desc},
                "help": {"text": HELP, "markdown": HELP},
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["security", "secret", "github"],
                    "precision": "very-high",
                    "security-severity": "9.0"
                }
            })
        })
        .collect();
    let mut results = Vec::new();
    for (f, suppressed) in all {
        let rule_index = rule_ids.iter().position(|id| *id == f.rule).unwrap_or(0);
        let secret = r.secrets.text(&f.secret);
        for l in &f.locations {
            let location_hash: String = Sha256::digest(format!("{}:{}", f.fingerprint, l.path))
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect();
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.confidence),
                "message": {"text": message(f.kind, &secret, f.checksum)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&l.path), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": l.line, "startColumn": l.column}
                    }
                }],
                "partialFingerprints": {
                    "patrolSecretSha256/v1": f.fingerprint,
                    "patrolSecretLocation/v1": location_hash
                },
                "properties": {
                    "kind": f.kind.as_str(),
                    "confidence": f.confidence.as_str(),
                    "checksum": f.checksum.as_str(),
                    "secret": secret,
                    "decoded": l.decoded,
                    "verification": f.verification.as_ref().map(|v| v.status()),
                    "revocation": f.revocation.as_ref().map(|r| r.status()),
                    "state": crate::github::state::of(f).map(|s| s.text),
                    "severity": f.blast_radius.as_ref().map(|b| b.severity.as_str()),
                    "blastRadius": f.blast_radius
                }
            });
            if let Some(image) = &l.image {
                result["properties"]["image"] = json!(image);
            }
            if let Some(chat) = &l.chat {
                result["properties"]["chat"] = json!(chat);
                result["message"]["text"] = json!(format!(
                    "{} In a chat message: {}.",
                    result["message"]["text"].as_str().unwrap_or_default(),
                    crate::report::chat_line(chat)
                ));
            }
            if let Some(reason) = suppressed {
                // Code scanning shows these as dismissed: in-source for inline comments.
                let kind = if reason == crate::suppress::Reason::Inline {
                    "inSource"
                } else {
                    "external"
                };
                result["suppressions"] = json!([{"kind": kind, "justification": format!("patrol: {}", reason.as_str())}]);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = r
        .problems
        .iter()
        .map(|p| {
            json!({
                "level": "warning",
                "message": {"text": format!("{}: {}", p.path, p.message)}
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "patrol",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications
            }],
            "results": results
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
