//! Is a token live? One side-effect-free request per distinct secret, on the route the kind
//! registry names ([`crate::kind::VerifyRoute`]): `GET /user` for personal, OAuth and user
//! tokens (200 live, with login, scopes and expiry; 401 dead), `GET
//! /installation/repositories` for installation tokens (`/user` answers 403 to live ones).
//! Refresh tokens are `unverifiable`: exchanging one consumes it. Requests are spaced out, and
//! after GitHub starts refusing authentication (403 after bad credentials) the rest are
//! `unknown` rather than sent: a lockout is never reported as `dead`.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::{Client, Response};
use crate::audit::AuditLog;
use crate::finding::Secret;
use crate::kind::{TokenKind, VerifyRoute};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Verification {
    Live {
        #[serde(skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        /// `X-OAuth-Scopes` (classic and OAuth tokens).
        #[serde(skip_serializing_if = "Option::is_none")]
        scopes: Option<String>,
        /// `GitHub-Authentication-Token-Expiration`.
        #[serde(skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
    Dead,
    Unknown {
        reason: String,
    },
    Unverifiable {
        reason: String,
    },
}

impl Verification {
    pub fn status(&self) -> &'static str {
        match self {
            Verification::Live { .. } => "live",
            Verification::Dead => "dead",
            Verification::Unknown { .. } => "unknown",
            Verification::Unverifiable { .. } => "unverifiable",
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, Verification::Live { .. })
    }

    /// A line for people.
    pub fn describe(&self) -> String {
        match self {
            Verification::Live {
                login,
                scopes,
                expires,
            } => {
                let mut s = "LIVE".to_string();
                if let Some(l) = login {
                    s.push_str(&format!(", user {l}"));
                }
                if let Some(sc) = scopes.as_deref().filter(|s| !s.is_empty()) {
                    s.push_str(&format!(", scopes {sc}"));
                }
                if let Some(e) = expires {
                    s.push_str(&format!(", expires {e}"));
                }
                s
            }
            Verification::Dead => "dead (GitHub rejects it)".to_string(),
            Verification::Unknown { reason } => format!("unknown: {reason}"),
            Verification::Unverifiable { reason } => format!("unverifiable: {reason}"),
        }
    }
}

pub struct Verifier<'a> {
    client: &'a Client,
    interval: Duration,
    last: Option<Instant>,
    locked_out: bool,
    audit: Option<&'a AuditLog>,
}

impl<'a> Verifier<'a> {
    /// `interval`: the least time between two checks.
    pub fn new(client: &'a Client, interval: Duration, audit: Option<&'a AuditLog>) -> Self {
        Verifier {
            client,
            interval,
            last: None,
            locked_out: false,
            audit,
        }
    }

    pub fn verify(&mut self, secret: &Secret, kind: TokenKind) -> Verification {
        let (result, status) = self.check(secret, kind);
        if let Some(log) = self.audit {
            let _ = log.record(secret, kind, "verify", status, result.status());
        }
        result
    }

    fn check(&mut self, secret: &Secret, kind: TokenKind) -> (Verification, Option<u16>) {
        match kind.info().verify {
            VerifyRoute::Unverifiable(reason) => (
                Verification::Unverifiable {
                    reason: reason.to_string(),
                },
                None,
            ),
            VerifyRoute::User => self.probe(secret, VerifyRoute::USER_PATH),
            VerifyRoute::Installation => self.probe(secret, VerifyRoute::INSTALLATION_PATH),
            VerifyRoute::UserThenInstallation => {
                let first = self.probe(secret, VerifyRoute::USER_PATH);
                // It might be an installation token: /user answers those with 403.
                if first.1 == Some(403) {
                    return self.probe(secret, VerifyRoute::INSTALLATION_PATH);
                }
                first
            }
        }
    }

    fn probe(&mut self, secret: &Secret, path: &str) -> (Verification, Option<u16>) {
        if self.locked_out {
            let reason = "not checked: GitHub is refusing authentication from this address after \
                          bad credentials; try again later"
                .to_string();
            return (Verification::Unknown { reason }, None);
        }
        if let Some(last) = self.last {
            let since = last.elapsed();
            if since < self.interval {
                std::thread::sleep(self.interval - since);
            }
        }
        self.last = Some(Instant::now());
        match self.client.get(path, Some(secret)) {
            Err(e) => (
                Verification::Unknown {
                    reason: e.to_string(),
                },
                None,
            ),
            Ok(r) => (self.interpret(&r), Some(r.status)),
        }
    }

    fn interpret(&mut self, r: &Response) -> Verification {
        match r.status {
            200 => Verification::Live {
                login: r
                    .json()
                    .and_then(|v| v["login"].as_str().map(str::to_string)),
                scopes: r.header("x-oauth-scopes").map(str::to_string),
                expires: r
                    .header("github-authentication-token-expiration")
                    .map(str::to_string),
            },
            401 => Verification::Dead,
            403 => {
                let msg = r.message();
                if !msg.contains("not accessible by integration") {
                    self.locked_out = true;
                }
                Verification::Unknown {
                    reason: format!("GitHub answered 403 ({msg}); not treated as dead"),
                }
            }
            s => Verification::Unknown {
                reason: format!("GitHub answered {s} {}", r.message())
                    .trim_end()
                    .to_string(),
            },
        }
    }
}
