//! Bare mirrors of repositories in a cache directory (`CACHE/OWNER/NAME.git`), created on the
//! first run and fetched incrementally after (libgit2 negotiates: only missing objects travel).
//! The token is never in a URL, a remote (the remote is anonymous, nothing is written to the
//! mirror's config) or a log: over `https` it is lent to [`super::transport`] for the fetch,
//! over loopback `http` it goes through libgit2's credential callback. Clone URLs must be
//! `https`; `http` and `file` only when the API itself is on a loopback address (tests).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use git2::{AutotagOption, Cred, FetchOptions, FetchPrune, RemoteCallbacks, Repository};

use crate::finding::Secret;

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("clone URL {0:?} refused: only https (http and file with a loopback --api-url)")]
    Url(String),
    #[error("{path}: {message}")]
    Cache { path: String, message: String },
    #[error("fetch failed: {0}")]
    Fetch(String),
}

/// Which clone URLs are acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// `https` only.
    HttpsOnly,
    /// The API is on loopback: `http` and `file` too.
    Loopback,
}

impl UrlPolicy {
    pub fn for_api(api_url: &str) -> UrlPolicy {
        let loopback = reqwest::Url::parse(api_url).ok().is_some_and(|u| {
            u.host_str().is_some_and(|h| {
                let h = h.trim_start_matches('[').trim_end_matches(']');
                h.eq_ignore_ascii_case("localhost")
                    || h.parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
        });
        if loopback {
            UrlPolicy::Loopback
        } else {
            UrlPolicy::HttpsOnly
        }
    }

    fn check(self, url: &str) -> Result<(), MirrorError> {
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        let ok = match scheme.as_deref() {
            Some("https") => true,
            Some("http" | "file") => self == UrlPolicy::Loopback,
            _ => false,
        };
        // Userinfo in a URL would be a credential on disk or in a log.
        let has_userinfo = url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
            .unwrap_or(false);
        if ok && !has_userinfo {
            Ok(())
        } else {
            Err(MirrorError::Url(url.to_string()))
        }
    }
}

/// Where `OWNER/NAME`'s mirror lives under `root` (names already checked: no `..`, no `/`).
pub fn mirror_path(root: &Path, full_name: &str, suffix: &str) -> PathBuf {
    root.join(format!("{full_name}{suffix}.git"))
}

/// What a fetch brought.
#[derive(Debug, Default, Clone)]
pub struct Fetched {
    /// Bytes received from the network.
    pub bytes: u64,
    /// Ref name → commit (or tag) id after the fetch.
    pub tips: BTreeMap<String, String>,
}

/// The refs a mirror keeps: branches and tags, and pull-request heads when asked.
pub fn refspecs(pull_refs: bool) -> Vec<&'static str> {
    let mut specs = vec!["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
    if pull_refs {
        specs.push("+refs/pull/*/head:refs/pull/*/head");
    }
    specs
}

/// Creates or updates the bare mirror at `path` from `url`. `default_branch` becomes `HEAD`.
/// The bytes received are added to `progress` as they arrive (for a progress bar).
pub fn fetch(
    path: &Path,
    url: &str,
    token: Option<&Secret>,
    policy: UrlPolicy,
    refspecs: &[&str],
    default_branch: Option<&str>,
    progress: &AtomicU64,
) -> Result<Fetched, MirrorError> {
    policy.check(url)?;
    // https goes through patrol's own transport (libgit2 has no TLS here): the token is lent
    // to it for this fetch; http and file (loopback tests) use libgit2's, with the callback.
    let _lent = url.starts_with("https://").then(|| {
        super::transport::register();
        token.map(|t| super::transport::lend(url, t))
    });
    let cache_error = |e: git2::Error| MirrorError::Cache {
        path: path.display().to_string(),
        message: e.message().to_string(),
    };
    let repo = match Repository::open_bare(path) {
        Ok(r) => r,
        Err(_) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| MirrorError::Cache {
                    path: dir.display().to_string(),
                    message: e.to_string(),
                })?;
            }
            Repository::init_bare(path).map_err(cache_error)?
        }
    };
    let received = AtomicU64::new(0);
    let mut asked = 0u32;
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(|_url, username, _allowed| {
        // One answer: the token is right or the fetch fails (libgit2 would ask again forever).
        asked += 1;
        match token {
            Some(t) if asked == 1 => Cred::userpass_plaintext(
                username.unwrap_or("x-access-token"),
                &String::from_utf8_lossy(t.expose()),
            ),
            _ => Err(git2::Error::from_str(
                "authentication failed (the token was refused or none was given)",
            )),
        }
    });
    callbacks.transfer_progress(|p| {
        let now = p.received_bytes() as u64;
        let before = received.swap(now, Ordering::Relaxed);
        progress.fetch_add(now.saturating_sub(before), Ordering::Relaxed);
        true
    });
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .prune(FetchPrune::On)
        .download_tags(AutotagOption::None);
    let mut remote = repo.remote_anonymous(url).map_err(cache_error)?;
    remote
        .fetch(refspecs, Some(&mut options), None)
        .map_err(|e| MirrorError::Fetch(e.message().to_string()))?;
    drop(remote);
    if let Some(branch) = default_branch.filter(|b| !b.is_empty()) {
        let head = format!("refs/heads/{branch}");
        if repo.find_reference(&head).is_ok() {
            repo.set_head(&head).map_err(cache_error)?;
        }
    }
    Ok(Fetched {
        bytes: received.load(Ordering::Relaxed),
        tips: tips(&repo).map_err(cache_error)?,
    })
}

/// The mirror's refs and what they point to.
pub fn tips(repo: &Repository) -> Result<BTreeMap<String, String>, git2::Error> {
    let mut out = BTreeMap::new();
    for r in repo.references()? {
        let r = r?;
        if let (Ok(name), Some(target)) = (r.name(), r.target()) {
            out.insert(name.to_string(), target.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_are_https_unless_the_api_is_loopback() {
        let remote = UrlPolicy::for_api("https://api.github.com");
        assert_eq!(remote, UrlPolicy::HttpsOnly);
        assert!(remote.check("https://github.com/a/b.git").is_ok());
        assert!(remote.check("http://github.com/a/b.git").is_err());
        assert!(remote.check("file:///tmp/x.git").is_err());
        assert!(remote.check("ssh://git@github.com/a/b").is_err());
        assert!(remote.check("https://user:pw@github.com/a/b.git").is_err());
        let local = UrlPolicy::for_api("http://127.0.0.1:9999");
        assert_eq!(local, UrlPolicy::Loopback);
        assert!(local.check("http://127.0.0.1:9999/a/b.git").is_ok());
        assert!(local.check("file:///tmp/x.git").is_ok());
    }
}
