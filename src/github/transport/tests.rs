//! Unit tests of `github::transport`.

use super::*;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;

/// Each request's head and body.
type Requests = Vec<(String, Vec<u8>)>;

/// Answers one request per reply (raw HTTP, each on its own connection) and hands back
/// each request's head and body.
fn answering(replies: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<Requests>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/acme/app.git", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for reply in replies {
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
            // The client may stop reading early (a refused answer): ignore write errors.
            let _ = stream.write_all(&reply);
            seen.push((head, request));
        }
        seen
    });
    (url, handle)
}

fn ok(body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

/// Answers one request with `body` and hands back the request's head and body.
fn one_answer(body: &'static [u8]) -> (String, std::thread::JoinHandle<(String, Vec<u8>)>) {
    let (url, handle) = answering(vec![ok(body)]);
    let one = std::thread::spawn(move || handle.join().unwrap().remove(0));
    (url, one)
}

fn transport(token: &str) -> Https {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Https {
        http: Http::builder()
            .redirect(Policy::custom(same_origin_redirects))
            .build()
            .unwrap(),
        token: Some(Secret::new(token.as_bytes().to_vec())),
        advertisement_max: ADVERTISEMENT_MAX,
    }
}

fn basic(token: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    format!("Basic {encoded}")
}

#[test]
fn a_ref_advertisement_over_the_cap_is_refused() {
    let (url, server) = answering(vec![ok(&[b'0'; 4096])]);
    let mut t = transport("s3cret");
    t.advertisement_max = 1024;
    let mut stream = t.action(&url, Service::UploadPackLs).unwrap();
    let mut answer = Vec::new();
    let e = stream.read_to_end(&mut answer).unwrap_err();
    assert!(e.to_string().contains("ref advertisement"), "{e}");
    assert!(answer.len() <= 1024, "{}", answer.len());
    server.join().unwrap();
}

#[test]
fn a_redirect_on_the_same_host_is_followed_with_the_token() {
    let moved = b"HTTP/1.1 301 Moved\r\nlocation: /acme/renamed.git/info/refs?service=git-upload-pack\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let (url, server) = answering(vec![moved.to_vec(), ok(b"001e# service=git-upload-pack\n")]);
    let mut stream = transport("s3cret")
        .action(&url, Service::UploadPackLs)
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert!(answer.starts_with(b"001e# service"));
    let seen = server.join().unwrap();
    assert!(
        seen[1].0.starts_with("GET /acme/renamed.git/info/refs"),
        "{}",
        seen[1].0
    );
    assert!(seen.iter().all(|(head, _)| head.contains(&basic("s3cret"))));
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
    assert!(head.contains(&basic("s3cret")), "{head}");
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
