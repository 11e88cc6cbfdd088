//! Git's smart HTTP protocol over HTTPS for the mirrors, on the same TLS stack as the API
//! client (rustls, trusting the system's roots or the PEM file `SSL_CERT_FILE` names): libgit2
//! is built without a TLS library, so that `patrol` stays one static binary. Registered for
//! `https://` once; libgit2 keeps negotiating (stateless RPC: one
//! `GET …/info/refs?service=git-upload-pack`, then `POST …/git-upload-pack` rounds) and this
//! module only moves the bytes. The token for a URL is lent by [`lend`] for the duration of a
//! fetch, held in memory only, and sent as Basic auth (`x-access-token:TOKEN`) in a header
//! marked sensitive — never in a URL, a file or a log. Against a hostile server: redirects are
//! followed only on the clone URL's own scheme, host and port (the token never follows one
//! elsewhere), the ref advertisement (held in memory by libgit2) is capped at
//! [`ADVERTISEMENT_MAX`] bytes, and a server that goes silent for [`READ_TIMEOUT`] fails the
//! fetch. Fetch only: pushing is refused.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Mutex, Once, OnceLock};
use std::time::Duration;

use base64::Engine;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};
use reqwest::blocking::Client as Http;
use reqwest::header::HeaderValue;
use reqwest::redirect::{Attempt, Policy};

use super::tls::{check_ssl_cert_file, root_cause};
use crate::finding::Secret;

/// The most a ref advertisement may weigh (libgit2 keeps it in memory): far above a real
/// repository's, pull-request refs included.
pub const ADVERTISEMENT_MAX: u64 = 256 << 20;
/// How long a server may stay silent before the fetch fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Redirects followed on one request (same origin only).
const MAX_REDIRECTS: usize = 5;

/// Tokens lent to the transport, by remote URL.
fn lent() -> &'static Mutex<HashMap<String, Secret>> {
    static LENT: OnceLock<Mutex<HashMap<String, Secret>>> = OnceLock::new();
    LENT.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The token for `url`, lent while the returned guard lives.
pub struct Lent(String);

pub fn lend(url: &str, token: &Secret) -> Lent {
    lent()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(url.to_string(), token.clone());
    Lent(url.to_string())
}

impl Drop for Lent {
    fn drop(&mut self) {
        lent()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}

/// Scheme, host and port: where a request goes.
fn origin(url: &reqwest::Url) -> (String, Option<String>, Option<u16>) {
    (
        url.scheme().to_string(),
        url.host_str().map(str::to_ascii_lowercase),
        url.port_or_known_default(),
    )
}

/// Follows a redirect only to the origin the request was sent to; any other is handed back
/// as it is (and refused by [`Exchange::send`]), so the token never leaves that origin.
fn same_origin_redirects(attempt: Attempt<'_>) -> reqwest::redirect::Action {
    let first = attempt.previous().first().map(origin);
    if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error("too many redirects")
    } else if first.is_some_and(|o| o == origin(attempt.url())) {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

/// The one HTTP client of every fetch (its roots are loaded once, its connections reused).
fn http() -> Result<Http, git2::Error> {
    static HTTP: OnceLock<Result<Http, String>> = OnceLock::new();
    HTTP.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        check_ssl_cert_file()?;
        Http::builder()
            .user_agent(concat!("git/2.0 (patrol/", env!("CARGO_PKG_VERSION"), ")"))
            .connect_timeout(Duration::from_secs(30))
            .timeout(READ_TIMEOUT)
            .redirect(Policy::custom(same_origin_redirects))
            .https_only(true)
            .build()
            .map_err(|e| format!("cannot start the HTTPS client: {}", root_cause(&e)))
    })
    .clone()
    .map_err(|e| git2::Error::from_str(&e))
}

/// Registers the transport for `https://` (once per process).
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let factory = |remote: &git2::Remote<'_>| {
            let url = remote.url().unwrap_or_default().to_string();
            let token = lent()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&url)
                .cloned();
            Transport::smart(
                remote,
                true,
                Https {
                    http: http()?,
                    token,
                    advertisement_max: ADVERTISEMENT_MAX,
                },
            )
        };
        // SAFETY: called once, before any fetch, from one thread (inside `Once`).
        let _ = unsafe { git2::transport::register("https", factory) };
    });
}

struct Https {
    http: Http,
    token: Option<Secret>,
    /// [`ADVERTISEMENT_MAX`] (smaller in tests).
    advertisement_max: u64,
}

impl SmartSubtransport for Https {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let base = url.trim_end_matches('/');
        let (method, url, content_type, limit) = match action {
            Service::UploadPackLs => (
                reqwest::Method::GET,
                format!("{base}/info/refs?service=git-upload-pack"),
                None,
                self.advertisement_max,
            ),
            // The pack: as large as the repository, streamed to disk by libgit2.
            Service::UploadPack => (
                reqwest::Method::POST,
                format!("{base}/git-upload-pack"),
                Some("application/x-git-upload-pack-request"),
                u64::MAX,
            ),
            _ => {
                return Err(git2::Error::from_str(
                    "patrol only fetches: pushing refused",
                ));
            }
        };
        Ok(Box::new(Exchange {
            http: self.http.clone(),
            method,
            url,
            content_type,
            token: self.token.clone(),
            request: Vec::new(),
            response: None,
            left: limit,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// One request and its answer: what libgit2 writes is the body, sent on the first read.
struct Exchange {
    http: Http,
    method: reqwest::Method,
    url: String,
    content_type: Option<&'static str>,
    token: Option<Secret>,
    request: Vec<u8>,
    response: Option<reqwest::blocking::Response>,
    /// Bytes the answer may still bring.
    left: u64,
}

impl Exchange {
    fn send(&mut self) -> io::Result<reqwest::blocking::Response> {
        let mut rb = self.http.request(self.method.clone(), &self.url);
        if let Some(t) = &self.token {
            let basic = base64::engine::general_purpose::STANDARD
                .encode([b"x-access-token:", t.expose()].concat());
            let mut value = HeaderValue::from_str(&format!("Basic {basic}"))
                .map_err(|_| io::Error::other("unusable token"))?;
            value.set_sensitive(true);
            rb = rb.header("authorization", value);
        }
        if let Some(ct) = self.content_type {
            rb = rb
                .header("content-type", ct)
                .body(std::mem::take(&mut self.request));
        }
        let r = rb.send().map_err(|e| {
            io::Error::other(format!("cannot reach the git server: {}", root_cause(&e)))
        })?;
        match r.status().as_u16() {
            200 => Ok(r),
            300..=399 => Err(io::Error::other(format!(
                "redirected to {}: not followed (the token goes only to the clone URL's host)",
                r.headers()
                    .get("location")
                    .and_then(|l| reqwest::Url::parse(l.to_str().ok()?).ok())
                    .and_then(|l| l.host_str().map(str::to_string))
                    .unwrap_or_else(|| "another host".into())
            ))),
            401 | 403 => Err(io::Error::other(
                "authentication failed (the token was refused or none was given)",
            )),
            404 => Err(io::Error::other("repository not found")),
            s => Err(io::Error::other(format!("git server answered {s}"))),
        }
    }
}

impl Read for Exchange {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.response.is_none() {
            self.response = Some(self.send()?);
        }
        let Some(r) = self.response.as_mut() else {
            return Ok(0);
        };
        let n = r.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::other(format!(
                "the git server's ref advertisement is over {} MiB: refused",
                ADVERTISEMENT_MAX >> 20
            ))
        })?;
        Ok(n)
    }
}

impl Write for Exchange {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.request.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
