//! Honest states: what each token was before patrol acted and what it is at the end —
//! `live → revoked`, `live → still live (submitted)`, `dead (before)`, `unknown (lockout)` —
//! from the verification before, the revocation and the last re-check. The exit code of
//! `revoke` and `incident` reads [`End`], and every report shows [`TokenState`].

use serde::Serialize;

use super::{Revocation, Verification};
use crate::finding::Finding;

/// A token's state before and after, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenState {
    /// `live`, `dead`, `unknown (lockout)`, `unknown`, `unverifiable` or `not checked`.
    pub before: &'static str,
    /// `revoked`, `still live (submitted)`, `dead`, `live`, … (the same words, or what the
    /// revocation left).
    pub after: &'static str,
    /// `before → after`, or one of them when nothing changed it.
    pub text: String,
}

/// Where a token ends, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// GitHub rejects it (revoked, or dead all along).
    Dead,
    /// GitHub still accepts it.
    Live,
    /// Its revocation failed.
    Failed,
    /// Nobody knows: unverifiable, locked out, not checked.
    Unsettled,
}

fn label(v: Option<&Verification>) -> &'static str {
    match v {
        None => "not checked",
        Some(v) if v.is_lockout() => "unknown (lockout)",
        Some(v) => v.status(),
    }
}

/// The token's state, when anything was checked or done.
pub fn of(f: &Finding) -> Option<TokenState> {
    let now = f.verification.as_ref();
    // Without a revocation, the one verification is both.
    let before = if f.revocation.is_some() {
        f.before.as_ref()
    } else {
        now
    };
    if before.is_none() && f.revocation.is_none() {
        return None;
    }
    let was = label(before);
    let after: &'static str = match &f.revocation {
        None if before == Some(&Verification::Dead) => {
            return Some(TokenState {
                before: "dead",
                after: "dead",
                text: "dead (before)".into(),
            });
        }
        None => {
            return Some(TokenState {
                before: was,
                after: was,
                text: was.to_string(),
            });
        }
        Some(Revocation::Revoked { .. }) => "revoked",
        Some(Revocation::Submitted { .. }) => match now {
            Some(v) if v.is_live() => "still live (submitted)",
            Some(v) if v.is_lockout() => "unknown (lockout, submitted)",
            Some(Verification::Unknown { .. }) => "unknown (submitted)",
            _ => "submitted (cannot be checked)",
        },
        Some(Revocation::Failed { .. }) => match now {
            Some(v) if v.is_live() => "still live (revocation failed)",
            _ => "revocation failed",
        },
        Some(Revocation::NotRevocable { .. }) => match now {
            Some(v) if v.is_live() => "still live (not revocable)",
            _ => "not revocable",
        },
        Some(Revocation::Planned { .. }) => "planned (dry run)",
    };
    Some(TokenState {
        before: was,
        after,
        text: format!("{was} → {after}"),
    })
}

/// Where the token ends.
pub fn end(f: &Finding) -> End {
    match (&f.revocation, &f.verification) {
        (Some(Revocation::Failed { .. }), _) => End::Failed,
        (_, Some(v)) if v.is_live() => End::Live,
        (Some(Revocation::Revoked { .. }), _) | (_, Some(Verification::Dead)) => End::Dead,
        _ => End::Unsettled,
    }
}
