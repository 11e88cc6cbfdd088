//! Blast radius: what a live token opens, read from the API with as few requests as possible
//! (at most `--blast-radius-limit` per token) through the [`Verifier`]'s pacing and lockout.
//! Personal, OAuth and user tokens: the owner from the `GET /user` answer the verification
//! already holds, scopes (`X-OAuth-Scopes`) and expiry from its headers, organisations from
//! `GET /user/orgs`, and repository access counted page by page from `GET /user/repos`'s
//! `permissions`; SAML SSO organisations that have not authorised the token show up as
//! `X-GitHub-SSO: partial-results; organizations=ID,…` on those listings (or as an SSO 403,
//! which names the organisation). Installation tokens: the pages of `GET
//! /installation/repositories` (the first is the verification's answer), with each
//! repository's `permissions` for the token. Counts are kept, not repositories: memory stays
//! bounded whatever the account holds. Nothing here runs without a network flag: only a live
//! verification leads here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod measure;

pub use measure::measure;

/// Repositories named in a blast radius (the most sensitive first).
pub(crate) const NAMED: usize = 5;
/// Requests per token by default (`--blast-radius-limit`).
pub const DEFAULT_LIMIT: u32 = 10;

/// How bad a leak of this token is; orders an incident (most severe first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Administers a repository, or holds an `admin:*`, `delete_repo`, `write:packages` or
    /// `delete:packages`-class scope.
    Critical,
    /// Pushes to a repository.
    High,
    /// Reads private code.
    Medium,
    /// Public repositories only.
    Low,
    /// Nothing could be read about it (every request failed).
    Unknown,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub login: String,
    /// `User`, `Organization`, `Bot`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// `reached`, or `sso-not-authorized` (SAML SSO: the token must be authorised there first).
    pub access: Cow<'static, str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub name: String,
    /// `admin`, `push` or `read`.
    pub access: Cow<'static, str>,
    pub private: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repositories {
    pub readable: u64,
    /// Of the readable ones, private.
    pub private: u64,
    pub pushable: u64,
    pub admin: u64,
    /// Every page was read (false when `--blast-radius-limit` or an error stopped it).
    pub complete: bool,
    /// When not complete: the most there can be, from the listing's last page or total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u64>,
    /// A few names, administered first, then pushable, then private.
    pub most_sensitive: Vec<Repository>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    /// `all` or `selected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_selection: Option<String>,
    /// `total_count`: every repository the installation reaches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// How many listed repositories grant each permission (`admin`, `maintain`, `push`,
    /// `triage`, `pull`) to the token.
    pub permissions: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastRadius {
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Classic and OAuth tokens: `X-OAuth-Scopes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Fine-grained tokens: the account owning every repository the token lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub organizations: Vec<Organization>,
    pub repositories: Repositories,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installation: Option<Installation>,
    /// Requests spent on it (beyond the verification).
    pub requests: u32,
    /// What could not be read, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Scopes that make a leak critical whatever the repositories say.
pub fn is_critical_scope(scope: &str) -> bool {
    scope.starts_with("admin:")
        || matches!(
            scope,
            "delete_repo" | "write:packages" | "delete:packages" | "site_admin"
        )
}

/// The severity from the scopes (when the token has them) and what the listing counted
/// (`listed`: at least one page was read).
pub fn severity(scopes: Option<&[String]>, repos: &Repositories, listed: bool) -> Severity {
    let scope = |s: &str| scopes.is_some_and(|sc| sc.iter().any(|x| x == s));
    if scopes.is_some_and(|sc| sc.iter().any(|s| is_critical_scope(s))) || repos.admin > 0 {
        Severity::Critical
    } else if repos.pushable > 0 || (!listed && (scope("repo") || scope("public_repo"))) {
        Severity::High
    } else if repos.private > 0 {
        Severity::Medium
    } else if listed || scopes.is_some() {
        Severity::Low
    } else {
        Severity::Unknown
    }
}

/// One line for people: `CRITICAL: user octocat (User); scopes repo, admin:org; …`.
pub fn describe(b: &BlastRadius) -> String {
    let mut parts = Vec::new();
    if let Some(o) = &b.owner {
        let t = o.account_type.as_deref().unwrap_or("account");
        parts.push(format!("{t} {}", o.login));
    }
    if let Some(r) = &b.resource_owner {
        parts.push(format!("resource owner {r}"));
    }
    if let Some(s) = &b.scopes {
        let s = if s.is_empty() {
            "none".to_string()
        } else {
            s.join(", ")
        };
        parts.push(format!("scopes {s}"));
    }
    if let Some(e) = &b.expires {
        parts.push(format!("expires {e}"));
    }
    if !b.organizations.is_empty() {
        let orgs: Vec<String> = b
            .organizations
            .iter()
            .map(|o| {
                let name = o
                    .login
                    .clone()
                    .or_else(|| o.id.map(|i| format!("id {i}")))
                    .unwrap_or_else(|| "an organisation".into());
                if o.access == "sso-not-authorized" {
                    format!("{name} (SAML SSO: not authorised)")
                } else {
                    name
                }
            })
            .collect();
        parts.push(format!("organisations {}", orgs.join(", ")));
    }
    let r = &b.repositories;
    let counted = if r.complete {
        String::new()
    } else {
        match r.at_most {
            Some(n) => format!(" (at least; up to {n})"),
            None => " (at least)".to_string(),
        }
    };
    parts.push(format!(
        "repositories: {} readable ({} private), {} pushable, {} administered{counted}",
        r.readable, r.private, r.pushable, r.admin
    ));
    if let Some(i) = &b.installation {
        if let Some(sel) = &i.repository_selection {
            parts.push(format!("installation on {sel} repositories"));
        }
        if !i.permissions.is_empty() {
            let p: Vec<String> = i
                .permissions
                .iter()
                .map(|(k, n)| format!("{k} on {n}"))
                .collect();
            parts.push(format!("token permissions {}", p.join(", ")));
        }
    }
    if !r.most_sensitive.is_empty() {
        let names: Vec<String> = r
            .most_sensitive
            .iter()
            .map(|x| {
                let vis = if x.private { "private" } else { "public" };
                format!("{} ({}, {vis})", x.name, x.access)
            })
            .collect();
        parts.push(format!("most sensitive {}", names.join(", ")));
    }
    let mut line = format!(
        "{}: {}",
        b.severity.as_str().to_uppercase(),
        parts.join("; ")
    );
    for n in &b.notes {
        line.push_str(&format!("; {n}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos(private: u64, pushable: u64, admin: u64) -> Repositories {
        Repositories {
            readable: private + 1,
            private,
            pushable,
            admin,
            ..Repositories::default()
        }
    }

    #[test]
    fn severity_orders_admin_push_private_public() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(severity(None, &repos(0, 0, 1), true), Severity::Critical);
        assert_eq!(
            severity(
                Some(&s(&["read:packages", "write:packages"])),
                &repos(0, 0, 0),
                true
            ),
            Severity::Critical
        );
        assert_eq!(
            severity(Some(&s(&["admin:org"])), &repos(0, 0, 0), false),
            Severity::Critical
        );
        assert_eq!(severity(None, &repos(3, 1, 0), true), Severity::High);
        assert_eq!(severity(None, &repos(3, 0, 0), true), Severity::Medium);
        assert_eq!(severity(None, &repos(0, 0, 0), true), Severity::Low);
        assert_eq!(
            severity(Some(&s(&["repo"])), &Repositories::default(), false),
            Severity::High
        );
        assert_eq!(
            severity(None, &Repositories::default(), false),
            Severity::Unknown
        );
        assert!(Severity::Critical < Severity::Low);
    }
}
