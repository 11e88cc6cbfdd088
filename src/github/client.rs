//! The HTTP client for GitHub's REST API: one base URL (`--api-url`; HTTPS required except to
//! loopback addresses), a `User-Agent` and `X-GitHub-Api-Version`, timeouts, and retries with
//! exponential backoff and jitter on network errors, 5xx, 429 and secondary rate limits,
//! honouring `retry-after` and `x-ratelimit-reset`. Credentials travel only in the
//! `Authorization` header and never appear in an error.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::header::{HeaderMap, HeaderValue};

use super::tls::{check_ssl_cert_file, root_cause};
use crate::finding::Secret;

pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const API_VERSION: &str = "2022-11-28";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid --api-url {0:?}: expected https://HOST[/api/v3]")]
    BadUrl(String),
    #[error("refusing plain http to {0}: HTTPS is required except to loopback addresses")]
    Insecure(String),
    #[error("cannot reach {host}: {message}")]
    Network { host: String, message: String },
    #[error("GitHub rate limit: retry after {0} s, longer than patrol waits")]
    RateLimited(u64),
    #[error("cannot start the HTTP client: {0}")]
    Setup(String),
    #[error("{host} answered more than {} MiB: not read", MAX_BODY >> 20)]
    TooLarge { host: String },
}

/// Largest API answer read into memory (a page of 100 repositories is well under 1 MiB; log
/// archives are downloads, streamed to disk): whatever a server sends, memory stays bounded.
pub const MAX_BODY: u64 = 32 << 20;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://api.github.com` or `https://HOST/api/v3`.
    pub api_url: String,
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// First backoff step; doubles per attempt, plus jitter.
    pub backoff: Duration,
    /// Longest single wait for a rate limit; a longer one is an error.
    pub max_wait: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            api_url: DEFAULT_API_URL.to_string(),
            timeout: Duration::from_secs(20),
            retries: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(90),
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// GitHub's `message` field for error reports, as [`server_text`] keeps it.
    ///
    /// [`server_text`]: crate::matcher::redact::server_text
    pub fn message(&self) -> String {
        let json = self.json().unwrap_or_default();
        crate::matcher::redact::server_text(json["message"].as_str().unwrap_or_default())
    }
}

/// A counter-based jitter source: enough to spread retries, no crate needed.
fn jitter(max: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let max_ms = max.as_millis().max(1) as u64;
    Duration::from_millis(u64::from(nanos) % max_ms)
}

/// True for an address that never leaves the machine.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks a base URL: https anywhere, http only to loopback.
pub fn check_url(url: &str) -> Result<reqwest::Url, ApiError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ApiError::BadUrl(url.to_string()))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| ApiError::BadUrl(url.to_string()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(host) => Ok(parsed),
        "http" => Err(ApiError::Insecure(host.to_string())),
        _ => Err(ApiError::BadUrl(url.to_string())),
    }
}

pub struct Client {
    http: Http,
    base: String,
    host: String,
    pub(super) config: ClientConfig,
    /// The rate limit every request through this client shares.
    budget: super::budget::Budget,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let url = check_url(&config.api_url)?;
        let host = url.host_str().unwrap_or_default().to_string();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            "accept",
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        check_ssl_cert_file().map_err(ApiError::Setup)?;
        let http = Http::builder()
            .user_agent(concat!("patrol/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            // Redirects are followed by hand, so credentials never cross hosts.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(url.scheme() == "https")
            .build()
            .map_err(|e| ApiError::Setup(e.to_string()))?;
        Ok(Client {
            http,
            base: config.api_url.trim_end_matches('/').to_string(),
            host,
            budget: super::budget::Budget::new(config.max_wait),
            config,
        })
    }

    /// The web host for people (github.com, a GHES host, SUB.ghe.com).
    pub fn web_host(&self) -> String {
        web_host(&self.base)
    }

    pub fn get(&self, path: &str, auth: Option<&Secret>) -> Result<Response, ApiError> {
        self.send(Method::GET, path, auth, None)
    }

    /// A conditional GET: with `etag`, GitHub answers `304` (no body, no rate limit) when
    /// nothing changed.
    pub fn get_if_none_match(
        &self,
        path: &str,
        auth: Option<&Secret>,
        etag: Option<&str>,
    ) -> Result<Response, ApiError> {
        let url = format!("{}{path}", self.base);
        self.send_with(Method::GET, &url, auth, None, etag)
    }

    pub fn post_json(
        &self,
        path: &str,
        auth: Option<&Secret>,
        body: &serde_json::Value,
    ) -> Result<Response, ApiError> {
        self.send(Method::POST, path, auth, Some(body))
    }

    pub fn delete(&self, path: &str, auth: Option<&Secret>) -> Result<Response, ApiError> {
        self.send(Method::DELETE, path, auth, None)
    }

    /// Sends to an absolute URL already checked with [`check_url`] (a redirect target), with
    /// the same retries. Credentials are the caller's choice: pass `None` for another host.
    pub fn send_url(
        &self,
        method: Method,
        url: reqwest::Url,
        auth: Option<&Secret>,
    ) -> Result<Response, ApiError> {
        self.send_with(method, url.as_str(), auth, None, None)
    }

    /// The absolute URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(super) fn network(&self, e: &reqwest::Error) -> ApiError {
        ApiError::Network {
            host: self.host.clone(),
            message: describe(e),
        }
    }

    pub(super) fn build(
        &self,
        method: &Method,
        url: &str,
        auth: Option<&Secret>,
        body: Option<&serde_json::Value>,
    ) -> RequestBuilder {
        let mut rb = self.http.request(method.clone(), url);
        if let Some(secret) = auth {
            let mut value = HeaderValue::from_bytes(&[b"Bearer ", secret.expose()].concat())
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
            value.set_sensitive(true);
            rb = rb.header("authorization", value);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        rb
    }

    /// Sends with retries: network errors, 5xx, 429 and rate-limited 403s are retried with
    /// backoff; any other answer is returned as it is.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&Secret>,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ApiError> {
        self.send_with(method, &format!("{}{path}", self.base), auth, body, None)
    }

    fn send_with(
        &self,
        method: Method,
        url: &str,
        auth: Option<&Secret>,
        body: Option<&serde_json::Value>,
        if_none_match: Option<&str>,
    ) -> Result<Response, ApiError> {
        let mut attempt = 0u32;
        loop {
            self.budget.wait()?;
            let mut request = self.build(&method, url, auth, body);
            if let Some(etag) = if_none_match {
                request = request.header("if-none-match", etag);
            }
            let result = request.send();
            let wait = match result {
                Err(e) => {
                    if attempt >= self.config.retries {
                        return Err(ApiError::Network {
                            host: self.host.clone(),
                            message: describe(&e),
                        });
                    }
                    self.backoff(attempt)
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    // A body cut short is a network error (retried), never an empty answer.
                    let mut body = Vec::new();
                    let read = std::io::Read::read_to_end(
                        &mut std::io::Read::take(resp, MAX_BODY + 1),
                        &mut body,
                    );
                    if body.len() as u64 > MAX_BODY {
                        return Err(ApiError::TooLarge {
                            host: self.host.clone(),
                        });
                    }
                    let body = match read {
                        Ok(_) => body,
                        Err(_) if attempt < self.config.retries => {
                            std::thread::sleep(self.backoff(attempt));
                            attempt += 1;
                            continue;
                        }
                        Err(_) => {
                            return Err(ApiError::Network {
                                host: self.host.clone(),
                                message: "the answer was cut short".into(),
                            });
                        }
                    };
                    let r = Response {
                        status,
                        headers,
                        body,
                    };
                    self.budget.observe(&r);
                    match self.retry_wait(&r, attempt)? {
                        Some(w) if attempt < self.config.retries => w,
                        _ => return Ok(r),
                    }
                }
            };
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let step = self.config.backoff.saturating_mul(1 << attempt.min(10));
        step + jitter(self.config.backoff / 2 + Duration::from_millis(1))
    }

    /// How long to wait before retrying `r`, or `None` when it is a final answer.
    pub(super) fn retry_wait(
        &self,
        r: &Response,
        attempt: u32,
    ) -> Result<Option<Duration>, ApiError> {
        let secs = |name: &str| r.header(name).and_then(|v| v.trim().parse::<u64>().ok());
        let limited = r.status == 429
            || (r.status == 403
                && (secs("retry-after").is_some()
                    || r.header("x-ratelimit-remaining") == Some("0")
                    || r.message().to_ascii_lowercase().contains("rate limit")));
        if limited {
            let wait = if let Some(s) = secs("retry-after") {
                Duration::from_secs(s)
            } else if let Some(reset) = secs("x-ratelimit-reset") {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                Duration::from_secs(reset.saturating_sub(now) + 1)
            } else {
                // Secondary limits without a hint: GitHub asks for at least a minute.
                Duration::from_secs(60).max(self.backoff(attempt))
            };
            if wait > self.config.max_wait {
                return Err(ApiError::RateLimited(wait.as_secs()));
            }
            return Ok(Some(wait + jitter(Duration::from_millis(250))));
        }
        // 501: the server does not implement the route (an older GitHub Enterprise Server);
        // asking again will not change that.
        if r.status >= 500 && r.status != 501 {
            return Ok(Some(self.backoff(attempt)));
        }
        Ok(None)
    }
}

/// A network error in words, without the URL's query (no credentials are ever in URLs, but
/// keep messages short).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        // The cause says why: refused, unknown name, or an untrusted certificate.
        format!("connection failed: {}", root_cause(e))
    } else {
        let mut s = e.to_string();
        if let Some(i) = s.find(" for url") {
            s.truncate(i);
        }
        s
    }
}

/// The web host for an API base URL.
pub fn web_host(api_url: &str) -> String {
    let Ok(url) = reqwest::Url::parse(api_url) else {
        return "github.com".into();
    };
    let host = url.host_str().unwrap_or("github.com");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    if host == "api.github.com" {
        "github.com".to_string()
    } else if let Some(rest) = host.strip_prefix("api.") {
        // GHE.com data residency: api.SUB.ghe.com serves SUB.ghe.com.
        format!("{rest}{port}")
    } else {
        format!("{host}{port}")
    }
}

#[cfg(test)]
mod tests;
