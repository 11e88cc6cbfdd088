//! A stand-in for GitHub's REST API on 127.0.0.1: a tiny HTTP server (one thread per
//! connection; over TLS with a certificate from a CA made for the test when asked) and canned
//! JSON answers by path with ETags (`304` to a matching `If-None-Match`), rate-limit headers,
//! raw bodies, and requests held until the test says.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------- a tiny HTTP server

pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: String) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into_bytes(),
        }
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

pub fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(n) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        body.resize(n, 0);
        reader.read_exact(&mut body).ok()?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// Serves `handler` on 127.0.0.1 (one thread per connection, one request per connection),
/// over TLS with `tls`'s certificate when given (`https://`).
pub fn serve_on(handler: Handler, tls: Option<&Tls>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr().unwrap());
    let server = tls.map(|t| t.server.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (handler, server) = (handler.clone(), server.clone());
            std::thread::spawn(move || match server {
                Some(config) => {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    answer(&handler, rustls::StreamOwned::new(conn, stream));
                }
                None => answer(&handler, stream),
            });
        }
    });
    url
}

/// Reads one request from `stream` and writes `handler`'s reply.
pub fn answer(handler: &Handler, stream: impl Read + Write) {
    let mut reader = BufReader::new(stream);
    let Some(req) = read_request(&mut reader) else {
        return;
    };
    let reply = handler(&req);
    let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        reply.body.len()
    ));
    let stream = reader.get_mut();
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
    let _ = stream.flush();
}

/// A certificate for `127.0.0.1` and `localhost` signed by a CA made for the test, and the
/// CA's certificate in a PEM file (what `SSL_CERT_FILE` names to trust it).
pub struct Tls {
    pub server: Arc<rustls::ServerConfig>,
    pub ca_file: PathBuf,
}

impl Tls {
    pub fn new(dir: &Path) -> Tls {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "patrol test CA");
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let ca_file = dir.join("test-ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Tls {
            server: Arc::new(server),
            ca_file,
        }
    }
}

// ---------------------------------------------------------------- the stand-in API

/// A canned answer: status, JSON body, extra headers.
pub type Canned = (u16, String, Vec<(String, String)>);
/// A request seen: target, If-None-Match, status answered.
pub type Seen = (String, Option<String>, u16);

/// What the stand-in answers: JSON bodies by path (query included), with an ETag each.
#[derive(Default)]
pub struct Routes {
    pub replies: HashMap<String, Canned>,
    /// Raw bodies (log archives).
    pub files: HashMap<String, Vec<u8>>,
    /// Requests to these paths wait until the test sends on the channel.
    pub hold: HashMap<String, Arc<Mutex<Receiver<()>>>>,
}

pub struct Api {
    pub url: String,
    pub routes: Arc<Mutex<Routes>>,
    pub log: Arc<Mutex<Vec<Seen>>>,
    /// Told of each request's target as it arrives.
    pub arrived: Arc<Mutex<Option<Sender<String>>>>,
}

pub fn etag_of(body: &str) -> String {
    let h = body.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    format!("\"{h:x}\"")
}

impl Api {
    pub fn start() -> Api {
        Api::start_on(None)
    }

    /// The stand-in, over TLS with `tls`'s certificate when given.
    pub fn start_on(tls: Option<&Tls>) -> Api {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let arrived: Arc<Mutex<Option<Sender<String>>>> = Arc::new(Mutex::new(None));
        let (r, l, a) = (routes.clone(), log.clone(), arrived.clone());
        let url = serve_on(
            Arc::new(move |req: &Request| {
                if let Some(tx) = a.lock().unwrap().as_ref() {
                    let _ = tx.send(req.target.clone());
                }
                let held = r.lock().unwrap().hold.get(&req.target).cloned();
                if let Some(wait) = held {
                    let _ = wait.lock().unwrap().recv();
                }
                let routes = r.lock().unwrap();
                let inm = req.headers.get("if-none-match").cloned();
                let mut reply = if let Some(bytes) = routes.files.get(&req.target) {
                    Reply {
                        status: 200,
                        headers: Vec::new(),
                        body: bytes.clone(),
                    }
                } else if let Some((status, body, extra)) = routes.replies.get(&req.target) {
                    let etag = etag_of(body);
                    let mut reply = if *status == 200 && inm.as_deref() == Some(etag.as_str()) {
                        Reply::json(304, String::new())
                    } else {
                        Reply::json(*status, body.clone())
                    };
                    reply.headers.push(("etag".into(), etag));
                    reply.headers.extend(extra.iter().cloned());
                    reply
                } else {
                    Reply::json(404, r#"{"message":"Not Found"}"#.into())
                };
                if !reply
                    .headers
                    .iter()
                    .any(|(k, _)| k == "x-ratelimit-remaining")
                {
                    reply
                        .headers
                        .push(("x-ratelimit-remaining".into(), "4999".into()));
                    reply
                        .headers
                        .push(("x-ratelimit-limit".into(), "5000".into()));
                }
                l.lock()
                    .unwrap()
                    .push((req.target.clone(), inm, reply.status));
                reply
            }),
            tls,
        );
        Api {
            url,
            routes,
            log,
            arrived,
        }
    }

    pub fn reply(&self, target: &str, status: u16, body: String) {
        self.reply_with(target, status, body, Vec::new());
    }

    pub fn reply_with(
        &self,
        target: &str,
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    ) {
        self.routes
            .lock()
            .unwrap()
            .replies
            .insert(target.to_string(), (status, body, headers));
    }

    pub fn requests(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}
