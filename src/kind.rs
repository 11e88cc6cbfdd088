//! The kind registry: every kind of GitHub credential patrol knows, in one table ([`KINDS`]) —
//! its prefixes, its checksum, what a failed checksum means, how it is verified, how it is
//! revoked and how a replacement is made. The matcher (redaction, placeholders, context
//! rules), the decoders, verification, revocation and remediation all read this table; no
//! token prefix is written anywhere else in `src/` (`no_prefix_literal_outside_the_registry`
//! checks it).
//!
//! Adding a GitHub token format:
//! - a new shape of a known kind (such as the announced new `ghu_` format): one rule in
//!   `rules/tokens.toml` (with examples), and its prefix in the kind's `prefixes` if it is new;
//! - a new kind: one [`TokenKind`] variant with its [`Kind`] entry below, and one rule in
//!   `rules/*.toml`. The tests check that every variant has exactly one entry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::rules::ChecksumFailure;

/// What a GitHub credential is; decides how it is verified, revoked and replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    ClassicPat,
    FineGrainedPat,
    Oauth,
    UserToServer,
    Installation,
    Refresh,
    LegacyInstallation,
    LegacyHex,
    ClientSecret,
    Generic,
}

/// The check built into a kind's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumScheme {
    None,
    /// CRC-32 of the random part, base62, in the last 6 characters (github-facts.md §2).
    Crc32,
    /// The unofficial SHA-256/base32 check inside fine-grained tokens (github-facts.md §2.4).
    FineGrained,
}

/// What the part after the prefix must look like for [`classify`] to name the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Any,
    /// Exactly this many lowercase hex digits.
    Hex(usize),
}

/// How a token is checked without changing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyRoute {
    /// `GET /user`: 200 live (login, scopes, expiry), 401 dead.
    User,
    /// `GET /installation/repositories` (`/user` answers 403 to live installation tokens).
    Installation,
    /// Unknown shape: `/user`, then `/installation/repositories` when `/user` answers 403.
    UserThenInstallation,
    /// Not checked, for this reason.
    Unverifiable(&'static str),
}

impl VerifyRoute {
    pub const USER_PATH: &'static str = "/user";
    /// The first page of the installation's repositories: it proves the token live and opens
    /// its blast radius ([`crate::github::blast`]) in one request.
    pub const INSTALLATION_PATH: &'static str = "/installation/repositories?per_page=100";
}

/// How a token is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeRoute {
    /// `POST /credentials/revoke`, in batches, without authentication.
    CredentialsApi,
    /// `DELETE /installation/token`, authenticated with the token itself.
    InstallationSelf,
    /// GitHub offers no route; what the owner must do instead.
    None(&'static str),
}

impl RevokeRoute {
    /// The request, for people and `--dry-run`; `None` without a route.
    pub fn request(self) -> Option<&'static str> {
        match self {
            RevokeRoute::CredentialsApi => Some("POST /credentials/revoke"),
            RevokeRoute::InstallationSelf => Some("DELETE /installation/token"),
            RevokeRoute::None(_) => None,
        }
    }
}

/// One kind of credential, everything patrol knows about it.
#[derive(Debug)]
pub struct Kind {
    pub kind: TokenKind,
    /// The name in reports and on the command line.
    pub name: &'static str,
    /// A phrase for people.
    pub description: &'static str,
    /// Fixed text every token of the kind starts with (the longest applies); may be shown
    /// unredacted, as it says what the token is, not what it unlocks.
    pub prefixes: &'static [&'static str],
    pub body: Body,
    pub checksum: ChecksumScheme,
    /// What a failed checksum means (rules may say otherwise with `checksum_failure`).
    pub checksum_failure: ChecksumFailure,
    pub verify: VerifyRoute,
    pub revoke: RevokeRoute,
    /// How to create a replacement. `{web}` is the host's web URL (`https://github.com`),
    /// `{registry}` its container registry, `{settings}` the path to developer settings.
    pub replacement: &'static str,
}

use steps::{APP_USER_STEPS, CLASSIC_STEPS, CLIENT_SECRET_STEPS, INSTALLATION_STEPS};

const USER_AND_CREDENTIALS: (VerifyRoute, RevokeRoute) =
    (VerifyRoute::User, RevokeRoute::CredentialsApi);

/// The registry, one entry per [`TokenKind`], in the order [`classify`] tries them.
pub const KINDS: &[Kind] = &[
    Kind {
        kind: TokenKind::ClassicPat,
        name: "classic-pat",
        description: "personal access token (classic)",
        prefixes: &["ghp_"],
        body: Body::Any,
        checksum: ChecksumScheme::Crc32,
        checksum_failure: ChecksumFailure::Drop,
        verify: USER_AND_CREDENTIALS.0,
        revoke: USER_AND_CREDENTIALS.1,
        replacement: CLASSIC_STEPS,
    },
    Kind {
        kind: TokenKind::FineGrainedPat,
        name: "fine-grained-pat",
        description: "fine-grained personal access token",
        prefixes: &["github_pat_"],
        body: Body::Any,
        checksum: ChecksumScheme::FineGrained,
        // GitHub documents no checksum for this kind: a failure does not make a token fake.
        checksum_failure: ChecksumFailure::Report,
        verify: USER_AND_CREDENTIALS.0,
        revoke: USER_AND_CREDENTIALS.1,
        replacement: "Create a new fine-grained personal access token:
1. {settings} → Personal access tokens → Fine-grained tokens → Generate new token, or open
   {web}/settings/personal-access-tokens/new
2. Name it, set an expiration (required), choose the resource owner, only the repositories it needs, and the fewest permissions.
3. An organisation may require approval: the token stays read-only on public resources until approved.
4. Fine-grained tokens cannot be used with GitHub Packages ({registry}): use a classic token there.",
    },
    Kind {
        kind: TokenKind::Oauth,
        name: "oauth",
        description: "OAuth app token",
        prefixes: &["gho_"],
        body: Body::Any,
        checksum: ChecksumScheme::Crc32,
        checksum_failure: ChecksumFailure::Drop,
        verify: USER_AND_CREDENTIALS.0,
        revoke: USER_AND_CREDENTIALS.1,
        replacement: "This is an OAuth app's token for a user:
1. The user signs in to the app again to get a new token (the app runs its OAuth flow).
2. Users can review and revoke the app's access: {web}/settings/applications
3. If you own the app and its client secret leaked too: {settings} → OAuth Apps → the app → Generate a new client secret, deploy it, then delete the old one ({web}/settings/developers).",
    },
    Kind {
        kind: TokenKind::UserToServer,
        name: "user-to-server",
        description: "GitHub App user token",
        prefixes: &["ghu_"],
        body: Body::Any,
        checksum: ChecksumScheme::Crc32,
        checksum_failure: ChecksumFailure::Drop,
        verify: USER_AND_CREDENTIALS.0,
        revoke: USER_AND_CREDENTIALS.1,
        replacement: APP_USER_STEPS,
    },
    Kind {
        kind: TokenKind::Installation,
        name: "installation",
        description: "GitHub App installation token",
        prefixes: &["ghs_"],
        body: Body::Any,
        checksum: ChecksumScheme::Crc32,
        // No real sample confirms the CRC on this kind (github-facts.md §1 note 1).
        checksum_failure: ChecksumFailure::Report,
        verify: VerifyRoute::Installation,
        revoke: RevokeRoute::InstallationSelf,
        replacement: INSTALLATION_STEPS,
    },
    Kind {
        kind: TokenKind::Refresh,
        name: "refresh",
        description: "GitHub App refresh token",
        prefixes: &["ghr_"],
        body: Body::Any,
        checksum: ChecksumScheme::Crc32,
        checksum_failure: ChecksumFailure::Drop,
        verify: VerifyRoute::Unverifiable(
            "checking a refresh token means exchanging it, which consumes it",
        ),
        revoke: RevokeRoute::CredentialsApi,
        replacement: APP_USER_STEPS,
    },
    Kind {
        kind: TokenKind::LegacyInstallation,
        name: "legacy-installation",
        description: "legacy installation token",
        prefixes: &["v1."],
        body: Body::Hex(40),
        checksum: ChecksumScheme::None,
        checksum_failure: ChecksumFailure::Drop,
        verify: VerifyRoute::Installation,
        revoke: RevokeRoute::None(
            "GitHub offers no API to revoke a legacy installation token; it expires within the hour — find what leaked it, and rotate the app's private key if that leaked too",
        ),
        replacement: INSTALLATION_STEPS,
    },
    Kind {
        kind: TokenKind::LegacyHex,
        name: "legacy-hex",
        description: "legacy (pre-2021) token",
        prefixes: &[],
        body: Body::Hex(40),
        checksum: ChecksumScheme::None,
        checksum_failure: ChecksumFailure::Drop,
        verify: VerifyRoute::User,
        revoke: RevokeRoute::None(
            "GitHub offers no API to revoke a pre-2021 token by value: its owner must delete it (Settings → Developer settings → Personal access tokens, or revoke the OAuth app under Settings → Applications)",
        ),
        replacement: CLASSIC_STEPS,
    },
    Kind {
        kind: TokenKind::ClientSecret,
        name: "client-secret",
        description: "OAuth app or GitHub App client secret",
        // Named by where it is (`GITHUB_CLIENT_SECRET`, `*_APP_SECRET`), never by its shape:
        // 40 hex digits, like a pre-2021 token.
        prefixes: &[],
        body: Body::Any,
        checksum: ChecksumScheme::None,
        checksum_failure: ChecksumFailure::Drop,
        verify: VerifyRoute::Unverifiable(
            "a client secret is not a token: it cannot be verified without the app's client ID, and patrol does not send it anywhere",
        ),
        revoke: RevokeRoute::None(
            "GitHub offers no API to revoke a client secret: generate a new one in the app's settings, then delete the leaked one",
        ),
        replacement: CLIENT_SECRET_STEPS,
    },
    Kind {
        kind: TokenKind::Generic,
        name: "generic",
        description: "credential",
        prefixes: &[],
        body: Body::Any,
        checksum: ChecksumScheme::None,
        checksum_failure: ChecksumFailure::Drop,
        verify: VerifyRoute::UserThenInstallation,
        revoke: RevokeRoute::None(
            "not a recognised GitHub token format, so there is no revocation route: rotate it where it was issued",
        ),
        replacement: "patrol cannot tell what issued this credential. Rotate it where it was issued; if it is a GitHub token, create a replacement at {web}/settings/tokens",
    },
];

impl TokenKind {
    pub const ALL: [TokenKind; 10] = [
        TokenKind::ClassicPat,
        TokenKind::FineGrainedPat,
        TokenKind::Oauth,
        TokenKind::UserToServer,
        TokenKind::Installation,
        TokenKind::Refresh,
        TokenKind::LegacyInstallation,
        TokenKind::LegacyHex,
        TokenKind::ClientSecret,
        TokenKind::Generic,
    ];

    /// This kind's registry entry.
    pub fn info(self) -> &'static Kind {
        KINDS
            .iter()
            .find(|k| k.kind == self)
            .unwrap_or(&KINDS[KINDS.len() - 1])
    }

    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// A phrase for people.
    pub fn describe(self) -> &'static str {
        self.info().description
    }

    /// The kind's first prefix (`""` for kinds without one).
    pub fn prefix(self) -> &'static str {
        self.info().prefixes.first().copied().unwrap_or("")
    }

    /// Names the kind of a secret from its shape, for rules whose kind is `auto`.
    pub fn classify(secret: &[u8]) -> TokenKind {
        classify(secret)
    }
}

/// Names the kind of a secret from its prefix and body; [`TokenKind::Generic`] when none fits.
pub fn classify(secret: &[u8]) -> TokenKind {
    for k in KINDS {
        let rest = if k.prefixes.is_empty() {
            if k.body == Body::Any {
                continue;
            }
            Some(secret)
        } else {
            k.prefixes
                .iter()
                .find_map(|p| secret.strip_prefix(p.as_bytes()))
        };
        let fits = match (rest, k.body) {
            (None, _) => false,
            (Some(_), Body::Any) => true,
            (Some(r), Body::Hex(n)) => {
                r.len() == n && r.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
        };
        if fits {
            return k.kind;
        }
    }
    TokenKind::Generic
}

/// Every registered prefix, of every kind.
pub fn prefixes() -> impl Iterator<Item = &'static str> {
    KINDS.iter().flat_map(|k| k.prefixes.iter().copied())
}

/// The longest registered prefix `value` starts with, or `""`.
pub fn prefix_of(value: &[u8]) -> &'static str {
    prefixes()
        .filter(|p| value.starts_with(p.as_bytes()))
        .max_by_key(|p| p.len())
        .unwrap_or("")
}

/// Prefixes of the kinds whose tokens carry a checksum: their own rules judge a value with such
/// a prefix (context rules leave it to them), and decoders look for their encoded forms.
pub fn checksummed_prefixes() -> impl Iterator<Item = &'static str> {
    KINDS
        .iter()
        .filter(|k| k.checksum != ChecksumScheme::None)
        .flat_map(|k| k.prefixes.iter().copied())
}

/// True when `value` starts with the prefix of a kind with a checksum.
pub fn has_checksummed_prefix(value: &[u8]) -> bool {
    checksummed_prefixes().any(|p| value.len() > p.len() && value.starts_with(p.as_bytes()))
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KINDS
            .iter()
            .find(|k| k.name == s)
            .map(|k| k.kind)
            .ok_or_else(|| {
                let names: Vec<_> = KINDS.iter().map(|k| k.name).collect();
                format!(
                    "unknown token kind {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

mod steps;
#[cfg(test)]
mod tests;
