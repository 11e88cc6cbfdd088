//! Git's smart HTTP protocol over HTTPS for the mirrors, on the same TLS stack as the API
//! client (rustls): libgit2 is built without a TLS library, so that `patrol` stays one static
//! binary. Registered for `https://` once; libgit2 keeps negotiating (stateless RPC: one
//! `GET …/info/refs?service=git-upload-pack`, then `POST …/git-upload-pack` rounds) and this
//! module only moves the bytes. The token for a URL is lent by [`lend`] for the duration of a
//! fetch, held in memory only, and sent as Basic auth (`x-access-token:TOKEN`) in a header
//! marked sensitive — never in a URL, a file or a log. Fetch only: pushing is refused.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Mutex, Once, OnceLock};
use std::time::Duration;

use base64::Engine;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};
use reqwest::blocking::Client as Http;
use reqwest::header::HeaderValue;

use crate::finding::Secret;

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

/// Registers the transport for `https://` (once per process).
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let factory = |remote: &git2::Remote<'_>| {
            let url = remote.url().unwrap_or_default().to_string();
            let token = lent()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&url)
                .cloned();
            let http = Http::builder()
                .user_agent(concat!("git/2.0 (patrol/", env!("CARGO_PKG_VERSION"), ")"))
                .connect_timeout(Duration::from_secs(30))
                .https_only(true)
                .build()
                .map_err(|e| git2::Error::from_str(&e.to_string()))?;
            Transport::smart(remote, true, Https { http, token })
        };
        // SAFETY: called once, before any fetch, from one thread (inside `Once`).
        let _ = unsafe { git2::transport::register("https", factory) };
    });
}

struct Https {
    http: Http,
    token: Option<Secret>,
}

impl SmartSubtransport for Https {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let base = url.trim_end_matches('/');
        let (method, url, content_type) = match action {
            Service::UploadPackLs => (
                reqwest::Method::GET,
                format!("{base}/info/refs?service=git-upload-pack"),
                None,
            ),
            Service::UploadPack => (
                reqwest::Method::POST,
                format!("{base}/git-upload-pack"),
                Some("application/x-git-upload-pack-request"),
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
        let r = rb
            .send()
            .map_err(|e| io::Error::other(format!("cannot reach the git server: {e}")))?;
        match r.status().as_u16() {
            200 => Ok(r),
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
        match self.response.as_mut() {
            Some(r) => r.read(buf),
            None => Ok(0),
        }
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
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    /// Answers one request with `body` and hands back the request's head and body.
    fn one_answer(body: &'static [u8]) -> (String, std::thread::JoinHandle<(String, Vec<u8>)>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/acme/app.git", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line.trim().is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let mut request = vec![0; length];
            reader.read_exact(&mut request).unwrap();
            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            stream.write_all(reply.as_bytes()).unwrap();
            stream.write_all(body).unwrap();
            (head, request)
        });
        (url, handle)
    }

    fn transport(token: &str) -> Https {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Https {
            http: Http::new(),
            token: Some(Secret::new(token.as_bytes().to_vec())),
        }
    }

    #[test]
    fn refs_are_asked_for_with_the_token_as_basic_auth() {
        let (url, server) = one_answer(b"001e# service=git-upload-pack\n");
        let mut stream = transport("s3cret")
            .action(&url, Service::UploadPackLs)
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        assert!(answer.starts_with(b"001e# service"));
        let (head, _) = server.join().unwrap();
        assert!(head.starts_with("GET /acme/app.git/info/refs?service=git-upload-pack "));
        let basic = base64::engine::general_purpose::STANDARD.encode("x-access-token:s3cret");
        assert!(head.contains(&format!("Basic {basic}")), "{head}");
    }

    #[test]
    fn negotiation_is_posted_and_pushing_is_refused() {
        let (url, server) = one_answer(b"0008NAK\n");
        let t = transport("s3cret");
        let mut stream = t.action(&url, Service::UploadPack).unwrap();
        stream
            .write_all(b"0032want 0123456789012345678901234567890123456789\n")
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        assert_eq!(answer, b"0008NAK\n");
        let (head, request) = server.join().unwrap();
        assert!(
            head.starts_with("POST /acme/app.git/git-upload-pack "),
            "{head}"
        );
        assert!(head.contains("application/x-git-upload-pack-request"));
        assert!(request.starts_with(b"0032want"));
        assert!(t.action(&url, Service::ReceivePack).is_err());
    }
}
