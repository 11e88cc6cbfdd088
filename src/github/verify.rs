//! Is a token live? One side-effect-free request per distinct secret, on the route the kind
//! registry names ([`crate::kind::VerifyRoute`]): `GET /user` for personal, OAuth and user
//! tokens (200 live, with login, scopes and expiry; 401 dead), `GET
//! /installation/repositories` for installation tokens (`/user` answers 403 to live ones).
//! Refresh tokens are `unverifiable`: exchanging one consumes it. Requests are spaced out, and
//! after GitHub starts refusing authentication (403 after bad credentials) the rest are
//! `unknown` rather than sent: a lockout is never reported as `dead`. A 403 that is SAML SSO
//! enforcement is none of that: the token authenticated, so it is live, not authorised for
//! that organisation, and the checks go on. Every request of a response (verification,
//! re-checks, blast radius) goes through [`Verifier::get`], so they share the pacing and the
//! lockout.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::{ApiError, Client, Response};
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
        /// The organisation whose SAML SSO refused the token (a 403 that proves it live).
        #[serde(skip_serializing_if = "Option::is_none")]
        not_authorized_for: Option<String>,
    },
    Dead,
    Unknown {
        reason: String,
        /// GitHub is refusing authentication from this address (the 401→403 lockout).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        lockout: bool,
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

    pub fn is_lockout(&self) -> bool {
        matches!(self, Verification::Unknown { lockout: true, .. })
    }

    /// A line for people.
    pub fn describe(&self) -> String {
        match self {
            Verification::Live {
                login,
                scopes,
                expires,
                not_authorized_for,
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
                if let Some(org) = not_authorized_for {
                    s.push_str(&format!(", not authorised for {org} (SAML SSO)"));
                }
                s
            }
            Verification::Dead => "dead (GitHub rejects it)".to_string(),
            Verification::Unknown { reason, .. } => format!("unknown: {reason}"),
            Verification::Unverifiable { reason } => format!("unverifiable: {reason}"),
        }
    }
}

/// What a 403 means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forbidden {
    /// SAML SSO enforcement: the token authenticated; this organisation (when GitHub names
    /// it) has not authorised it.
    Sso(Option<String>),
    /// An installation token on a user route.
    Integration,
    /// Anything else: after bad credentials, GitHub's refusal of all authentication.
    Lockout,
}

/// Reads a 403 (a rate-limited 403 never gets here: the client retries or fails on it).
pub fn forbidden(r: &Response) -> Forbidden {
    let msg = r.message();
    if let Some(sso) = r.header("x-github-sso") {
        return Forbidden::Sso(sso_required_org(sso));
    }
    if msg.contains("SAML enforcement") || msg.contains("SAML SSO") {
        Forbidden::Sso(None)
    } else if msg.contains("not accessible by integration") {
        Forbidden::Integration
    } else {
        Forbidden::Lockout
    }
}

/// The organisation in `X-GitHub-SSO: required; url=https://HOST/orgs/ORG/sso?…`.
pub fn sso_required_org(header: &str) -> Option<String> {
    let url = header
        .split(';')
        .find_map(|p| p.trim().strip_prefix("url="))?;
    let parsed = reqwest::Url::parse(url.trim()).ok()?;
    let mut segments = parsed.path_segments()?;
    segments.find(|s| *s == "orgs")?;
    segments
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One paced request's result.
pub enum Probe {
    Answered(Response),
    Failed(ApiError),
    /// Not sent: GitHub is refusing authentication from this address.
    LockedOut,
}

pub struct Verifier<'a> {
    client: &'a Client,
    interval: Duration,
    last: Option<Instant>,
    locked_out: bool,
    audit: Option<&'a AuditLog>,
}

const LOCKOUT: &str = "not checked: GitHub is refusing authentication from this address after \
                       bad credentials; try again later";

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
        self.verify_as(secret, kind, "verify").0
    }

    /// Verifies, logging the check as `action` (`verify`, `recheck`), and returns the live
    /// answer too (the blast radius reads it rather than asking again).
    pub fn verify_as(
        &mut self,
        secret: &Secret,
        kind: TokenKind,
        action: &str,
    ) -> (Verification, Option<Response>) {
        let (result, status, response) = self.check(secret, kind);
        if let Some(log) = self.audit {
            let _ = log.record(secret, kind, action, status, result.status());
        }
        let live = result.is_live();
        (result, response.filter(|_| live))
    }

    pub fn audit(&self) -> Option<&'a AuditLog> {
        self.audit
    }

    fn check(
        &mut self,
        secret: &Secret,
        kind: TokenKind,
    ) -> (Verification, Option<u16>, Option<Response>) {
        match kind.info().verify {
            VerifyRoute::Unverifiable(reason) => (
                Verification::Unverifiable {
                    reason: reason.to_string(),
                },
                None,
                None,
            ),
            VerifyRoute::User => self.probe(secret, VerifyRoute::USER_PATH),
            VerifyRoute::Installation => self.probe(secret, VerifyRoute::INSTALLATION_PATH),
            VerifyRoute::UserThenInstallation => {
                let first = self.probe(secret, VerifyRoute::USER_PATH);
                // It might be an installation token: /user answers those with 403.
                if first
                    .2
                    .as_ref()
                    .is_some_and(|r| r.status == 403 && forbidden(r) == Forbidden::Integration)
                {
                    return self.probe(secret, VerifyRoute::INSTALLATION_PATH);
                }
                first
            }
        }
    }

    /// One request authenticated with `secret`, spaced from the previous one, unless GitHub
    /// has locked this address out; a lockout 403 answered here locks out the rest.
    pub fn get(&mut self, secret: &Secret, path: &str) -> Probe {
        if self.locked_out {
            return Probe::LockedOut;
        }
        if let Some(last) = self.last {
            let since = last.elapsed();
            if since < self.interval {
                std::thread::sleep(self.interval - since);
            }
        }
        self.last = Some(Instant::now());
        match self.client.get(path, Some(secret)) {
            Err(e) => Probe::Failed(e),
            Ok(r) => {
                if r.status == 403 && forbidden(&r) == Forbidden::Lockout {
                    self.locked_out = true;
                }
                Probe::Answered(r)
            }
        }
    }

    fn probe(
        &mut self,
        secret: &Secret,
        path: &str,
    ) -> (Verification, Option<u16>, Option<Response>) {
        match self.get(secret, path) {
            Probe::LockedOut => (
                Verification::Unknown {
                    reason: LOCKOUT.to_string(),
                    lockout: true,
                },
                None,
                None,
            ),
            Probe::Failed(e) => (
                Verification::Unknown {
                    reason: e.to_string(),
                    lockout: false,
                },
                None,
                None,
            ),
            Probe::Answered(r) => (interpret(&r), Some(r.status), Some(r)),
        }
    }
}

fn interpret(r: &Response) -> Verification {
    let header = |name: &str| r.header(name).map(str::to_string);
    match r.status {
        200 => Verification::Live {
            login: r
                .json()
                .and_then(|v| v["login"].as_str().map(str::to_string)),
            scopes: header("x-oauth-scopes"),
            expires: header("github-authentication-token-expiration"),
            not_authorized_for: None,
        },
        401 => Verification::Dead,
        403 => match forbidden(r) {
            Forbidden::Sso(org) => Verification::Live {
                login: None,
                scopes: header("x-oauth-scopes"),
                expires: header("github-authentication-token-expiration"),
                not_authorized_for: Some(org.unwrap_or_else(|| "an organisation".into())),
            },
            Forbidden::Lockout => Verification::Unknown {
                reason: format!(
                    "GitHub answered 403 ({}): it is refusing authentication from this \
                     address; not treated as dead",
                    r.message()
                ),
                lockout: true,
            },
            Forbidden::Integration => Verification::Unknown {
                reason: format!("GitHub answered 403 ({}); not treated as dead", r.message()),
                lockout: false,
            },
        },
        s => Verification::Unknown {
            reason: format!("GitHub answered {s} {}", r.message())
                .trim_end()
                .to_string(),
            lockout: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sso_header_names_the_organisation() {
        assert_eq!(
            sso_required_org(
                "required; url=https://github.com/orgs/acme/sso?authorization_request=AbC"
            ),
            Some("acme".to_string())
        );
        assert_eq!(
            sso_required_org("partial-results; organizations=21955855,20582480"),
            None
        );
        assert_eq!(sso_required_org("required; url=not a url"), None);
    }
}
