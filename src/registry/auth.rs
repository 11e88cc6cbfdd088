//! Registry credentials, never from the command line and never printed: `GHCR_TOKEN` or
//! `GH_TOKEN` for GitHub's registries (ghcr.io, `containers.HOST` of GitHub Enterprise Server)
//! and for a registry on this machine; otherwise the docker configuration
//! (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`): `credHelpers`, `auths`,
//! `credsStore`, the helpers run as `docker-credential-NAME get`. No credentials: anonymous.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::Value;

use crate::finding::Secret;

/// A user name and its password or token.
pub struct Credentials {
    pub username: String,
    pub secret: Secret,
    /// A GitHub token from the environment: sent to a token realm only on the registry's own
    /// host (credentials of the docker configuration go to the realm as docker sends them).
    pub registry_host_only: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, {:?})", self.username, self.secret)
    }
}

/// True for GitHub's container registries and registries on this machine.
fn takes_github_token(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    name == "ghcr.io" || name.starts_with("containers.") || crate::github::client::is_loopback(name)
}

/// The credentials for `host` (`host[:port]`), if any are configured; `api_token` (the
/// GitHub API token of `patrol github --packages`) is used for GitHub's registries when the
/// environment names no other.
pub fn credentials(host: &str, api_token: Option<&Secret>) -> Option<Credentials> {
    if takes_github_token(host) {
        let token = ["GHCR_TOKEN", "GH_TOKEN"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()))
            .map(|t| Secret::new(t.trim().as_bytes().to_vec()))
            .or_else(|| api_token.cloned());
        if let Some(secret) = token {
            let username = ["GHCR_USERNAME", "GITHUB_ACTOR"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
                .unwrap_or_else(|| "patrol".to_string());
            return Some(Credentials {
                username,
                secret,
                registry_host_only: true,
            });
        }
    }
    docker_config(host)
}

fn config_path() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

/// The keys the docker configuration may file `host` under.
fn keys(host: &str) -> Vec<String> {
    if host == super::DOCKER_HUB {
        return vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ];
    }
    vec![
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
    ]
}

fn docker_config(host: &str) -> Option<Credentials> {
    let text = std::fs::read(config_path()?).ok()?;
    let config: Value = serde_json::from_slice(&text).ok()?;
    let keys = keys(host);
    if let Some(helper) = keys.iter().find_map(|k| config["credHelpers"][k].as_str()) {
        return helper_get(helper, &keys[0]);
    }
    for k in &keys {
        if let Some(auth) = config["auths"][k]["auth"].as_str() {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (user, pass) = text.split_once(':')?;
            return Some(Credentials {
                username: user.to_string(),
                secret: Secret::new(pass.as_bytes().to_vec()),
                registry_host_only: false,
            });
        }
    }
    let store = config["credsStore"].as_str()?;
    helper_get(store, &keys[0])
}

/// `docker-credential-NAME get`, the server on its standard input.
fn helper_get(name: &str, server: &str) -> Option<Credentials> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return None;
    }
    let mut child = Command::new(format!("docker-credential-{name}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(Credentials {
        username: v["Username"].as_str()?.to_string(),
        secret: Secret::new(v["Secret"].as_str()?.as_bytes().to_vec()),
        registry_host_only: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_tokens_go_to_github_registries_and_this_machine_only() {
        assert!(takes_github_token("ghcr.io"));
        assert!(takes_github_token("containers.ghes.example"));
        assert!(takes_github_token("127.0.0.1:5000"));
        assert!(takes_github_token("localhost"));
        assert!(!takes_github_token("registry-1.docker.io"));
        assert!(!takes_github_token("ghcr.io.evil.example"));
        assert_eq!(
            keys(super::super::DOCKER_HUB)[0],
            "https://index.docker.io/v1/"
        );
    }
}
