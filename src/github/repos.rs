//! Which repositories to scan: an organisation's or a user's listing (`GET /orgs/{org}/repos`,
//! `/users/{user}/repos`, 100 a page), single repositories (`GET /repos/{owner}/{name}`: a 301
//! is a rename, a 404 a deleted or hidden repository), and a user's gists. Listing pages are
//! asked for with the ETag of the last answer (`If-None-Match`): a `304` costs no rate limit and
//! reuses the stored page.

use serde::Deserialize;

use super::client::{ApiError, Client, Response};
use crate::finding::Secret;

/// What the listing says of one repository (or gist: `full_name` is `gist:ID`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Repository {
    pub full_name: String,
    pub clone_url: String,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub has_wiki: bool,
    #[serde(default)]
    pub pushed_at: Option<String>,
}

impl Repository {
    /// The wiki's git URL (`…/NAME.wiki.git`).
    pub fn wiki_url(&self) -> String {
        let base = self.clone_url.trim_end_matches(".git");
        format!("{base}.wiki.git")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{what}: moved to {to} (renamed or transferred; list it under its new name)")]
    Moved { what: String, to: String },
    #[error("{what}: not found (deleted, renamed, or not visible to this token)")]
    NotFound { what: String },
    #[error("{what}: GitHub answered {status} {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    #[error("{what}: unreadable answer: {message}")]
    Body { what: String, message: String },
    #[error("{0:?} is not OWNER/NAME")]
    BadName(String),
}

/// Where listing pages' ETags and bodies are kept between runs.
pub trait ListingCache {
    fn get(&self, url: &str) -> Option<(String, Vec<u8>)>;
    fn put(&self, url: &str, etag: &str, body: &[u8]);
}

/// No cache: every page is fetched.
pub struct NoCache;

impl ListingCache for NoCache {
    fn get(&self, _: &str) -> Option<(String, Vec<u8>)> {
        None
    }
    fn put(&self, _: &str, _: &str, _: &[u8]) {}
}

/// Checks `OWNER/NAME` (it goes into URL paths and cache paths).
pub fn check_name(name: &str) -> Result<(), ListError> {
    let ok = name.split('/').count() == 2
        && name.split('/').all(|p| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if ok {
        Ok(())
    } else {
        Err(ListError::BadName(name.to_string()))
    }
}

/// Checks an organisation or user name.
pub(super) fn check_owner(owner: &str) -> Result<(), ListError> {
    check_name(&format!("{owner}/x"))
}

fn status_error(what: &str, r: &Response) -> ListError {
    match r.status {
        404 => ListError::NotFound {
            what: what.to_string(),
        },
        301 | 302 | 307 | 308 => ListError::Moved {
            what: what.to_string(),
            to: r
                .json()
                .and_then(|v| v["url"].as_str().map(str::to_string))
                .or_else(|| r.header("location").map(str::to_string))
                .unwrap_or_else(|| "another name".into()),
        },
        status => ListError::Status {
            what: what.to_string(),
            status,
            message: r.message(),
        },
    }
}

/// Lists repositories and gists with one client, token and listing cache.
pub struct Lister<'a> {
    pub client: &'a Client,
    pub token: &'a Secret,
    pub cache: &'a dyn ListingCache,
}

/// Listing pages fetched and answered `304 Not Modified`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListStats {
    pub pages: u64,
    pub not_modified: u64,
}

impl Lister<'_> {
    /// One page, conditionally: the stored body when GitHub answers 304; and whether a `Link`
    /// header names a next page.
    fn page(
        &self,
        what: &str,
        path: &str,
        stats: &mut ListStats,
    ) -> Result<(Vec<u8>, bool), ListError> {
        let cached = self.cache.get(path);
        let r = self.client.get_if_none_match(
            path,
            Some(self.token),
            cached.as_ref().map(|(etag, _)| etag.as_str()),
        )?;
        stats.pages += 1;
        let next = r.header("link").is_some_and(|l| l.contains("rel=\"next\""));
        match (r.status, cached) {
            (304, Some((_, body))) => {
                stats.not_modified += 1;
                Ok((body, next))
            }
            (200, _) => {
                if let Some(etag) = r.header("etag") {
                    self.cache.put(path, etag, &r.body);
                }
                Ok((r.body, next))
            }
            _ => Err(status_error(what, &r)),
        }
    }

    /// Every page of a listing of JSON arrays.
    pub(super) fn all_pages<T: for<'de> Deserialize<'de>>(
        &self,
        what: &str,
        path: &str,
        stats: &mut ListStats,
    ) -> Result<Vec<T>, ListError> {
        const PER_PAGE: usize = 100;
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        for page in 1.. {
            let url = format!("{path}{sep}per_page={PER_PAGE}&page={page}");
            let (body, next) = self.page(what, &url, stats)?;
            let items: Vec<T> = serde_json::from_slice(&body).map_err(|e| ListError::Body {
                what: what.to_string(),
                message: e.to_string(),
            })?;
            let n = items.len();
            out.extend(items);
            // GitHub's pages are full while more follow; `Link` says so too.
            if n < PER_PAGE && !next || n == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// An organisation's repositories (all types).
    pub fn org(&self, org: &str, stats: &mut ListStats) -> Result<Vec<Repository>, ListError> {
        check_owner(org)?;
        self.all_pages(
            &format!("organisation {org}"),
            &format!("/orgs/{org}/repos?type=all"),
            stats,
        )
    }

    /// A user's own repositories.
    pub fn user(&self, user: &str, stats: &mut ListStats) -> Result<Vec<Repository>, ListError> {
        check_owner(user)?;
        self.all_pages(
            &format!("user {user}"),
            &format!("/users/{user}/repos?type=owner"),
            stats,
        )
    }

    /// One repository by name.
    pub fn repository(&self, name: &str) -> Result<Repository, ListError> {
        check_name(name)?;
        let r = self
            .client
            .get(&format!("/repos/{name}"), Some(self.token))?;
        if r.status != 200 {
            return Err(status_error(name, &r));
        }
        serde_json::from_slice(&r.body).map_err(|e| ListError::Body {
            what: name.to_string(),
            message: e.to_string(),
        })
    }

    /// A user's gists, as repositories named `gist:ID` (owner `USER`).
    pub fn gists(&self, user: &str, stats: &mut ListStats) -> Result<Vec<Repository>, ListError> {
        #[derive(Deserialize)]
        struct Gist {
            id: String,
            git_pull_url: String,
            #[serde(default)]
            updated_at: Option<String>,
        }
        check_owner(user)?;
        let gists: Vec<Gist> = self.all_pages(
            &format!("gists of {user}"),
            &format!("/users/{user}/gists"),
            stats,
        )?;
        Ok(gists
            .into_iter()
            .filter(|g| g.id.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map(|g| Repository {
                full_name: format!("{user}/gist-{}", g.id),
                clone_url: g.git_pull_url,
                default_branch: None,
                archived: false,
                disabled: false,
                fork: false,
                has_wiki: false,
                pushed_at: g.updated_at,
            })
            .collect())
    }
}

/// True when `name` matches the glob (`*` any run of characters, `?` one; case-insensitive
/// as GitHub names are).
pub fn glob_matches(glob: &str, name: &str) -> bool {
    fn go(g: &[u8], n: &[u8]) -> bool {
        match (g.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&g[1..], n) || (!n.is_empty() && go(g, &n[1..])),
            (Some(b'?'), Some(_)) => go(&g[1..], &n[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&g[1..], &n[1..]),
            _ => false,
        }
    }
    go(glob.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_globs() {
        assert!(check_name("acme/app").is_ok());
        assert!(check_name("acme/../x").is_err());
        assert!(check_name("acme/.git").is_err());
        assert!(check_name("acme").is_err());
        assert!(glob_matches("acme/legacy-*", "acme/legacy-app"));
        assert!(glob_matches("ACME/*", "acme/x"));
        assert!(glob_matches("*/a?p", "o/app"));
        assert!(!glob_matches("acme/legacy-*", "acme/app"));
    }
}
