//! Replacement steps: how to create a new credential of the leaked kind and roll it out where
//! the old one was found, host-aware (GitHub Enterprise Server URLs when `--api-url` is set),
//! and how to clean up what still holds the old one.

use std::fmt::Write as _;

use crate::finding::{Finding, Location, SourceKind};
use crate::rules::TokenKind;

/// Where the replacement is made: github.com, a GHES host, or SUB.ghe.com.
pub struct Host {
    pub web: String,
}

impl Host {
    pub fn new(web: impl Into<String>) -> Host {
        Host { web: web.into() }
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.web)
    }

    /// The container registry: ghcr.io for github.com, containers.HOST for GHES.
    fn registry(&self) -> String {
        if self.web == "github.com" || self.web.ends_with(".ghe.com") {
            "ghcr.io".to_string()
        } else {
            format!("containers.{}", self.web)
        }
    }
}

/// How to create a replacement for `kind`.
pub fn create_steps(kind: TokenKind, host: &Host) -> String {
    let mut s = String::new();
    let settings = "Settings → Developer settings";
    let _ = match kind {
        TokenKind::ClassicPat | TokenKind::LegacyHex => writeln!(
            s,
            "Create a new personal access token (classic):\n\
             1. {settings} → Personal access tokens → Tokens (classic) → Generate new token → \
             Generate new token (classic), or open\n   {}\n\
             2. Give it a note and an expiration. Pick the least scopes: for {} pull `read:packages`, \
             to push add `write:packages`; add `repo` only for packages of private repositories.\n   \
             Fine-grained tokens do not work with GitHub Packages: the registry needs a classic token.\n\
             3. If an organisation uses SAML single sign-on: next to the token, Configure SSO → \
             Authorize, for each organisation.\n\
             4. Copy the token once; it is not shown again.",
            host.url(
                "/settings/tokens/new?scopes=read:packages,write:packages&description=replacement"
            ),
            host.registry()
        ),
        TokenKind::FineGrainedPat => writeln!(
            s,
            "Create a new fine-grained personal access token:\n\
             1. {settings} → Personal access tokens → Fine-grained tokens → Generate new token, or open\n   {}\n\
             2. Name it, set an expiration (required), choose the resource owner, only the repositories \
             it needs, and the fewest permissions.\n\
             3. An organisation may require approval: the token stays read-only on public resources until approved.\n\
             4. Fine-grained tokens cannot be used with GitHub Packages ({}): use a classic token there.",
            host.url("/settings/personal-access-tokens/new"),
            host.registry()
        ),
        TokenKind::Oauth => writeln!(
            s,
            "This is an OAuth app's token for a user:\n\
             1. The user signs in to the app again to get a new token (the app runs its OAuth flow).\n\
             2. Users can review and revoke the app's access: {}\n\
             3. If you own the app and its client secret leaked too: {settings} → OAuth Apps → the app → \
             Generate a new client secret, deploy it, then delete the old one ({}).",
            host.url("/settings/applications"),
            host.url("/settings/developers")
        ),
        TokenKind::UserToServer | TokenKind::Refresh => writeln!(
            s,
            "This is a GitHub App's user token (user tokens expire after 8 hours, refresh tokens after 6 months):\n\
             1. The user signs in to the app again; the app receives a new user token and refresh token.\n\
             2. Users can review the app's access: {}\n\
             3. App owners: {settings} → GitHub Apps → the app ({}); if the app's client secret or private \
             key leaked too, generate a new one and delete the old one.",
            host.url("/settings/apps/authorizations"),
            host.url("/settings/apps")
        ),
        TokenKind::Installation | TokenKind::LegacyInstallation => writeln!(
            s,
            "This is a GitHub App installation token (Actions' GITHUB_TOKEN is one): it expires within the \
             hour and the app mints a new one itself, so there is nothing to create by hand.\n\
             1. Find and fix what leaked it: a log that printed it, an artifact, a cache, a debug step.\n\
             2. If the app's private key leaked too: {settings} → GitHub Apps → the app → Private keys \
             → Generate a private key, deploy it, then delete the old key ({}).",
            host.url("/settings/apps")
        ),
        TokenKind::Generic => writeln!(
            s,
            "patrol cannot tell what issued this credential. Rotate it where it was issued; if it is a \
             GitHub token, create a replacement at {}",
            host.url("/settings/tokens")
        ),
    };
    s
}

fn is_dotenv(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with(".env")
        || name.starts_with("env.")
        || name.ends_with(".env")
        || name.contains(".env.")
}

/// Where to put the replacement and what to clean up, from where the old one was found.
pub fn rollout_steps(finding: &Finding, host: &Host) -> String {
    let mut s = String::new();
    let locs = &finding.locations;
    let files: Vec<&Location> = locs
        .iter()
        .filter(|l| l.source != SourceKind::Stdin)
        .collect();
    let mut seen = std::collections::HashSet::new();
    for l in files.iter().filter(|l| seen.insert(l.path.as_str())) {
        let path = &l.path;
        let line = l.line;
        let step = if l.decoded.len() >= 2
            || path.contains("dockerconfigjson")
            || path.contains("pull-secret")
        {
            format!(
                "{path}:{line} is a Kubernetes pull secret: recreate it from the new token:\n     \
                 kubectl create secret docker-registry NAME --docker-server={} --docker-username=USER \
                 --docker-password=\"$NEW_TOKEN\" --dry-run=client -o yaml | kubectl apply -f -",
                host.registry()
            )
        } else if l.decoded.first().is_some_and(|e| e.as_str() == "base64")
            && path.ends_with(".json")
        {
            format!(
                "{path}:{line} is a Docker credentials file: log in again, which rewrites it and checks the token:\n     \
                 echo \"$NEW_TOKEN\" | docker login {} -u USERNAME --password-stdin",
                host.registry()
            )
        } else if is_dotenv(path) {
            format!(
                "{path}:{line}: put the new token on this line (e.g. GHCR_TOKEN=…) on every machine that uses \
                 the file, keep the file out of git, then check it:\n     \
                 echo \"$NEW_TOKEN\" | docker login {} -u USERNAME --password-stdin",
                host.registry()
            )
        } else if path.contains(".github/workflows") {
            format!(
                "{path}:{line}: do not put tokens in workflows; store it as an Actions secret and use ${{{{ secrets.NAME }}}}:\n     \
                 gh secret set NAME -R OWNER/REPO   (reads the value from standard input; avoid --body, it lands in shell history)"
            )
        } else {
            format!(
                "{path}:{line}: replace the token, or better, read it from the environment or a secret store"
            )
        };
        let _ = writeln!(s, "  - {step}");
    }
    let _ = writeln!(
        s,
        "  - CI that used it: update the Actions secret: gh secret set NAME -R OWNER/REPO (reads standard input)"
    );
    if locs
        .iter()
        .any(|l| l.source == SourceKind::Git || l.source == SourceKind::Staged)
    {
        let _ = writeln!(
            s,
            "  - It was committed: after revoking, remove it from history (git filter-repo --replace-text FILE) \
             and force-push; clones and forks keep the old history, so revocation is what protects you"
        );
    }
    s
}

/// Both parts, for one finding.
pub fn steps_for(finding: &Finding, host: &Host) -> String {
    format!(
        "{}Roll it out:\n{}",
        create_steps(finding.kind, host),
        rollout_steps(finding, host)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_steps_are_host_aware_and_mention_packages() {
        let dotcom = create_steps(TokenKind::ClassicPat, &Host::new("github.com"));
        assert!(dotcom.contains(
            "https://github.com/settings/tokens/new?scopes=read:packages,write:packages"
        ));
        assert!(dotcom.contains("Fine-grained tokens do not work with GitHub Packages"));
        assert!(dotcom.contains("Configure SSO"));
        let ghes = create_steps(TokenKind::ClassicPat, &Host::new("ghes.corp.example"));
        assert!(ghes.contains("https://ghes.corp.example/settings/tokens/new"));
        assert!(ghes.contains("containers.ghes.corp.example"));
    }

    #[test]
    fn every_kind_has_steps() {
        for k in TokenKind::ALL {
            assert!(create_steps(k, &Host::new("github.com")).len() > 80, "{k}");
        }
    }
}
