//! The registry HTTP client: `GET /v2/NAME/manifests/REF` and `/v2/NAME/blobs/DIGEST`, HTTPS
//! required except to a loopback registry. A `401` with `WWW-Authenticate: Bearer realm=…`
//! fetches a token from the realm (anonymously, or with the configured credentials in Basic
//! auth; a GitHub token only to a realm on the registry's own host) and retries once; `Basic` challenges get the credentials directly. Redirects are
//! followed by hand (at most [`MAX_REDIRECTS`]), and the `Authorization` header is dropped once
//! a redirect leaves the registry's host. `429` and `5xx` are retried with backoff. Errors say
//! what the registry answered and never carry a credential.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::blocking::{Client as Http, Response};
use reqwest::header::HeaderValue;

use super::Reference;
use super::auth::{Credentials, credentials};
use crate::finding::Secret;
use crate::github::client::check_url;

const MAX_REDIRECTS: u32 = 5;

/// Largest token-service answer read.
const TOKEN_ANSWER_MAX: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Url(String),
    #[error("cannot reach {host}: {message}")]
    Network { host: String, message: String },
    #[error("unauthorized (401): {0}")]
    Unauthorized(String),
    #[error("not found (404)")]
    NotFound,
    #[error("rate limited (429): retries exhausted")]
    RateLimited,
    #[error("redirected more than {MAX_REDIRECTS} times")]
    Redirects,
    #[error("the registry answered {0}")]
    Status(u16),
    #[error("cannot start the HTTP client: {0}")]
    Setup(String),
}

/// The client, shared by every pull of the run.
pub struct Registry {
    http: Http,
    retries: u32,
    /// For GitHub's registries when the environment names no token ([`Registry::with_api_token`]).
    api_token: Option<Secret>,
}

/// One repository of one registry, with its token once fetched.
pub struct Repository<'r> {
    registry: &'r Registry,
    /// `http(s)://host[:port]`.
    base: String,
    host: String,
    name: String,
    credentials: Option<Credentials>,
    /// `Authorization` value (`Bearer …` or `Basic …`), once a challenge was answered.
    auth: Mutex<Option<Secret>>,
}

impl Registry {
    pub fn new(timeout: Duration, retries: u32) -> Result<Registry, RegistryError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Http::builder()
            .user_agent(concat!("patrol/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RegistryError::Setup(e.to_string()))?;
        Ok(Registry {
            http,
            retries,
            api_token: None,
        })
    }

    /// Sends `token` (the GitHub API token) to GitHub's registries and loopback ones when
    /// neither `GHCR_TOKEN` nor `GH_TOKEN` is set (`patrol github --packages`).
    pub fn with_api_token(mut self, token: Secret) -> Registry {
        self.api_token = Some(token);
        self
    }

    /// The repository `r` names, with its credentials looked up (not yet sent).
    pub fn repository(&self, r: &Reference) -> Result<Repository<'_>, RegistryError> {
        let host = r.registry.clone();
        let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        let scheme = if crate::github::client::is_loopback(bare) {
            "http"
        } else {
            "https"
        };
        let base = format!("{scheme}://{host}");
        check_url(&base).map_err(|e| RegistryError::Url(e.to_string()))?;
        Ok(Repository {
            registry: self,
            base,
            credentials: credentials(&host, self.api_token.as_ref()),
            host,
            name: r.name.clone(),
            auth: Mutex::new(None),
        })
    }
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `key="value"` pairs of a `WWW-Authenticate` challenge, after its scheme.
fn challenge_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_string();
        let after = &rest[eq + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(q) => match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            },
            None => match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            },
        };
        out.push((key.to_ascii_lowercase(), value.to_string()));
        rest = next;
    }
    out
}

impl Repository<'_> {
    /// The manifest `reference` (a tag or a digest): its bytes and its media type.
    pub fn manifest(&self, reference: &str) -> Result<(Vec<u8>, Option<String>), RegistryError> {
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.name);
        let resp = self.get(&url, Some(crate::source::image::spec::ACCEPT_MANIFESTS))?;
        let media = header(&resp, "content-type");
        let mut body = Vec::new();
        resp.take(4 << 20)
            .read_to_end(&mut body)
            .map_err(|e| self.network(&e.to_string()))?;
        Ok((body, media))
    }

    /// The blob `digest` (`sha256:HEX`: what a manifest names goes into the URL only when it is
    /// one), streamed.
    pub fn blob(&self, digest: &str) -> Result<Response, RegistryError> {
        if crate::source::image::spec::sha256_hex(digest).is_none() {
            return Err(RegistryError::Url(format!(
                "{digest:?} is not a sha256 digest: not fetched"
            )));
        }
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.name);
        self.get(&url, None)
    }

    fn network(&self, message: &str) -> RegistryError {
        RegistryError::Network {
            host: self.host.clone(),
            message: message.to_string(),
        }
    }

    /// GET with authentication, redirects and retries.
    fn get(&self, url: &str, accept: Option<&str>) -> Result<Response, RegistryError> {
        let mut challenged = false;
        let mut attempt = 0u32;
        let mut url = url.to_string();
        let mut hops = 0u32;
        loop {
            let target = check_url(&url).map_err(|e| RegistryError::Url(e.to_string()))?;
            let same_host =
                matches!((origin(&target), origin_of(&self.base)), (Some(a), Some(b)) if a == b);
            let mut rb = self.registry.http.get(target);
            if let Some(a) = accept {
                rb = rb.header("accept", a);
            }
            if same_host {
                if let Some(auth) = self.lock_auth().as_ref() {
                    let mut v = HeaderValue::from_bytes(auth.expose())
                        .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
                    v.set_sensitive(true);
                    rb = rb.header("authorization", v);
                }
            }
            let resp = match rb.send() {
                Ok(r) => r,
                Err(e) if attempt < self.registry.retries => {
                    let _ = e;
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(self.network(&describe(&e))),
            };
            let status = resp.status().as_u16();
            match status {
                200..=299 => return Ok(resp),
                301 | 302 | 303 | 307 | 308 => {
                    hops += 1;
                    if hops > MAX_REDIRECTS {
                        return Err(RegistryError::Redirects);
                    }
                    let location =
                        header(&resp, "location").ok_or(RegistryError::Status(status))?;
                    let next = reqwest::Url::parse(&url)
                        .and_then(|u| u.join(&location))
                        .map_err(|_| RegistryError::Url("bad redirect location".into()))?;
                    url = next.to_string();
                }
                401 if same_host && !challenged => {
                    challenged = true;
                    let challenge = header(&resp, "www-authenticate").unwrap_or_default();
                    let auth = self.answer(&challenge)?;
                    *self.lock_auth() = Some(auth);
                }
                401 => {
                    let why = if self.credentials.is_some() {
                        "the credentials were refused"
                    } else {
                        "no credentials (set GHCR_TOKEN for ghcr.io, or docker login)"
                    };
                    return Err(RegistryError::Unauthorized(why.into()));
                }
                404 => return Err(RegistryError::NotFound),
                429 | 500..=599 if attempt < self.registry.retries => {
                    let wait = header(&resp, "retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map_or_else(|| backoff(attempt), Duration::from_secs);
                    if wait > Duration::from_secs(90) {
                        return Err(RegistryError::RateLimited);
                    }
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                429 => return Err(RegistryError::RateLimited),
                other => return Err(RegistryError::Status(other)),
            }
        }
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, Option<Secret>> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn basic(&self) -> Option<String> {
        self.credentials.as_ref().map(|c| {
            let mut raw = format!("{}:", c.username).into_bytes();
            raw.extend_from_slice(c.secret.expose());
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw)
        })
    }

    /// The `Authorization` value answering a `401` challenge.
    fn answer(&self, challenge: &str) -> Result<Secret, RegistryError> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return self
                .basic()
                .map(|b| Secret::new(format!("Basic {b}").into_bytes()))
                .ok_or_else(|| {
                    RegistryError::Unauthorized(
                        "the registry wants a user name and password (docker login)".into(),
                    )
                });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(RegistryError::Unauthorized(format!(
                "unsupported challenge {scheme:?}"
            )));
        }
        let params = challenge_params(params);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let realm = get("realm")
            .ok_or_else(|| RegistryError::Unauthorized("challenge without a realm".into()))?;
        let mut url =
            check_url(&realm).map_err(|e| RegistryError::Url(format!("token realm: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = get("service") {
                q.append_pair("service", &s);
            }
            q.append_pair(
                "scope",
                &get("scope").unwrap_or_else(|| format!("repository:{}:pull", self.name)),
            );
        }
        let realm_host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let registry_host = origin_of(&self.base).map(|(h, _)| h.to_ascii_lowercase());
        let credentials_may_go = self.credentials.as_ref().is_some_and(|c| {
            !c.registry_host_only || registry_host.as_deref() == Some(realm_host.as_str())
        });
        let mut rb = self.registry.http.get(url);
        if let Some(b) = self.basic().filter(|_| credentials_may_go) {
            let mut v = HeaderValue::from_str(&format!("Basic {b}"))
                .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
            v.set_sensitive(true);
            rb = rb.header("authorization", v);
        }
        let resp = rb.send().map_err(|e| self.network(&describe(&e)))?;
        match resp.status().as_u16() {
            200 => {}
            401 | 403 => {
                return Err(RegistryError::Unauthorized(
                    "the token service refused the request".into(),
                ));
            }
            other => return Err(RegistryError::Status(other)),
        }
        let mut body = Vec::new();
        resp.take(TOKEN_ANSWER_MAX)
            .read_to_end(&mut body)
            .map_err(|e| self.network(&e.to_string()))?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| RegistryError::Unauthorized("token service answered no JSON".into()))?;
        let token = v["token"]
            .as_str()
            .or(v["access_token"].as_str())
            .ok_or_else(|| RegistryError::Unauthorized("token service gave no token".into()))?;
        Ok(Secret::new(format!("Bearer {token}").into_bytes()))
    }
}

/// Host and port of a URL: credentials go only where the registry is.
fn origin(url: &reqwest::Url) -> Option<(String, u16)> {
    Some((url.host_str()?.to_string(), url.port_or_known_default()?))
}

fn origin_of(url: &str) -> Option<(String, u16)> {
    reqwest::Url::parse(url).ok().as_ref().and_then(origin)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(8)))
}

/// A network error in words, without its URL.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        let mut s = e.to_string();
        if let Some(i) = s.find(" for url") {
            s.truncate(i);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let p = challenge_params(
            r#"realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull""#,
        );
        assert_eq!(p[0], ("realm".into(), "https://ghcr.io/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:o/a:pull".into()));
        assert_eq!(challenge_params("realm=x, service=y")[1].1, "y");
    }
}
