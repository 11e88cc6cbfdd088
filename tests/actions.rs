//! `patrol logs --github`: a mock GitHub API on 127.0.0.1 (runs list with pagination, the 302
//! redirect to a second host, rate limits, a 500 then success, an expired log) and a mock
//! storage host that must never see the Authorization header.

mod common;

use std::io::Write;

use common::*;
use mockito::{Matcher, Server};

const TOKEN: &str = "test-api-token-not-a-github-token";

fn zip_with(members: &[(&str, String)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, text) in members {
            z.start_file(*name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn runs_page(ids: &[u64]) -> String {
    let runs: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"id":{id},"name":"CI","html_url":"https://github.com/acme/app/actions/runs/{id}"}}"#))
        .collect();
    format!(
        r#"{{"total_count":3,"workflow_runs":[{}]}}"#,
        runs.join(",")
    )
}

fn patrol_logs(api: &Server, extra: &[&str]) -> std::process::Output {
    patrol()
        .env("GH_TOKEN", TOKEN)
        .env_remove("GITHUB_TOKEN")
        .args([
            "logs",
            "--github",
            "acme/app",
            "--api-url",
            &api.url(),
            "-j",
            "2",
            "-f",
            "json",
            "--show-secrets",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn runs_are_listed_downloaded_through_the_redirect_and_scanned() {
    let mut api = Server::new();
    let mut storage = Server::new();
    let auth = Matcher::Exact(format!("Bearer {TOKEN}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    // A primary rate limit first, then two pages of runs.
    let limited = api
        .mock("GET", "/repos/acme/app/actions/runs")
        .match_query(Matcher::UrlEncoded("page".into(), "1".into()))
        .with_status(403)
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", &(now + 1).to_string())
        .with_body(r#"{"message":"API rate limit exceeded"}"#)
        .expect(1)
        .create();
    let page1 = api
        .mock("GET", "/repos/acme/app/actions/runs")
        .match_header("authorization", auth.clone())
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("per_page".into(), "100".into()),
            Matcher::UrlEncoded("page".into(), "1".into()),
        ]))
        .with_header(
            "link",
            r#"<https://api.github.com/repositories/1/actions/runs?page=2>; rel="next""#,
        )
        .with_body(runs_page(&[101, 102]))
        .expect(1)
        .create();
    let page2 = api
        .mock("GET", "/repos/acme/app/actions/runs")
        .match_query(Matcher::UrlEncoded("page".into(), "2".into()))
        .with_body(runs_page(&[103]))
        .expect(1)
        .create();

    let tok = mint("ghp");
    let log = format!("2025-04-07T12:57:33.2904078Z Using token \x1b[32m{tok}\x1b[0m\n");
    let zip = zip_with(&[("0_build.txt", log.clone()), ("build/2_Deploy.txt", log)]);
    // Run 101: a 500 first, then the redirect.
    let failing = api
        .mock("GET", "/repos/acme/app/actions/runs/101/logs")
        .with_status(500)
        .expect(1)
        .create();
    let redirect = api
        .mock("GET", "/repos/acme/app/actions/runs/101/logs")
        .match_header("authorization", auth.clone())
        .with_status(302)
        .with_header(
            "location",
            &format!("{}/blobs/101.zip?sig=abc", storage.url()),
        )
        .expect(1)
        .create();
    let blob = storage
        .mock("GET", "/blobs/101.zip")
        .match_query(Matcher::Any)
        .match_header("authorization", Matcher::Missing)
        .with_body(zip)
        .expect(1)
        .create();
    let leaked = storage
        .mock("GET", Matcher::Any)
        .match_header("authorization", Matcher::Any)
        .expect(0)
        .create();
    // Run 102 has no secret; run 103's logs expired.
    api.mock("GET", "/repos/acme/app/actions/runs/102/logs")
        .with_status(302)
        .with_header("location", &format!("{}/blobs/102.zip", storage.url()))
        .create();
    storage
        .mock("GET", "/blobs/102.zip")
        .match_header("authorization", Matcher::Missing)
        .with_body(zip_with(&[("0_lint.txt", "all clean\n".into())]))
        .create();
    api.mock("GET", "/repos/acme/app/actions/runs/103/logs")
        .with_status(410)
        .create();

    let out = patrol_logs(&api, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    limited.assert();
    page1.assert();
    page2.assert();
    failing.assert();
    redirect.assert();
    blob.assert();
    leaked.assert();
    assert!(
        stderr.contains("run 103") && stderr.contains("expired"),
        "{stderr}"
    );

    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let locs = finding(&r, &tok)["locations"].as_array().unwrap().clone();
    assert_eq!(locs.len(), 2);
    for l in &locs {
        assert_eq!(l["log"]["run_id"], 101);
        assert_eq!(
            l["log"]["run_url"],
            "https://github.com/acme/app/actions/runs/101"
        );
        assert_eq!(l["log"]["job"], "build");
        assert_eq!(l["log"]["timestamp"], "2025-04-07T12:57:33.2904078Z");
    }
    assert!(locs.iter().any(|l| l["log"]["step"] == "Deploy"));
    let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert!(
        !all.contains(TOKEN),
        "the API token never appears in output"
    );
}

#[test]
fn filters_pass_through_and_leaking_logs_are_deleted_only_when_confirmed() {
    let mut api = Server::new();
    let mut storage = Server::new();
    let list = api
        .mock("GET", "/repos/acme/app/actions/workflows/ci.yml/runs")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("branch".into(), "main".into()),
            Matcher::UrlEncoded("created".into(), ">=2025-01-01".into()),
        ]))
        .with_body(runs_page(&[7]))
        .expect(2)
        .create();
    let tok = mint("gho");
    api.mock("GET", "/repos/acme/app/actions/runs/7/logs")
        .with_status(302)
        .with_header("location", &format!("{}/b/7.zip", storage.url()))
        .create();
    storage
        .mock("GET", "/b/7.zip")
        .with_body(zip_with(&[("0_build.txt", format!("echo {tok}\n"))]))
        .create();
    let delete = api
        .mock("DELETE", "/repos/acme/app/actions/runs/7/logs")
        .with_status(204)
        .expect(1)
        .create();

    let filters = [
        "--workflow",
        "ci.yml",
        "--branch",
        "main",
        "--since",
        "2025-01-01",
        "--delete-leaking-logs",
    ];
    // No terminal, no --yes: nothing is deleted.
    let out = patrol_logs(&api, &filters);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no logs were deleted"));
    let mut with_yes = filters.to_vec();
    with_yes.push("--yes");
    let out = patrol_logs(&api, &with_yes);
    assert!(String::from_utf8_lossy(&out.stderr).contains("deleted the logs of run 7"));
    list.assert();
    delete.assert();
}

#[test]
fn a_token_is_required_and_never_taken_from_argv() {
    patrol()
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .args(["logs", "--github", "acme/app"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("GH_TOKEN or GITHUB_TOKEN"));
}

/// How the log host sends a body.
#[derive(Clone, Copy)]
enum Body {
    /// In four pieces, `ms` apart.
    Trickle {
        ms: u64,
    },
    /// Half, then the connection closes.
    Cut,
    /// Half, then nothing for `ms`.
    Stall {
        ms: u64,
    },
    Whole,
}

/// A plain HTTP/1.1 server on 127.0.0.1 standing in for both the API and the log host: a run
/// (`GET …/runs/7`), its logs' redirect (`…/runs/7/logs` → `/blob`), and the blob sent the way
/// `bodies` says, one entry per request (the last one repeats). Counts the requests.
struct LogHost {
    url: String,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn log_host(zip: Vec<u8>, bodies: Vec<Body>) -> LogHost {
    use std::io::{BufRead, BufReader};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = requests.clone();
    let base = url.clone();
    std::thread::spawn(move || {
        let mut blobs = 0usize;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
            }
            let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
            let head = |status: &str, extra: &str, len: usize| {
                format!(
                    "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {len}\r\n{extra}\r\n"
                )
            };
            if path.ends_with("/runs/7") {
                let body = r#"{"id":7,"name":"CI","html_url":"https://github.com/acme/app/actions/runs/7"}"#;
                let _ = stream.write_all((head("200 OK", "", body.len()) + body).as_bytes());
            } else if path.ends_with("/runs/7/logs") {
                let location = format!("location: {base}/blob\r\n");
                let _ = stream.write_all(head("302 Found", &location, 0).as_bytes());
            } else if path.starts_with("/blob") {
                let how = bodies[blobs.min(bodies.len() - 1)];
                blobs += 1;
                let _ = stream.write_all(head("200 OK", "", zip.len()).as_bytes());
                let half = zip.len() / 2;
                match how {
                    Body::Whole => {
                        let _ = stream.write_all(&zip);
                    }
                    Body::Cut => {
                        let _ = stream.write_all(&zip[..half]);
                    }
                    Body::Stall { ms } => {
                        let _ = stream.write_all(&zip[..half]);
                        let _ = stream.flush();
                        std::thread::sleep(std::time::Duration::from_millis(ms));
                    }
                    Body::Trickle { ms } => {
                        for piece in zip.chunks(zip.len().div_ceil(4)) {
                            let _ = stream.write_all(piece);
                            let _ = stream.flush();
                            std::thread::sleep(std::time::Duration::from_millis(ms));
                        }
                    }
                }
            } else {
                let _ = stream.write_all(head("404 Not Found", "", 0).as_bytes());
            }
            let _ = stream.flush();
        }
    });
    LogHost { url, requests }
}

fn logs_from(host: &LogHost, extra: &[&str]) -> (serde_json::Value, i32, String) {
    let out = patrol()
        .env("GH_TOKEN", TOKEN)
        .env_remove("GITHUB_TOKEN")
        .args([
            "logs",
            "--github",
            "acme/app",
            "--run",
            "7",
            "--api-url",
            &host.url,
        ])
        .args(["--api-timeout", "1", "-f", "json", "--show-secrets"])
        .args(extra)
        .timeout(std::time::Duration::from_secs(90))
        .output()
        .expect("patrol finished in time");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (r, out.status.code().unwrap_or(-1), stderr)
}

fn run_zip() -> (Vec<u8>, String) {
    let tok = mint("ghp");
    // Incompressible filler makes the archive big enough to arrive in pieces.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let filler: String = (0..256 << 10)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 90) as u8)
        })
        .collect();
    let zip = zip_with(&[
        ("0_build.txt", format!("token {tok}\n")),
        ("build/1_filler.txt", filler),
    ]);
    (zip, tok)
}

/// `--api-timeout` is an idle timeout for a download: a body that keeps coming, slower than
/// the timeout as a whole, is downloaded and scanned.
#[test]
fn a_slow_download_is_not_cut_by_the_api_timeout() {
    let (zip, tok) = run_zip();
    let host = log_host(zip, vec![Body::Trickle { ms: 600 }]);
    let (r, code, stderr) = logs_from(&host, &["--api-retries", "0"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(secrets(&r), vec![tok]);
}

/// A body cut short is retried, never taken for an empty archive.
#[test]
fn a_cut_download_is_retried() {
    let (zip, tok) = run_zip();
    let host = log_host(zip, vec![Body::Cut, Body::Whole]);
    let (r, code, stderr) = logs_from(&host, &["--api-retries", "2"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(secrets(&r), vec![tok]);
}

/// A download that stalls fails after the idle timeout, as a problem: the scan is incomplete.
#[test]
fn a_stalled_download_is_an_incomplete_scan() {
    let (zip, _) = run_zip();
    let host = log_host(zip, vec![Body::Stall { ms: 20_000 }]);
    let started = std::time::Instant::now();
    let (r, code, stderr) = logs_from(&host, &["--api-retries", "0"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{stderr}"
    );
    assert_eq!(code, 5, "{stderr}");
    let errors = r["errors"].to_string();
    assert!(
        errors.contains("run 7") && errors.contains("interrupted"),
        "{errors}"
    );
}

/// An archive over `--max-archive-bytes` is refused while it downloads.
#[test]
fn a_run_archive_over_the_byte_limit_is_a_problem() {
    let (zip, _) = run_zip();
    let host = log_host(zip, vec![Body::Whole]);
    let (r, code, stderr) = logs_from(&host, &["--max-archive-bytes", "64K"]);
    assert_eq!(code, 5, "{stderr}");
    assert!(
        r["errors"].to_string().contains("--max-archive-bytes"),
        "{r}"
    );
}

/// `--workflow` goes into a URL path: anything but a file name or an id is refused before any
/// request is made.
#[test]
fn a_workflow_that_is_not_a_file_name_is_refused() {
    let host = log_host(Vec::new(), vec![Body::Whole]);
    let out = patrol()
        .env("GH_TOKEN", TOKEN)
        .args(["logs", "--github", "acme/app", "--api-url", &host.url])
        .args(["--workflow", "../../../user/repos"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workflow"));
    assert_eq!(host.requests.load(std::sync::atomic::Ordering::SeqCst), 0);
}
