//! Replacement steps: how to create a new credential of the leaked kind (the kind registry's
//! steps) and roll it out where the old one was found, host-aware (GitHub Enterprise Server
//! URLs when `--api-url` is set), and how to clean up what still holds the old one.

mod chat;

use std::fmt::Write as _;

use crate::finding::{Finding, Location, SourceKind};
use crate::kind::TokenKind;

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
    pub fn registry(&self) -> String {
        if self.web == "github.com" || self.web.ends_with(".ghe.com") {
            "ghcr.io".to_string()
        } else {
            format!("containers.{}", self.web)
        }
    }
}

/// How to create a replacement for `kind`: its registry entry's steps, for this host.
pub fn create_steps(kind: TokenKind, host: &Host) -> String {
    let mut s = kind
        .info()
        .replacement
        .replace("{settings}", "Settings → Developer settings")
        .replace("{registry}", &host.registry())
        .replace("{web}", &host.url(""));
    s.push('\n');
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
    // A chat export has one step per message, other files one per file.
    let key = |l: &Location| match &l.chat {
        Some(c) => format!("{}\0{:?}\0{:?}", l.path, c.message, c.time),
        None => l.path.clone(),
    };
    for l in files.iter().filter(|l| seen.insert(key(l))) {
        let path = &l.path;
        let line = l.line;
        let step = if let Some(image) = &l.image {
            format!(
                "{}: the secret is in the image ({}): rebuild without it — pass it as a BuildKit secret \
                 (docker build --secret id=NAME,env=NAME; RUN --mount=type=secret,id=NAME …) instead of \
                 COPY, ARG or ENV, which keep it in a layer or the history even when a later step deletes it; \
                 push the new image, then delete every tag and version that holds the old one \
                 (for ghcr.io: the package's settings, or gh api -X DELETE /user/packages/container/NAME/versions/ID)",
                image.image, image.part
            )
        } else if let Some(chat) = &l.chat {
            chat::message_step(l, chat)
        } else if l.decoded.len() >= 2
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
    let mut platforms: Vec<&str> = files
        .iter()
        .filter_map(|l| l.chat.as_ref().map(|c| c.platform.as_str()))
        .collect();
    platforms.sort_unstable();
    platforms.dedup();
    for p in platforms {
        let _ = writeln!(s, "  - {}", chat::platform_step(p));
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
