//! Revocation, on the route the kind registry names ([`crate::kind::RevokeRoute`]).
//! Personal, fine-grained, OAuth, user-to-server and refresh tokens go to
//! `POST /credentials/revoke` in batches of at most 1,000, **without** an Authorization header
//! (GitHub answers 403 to authenticated calls), within its 60-requests-per-hour budget; its 202
//! only means "submitted" (revocation is asynchronous), so each verifiable token is checked
//! again with backoff, up to `--recheck-for`, and reported `revoked` only once GitHub answers
//! 401. Installation tokens revoke themselves with `DELETE /installation/token`. Legacy and
//! unknown kinds have no route: the owner must act.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::Client;
use super::verify::{Verification, Verifier};
use crate::finding::Secret;
use crate::kind::{RevokeRoute, TokenKind, VerifyRoute};

/// GitHub's limits for the credentials API.
pub const BATCH: usize = 1000;
pub const REQUESTS_PER_HOUR: usize = 60;

/// The one state each token ends in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Revocation {
    Revoked {
        detail: String,
    },
    Submitted {
        detail: String,
    },
    Failed {
        reason: String,
    },
    NotRevocable {
        reason: String,
    },
    /// `--dry-run`: what would be sent.
    Planned {
        route: String,
    },
}

impl Revocation {
    pub fn status(&self) -> &'static str {
        match self {
            Revocation::Revoked { .. } => "revoked",
            Revocation::Submitted { .. } => "submitted",
            Revocation::Failed { .. } => "failed",
            Revocation::NotRevocable { .. } => "not-revocable",
            Revocation::Planned { .. } => "planned",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Revocation::Revoked { detail } => format!("REVOKED: {detail}"),
            Revocation::Submitted { detail } => format!("submitted: {detail}"),
            Revocation::Failed { reason } => format!("FAILED: {reason}"),
            Revocation::NotRevocable { reason } => format!("not revocable: {reason}"),
            Revocation::Planned { route } => format!("would revoke with {route} (dry run)"),
        }
    }
}

/// How a kind is revoked, or `None` when GitHub offers no route.
pub fn route(kind: TokenKind) -> Option<&'static str> {
    kind.info().revoke.request()
}

/// The end state of one token, and what GitHub said when it was checked again afterwards.
pub type Revoked = (Revocation, Option<Verification>);

/// Waits between re-checks after a 202: revocation is asynchronous.
const RECHECK_WAITS: [u64; 4] = [2, 5, 10, 20];

/// Revokes every token, each ending in exactly one state; a failure never stops the others.
/// Tokens GitHub accepted (202) are checked again after 2, 5, 10, 20, 20… seconds until they
/// no longer authenticate or `recheck_for` has passed (a last check falls on the deadline).
pub fn revoke_all(
    client: &Client,
    verifier: &mut Verifier,
    tokens: &[(&Secret, TokenKind)],
    recheck_for: Duration,
) -> Vec<Revoked> {
    let audit = verifier.audit();
    let mut out: Vec<Option<Revoked>> = vec![None; tokens.len()];
    let log = |secret: &Secret, kind, status, outcome: &str| {
        if let Some(a) = audit {
            let _ = a.record(secret, kind, "revoke", status, outcome);
        }
    };
    let batchable: Vec<usize> = (0..tokens.len())
        .filter(|&i| tokens[i].1.info().revoke == RevokeRoute::CredentialsApi)
        .collect();
    let mut accepted = Vec::new();
    for (n, batch) in batchable.chunks(BATCH).enumerate() {
        let (status, failure) = if n >= REQUESTS_PER_HOUR {
            (
                None,
                Some(
                    "GitHub accepts 60 revocation requests per hour; run again later for the rest"
                        .to_string(),
                ),
            )
        } else {
            let creds: Vec<String> = batch
                .iter()
                .map(|&i| String::from_utf8_lossy(tokens[i].0.expose()).into_owned())
                .collect();
            let body = serde_json::json!({ "credentials": creds });
            match client.post_json("/credentials/revoke", None, &body) {
                Ok(r) if r.status == 202 => (Some(202), None),
                Ok(r) => (
                    Some(r.status),
                    Some(
                        format!("GitHub answered {} {}", r.status, r.message())
                            .trim_end()
                            .to_string(),
                    ),
                ),
                Err(e) => (None, Some(e.to_string())),
            }
        };
        for &i in batch {
            let (secret, kind) = tokens[i];
            let result = match &failure {
                Some(reason) => Revocation::Failed {
                    reason: reason.clone(),
                },
                None if matches!(kind.info().verify, VerifyRoute::Unverifiable(_)) => {
                    Revocation::Submitted {
                        detail: format!(
                            "GitHub accepted the request; a {} cannot be checked afterwards",
                            kind.describe()
                        ),
                    }
                }
                None => {
                    log(secret, kind, status, "submitted");
                    accepted.push(i);
                    continue;
                }
            };
            log(secret, kind, status, result.status());
            out[i] = Some((result, None));
        }
    }
    for (i, v, after) in recheck(verifier, tokens, &accepted, recheck_for) {
        let secs = after.as_secs();
        let r = match &v {
            Verification::Dead => Revocation::Revoked {
                detail: format!(
                    "GitHub confirmed after {secs} s: the token no longer authenticates"
                ),
            },
            other => Revocation::Submitted {
                detail: format!(
                    "GitHub accepted the request, but after re-checking for {secs} s the token is \
                     still {}",
                    other.status()
                ),
            },
        };
        out[i] = Some((r, Some(v)));
    }
    for (i, (secret, kind)) in tokens.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let (status, result) = match kind.info().revoke {
            RevokeRoute::InstallationSelf => self_revoke(client, secret),
            // Tokens of this route were sent in batches above.
            RevokeRoute::CredentialsApi => continue,
            RevokeRoute::None(reason) => (
                None,
                Revocation::NotRevocable {
                    reason: reason.to_string(),
                },
            ),
        };
        log(secret, *kind, status, result.status());
        let recheck = matches!(result, Revocation::Revoked { .. }).then_some(Verification::Dead);
        out[i] = Some((result, recheck));
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or((
                Revocation::Failed {
                    reason: "not attempted".into(),
                },
                None,
            ))
        })
        .collect()
}

/// Checks the `accepted` tokens again with backoff until each is dead, the checks are locked
/// out, or `recheck_for` has passed; returns each token's last answer and when it came.
fn recheck(
    verifier: &mut Verifier,
    tokens: &[(&Secret, TokenKind)],
    accepted: &[usize],
    recheck_for: Duration,
) -> Vec<(usize, Verification, Duration)> {
    let start = Instant::now();
    let mut last: BTreeMap<usize, (Verification, Duration)> = BTreeMap::new();
    let mut waiting: Vec<usize> = accepted.to_vec();
    let mut waits = RECHECK_WAITS
        .iter()
        .copied()
        .chain(std::iter::repeat(RECHECK_WAITS[RECHECK_WAITS.len() - 1]));
    while !waiting.is_empty() {
        let left = recheck_for.saturating_sub(start.elapsed());
        let wait = Duration::from_secs(waits.next().unwrap_or(20)).min(left);
        std::thread::sleep(wait);
        let mut still = Vec::new();
        for &i in &waiting {
            let (secret, kind) = tokens[i];
            let (v, _) = verifier.verify_as(secret, kind, "recheck");
            // Live or a passing failure: worth asking again. Dead or locked out: final.
            if v.is_live() || matches!(v, Verification::Unknown { lockout: false, .. }) {
                still.push(i);
            }
            last.insert(i, (v, start.elapsed()));
        }
        waiting = still;
        if start.elapsed() >= recheck_for {
            break;
        }
    }
    last.into_iter().map(|(i, (v, t))| (i, v, t)).collect()
}

/// `DELETE /installation/token`, authenticated with the token itself.
fn self_revoke(client: &Client, secret: &Secret) -> (Option<u16>, Revocation) {
    match client.delete("/installation/token", Some(secret)) {
        Ok(r) if r.status == 204 => (
            Some(204),
            Revocation::Revoked {
                detail: "the installation token revoked itself".into(),
            },
        ),
        Ok(r) if r.status == 401 => (
            Some(401),
            Revocation::Revoked {
                detail: "the token was already invalid".into(),
            },
        ),
        Ok(r) => (
            Some(r.status),
            Revocation::Failed {
                reason: format!("GitHub answered {} {}", r.status, r.message())
                    .trim_end()
                    .to_string(),
            },
        ),
        Err(e) => (
            None,
            Revocation::Failed {
                reason: e.to_string(),
            },
        ),
    }
}
