//! Responding to findings: verify each distinct secret and measure what each live one opens
//! (its blast radius), keep only live ones if asked, list what would be revoked (most severe
//! first) and ask once (on a terminal, or `--yes`), revoke, re-check, and print the steps to
//! replace each revoked token. Every action goes to the journal ([`AuditLog`]) the incident
//! record reads. Nothing is sent unless the user asked for verification or revocation, and
//! `--dry-run` sends nothing at all.

use std::path::PathBuf;
use std::time::Duration;

use crate::audit::{AuditLog, Entry};
use crate::console::Console;
use crate::finding::Finding;
use crate::github::blast::{self, Severity};
use crate::github::revoke::{self, Revocation};
use crate::github::{ApiError, Client, ClientConfig, Verification, Verifier};
use crate::remediate::{self, Host};

#[derive(Debug, Clone, Default)]
pub struct RespondOptions {
    pub verify: bool,
    pub only_live: bool,
    pub revoke: bool,
    /// Revoke without asking.
    pub yes: bool,
    pub dry_run: bool,
    pub steps: bool,
    pub audit_log: Option<PathBuf>,
    pub client: ClientConfig,
    /// Least time between two verification requests.
    pub interval: Duration,
    /// Most requests spent on one live token's blast radius (0: none).
    pub blast_radius_limit: u32,
    /// How long to keep re-checking a token GitHub accepted to revoke.
    pub recheck_for: Duration,
    /// The exit code says where tokens end (`revoke`, `incident`): 0 all dead, 3 one still
    /// live, 4 a revocation failed.
    pub exit_by_end_state: bool,
}

/// What responding found out: a secret is live, a revocation failed (the exit code reads it),
/// and every action taken.
#[derive(Debug, Default, Clone)]
pub struct Responded {
    pub any_live: bool,
    pub any_failed: bool,
    pub journal: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot open the audit log {path}: {source}")]
    Audit {
        path: String,
        source: std::io::Error,
    },
}

/// Verifies, revokes and explains, as `opts` asks; updates each finding's verification and
/// revocation.
pub fn respond(
    findings: &mut Vec<Finding>,
    opts: &RespondOptions,
    console: &Console,
) -> Result<Responded, RespondError> {
    let mut outcome = Responded::default();
    let host = Host::new(crate::github::client::web_host(&opts.client.api_url));
    // Revoking alone sends nothing before the user confirms; verification comes first only
    // when asked for (`patrol incident` asks for it).
    let wants_verify = (opts.verify || opts.only_live) && !opts.dry_run;
    let wants_network = wants_verify || (opts.revoke && !opts.dry_run);
    if !wants_network && !opts.revoke {
        if opts.steps {
            print_steps(findings.iter(), &host, console);
        }
        return Ok(outcome);
    }
    let audit = match &opts.audit_log {
        Some(p) => AuditLog::open(p).map_err(|source| RespondError::Audit {
            path: p.display().to_string(),
            source,
        })?,
        None => AuditLog::memory(),
    };
    // The URL is checked (https, or http to loopback) before anything is sent.
    let client = Client::new(opts.client.clone())?;
    let mut verifier = Verifier::new(&client, opts.interval, Some(&audit));

    if wants_verify {
        for f in findings.iter_mut() {
            let (v, answer) = verifier.verify_as(&f.secret, f.kind, "verify");
            f.verification = Some(v);
            if let Some(answer) = answer.filter(|_| opts.blast_radius_limit > 0) {
                let b = blast::measure(
                    &mut verifier,
                    &f.secret,
                    f.kind,
                    &answer,
                    opts.blast_radius_limit,
                );
                let _ = audit.record_detail(
                    &f.secret,
                    f.kind,
                    "blast-radius",
                    None,
                    b.severity.as_str(),
                    serde_json::to_value(&b).ok(),
                );
                f.blast_radius = Some(b);
            }
        }
        outcome.any_live = findings
            .iter()
            .any(|f| f.verification.as_ref().is_some_and(Verification::is_live));
        if opts.only_live {
            findings.retain(|f| f.verification.as_ref().is_some_and(Verification::is_live));
        }
    }

    if opts.revoke {
        revoke_findings(findings, opts, &client, &mut verifier, console);
        outcome.any_failed = findings
            .iter()
            .any(|f| matches!(f.revocation, Some(Revocation::Failed { .. })));
        // A token still live after revocation is a live secret too.
        outcome.any_live |= findings
            .iter()
            .any(|f| f.verification.as_ref().is_some_and(Verification::is_live));
        let replaced = findings.iter().filter(|f| {
            matches!(
                f.revocation,
                Some(Revocation::Revoked { .. } | Revocation::Submitted { .. })
            )
        });
        if opts.steps {
            print_steps(findings.iter(), &host, console);
        } else {
            print_steps(replaced, &host, console);
        }
    } else if opts.steps {
        print_steps(findings.iter(), &host, console);
    }
    outcome.journal = audit.entries();
    Ok(outcome)
}

/// How severe a finding is (most severe first; findings without a blast radius last).
pub fn severity(f: &Finding) -> Severity {
    f.blast_radius
        .as_ref()
        .map_or(Severity::Unknown, |b| b.severity)
}

fn revoke_findings(
    findings: &mut [Finding],
    opts: &RespondOptions,
    client: &Client,
    verifier: &mut Verifier,
    console: &Console,
) {
    // A token GitHub already rejects needs no revocation; the most severe come first.
    let mut targets: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].verification != Some(Verification::Dead))
        .collect();
    targets.sort_by_key(|&i| severity(&findings[i]));
    if targets.is_empty() {
        console.message("nothing to revoke");
        return;
    }
    let mut plan = vec![format!("patrol: {} token(s) to revoke:", targets.len())];
    for &i in &targets {
        let f = &findings[i];
        let route = revoke::route(f.kind).unwrap_or("no revocation route");
        let status = f
            .verification
            .as_ref()
            .map_or("not verified", Verification::status);
        let severity = f
            .blast_radius
            .as_ref()
            .map(|b| format!(", {}", b.severity.as_str()))
            .unwrap_or_default();
        plan.push(format!(
            "  {}  {} ({status}{severity}) via {route}",
            f.secret.redacted(),
            f.kind.describe()
        ));
        for l in f.locations.iter().take(3) {
            plan.push(format!("      {}:{}", l.path, l.line));
        }
        if f.locations.len() > 3 {
            plan.push(format!("      … and {} more", f.locations.len() - 3));
        }
    }
    console.block(&plan);
    for &i in &targets {
        findings[i].before = findings[i].verification.clone();
    }
    if opts.dry_run {
        for &i in &targets {
            let kind = findings[i].kind;
            findings[i].revocation = Some(match revoke::route(kind) {
                Some(route) => Revocation::Planned {
                    route: route.to_string(),
                },
                None => Revocation::NotRevocable {
                    reason: "GitHub offers no revocation route for this kind".into(),
                },
            });
        }
        console.message("dry run: nothing was sent");
        return;
    }
    if !opts.yes {
        match console.confirm("Revoke them now? This cannot be undone.") {
            Some(true) => {}
            Some(false) => return console.message("nothing was revoked"),
            None => {
                return console.message(
                    "nothing was revoked: no terminal to confirm on; pass --yes to revoke without asking",
                );
            }
        }
    }
    let tokens: Vec<_> = targets
        .iter()
        .map(|&i| (&findings[i].secret, findings[i].kind))
        .collect();
    let results = revoke::revoke_all(client, verifier, &tokens, opts.recheck_for);
    for (&i, (revocation, recheck)) in targets.iter().zip(results) {
        findings[i].revocation = Some(revocation);
        // What GitHub said afterwards is the latest truth about the token.
        if recheck.is_some() {
            findings[i].verification = recheck;
        }
    }
}

fn print_steps<'a>(findings: impl Iterator<Item = &'a Finding>, host: &Host, console: &Console) {
    for f in findings {
        let title = format!(
            "== Replace {} ({}) ==",
            f.secret.redacted(),
            f.kind.describe()
        );
        let steps = remediate::steps_for(f, host);
        console.block(
            std::iter::once(String::new())
                .chain(std::iter::once(title))
                .chain(steps.lines().map(str::to_string)),
        );
    }
}
