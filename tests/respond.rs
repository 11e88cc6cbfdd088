//! Verify, revoke, replace: the real binary against a mock GitHub API on 127.0.0.1 (mockito).

mod common;

use std::net::TcpListener;

use common::*;
use mockito::{Matcher, Server};
use predicates::prelude::*;

fn bearer(tok: &str) -> Matcher {
    Matcher::Exact(format!("Bearer {tok}"))
}

/// `patrol ARGS` against `server`, fast: no spacing between checks, one retry.
fn run(server: &Server, args: &[&str], stdin: &str) -> (serde_json::Value, i32, String) {
    let out = patrol()
        .args(args)
        .args([
            "--api-url",
            &server.url(),
            "--api-interval",
            "0",
            "-f",
            "json",
            "--show-secrets",
        ])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        report,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_reports_live_dead_installation_and_unverifiable_and_exits_3() {
    let mut server = Server::new();
    let live = mint("ghp");
    let dead = mint("github_pat");
    let inst = mint("ghs");
    let refresh = mint("ghr");
    let m_live = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&live))
        .match_header("user-agent", Matcher::Regex("^patrol/".into()))
        .match_header("x-github-api-version", "2022-11-28")
        .with_status(200)
        .with_header("x-oauth-scopes", "repo, write:packages")
        .with_header(
            "github-authentication-token-expiration",
            "2026-12-31 23:59:59 UTC",
        )
        .with_body(r#"{"login":"octocat","id":1}"#)
        .expect(1)
        .create();
    let m_dead = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&dead))
        .with_status(401)
        .with_body(r#"{"message":"Bad credentials"}"#)
        .expect(1)
        .create();
    let m_inst = server
        .mock("GET", "/installation/repositories")
        .match_query(Matcher::Any)
        .match_header("authorization", bearer(&inst))
        .with_status(200)
        .with_body(r#"{"total_count":1,"repositories":[]}"#)
        .expect(1)
        .create();
    let text = format!("from chat: {live}\n{dead}\n{inst}\n{refresh}\n");
    let (r, code, _) = run(&server, &["verify"], &text);
    assert_eq!(code, 3, "a live secret exits 3");
    m_live.assert();
    m_dead.assert();
    m_inst.assert();
    let v = &finding(&r, &live)["verification"];
    assert_eq!(v["status"], "live");
    assert_eq!(v["login"], "octocat");
    assert_eq!(v["scopes"], "repo, write:packages");
    assert_eq!(v["expires"], "2026-12-31 23:59:59 UTC");
    assert_eq!(finding(&r, &dead)["verification"]["status"], "dead");
    assert_eq!(finding(&r, &inst)["verification"]["status"], "live");
    assert_eq!(
        finding(&r, &refresh)["verification"]["status"],
        "unverifiable"
    );

    // --only-live keeps just the live one.
    let (r, _, _) = run(&server, &["scan", "-", "--only-live"], &text);
    let mut found = secrets(&r);
    found.sort();
    assert_eq!(found, vec![live, inst]);
}

#[test]
fn a_lockout_403_is_unknown_never_dead_and_stops_further_checks() {
    let mut server = Server::new();
    let (a, b, c) = (mint("ghp"), mint("gho"), mint("ghu"));
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&a))
        .with_status(401)
        .create();
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&b))
        .with_status(403)
        .with_body(
            r#"{"message":"Maximum number of login attempts exceeded. Please try again later."}"#,
        )
        .create();
    let untouched = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&c))
        .expect(0)
        .create();
    let (r, code, _) = run(&server, &["verify"], &format!("{a}\n{b}\n{c}\n"));
    assert_eq!(code, 1, "findings, none live");
    assert_eq!(finding(&r, &a)["verification"]["status"], "dead");
    assert_eq!(finding(&r, &b)["verification"]["status"], "unknown");
    assert_eq!(finding(&r, &c)["verification"]["status"], "unknown");
    untouched.assert();
}

#[test]
fn server_errors_are_retried_and_timeouts_are_unknown() {
    let mut server = Server::new();
    let tok = mint("ghp");
    let first = server
        .mock("GET", "/user")
        .with_status(502)
        .expect(1)
        .create();
    let then = server
        .mock("GET", "/user")
        .with_status(200)
        .with_body(r#"{"login":"x"}"#)
        .expect(1)
        .create();
    let (r, code, _) = run(&server, &["verify"], &tok);
    first.assert();
    then.assert();
    assert_eq!(code, 3);
    assert_eq!(finding(&r, &tok)["verification"]["status"], "live");

    // A server that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let out = patrol()
        .args([
            "verify",
            "--api-url",
            &url,
            "--api-timeout",
            "1",
            "--api-retries",
            "0",
            "-f",
            "json",
            "--show-secrets",
        ])
        .write_stdin(tok.clone())
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = &finding(&r, &tok)["verification"];
    assert_eq!(v["status"], "unknown");
    assert!(v["reason"].as_str().unwrap().contains("timed out"), "{v}");
    drop(silent);
}

#[test]
fn revoke_batches_2500_tokens_in_3_unauthenticated_requests_and_confirms_with_401() {
    let mut server = Server::new();
    let tokens: Vec<String> = (0..2500).map(|_| mint("ghp")).collect();
    let sizes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let revoke = server
        .mock("POST", "/credentials/revoke")
        .match_header("authorization", Matcher::Missing)
        .match_request(move |req| {
            let body: serde_json::Value = serde_json::from_slice(req.body().unwrap()).unwrap();
            seen.lock()
                .unwrap()
                .push(body["credentials"].as_array().unwrap().len());
            true
        })
        .with_status(202)
        .expect(3)
        .create();
    let recheck = server
        .mock("GET", "/user")
        .with_status(401)
        .expect(2500)
        .create();
    let (r, code, stderr) = run(&server, &["revoke", "--yes"], &tokens.join("\n"));
    revoke.assert();
    recheck.assert();
    let mut sizes = sizes.lock().unwrap().clone();
    sizes.sort();
    assert_eq!(sizes, vec![500, 1000, 1000]);
    assert_eq!(code, 0, "every token dead at the end: {stderr}");
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2500);
    assert!(
        findings
            .iter()
            .all(|f| f["revocation"]["status"] == "revoked")
    );
}

#[test]
fn revoke_outcomes_submitted_failed_not_revocable_and_installation_self_revoke() {
    let mut server = Server::new();
    let still_live = mint("ghp");
    let inst = mint("ghs");
    let legacy = mint("hex40");
    server
        .mock("POST", "/credentials/revoke")
        .with_status(500)
        .expect(1)
        .create();
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .expect(1)
        .create();
    server
        .mock("GET", "/user")
        .with_status(200)
        .with_body("{}")
        .create();
    let del = server
        .mock("DELETE", "/installation/token")
        .match_header("authorization", bearer(&inst))
        .with_status(204)
        .expect(1)
        .create();
    let audit = tempfile::NamedTempFile::new().unwrap();
    let text = format!("{still_live}\n{inst}\nGITHUB_TOKEN={legacy}\n");
    let (r, code, stderr) = run(
        &server,
        &[
            "revoke",
            "--yes",
            "--recheck-for",
            "0",
            "--audit-log",
            audit.path().to_str().unwrap(),
        ],
        &text,
    );
    del.assert();
    assert_eq!(code, 3, "the re-check found it still live: {stderr}");
    assert_eq!(
        finding(&r, &still_live)["revocation"]["status"],
        "submitted"
    );
    assert_eq!(finding(&r, &inst)["revocation"]["status"], "revoked");
    assert_eq!(
        finding(&r, &legacy)["revocation"]["status"],
        "not-revocable"
    );

    let log = std::fs::read_to_string(audit.path()).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["action"] == "revoke"
            && l["http_status"] == 204
            && l["outcome"] == "revoked")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["fingerprint"].as_str().unwrap().len() == 64 && l["time"].is_string())
    );
    for t in [&still_live, &inst, &legacy] {
        assert!(
            !log.contains(t.as_str()),
            "the audit log never holds a secret"
        );
    }

    // A 422 is final: the token is `failed` and the exit code says so.
    let mut server = Server::new();
    let tok = mint("gho");
    server
        .mock("POST", "/credentials/revoke")
        .with_status(422)
        .with_body(r#"{"message":"Validation failed, or the endpoint has been spammed."}"#)
        .expect(1)
        .create();
    let (r, code, _) = run(&server, &["revoke", "--yes"], &tok);
    assert_eq!(code, 4);
    let rev = &finding(&r, &tok)["revocation"];
    assert_eq!(rev["status"], "failed");
    assert!(rev["reason"].as_str().unwrap().contains("422"));
}

#[test]
fn a_revocation_that_times_out_is_failed_and_exits_4() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let tok = mint("ghp");
    let out = patrol()
        .args([
            "revoke",
            "--yes",
            "--api-url",
            &url,
            "--api-timeout",
            "1",
            "--api-retries",
            "1",
        ])
        .args(["-f", "json", "--show-secrets"])
        .write_stdin(tok.clone())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rev = &finding(&r, &tok)["revocation"];
    assert_eq!(rev["status"], "failed");
    assert!(
        rev["reason"].as_str().unwrap().contains("timed out"),
        "{rev}"
    );
    drop(silent);
}

#[test]
fn without_yes_and_without_a_terminal_nothing_is_sent() {
    let mut server = Server::new();
    let any = server.mock("POST", Matcher::Any).expect(0).create();
    let get = server.mock("GET", Matcher::Any).expect(0).create();
    let tok = mint("ghp");
    let (r, code, stderr) = run(&server, &["revoke"], &tok);
    any.assert();
    get.assert();
    assert_eq!(code, 1);
    assert!(stderr.contains("nothing was revoked"), "{stderr}");
    assert!(finding(&r, &tok)["revocation"].is_null());

    let (r, _, stderr) = run(&server, &["revoke", "--yes", "--dry-run"], &tok);
    any.assert();
    assert!(stderr.contains("dry run"), "{stderr}");
    assert_eq!(finding(&r, &tok)["revocation"]["status"], "planned");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_sending() {
    patrol()
        .args(["verify", "--api-url", "http://api.github.com"])
        .write_stdin(mint("ghp"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("HTTPS is required"));
}

/// A plain listener on 127.0.0.1 that counts every connection made to it (and closes it).
fn counting_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (url, count)
}

#[test]
fn nothing_is_sent_without_a_network_flag() {
    use std::sync::atomic::Ordering;
    let (url, connections) = counting_listener();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tok = mint("ghp");
    write(d, "a.env", format!("GH_TOKEN={tok}\n"));
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.hooksPath=/dev/null",
            ])
            .args(args)
            .current_dir(d)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "a.env"]);
    git(&["commit", "-q", "-m", "add"]);
    write(d, "b.env", format!("GH_TOKEN={}\n", mint("ghp")));
    git(&["add", "b.env"]);
    let runs: &[&[&str]] = &[
        &["scan", "."],
        &["scan", "-", "--steps"],
        &["git", "."],
        &["staged", "."],
        &["logs", "a.env"],
        &["incident", "--dry-run", "a.env"],
        &["verify", "--dry-run"],
        &["revoke"],
        &["revoke", "--yes", "--dry-run"],
    ];
    for args in runs {
        let out = patrol()
            .current_dir(d)
            .args(*args)
            .args([
                "--api-url",
                &url,
                "--api-timeout",
                "1",
                "--api-retries",
                "0",
            ])
            .write_stdin(format!("pasted {tok}\n"))
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(2), "patrol {args:?}: {out:?}");
    }
    // Commands without --api-url.
    patrol()
        .current_dir(d)
        .args(["baseline", "."])
        .assert()
        .success();
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a command without a network flag connected"
    );
    // The listener does count: a run that is allowed to connect does.
    let _ = patrol()
        .args([
            "verify",
            "--api-url",
            &url,
            "--api-timeout",
            "1",
            "--api-retries",
            "0",
        ])
        .write_stdin(tok.clone())
        .output()
        .unwrap();
    assert!(connections.load(Ordering::SeqCst) > 0);
}

#[test]
fn an_unwritable_output_is_refused_before_any_revocation() {
    use std::sync::atomic::Ordering;
    let (url, connections) = counting_listener();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("no-such-dir").join("report.json");
    let out = patrol()
        .args(["revoke", "--yes", "--api-url", &url, "--api-retries", "0"])
        .args(["--api-timeout", "1", "-o", report.to_str().unwrap()])
        .write_stdin(mint("ghp"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "a request was sent");
}

#[test]
fn a_failed_log_deletion_keeps_the_findings_exit_code() {
    use std::io::Write;
    let mut api = Server::new();
    let tok = mint("gho");
    let mut zip = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zip);
        z.start_file("0_build.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(format!("echo {tok}\n").as_bytes()).unwrap();
        z.finish().unwrap();
    }
    api.mock("GET", "/repos/acme/app/actions/runs/7")
        .with_body(
            r#"{"id":7,"name":"CI","html_url":"https://github.com/acme/app/actions/runs/7"}"#,
        )
        .create();
    api.mock("GET", "/repos/acme/app/actions/runs/7/logs")
        .with_body(zip.into_inner())
        .create();
    let delete = api
        .mock("DELETE", "/repos/acme/app/actions/runs/7/logs")
        .with_status(403)
        .with_body(r#"{"message":"Must have admin rights"}"#)
        .create();
    let out = patrol()
        .env("GH_TOKEN", "test-api-token-not-a-github-token")
        .env_remove("GITHUB_TOKEN")
        .args([
            "logs",
            "--github",
            "acme/app",
            "--run",
            "7",
            "--api-url",
            &api.url(),
        ])
        .args([
            "--api-retries",
            "0",
            "--delete-leaking-logs",
            "--yes",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    delete.assert();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not be deleted"), "{stderr}");
}

#[test]
fn no_full_secret_in_output_of_respond_flows() {
    let mut server = Server::new();
    let tok = mint("ghp");
    server
        .mock("GET", "/user")
        .with_status(200)
        .with_body(r#"{"login":"octocat"}"#)
        .expect(2)
        .create();
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .create();
    let audit = tempfile::NamedTempFile::new().unwrap();
    let out = patrol()
        .args([
            "incident",
            "--yes",
            "--recheck-for",
            "0",
            "--api-interval",
            "0",
            "--api-url",
            &server.url(),
        ])
        .args(["--audit-log", audit.path().to_str().unwrap()])
        .write_stdin(format!(
            "{{\"messages\":[{{\"text\":\"here you go: {tok}\"}}]}}"
        ))
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(&tok), "{all}");
    assert!(
        !std::fs::read_to_string(audit.path())
            .unwrap()
            .contains(&tok)
    );
    assert!(all.contains("What was done"), "{all}");
    assert!(
        all.contains("Replace ghp_"),
        "replacement steps follow a revocation: {all}"
    );
    assert_eq!(out.status.code(), Some(3), "it was live when found");
}

#[test]
fn steps_are_kind_specific_and_host_aware() {
    patrol()
        .args(["steps", "classic-pat"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "https://github.com/settings/tokens/new?scopes=",
        ))
        .stdout(predicate::str::contains("Configure SSO"))
        .stdout(predicate::str::contains(
            "Fine-grained tokens do not work with GitHub Packages",
        ));
    patrol()
        .args([
            "steps",
            "fine-grained-pat",
            "--api-url",
            "https://ghes.example.com/api/v3",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "https://ghes.example.com/settings/personal-access-tokens/new",
        ));
    patrol()
        .args(["steps", "installation"])
        .assert()
        .success()
        .stdout(predicate::str::contains("expires within the hour"));
    patrol().args(["steps", "nonsense"]).assert().code(2);

    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path(), "env.deploy");
    patrol()
        .args(["scan", "--steps", dir.path().to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("env.deploy:4"))
        .stderr(predicate::str::contains("docker login ghcr.io"));
}

/// `patrol ARGS` against `server` with a short re-check: what the JSON report says, the exit
/// code and everything printed.
fn respond_run(server: &Server, args: &[&str], stdin: &str) -> (serde_json::Value, i32, String) {
    let out = patrol()
        .args(args)
        .args(["--api-url", &server.url(), "--api-interval", "0"])
        .args(["--api-retries", "0", "--recheck-for", "0", "-f", "json"])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (report, out.status.code().unwrap_or(-1), all)
}

fn state_of(report: &serde_json::Value, secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let fp: String = Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fp)
        .map(|f| f["state"]["text"].as_str().unwrap_or("none").to_string())
        .unwrap_or_default()
}

#[test]
fn an_sso_403_is_live_not_authorised_never_the_lockout_and_later_checks_go_on() {
    let mut server = Server::new();
    let (sso, next, dead) = (mint("ghp"), mint("gho"), mint("ghu"));
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&sso))
        .with_status(403)
        .with_header(
            "x-github-sso",
            "required; url=https://github.com/orgs/acme/sso?authorization_request=A1b2",
        )
        .with_body(r#"{"message":"Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization."}"#)
        .expect(1)
        .create();
    let later = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&next))
        .with_status(200)
        .with_body(r#"{"login":"octocat"}"#)
        .expect(1)
        .create();
    let last = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&dead))
        .with_status(401)
        .expect(1)
        .create();
    let (r, code, all) = respond_run(
        &server,
        &["verify", "--blast-radius-limit", "0"],
        &format!("{sso}\n{next}\n{dead}\n"),
    );
    later.assert();
    last.assert();
    assert_eq!(code, 3, "{all}");
    let f = &r["findings"][0];
    assert_eq!(f["verification"]["status"], "live", "{f}");
    assert_eq!(f["verification"]["not_authorized_for"], "acme");
    assert!(f["verification"]["lockout"].is_null());
    assert_eq!(state_of(&r, &next), "live");
    assert_eq!(state_of(&r, &dead), "dead (before)");
    assert!(
        !all.contains("A1b2"),
        "the SSO authorisation link is not kept"
    );
}

#[test]
fn states_before_and_after_and_the_exit_codes_of_revoke_and_incident() {
    // Dead before: nothing is revoked, and every token is dead at the end: 0.
    let mut server = Server::new();
    let dead = mint("ghp");
    server.mock("GET", "/user").with_status(401).create();
    let post = server
        .mock("POST", "/credentials/revoke")
        .expect(0)
        .create();
    let (r, code, all) = respond_run(&server, &["incident", "--yes"], &dead);
    post.assert();
    assert_eq!(code, 0, "{all}");
    assert_eq!(state_of(&r, &dead), "dead (before)");
    assert!(all.contains("dead (before)"), "the summary says it: {all}");

    // Still live after the re-check: submitted, 3, and the JSON keeps both states.
    let mut server = Server::new();
    let live = mint("ghp");
    server
        .mock("GET", "/user")
        .with_status(200)
        .with_body(r#"{"login":"octocat"}"#)
        .create();
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .create();
    let (r, code, all) = respond_run(
        &server,
        &["incident", "--yes", "--blast-radius-limit", "0"],
        &live,
    );
    assert_eq!(code, 3, "{all}");
    assert_eq!(state_of(&r, &live), "live → still live (submitted)");
    let f = &r["findings"][0];
    assert_eq!(f["state"]["before"], "live");
    assert_eq!(f["revocation"]["status"], "submitted");
    assert!(all.contains("live → still live (submitted)"), "{all}");

    // `revoke` of tokens it never checked before: `not checked → revoked`, 0.
    let mut server = Server::new();
    let tok = mint("github_pat");
    server.mock("GET", "/user").with_status(401).create();
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .create();
    let (r, code, _) = respond_run(&server, &["revoke", "--yes"], &tok);
    assert_eq!(code, 0);
    assert_eq!(state_of(&r, &tok), "not checked → revoked");

    // `scan --revoke` keeps the findings code.
    let (_, code, _) = respond_run(&server, &["scan", "-", "--revoke", "--yes"], &tok);
    assert_eq!(code, 1);

    // A failed revocation: 4, even beside a live token.
    let mut server = Server::new();
    server
        .mock("POST", "/credentials/revoke")
        .with_status(422)
        .create();
    server
        .mock("GET", "/user")
        .with_status(200)
        .with_body("{}")
        .create();
    let (r, code, _) = respond_run(
        &server,
        &["incident", "--yes", "--blast-radius-limit", "0"],
        &tok,
    );
    assert_eq!(code, 4);
    assert_eq!(state_of(&r, &tok), "live → still live (revocation failed)");
}

#[test]
fn a_lockout_during_an_incident_is_unknown_lockout_never_dead_nor_done() {
    let mut server = Server::new();
    let (a, b, c) = (mint("ghp"), mint("gho"), mint("ghu"));
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&a))
        .with_status(401)
        .create();
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&b))
        .with_status(403)
        .with_body(
            r#"{"message":"Maximum number of login attempts exceeded. Please try again later."}"#,
        )
        .expect(1)
        .create();
    let untouched = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&c))
        .expect(0)
        .create();
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .expect(1)
        .create();
    let (r, code, all) = respond_run(&server, &["incident", "--yes"], &format!("{a}\n{b}\n{c}\n"));
    untouched.assert();
    assert_eq!(code, 1, "not known to be dead, not known to be live: {all}");
    assert_eq!(state_of(&r, &a), "dead (before)");
    assert_eq!(
        state_of(&r, &b),
        "unknown (lockout) → unknown (lockout, submitted)"
    );
    assert_eq!(
        state_of(&r, &c),
        "unknown (lockout) → unknown (lockout, submitted)"
    );
    assert_eq!(r["findings"][2]["verification"]["lockout"], true);
}

#[test]
fn a_server_echoing_the_token_in_its_message_is_printed_and_kept_redacted() {
    let mut server = Server::new();
    let tok = mint("ghp");
    server
        .mock("POST", "/credentials/revoke")
        .with_status(422)
        .with_body(format!(
            r#"{{"message":"credential {tok} could not be revoked"}}"#
        ))
        .expect(1)
        .create();
    let audit = tempfile::NamedTempFile::new().unwrap();
    let out = patrol()
        .args(["revoke", "--yes", "--api-url", &server.url()])
        .args(["--api-interval", "0", "-f", "json"])
        .args(["--audit-log", audit.path().to_str().unwrap()])
        .write_stdin(tok.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(audit.path()).unwrap();
    for (what, text) in [("stdout", &*stdout), ("stderr", &*stderr), ("audit", &log)] {
        assert!(!text.contains(&tok), "{what} holds the token: {text}");
    }
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let reason = r["findings"][0]["revocation"]["reason"].as_str().unwrap();
    assert!(reason.contains("could not be revoked"), "{reason}");
    assert!(reason.contains(&tok[..8]), "{reason}");
}
