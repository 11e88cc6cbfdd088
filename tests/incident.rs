//! Blast radius and the incident record: the real binary against a stand-in GitHub API on
//! 127.0.0.1 (mockito) answering in the shapes of GitHub's REST documentation (`GET /user`
//! with `X-OAuth-Scopes` and `GitHub-Authentication-Token-Expiration`, `GET /user/orgs`,
//! `GET /user/repos` with `permissions` and `Link` pagination, `X-GitHub-SSO`,
//! `GET /installation/repositories`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use mockito::{Matcher, Mock, Server};
use serde_json::{Value, json};

fn bearer(tok: &str) -> Matcher {
    Matcher::Exact(format!("Bearer {tok}"))
}

fn repo(full_name: &str, private: bool, admin: bool, push: bool) -> Value {
    let owner = full_name.split('/').next().unwrap_or_default();
    json!({
        "full_name": full_name,
        "private": private,
        "owner": {"login": owner, "type": "Organization"},
        "permissions": {"admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true}
    })
}

/// `GET PATH?page=N` for `tok`, answering `body` (with a `Link` to the next page when `next`).
fn page(
    server: &mut Server,
    path: &str,
    tok: &str,
    n: u32,
    next: Option<u32>,
    body: Value,
) -> Mock {
    let mut m = server
        .mock("GET", path)
        .match_header("authorization", bearer(tok))
        .match_query(Matcher::UrlEncoded("page".into(), n.to_string()))
        .with_status(200)
        .with_body(body.to_string());
    if let Some(last) = next {
        let url = server.url();
        m = m.with_header(
            "link",
            &format!(
                "<{url}{path}?per_page=100&page={}>; rel=\"next\", <{url}{path}?per_page=100&page={last}>; rel=\"last\"",
                n + 1
            ),
        );
    }
    m.create()
}

fn user(server: &mut Server, tok: &str, login: &str, scopes: Option<&str>) -> Mock {
    let mut m = server
        .mock("GET", "/user")
        .match_header("authorization", bearer(tok))
        .with_status(200)
        .with_body(json!({"login": login, "id": 1, "type": "User"}).to_string());
    if let Some(s) = scopes {
        m = m.with_header("x-oauth-scopes", s);
    }
    m.create()
}

fn orgs(server: &mut Server, tok: &str, body: Value, sso_partial: Option<&str>) -> Mock {
    let mut m = server
        .mock("GET", "/user/orgs")
        .match_header("authorization", bearer(tok))
        .match_query(Matcher::Any)
        .with_status(200)
        .with_body(body.to_string());
    if let Some(ids) = sso_partial {
        m = m.with_header(
            "x-github-sso",
            &format!("partial-results; organizations={ids}"),
        );
    }
    m.create()
}

fn run(server: &Server, args: &[&str], stdin: &str) -> std::process::Output {
    patrol()
        .args(args)
        .args([
            "--api-url",
            &server.url(),
            "--api-interval",
            "0",
            "--api-retries",
            "0",
        ])
        .write_stdin(stdin.to_string())
        .output()
        .unwrap()
}

fn all_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The finding with this fingerprint (reports hold no full secret).
fn by_fingerprint<'a>(report: &'a Value, fingerprint: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fingerprint)
        .expect("finding")
}

fn fingerprint(tok: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(tok.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn blast_radius_of_live_tokens_of_every_kind_in_every_format_and_the_audit_log() {
    let mut server = Server::new();
    let classic = mint("ghp");
    let fine = mint("github_pat");
    let oauth = mint("gho");
    let app_user = mint("ghu");
    let inst = mint("ghs");

    // Classic: repo scope, two organisations and one SSO organisation left out, two pages.
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&classic))
        .with_status(200)
        .with_header("x-oauth-scopes", "repo, read:org")
        .with_header(
            "github-authentication-token-expiration",
            "2026-12-31 23:59:59 UTC",
        )
        .with_body(r#"{"login":"octocat","id":1,"type":"User"}"#)
        .create();
    orgs(
        &mut server,
        &classic,
        json!([{"login": "acme", "id": 1}, {"login": "beta", "id": 2}]),
        None,
    );
    let p1 = page(
        &mut server,
        "/user/repos",
        &classic,
        1,
        Some(2),
        json!([
            repo("octocat/notes", false, false, false),
            repo("acme/api", true, false, true),
            repo("acme/infra", true, true, true),
        ]),
    );
    let p2 = server
        .mock("GET", "/user/repos")
        .match_header("authorization", bearer(&classic))
        .match_query(Matcher::UrlEncoded("page".into(), "2".into()))
        .with_status(200)
        .with_header("x-github-sso", "partial-results; organizations=77")
        .with_body(
            json!([
                repo("beta/web", true, false, false),
                repo("beta/docs", false, false, false)
            ])
            .to_string(),
        )
        .create();

    // Fine-grained: every repository it lists belongs to one resource owner.
    user(&mut server, &fine, "dev", None);
    orgs(&mut server, &fine, json!([]), None);
    page(
        &mut server,
        "/user/repos",
        &fine,
        1,
        None,
        json!([
            repo("acme-corp/app", true, false, true),
            repo("acme-corp/lib", true, false, false)
        ]),
    );

    // OAuth with a read-only scope: the account's admin role does not make the token admin.
    user(&mut server, &oauth, "octocat", Some("read:user"));
    orgs(&mut server, &oauth, json!([]), None);
    page(
        &mut server,
        "/user/repos",
        &oauth,
        1,
        None,
        json!([repo("octocat/site", false, true, true)]),
    );

    // App user token: reads private code only.
    user(&mut server, &app_user, "octocat", None);
    orgs(&mut server, &app_user, json!([]), None);
    page(
        &mut server,
        "/user/repos",
        &app_user,
        1,
        None,
        json!([repo("acme/secret", true, false, false)]),
    );

    // Installation: the verification's answer is the first page; a second follows.
    server
        .mock("GET", "/installation/repositories")
        .match_header("authorization", bearer(&inst))
        .match_query(Matcher::Exact("per_page=100".into()))
        .with_status(200)
        .with_header(
            "link",
            &format!(
                "<{}/installation/repositories?per_page=100&page=2>; rel=\"next\"",
                server.url()
            ),
        )
        .with_body(
            json!({"total_count": 3, "repository_selection": "selected",
                   "repositories": [repo("acme/deploy", true, false, true),
                                    repo("acme/site", false, false, false)]})
            .to_string(),
        )
        .create();
    let inst2 = page(
        &mut server,
        "/installation/repositories",
        &inst,
        2,
        None,
        json!({"total_count": 3, "repository_selection": "selected",
               "repositories": [repo("acme/tools", true, false, true)]}),
    );

    let text = format!("{classic}\n{fine}\n{oauth}\n{app_user}\n{inst}\n");
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let out = run(
        &server,
        &[
            "verify",
            "-f",
            "json",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
        &text,
    );
    assert_eq!(out.status.code(), Some(3), "{}", all_text(&out));
    p1.assert();
    p2.assert();
    inst2.assert();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();

    let b = &by_fingerprint(&r, &fingerprint(&classic))["blast_radius"];
    assert_eq!(b["severity"], "critical", "{b}");
    assert_eq!(b["owner"], json!({"login": "octocat", "type": "User"}));
    assert_eq!(b["scopes"], json!(["repo", "read:org"]));
    assert_eq!(b["expires"], "2026-12-31 23:59:59 UTC");
    let repos = &b["repositories"];
    assert_eq!(repos["readable"], 5);
    assert_eq!(repos["private"], 3);
    assert_eq!(repos["pushable"], 2);
    assert_eq!(repos["admin"], 1);
    assert_eq!(repos["complete"], true);
    assert_eq!(repos["most_sensitive"][0]["name"], "acme/infra");
    assert_eq!(repos["most_sensitive"][0]["access"], "admin");
    assert_eq!(repos["most_sensitive"][1]["name"], "acme/api");
    let orgs = b["organizations"].as_array().unwrap();
    assert!(
        orgs.iter()
            .any(|o| o["login"] == "acme" && o["access"] == "reached")
    );
    assert!(
        orgs.iter()
            .any(|o| o["id"] == 77 && o["access"] == "sso-not-authorized"),
        "{orgs:?}"
    );

    let b = &by_fingerprint(&r, &fingerprint(&fine))["blast_radius"];
    assert_eq!(b["severity"], "high", "{b}");
    assert_eq!(b["resource_owner"], "acme-corp");
    assert!(b["scopes"].is_null());

    let b = &by_fingerprint(&r, &fingerprint(&oauth))["blast_radius"];
    assert_eq!(
        b["severity"], "low",
        "read:user cannot push or administer: {b}"
    );
    assert_eq!(b["repositories"]["admin"], 0);

    let b = &by_fingerprint(&r, &fingerprint(&app_user))["blast_radius"];
    assert_eq!(b["severity"], "medium", "{b}");

    let b = &by_fingerprint(&r, &fingerprint(&inst))["blast_radius"];
    assert_eq!(b["severity"], "high", "{b}");
    assert_eq!(b["installation"]["repository_selection"], "selected");
    assert_eq!(b["installation"]["total_count"], 3);
    assert_eq!(b["installation"]["permissions"]["push"], 2);
    assert_eq!(b["repositories"]["readable"], 3);
    assert_eq!(b["owner"]["login"], "acme");

    // The audit log has each blast radius, without a secret.
    let log = std::fs::read_to_string(&audit).unwrap();
    let radius: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["action"] == "blast-radius")
        .collect();
    assert_eq!(radius.len(), 5);
    assert!(
        radius
            .iter()
            .any(|l| l["outcome"] == "critical" && l["detail"]["repositories"]["admin"] == 1)
    );

    // Every other format carries it too.
    let out = run(&server, &["verify", "-f", "jsonl"], &text);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().any(|l| l["severity"] == "critical"));
    let out = run(&server, &["verify", "-f", "sarif"], &text);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|x| x["properties"]["severity"] == "critical"
                && x["properties"]["blastRadius"]["repositories"]["pushable"] == 2)
    );
    let out = run(
        &server,
        &["verify", "-f", "text", "--color", "never"],
        &text,
    );
    let shown = all_text(&out);
    assert!(
        shown.contains("blast radius: CRITICAL: User octocat; scopes repo, read:org"),
        "{shown}"
    );
    assert!(shown.contains("acme/infra (admin, private)"), "{shown}");
    assert!(
        shown.contains("id 77 (SAML SSO: not authorised)"),
        "{shown}"
    );

    for t in [&classic, &fine, &oauth, &app_user, &inst] {
        assert!(!log.contains(t.as_str()));
        assert!(!shown.contains(t.as_str()));
        assert!(!String::from_utf8_lossy(&out.stdout).contains(t.as_str()));
    }
}

#[test]
fn the_blast_radius_stops_at_its_request_limit_and_says_so() {
    let mut server = Server::new();
    let tok = mint("ghp");
    user(&mut server, &tok, "octocat", Some("repo"));
    orgs(&mut server, &tok, json!([]), None);
    page(
        &mut server,
        "/user/repos",
        &tok,
        1,
        Some(9),
        json!([repo("octocat/a", true, false, true)]),
    );
    let page2 = server
        .mock("GET", "/user/repos")
        .match_query(Matcher::UrlEncoded("page".into(), "2".into()))
        .expect(0)
        .create();
    let out = run(
        &server,
        &["verify", "-f", "json", "--blast-radius-limit", "2"],
        &tok,
    );
    page2.assert();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = &r["findings"][0]["blast_radius"];
    assert_eq!(b["requests"], 2);
    assert_eq!(b["repositories"]["complete"], false);
    assert_eq!(b["repositories"]["at_most"], 900);
    assert_eq!(b["severity"], "high");
    assert!(
        b["notes"][0]
            .as_str()
            .unwrap()
            .contains("--blast-radius-limit"),
        "{b}"
    );

    // 0 turns it off: only the verification is sent.
    let orgs_call = server.mock("GET", "/user/orgs").expect(0).create();
    let out = run(
        &server,
        &["verify", "-f", "json", "--blast-radius-limit", "0"],
        &tok,
    );
    orgs_call.assert();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["findings"][0]["blast_radius"].is_null());
    assert_eq!(r["findings"][0]["verification"]["status"], "live");
}

/// A stand-in `/user` that accepts `tok` for the first `live_for` checks, then rejects it.
/// (mockito tries every mock on each request: the first counts, the second reads the count.)
fn revoked_after(server: &mut Server, tok: &str, live_for: usize) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let is_tok = |t: String| {
        move |req: &mockito::Request| {
            req.header("authorization")
                .iter()
                .any(|h| h.to_str().ok() == Some(format!("Bearer {t}").as_str()))
        }
    };
    let (seen, mine) = (calls.clone(), is_tok(tok.to_string()));
    server
        .mock("GET", "/user")
        .match_request(move |req| mine(req) && seen.fetch_add(1, Ordering::SeqCst) < live_for)
        .with_status(200)
        .with_header("x-oauth-scopes", "repo, admin:org")
        .with_body(r#"{"login":"octocat","type":"User"}"#)
        .create();
    let (seen, mine) = (calls.clone(), is_tok(tok.to_string()));
    server
        .mock("GET", "/user")
        .match_request(move |req| mine(req) && seen.load(Ordering::SeqCst) > live_for)
        .with_status(401)
        .with_body(r#"{"message":"Bad credentials"}"#)
        .create();
    calls
}

#[test]
fn the_incident_record_tells_when_where_what_was_done_and_what_is_left_without_a_secret() {
    let mut server = Server::new();
    let live = mint("ghp");
    let dead = mint("gho");
    // Live at the verification and at the first re-check; revoked by the second.
    let calls = revoked_after(&mut server, &live, 2);
    orgs(
        &mut server,
        &live,
        json!([{"login": "acme", "id": 1}]),
        None,
    );
    page(
        &mut server,
        "/user/repos",
        &live,
        1,
        None,
        json!([repo("acme/infra", true, true, true)]),
    );
    server
        .mock("GET", "/user")
        .match_header("authorization", bearer(&dead))
        .with_status(401)
        .create();
    let post = server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .expect(1)
        .create();
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("incident.md");
    let input = dir.path().join("chat.txt");
    std::fs::write(&input, format!("here: {live}\nold: {dead}\n")).unwrap();
    let out = run(
        &server,
        &[
            "incident",
            "--yes",
            "--recheck-for",
            "3",
            "--record",
            md.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        "",
    );
    post.assert();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "verify, then two re-checks"
    );
    let shown = all_text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "every token dead at the end: {shown}"
    );
    assert!(shown.contains("[critical]: live → revoked"), "{shown}");
    assert!(shown.contains("dead (before)"), "{shown}");

    let record = std::fs::read_to_string(&md).unwrap();
    for needle in [
        "# Incident record",
        "| live → revoked |",
        "dead (before)",
        "chat.txt:1:7",
        "CRITICAL",
        "acme/infra (admin, private)",
        "| revoke | 202 | submitted |",
        "| recheck | 200 | live |",
        "| recheck | 401 | dead |",
        "| blast-radius |",
        "### Remaining manual steps",
        "- Found: 20",
    ] {
        assert!(record.contains(needle), "missing {needle:?} in:\n{record}");
    }
    // The critical token comes first.
    assert!(
        record.find("(classic-pat)") < record.find("(oauth)"),
        "{record}"
    );
    for t in [&live, &dead] {
        assert!(!record.contains(t.as_str()), "a secret in the record");
        assert!(!shown.contains(t.as_str()));
    }

    // -f json writes the same as data.
    let mut server = Server::new();
    revoked_after(&mut server, &live, 1);
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .create();
    let json_record = dir.path().join("incident.json");
    let out = run(
        &server,
        &[
            "incident",
            "--yes",
            "--recheck-for",
            "0",
            "-f",
            "json",
            "--record",
            json_record.to_str().unwrap(),
        ],
        &format!("{live}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    let text = std::fs::read_to_string(&json_record).unwrap();
    assert!(!text.contains(live.as_str()));
    let r: Value = serde_json::from_str(&text).unwrap();
    let t = &r["tokens"][0];
    assert_eq!(t["state"]["before"], "live");
    assert_eq!(t["state"]["after"], "revoked");
    assert_eq!(t["locations"][0]["path"], "-");
    assert!(t["found_at"].as_str().unwrap().ends_with("+00:00"));
    let actions: Vec<&str> = t["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["verify", "blast-radius", "revoke", "recheck"]);
    assert_eq!(t["actions"][2]["http_status"], 202);
    assert!(!t["remaining"].as_array().unwrap().is_empty());
}

#[test]
fn an_unwritable_record_is_refused_before_anything_is_sent() {
    let mut server = Server::new();
    let any = server.mock("GET", Matcher::Any).expect(0).create();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("missing").join("incident.md");
    let out = run(
        &server,
        &["incident", "--yes", "--record", record.to_str().unwrap()],
        &mint("ghp"),
    );
    any.assert();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
}

/// `patrol merge` keeps every field of a finding: a report with a blast radius and a state
/// before and after its revocation merges into itself unchanged, and merged with a report that
/// only found the same token it keeps them.
#[test]
fn merged_reports_keep_the_blast_radius_and_the_verification_before_a_revocation() {
    let mut server = Server::new();
    let live = mint("ghp");
    revoked_after(&mut server, &live, 1);
    orgs(
        &mut server,
        &live,
        json!([{"login": "acme", "id": 1}]),
        None,
    );
    page(
        &mut server,
        "/user/repos",
        &live,
        1,
        None,
        json!([repo("acme/infra", true, true, true)]),
    );
    server
        .mock("POST", "/credentials/revoke")
        .with_status(202)
        .create();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.txt", format!("token: {live}\n"));
    write(d, "b.txt", format!("again: {live}\n"));
    let (revoked, found) = (d.join("revoked.json"), d.join("found.json"));
    let out = run(
        &server,
        &[
            "scan",
            d.join("a.txt").to_str().unwrap(),
            "--verify",
            "--revoke",
            "--yes",
            "--recheck-for",
            "0",
            "-f",
            "json",
            "-o",
            revoked.to_str().unwrap(),
        ],
        "",
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&revoked).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", all_text(&out)));
    let input = &report["findings"][0];
    assert_eq!(input["blast_radius"]["severity"], "critical", "{report}");
    assert_eq!(input["verification_before"]["status"], "live", "{report}");
    assert_eq!(input["state"]["text"], "live → revoked", "{report}");
    patrol()
        .args(["scan", "b.txt", "-f", "json", "-o", "found.json"])
        .current_dir(d)
        .assert()
        .code(1);
    let merge = |inputs: &[&std::path::Path]| -> Value {
        let out = patrol()
            .arg("merge")
            .args(inputs)
            .args(["-f", "json"])
            .output()
            .unwrap();
        assert!(!all_text(&out).contains(live.as_str()), "a secret shown");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", all_text(&out)))
    };
    assert_eq!(merge(&[&revoked])["findings"], report["findings"]);
    for inputs in [[&revoked, &found], [&found, &revoked]] {
        let merged = merge(&inputs.map(|p| p.as_path()));
        let f = &merged["findings"][0];
        for key in [
            "verification",
            "revocation",
            "verification_before",
            "state",
            "blast_radius",
        ] {
            assert_eq!(f[key], input[key], "{key}");
        }
        assert_eq!(f["location_count"], 2);
    }
}
