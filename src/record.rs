//! The incident record (`patrol incident --record FILE`): for each token, when it was found,
//! where, its blast radius, every action taken on GitHub with its time and GitHub's answer
//! (from the journal, [`crate::audit`]), its state before and after, and the manual steps that
//! remain — as Markdown to paste into a ticket or a post-mortem, or (`-f json`) the same as
//! data. Secrets appear only redacted; fingerprints identify them.

use std::io::{self, Write};

use serde::Serialize;

use crate::audit::Entry;
use crate::console::escape;
use crate::finding::{Finding, Location};
use crate::github::blast::{self, BlastRadius};
use crate::github::state::{self, TokenState};
use crate::github::{Revocation, Verification};
use crate::remediate::{self, Host};

/// The record of one incident.
#[derive(Serialize)]
pub struct Record<'a> {
    pub version: u32,
    /// When the record was written.
    pub written_at: String,
    /// The GitHub host acted on.
    pub host: String,
    pub tokens: Vec<TokenRecord<'a>>,
}

#[derive(Serialize)]
pub struct TokenRecord<'a> {
    /// Redacted.
    pub secret: String,
    pub fingerprint: &'a str,
    pub kind: &'static str,
    /// From the blast radius; absent when it was not measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    pub found_at: &'a str,
    pub locations: &'a [Location],
    pub location_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blast_radius: Option<&'a BlastRadius>,
    /// Every action on GitHub for this token, in order.
    pub actions: Vec<&'a Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<TokenState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<&'a Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation: Option<&'a Revocation>,
    /// What people still have to do, in order.
    pub remaining: Vec<String>,
}

/// Builds the record of `findings` (ordered most severe first), their actions in `journal`,
/// found at `found_at`.
pub fn build<'a>(
    findings: &'a [Finding],
    journal: &'a [Entry],
    found_at: &'a str,
    host: &Host,
) -> Record<'a> {
    let mut order: Vec<&Finding> = findings.iter().collect();
    order.sort_by_key(|f| crate::respond::severity(f));
    Record {
        version: 1,
        written_at: crate::time::now_utc(),
        host: host.web.clone(),
        tokens: order
            .into_iter()
            .map(|f| TokenRecord {
                secret: f.secret.redacted(),
                fingerprint: &f.fingerprint,
                kind: f.kind.as_str(),
                severity: f.blast_radius.as_ref().map(|b| b.severity.as_str()),
                found_at,
                locations: &f.locations,
                location_count: f.location_count,
                blast_radius: f.blast_radius.as_ref(),
                actions: journal
                    .iter()
                    .filter(|e| e.fingerprint == f.fingerprint)
                    .collect(),
                state: state::of(f),
                verification: f.verification.as_ref(),
                revocation: f.revocation.as_ref(),
                remaining: remaining(f, host),
            })
            .collect(),
    }
}

/// What is left to do for `f`: what its end state asks first, then the replacement steps.
fn remaining(f: &Finding, host: &Host) -> Vec<String> {
    let mut out = Vec::new();
    let settings = format!("https://{}/settings/tokens", host.web);
    match state::end(f) {
        state::End::Live => out.push(format!(
            "GitHub still accepts this token: have its owner delete it ({settings}), then \
             confirm with `patrol verify`."
        )),
        state::End::Failed => out.push(
            "The revocation failed: run `patrol revoke` again, or have the owner delete the \
             token in their settings."
                .into(),
        ),
        state::End::Unsettled => out.push(match &f.verification {
            Some(v) if v.is_lockout() => "GitHub refused authentication from this address: \
                                          check the token again later with `patrol verify`."
                .to_string(),
            _ => "Its end state is not known: confirm with its owner that it no longer works."
                .to_string(),
        }),
        state::End::Dead => {}
    }
    if let Some(Revocation::NotRevocable { reason }) = &f.revocation {
        out.push(reason.clone());
    }
    if let Some(Verification::Live {
        not_authorized_for: Some(org),
        ..
    }) = &f.verification
    {
        out.push(format!(
            "It was refused by {org}'s SAML SSO: ask {org}'s owners to review its access anyway."
        ));
    }
    out.extend(
        remediate::steps_for(f, host)
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .map(str::to_string),
    );
    out
}

/// Writes `record` as JSON.
pub fn write_json(record: &Record, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, record)?;
    writeln!(out)
}

/// Text from a server or a scanned file, safe inside Markdown inline code.
fn code(text: &str) -> String {
    format!("`{}`", escape(text).replace('`', "'"))
}

/// Text from a server or a scanned file, safe in a Markdown paragraph.
fn plain(text: &str) -> String {
    escape(text)
        .chars()
        .map(|c| if "`*_[]<>|#\\".contains(c) { ' ' } else { c })
        .collect()
}

/// Writes `record` as Markdown.
pub fn write_markdown(record: &Record, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# Incident record: leaked GitHub credentials\n")?;
    writeln!(out, "- Written: {}", record.written_at)?;
    writeln!(out, "- GitHub: {}", plain(&record.host))?;
    writeln!(out, "- Tokens: {}\n", record.tokens.len())?;
    if record.tokens.is_empty() {
        writeln!(out, "No GitHub credentials were found.")?;
    }
    writeln!(
        out,
        "| token | kind | severity | state |\n|---|---|---|---|"
    )?;
    for t in &record.tokens {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            code(&t.secret),
            t.kind,
            t.severity.unwrap_or("not measured"),
            t.state.as_ref().map_or("not checked", |s| s.text.as_str())
        )?;
    }
    for t in &record.tokens {
        writeln!(out, "\n## {} ({})\n", code(&t.secret), t.kind)?;
        writeln!(out, "- Fingerprint (SHA-256): `{}`", t.fingerprint)?;
        writeln!(out, "- Found: {}", t.found_at)?;
        if let Some(s) = &t.state {
            writeln!(out, "- State: **{}**", s.text)?;
        }
        writeln!(out, "\n### Where\n")?;
        for l in t.locations {
            writeln!(
                out,
                "- {} {}",
                l.source.as_str(),
                code(&format!("{}:{}:{}", l.path, l.line, l.column))
            )?;
            // A chat message: which one, by whom, when — what the responder deletes or edits.
            if let Some(chat) = &l.chat {
                writeln!(out, "  - {}", code(&crate::report::chat_line(chat)))?;
            }
        }
        let unlisted = t.location_count.saturating_sub(t.locations.len() as u64);
        if unlisted > 0 {
            writeln!(out, "- … and {unlisted} more")?;
        }
        writeln!(out, "\n### Blast radius\n")?;
        match t.blast_radius {
            Some(b) => writeln!(out, "{}", plain(&blast::describe(b)))?,
            None => writeln!(out, "Not measured (the token was not live when checked).")?,
        }
        writeln!(out, "\n### Actions\n")?;
        if t.actions.is_empty() {
            writeln!(out, "None.")?;
        } else {
            writeln!(
                out,
                "| time | action | GitHub answered | outcome |\n|---|---|---|---|"
            )?;
            for a in &t.actions {
                let status = a.http_status.map_or("—".to_string(), |s| s.to_string());
                writeln!(
                    out,
                    "| {} | {} | {status} | {} |",
                    a.time,
                    plain(&a.action),
                    plain(&a.outcome)
                )?;
            }
        }
        if let Some(r) = t.revocation {
            writeln!(out, "\nRevocation: {}", plain(&r.describe()))?;
        }
        writeln!(out, "\n### Remaining manual steps\n")?;
        for (n, step) in t.remaining.iter().enumerate() {
            writeln!(out, "{}. {}", n + 1, plain(step))?;
        }
    }
    Ok(())
}
