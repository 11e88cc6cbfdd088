//! Downloads of large bodies (Actions run-log archives): streamed into an anonymous temporary
//! file with a byte limit enforced while reading, an idle timeout (no bytes for `--api-timeout`)
//! instead of a cap on the whole transfer, and the client's retries extended to a body cut short.

use std::io::{Read, Seek, Write};

use reqwest::Method;

use super::client::{ApiError, Client, Response};
use crate::finding::Secret;

impl Client {
    /// Downloads `url` (credentials only when the caller passes them: never to another host)
    /// into an anonymous temporary file,
    /// with the same retries as [`Client::send`] and a body read error retried too. The
    /// timeout is an idle timeout here: a download may take as long as it needs while bytes
    /// keep coming, and fails when none came for the configured time. More than `limit` bytes
    /// is [`Download::TooLarge`], found while reading, before anything is kept.
    pub fn download(
        &self,
        url: &str,
        auth: Option<&Secret>,
        limit: u64,
    ) -> Result<Download, ApiError> {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let mut attempt = 0u32;
        loop {
            let wait = match self.build(&Method::GET, url, auth, None).send() {
                Err(e) if attempt >= self.config.retries => {
                    return Err(self.network(&e));
                }
                Err(_) => self.backoff(attempt),
                Ok(resp) if resp.status().as_u16() != 200 => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    // An error page: small, and read only as far as a message needs.
                    let mut body = Vec::new();
                    let _ = std::io::Read::read_to_end(
                        &mut std::io::Read::take(resp, 64 << 10),
                        &mut body,
                    );
                    let r = Response {
                        status,
                        headers,
                        body,
                    };
                    match self.retry_wait(&r, attempt)? {
                        Some(w) if attempt < self.config.retries => w,
                        _ => return Ok(Download::Status(r)),
                    }
                }
                Ok(resp) => match spool_body(resp, limit) {
                    Ok(Some(file)) => return Ok(Download::File(file)),
                    Ok(None) => return Ok(Download::TooLarge),
                    Err(e) if attempt >= self.config.retries => {
                        return Err(ApiError::Network {
                            host,
                            message: format!("download interrupted: {}", describe_io(&e)),
                        });
                    }
                    Err(_) => self.backoff(attempt),
                },
            };
            std::thread::sleep(wait);
            attempt += 1;
        }
    }
}

/// What a download brought.
pub enum Download {
    /// The body, in a temporary file (deleted when closed), positioned at its start.
    File(std::fs::File),
    /// The body was larger than the limit; reading stopped there.
    TooLarge,
    /// An answer other than 200 (a redirect, an error), with at most 64 KiB of its body.
    Status(Response),
}

/// Copies a response body into a temporary file, at most `limit` bytes (`None` beyond). Each
/// read waits at most the client's timeout, so a stalled body fails and a slow one does not.
fn spool_body(
    mut resp: reqwest::blocking::Response,
    limit: u64,
) -> std::io::Result<Option<std::fs::File>> {
    let mut file = tempfile::tempfile()?;
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0u64;
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > limit {
            return Ok(None);
        }
        file.write_all(&buf[..n])?;
    }
    file.rewind()?;
    Ok(Some(file))
}

/// An I/O error while reading a body, in words.
fn describe_io(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timed out") {
        "no data received within --api-timeout".to_string()
    } else {
        let mut s = e.to_string();
        if let Some(i) = s.find(" for url") {
            s.truncate(i);
        }
        s
    }
}
