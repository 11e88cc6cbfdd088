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
