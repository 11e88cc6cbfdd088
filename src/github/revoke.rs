//! Revocation, on the route the kind registry names ([`crate::kind::RevokeRoute`]).
//! Personal, fine-grained, OAuth, user-to-server and refresh tokens go to
//! `POST /credentials/revoke` in batches of at most 1,000, **without** an Authorization header
//! (GitHub answers 403 to authenticated calls), within its 60-requests-per-hour budget; its 202
//! only means "submitted", so each verifiable token is checked again and reported `revoked`
//! only once GitHub answers 401. Installation tokens revoke themselves with
//! `DELETE /installation/token`. Legacy and unknown kinds have no route: the owner must act.

use serde::Serialize;

use super::client::Client;
use super::verify::{Verification, Verifier};
use crate::audit::AuditLog;
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

/// Revokes every token, each ending in exactly one state; a failure never stops the others.
pub fn revoke_all(
    client: &Client,
    verifier: &mut Verifier,
    tokens: &[(&Secret, TokenKind)],
    audit: Option<&AuditLog>,
) -> Vec<Revoked> {
    let mut out: Vec<Option<Revoked>> = vec![None; tokens.len()];
    let log = |secret: &Secret, kind, status, r: &Revocation| {
        if let Some(a) = audit {
            let _ = a.record(secret, kind, "revoke", status, r.status());
        }
    };
    let batchable: Vec<usize> = (0..tokens.len())
        .filter(|&i| tokens[i].1.info().revoke == RevokeRoute::CredentialsApi)
        .collect();
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
            let (result, recheck) = match &failure {
                Some(reason) => (
                    Revocation::Failed {
                        reason: reason.clone(),
                    },
                    None,
                ),
                None if matches!(kind.info().verify, VerifyRoute::Unverifiable(_)) => (
                    Revocation::Submitted {
                        detail: format!(
                            "GitHub accepted the request; a {} cannot be checked afterwards",
                            kind.describe()
                        ),
                    },
                    None,
                ),
                None => {
                    let v = verifier.verify(secret, kind);
                    let r = match &v {
                        Verification::Dead => Revocation::Revoked {
                            detail: "GitHub confirmed: the token no longer authenticates".into(),
                        },
                        other => Revocation::Submitted {
                            detail: format!(
                                "GitHub accepted the request, but the token is still {}",
                                other.status()
                            ),
                        },
                    };
                    (r, Some(v))
                }
            };
            log(secret, kind, status, &result);
            out[i] = Some((result, recheck));
        }
    }
    for (i, (secret, kind)) in tokens.iter().enumerate() {
        if out[i].is_some() {
            continue;
        }
        let (status, result) = match kind.info().revoke {
            RevokeRoute::InstallationSelf => {
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
            // Tokens of this route were sent in batches above.
            RevokeRoute::CredentialsApi => continue,
            RevokeRoute::None(reason) => (
                None,
                Revocation::NotRevocable {
                    reason: reason.to_string(),
                },
            ),
        };
        log(secret, *kind, status, &result);
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
