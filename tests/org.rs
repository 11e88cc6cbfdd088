//! `patrol github` against a stand-in for GitHub's API on 127.0.0.1: organisation listings with
//! pagination and ETags, rate-limit headers, a renamed (301) and a deleted (404) repository,
//! Actions run listings and log archives, and clone URLs of bare repositories built here
//! (`file://`, or loopback HTTP from `git http-backend` demanding the token with Basic auth).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};

use common::api::{Api, Handler, Reply, Request, Tls, serve_on};
use common::{all_files, contains, git, mint, patrol};

// ---------------------------------------------------------------- git repositories

/// A repository `name` under `root`: a work tree `root/work/NAME` and its bare copy
/// `root/bare/NAME.git` (what is cloned).
struct Repo {
    work: PathBuf,
    bare: PathBuf,
}

impl Repo {
    fn new(root: &Path, name: &str, files: &[(&str, String)]) -> Repo {
        let work = root.join("work").join(name);
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q"]);
        let repo = Repo {
            work,
            bare: root.join("bare").join(format!("{name}.git")),
        };
        repo.commit(files, "first");
        std::fs::create_dir_all(repo.bare.parent().unwrap()).unwrap();
        git(
            root,
            &[
                "clone",
                "-q",
                "--bare",
                repo.work.to_str().unwrap(),
                repo.bare.to_str().unwrap(),
            ],
        );
        repo
    }

    fn commit(&self, files: &[(&str, String)], message: &str) {
        for (path, text) in files {
            common::write(&self.work, path, text);
        }
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "-q", "-m", message]);
    }

    /// Commits and pushes to the bare copy.
    fn push(&self, files: &[(&str, String)]) {
        self.commit(files, "more");
        git(
            &self.work,
            &["push", "-q", self.bare.to_str().unwrap(), "main"],
        );
    }

    fn file_url(&self) -> String {
        format!("file://{}", self.bare.display())
    }
}

/// Secrets committed to a repository, with filler files so a full scan reads several blobs.
fn files_with(secret: &str) -> Vec<(&'static str, String)> {
    vec![
        (".env", format!("GITHUB_TOKEN={secret}\n")),
        ("README.md", "# app\n".into()),
        ("src/main.rs", "fn main() {}\n".into()),
        ("src/lib.rs", "pub fn f() {}\n".into()),
    ]
}

fn repo_json(name: &str, url: &str, pushed_at: &str, fork: bool, archived: bool) -> String {
    serde_json::json!({
        "full_name": name, "clone_url": url, "default_branch": "main", "fork": fork,
        "archived": archived, "disabled": false, "has_wiki": false, "pushed_at": pushed_at,
    })
    .to_string()
}

const PAGE1: &str = "/orgs/acme/repos?type=all&per_page=100&page=1";
const PAGE2: &str = "/orgs/acme/repos?type=all&per_page=100&page=2";

/// `patrol github` against `api` with `token`, its cache and datastore in `dir`, JSON out.
fn github(api: &Api, dir: &Path, token: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = patrol();
    cmd.args(["github", "--api-url", &api.url, "--api-retries", "0"])
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .arg("--datastore")
        .arg(dir.join("state.db"))
        .args(extra)
        .args(["-f", "json", "--show-secrets"])
        .env("GH_TOKEN", token)
        .env_remove("GITHUB_TOKEN");
    cmd
}

fn run_github(api: &Api, dir: &Path, token: &str, extra: &[&str]) -> (serde_json::Value, i32) {
    let out = github(api, dir, token, extra).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (v, code)
}

fn secrets(report: &serde_json::Value) -> Vec<String> {
    let mut s = common::secrets(report);
    s.sort();
    s
}

fn repos_of(report: &serde_json::Value, secret: &str) -> Vec<String> {
    common::finding(report, secret)["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["repository"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn an_organisation_is_scanned_then_skipped_then_only_the_new_commit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (s_app, s_lib, s_new) = (mint("ghp"), mint("ghp"), mint("ghp"));
    let (s_fork, s_archived) = (mint("ghp"), mint("ghp"));
    let app = Repo::new(dir.path(), "app", &files_with(&s_app));
    let lib = Repo::new(dir.path(), "lib", &files_with(&s_lib));
    let fork = Repo::new(dir.path(), "fork", &files_with(&s_fork));
    let old = Repo::new(dir.path(), "old", &files_with(&s_archived));
    let api = Api::start();
    let page1 = |lib_pushed: &str| {
        format!(
            "[{},{}]",
            repo_json(
                "acme/app",
                &app.file_url(),
                "2026-01-01T00:00:00Z",
                false,
                false
            ),
            repo_json("acme/lib", &lib.file_url(), lib_pushed, false, false)
        )
    };
    let next = vec![(
        "link".to_string(),
        format!("<{}{PAGE2}>; rel=\"next\"", api.url),
    )];
    api.reply_with(PAGE1, 200, page1("2026-01-01T00:00:00Z"), next.clone());
    api.reply(
        PAGE2,
        200,
        format!(
            "[{},{}]",
            repo_json(
                "acme/fork",
                &fork.file_url(),
                "2026-01-01T00:00:00Z",
                true,
                false
            ),
            repo_json(
                "acme/old",
                &old.file_url(),
                "2026-01-01T00:00:00Z",
                false,
                true
            )
        ),
    );
    api.reply(
        "/repos/acme/renamed",
        301,
        format!(
            r#"{{"message":"Moved Permanently","url":"{}/repositories/42"}}"#,
            api.url
        ),
    );
    let args = [
        "--org",
        "acme",
        "--repo",
        "acme/renamed",
        "--repo",
        "acme/deleted",
    ];

    // First run: both repositories cloned and read; the fork and the archived one left out;
    // the renamed and the deleted one are errors naming them, and the run went on.
    let (r1, code) = run_github(&api, dir.path(), "tok", &args);
    assert_eq!(code, 1, "{r1}");
    assert_eq!(secrets(&r1), {
        let mut v = vec![s_app.clone(), s_lib.clone()];
        v.sort();
        v
    });
    assert_eq!(repos_of(&r1, &s_app), ["acme/app"]);
    assert_eq!(repos_of(&r1, &s_lib), ["acme/lib"]);
    let errors = r1["errors"].to_string();
    assert!(
        errors.contains("acme/renamed") && errors.contains("moved"),
        "{errors}"
    );
    assert!(
        errors.contains("acme/deleted") && errors.contains("not found"),
        "{errors}"
    );
    let stats = &r1["summary"]["repositories"];
    assert_eq!(stats["selected"], 2);
    assert_eq!(stats["fetched"], 2);
    assert_eq!(stats["scanned"], 2);
    let first_files = r1["summary"]["files"].as_u64().unwrap();
    assert!(first_files >= 8, "{}", r1["summary"]);
    let listed = api.requests();
    assert!(
        listed.iter().any(|(t, _, _)| t == PAGE2),
        "pagination followed"
    );

    // Nothing changed: listings answered 304 thanks to their ETags, nothing fetched, no blob
    // read, and the findings still reported from the datastore.
    let (r2, code) = run_github(&api, dir.path(), "tok", &args[..2]);
    assert_eq!(code, 1, "{r2}");
    assert_eq!(secrets(&r2).len(), 2);
    let stats = &r2["summary"]["repositories"];
    assert_eq!(stats["fetched"], 0, "{stats}");
    assert_eq!(stats["skipped"], 2, "{stats}");
    assert_eq!(r2["summary"]["files"], 0);
    assert_eq!(r2["summary"]["bytes"], 0);
    let listed = api.requests();
    assert!(
        listed
            .iter()
            .filter(|(t, _, _)| t.starts_with("/orgs/"))
            .all(|(_, inm, status)| inm.is_some() && *status == 304),
        "{listed:?}"
    );
    assert_eq!(stats["listing_not_modified"], 2);

    // One new commit in one repository: only it is fetched, and only its new blob is read.
    lib.push(&[("deploy.sh", format!("export GH_TOKEN={s_new}\n"))]);
    api.reply_with(PAGE1, 200, page1("2026-02-01T00:00:00Z"), next);
    let (r3, code) = run_github(&api, dir.path(), "tok", &args[..2]);
    assert_eq!(code, 1, "{r3}");
    assert_eq!(secrets(&r3).len(), 3);
    assert_eq!(repos_of(&r3, &s_new), ["acme/lib"]);
    let stats = &r3["summary"]["repositories"];
    assert_eq!(
        (stats["fetched"].as_u64(), stats["scanned"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(stats["skipped"], 1);
    // The new blob (and the commit's message), not the repository's history again.
    assert!(
        r3["summary"]["files"].as_u64().unwrap() <= 2,
        "{}",
        r3["summary"]
    );

    // --new: only what this run saw first (nothing, now).
    let (r4, code) = run_github(&api, dir.path(), "tok", &["--org", "acme", "--new"]);
    assert_eq!((code, secrets(&r4).len()), (0, 0), "{r4}");

    // The datastore reports what it holds, without the secrets (never stored).
    let out = patrol()
        .args(["report", "--datastore"])
        .arg(dir.path().join("state.db"))
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stored["findings"].as_array().unwrap().len(), 3);
    let text = String::from_utf8_lossy(&out.stdout);
    for s in [&s_app, &s_lib, &s_new] {
        assert!(!text.contains(s.as_str()));
        // Shown as a scan report shows it (prefix and four characters), not shortened twice.
        let shown = format!("{}…", &s[..8]);
        assert!(
            stored["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["secret"] == shown.as_str()),
            "{shown} in {text}"
        );
    }
    let sarif = patrol()
        .args(["report", "-f", "sarif", "--datastore"])
        .arg(dir.path().join("state.db"))
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
}

// ---------------------------------------------------------------- git over HTTP with Basic auth

/// Serves the bare repositories under `root` with `git http-backend` (CGI), demanding
/// `token` as the Basic-auth password. Returns the URL and the Authorization headers seen.
fn git_http(root: PathBuf, token: String) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let (url, seen, _) = git_http_on(root, token, None);
    (url, seen)
}

/// Negotiation requests (`POST …/git-upload-pack` bodies) a git server received.
type Posted = Arc<Mutex<Vec<Vec<u8>>>>;

/// [`git_http`], over TLS with `tls`'s certificate when given; also returns the negotiation
/// requests it received.
fn git_http_on(
    root: PathBuf,
    token: String,
    tls: Option<&Tls>,
) -> (String, Arc<Mutex<Vec<Option<String>>>>, Posted) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let posted: Posted = Arc::new(Mutex::new(Vec::new()));
    let (s, p) = (seen.clone(), posted.clone());
    let handler: Handler = Arc::new(move |req: &Request| {
        let auth = req.headers.get("authorization").cloned();
        s.lock().unwrap().push(auth.clone());
        if req.method == "POST" {
            p.lock().unwrap().push(req.body.clone());
        }
        let ok = auth
            .as_deref()
            .and_then(|a| a.strip_prefix("Basic "))
            .and_then(|b| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(b).ok()
            })
            .and_then(|d| String::from_utf8(d).ok())
            .is_some_and(|cred| cred.split_once(':').is_some_and(|(_, pw)| pw == token));
        if !ok {
            return Reply {
                status: 401,
                headers: vec![("www-authenticate".into(), "Basic realm=\"git\"".into())],
                body: Vec::new(),
            };
        }
        let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
        let mut child = std::process::Command::new("git")
            .arg("http-backend")
            .env("GIT_PROJECT_ROOT", &root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &req.method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env(
                "CONTENT_TYPE",
                req.headers.get("content-type").cloned().unwrap_or_default(),
            )
            .env("CONTENT_LENGTH", req.body.len().to_string())
            .env("REMOTE_USER", "x")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&req.body).unwrap();
        let out = child.wait_with_output().unwrap();
        let split = out
            .stdout
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| {
                out.stdout
                    .windows(2)
                    .position(|w| w == b"\n\n")
                    .map(|i| (i, 2))
            })
            .unwrap();
        let head = String::from_utf8_lossy(&out.stdout[..split.0]).to_string();
        let mut reply = Reply {
            status: 200,
            headers: Vec::new(),
            body: out.stdout[split.0 + split.1..].to_vec(),
        };
        for line in head.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.eq_ignore_ascii_case("status") {
                reply.status = v.trim()[..3].parse().unwrap();
            } else {
                reply
                    .headers
                    .push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        reply
    });
    (serve_on(handler, tls), seen, posted)
}

#[test]
fn a_clone_over_http_gets_the_token_through_the_credential_callback_and_never_stores_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = mint("ghp");
    let app = Repo::new(dir.path(), "app", &files_with(&secret));
    let token = format!("tok-{}", mint("ghp"));
    let (git_url, seen) = git_http(dir.path().join("bare"), token.clone());
    let _ = app;
    let api = Api::start();
    api.reply(
        PAGE1,
        200,
        format!(
            "[{}]",
            repo_json(
                "acme/app",
                &format!("{git_url}/app.git"),
                "2026-01-01T00:00:00Z",
                false,
                false
            )
        ),
    );
    let (report, code) = run_github(&api, dir.path(), &token, &["--org", "acme"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(secrets(&report), std::slice::from_ref(&secret));
    // The server asked (401) and the credential callback answered with the token.
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().any(Option::is_none), "{seen:?}");
    assert!(seen.iter().any(Option::is_some), "{seen:?}");
    // Not in the mirror (config, refs, packs, logs), not in the datastore.
    let mut files = Vec::new();
    all_files(&dir.path().join("cache"), &mut files);
    files.push((
        dir.path().join("state.db"),
        std::fs::read(dir.path().join("state.db")).unwrap(),
    ));
    assert!(files.len() > 3);
    for (path, bytes) in &files {
        assert!(
            !contains(bytes, token.as_bytes()),
            "token in {}",
            path.display()
        );
    }

    // A wrong token: the clone fails, the error names the repository, the scan is incomplete.
    let other = tempfile::tempdir().unwrap();
    let (report, code) = run_github(&api, other.path(), "wrong", &["--org", "acme"]);
    assert_eq!(code, 5, "{report}");
    assert!(
        report["errors"].to_string().contains("acme/app"),
        "{report}"
    );
}

// ---------------------------------------------------------------- the progress bar

/// Runs `cmd` with its standard error on a new pseudo-terminal (200 columns, `TERM=xterm`), as
/// a person at a terminal would; returns its stdout and everything drawn on the terminal.
fn on_a_terminal(mut cmd: std::process::Command) -> (Vec<u8>, String) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors, owned from here on.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty");
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    };
    cmd.stderr(std::process::Stdio::from(slave))
        .stdout(std::process::Stdio::piped())
        .env("TERM", "xterm");
    let child = cmd.spawn().unwrap();
    drop(cmd); // our copy of the terminal's end: reading stops when the child's closes
    let reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = master.read(&mut buf) {
            drawn.extend_from_slice(&buf[..n]);
        }
        drawn
    });
    let out = child.wait_with_output().unwrap();
    let drawn = reader.join().unwrap();
    (out.stdout, String::from_utf8_lossy(&drawn).into_owned())
}

#[test]
fn the_progress_bar_shows_repositories_bytes_fetched_objects_and_findings_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secrets_planted = [mint("ghp"), mint("ghp")];
    let token = format!("tok-{}", mint("ghp"));
    let (git_url, _) = git_http(dir.path().join("bare"), token.clone());
    let api = Api::start();
    let mut listing = Vec::new();
    for (i, secret) in secrets_planted.iter().enumerate() {
        let name = format!("app{i}");
        Repo::new(dir.path(), &name, &files_with(secret));
        listing.push(repo_json(
            &format!("acme/{name}"),
            &format!("{git_url}/{name}.git"),
            "2026-01-01T00:00:00Z",
            false,
            false,
        ));
    }
    api.reply(PAGE1, 200, format!("[{}]", listing.join(",")));
    let run = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_patrol"));
        cmd.args(["github", "--org", "acme", "--api-url", &api.url])
            .arg("--cache-dir")
            .arg(dir.path().join("cache"))
            .arg("--datastore")
            .arg(dir.path().join("state.db"))
            .args(["-f", "json"])
            .args(extra)
            .env("GH_TOKEN", &token)
            .env_remove("GITHUB_TOKEN")
            .env_remove("NO_COLOR");
        on_a_terminal(cmd)
    };

    let (stdout, drawn) = run(&[]);
    let report: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let summary = &report["summary"];
    let fetched = summary["repositories"]["bytes_fetched"].as_u64().unwrap();
    let objects = summary["files"].as_u64().unwrap();
    assert!(fetched > 0 && objects >= 8, "{summary}");
    // The last repository done draws the final figures: 2 of 2, every byte fetched, every
    // object scanned, both findings.
    let expected = format!(
        "2/2 repositories  {} fetched  {objects} objects  ",
        patrol::diagnostics::human_bytes(fetched)
    );
    let last = drawn
        .split(['\r', '\n'])
        .find(|l| l.contains(&expected))
        .unwrap_or_else(|| panic!("no {expected:?} in {drawn:?}"));
    assert!(last.trim_end().ends_with(" 2 found"), "{last:?}");
    for secret in secrets_planted.iter().chain([&token]) {
        assert!(!drawn.contains(secret.as_str()), "secret on the terminal");
        assert!(
            !drawn.contains(&secret[4..14]),
            "part of a secret on the terminal"
        );
    }

    // `-q`: nothing drawn.
    let (_, drawn) = run(&["-q", "--full"]);
    assert!(!drawn.contains("repositories"), "{drawn:?}");
}

// ---------------------------------------------------------------- git over HTTPS (TLS)

/// The organisation `acme` with one repository, `acme/app`, cloned from `clone_url`.
fn one_repository(api: &Api, clone_url: &str, pushed_at: &str) {
    api.reply(
        PAGE1,
        200,
        format!(
            "[{}]",
            repo_json("acme/app", clone_url, pushed_at, false, false)
        ),
    );
}

/// `patrol github --org acme` trusting the test CA (or the system's roots only, with `None`):
/// the report, the exit code, and stdout and stderr.
fn run_tls(
    api: &Api,
    dir: &Path,
    token: &str,
    ca_file: Option<&Path>,
) -> (serde_json::Value, i32, Vec<u8>) {
    let mut cmd = github(api, dir, token, &["--org", "acme"]);
    cmd.env_remove("SSL_CERT_DIR").env_remove("SSL_CERT_FILE");
    if let Some(ca) = ca_file {
        cmd.env("SSL_CERT_FILE", ca);
    }
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let printed = [out.stdout, out.stderr].concat();
    (report, out.status.code().unwrap_or(-1), printed)
}

/// Every file under `dir` and the datastore `dir/state.db`, none of which may hold `token`.
fn assert_not_stored(dir: &Path, token: &str) {
    let mut files = Vec::new();
    all_files(&dir.join("cache"), &mut files);
    files.push((
        dir.join("state.db"),
        std::fs::read(dir.join("state.db")).unwrap(),
    ));
    assert!(files.len() > 3);
    for (path, bytes) in &files {
        assert!(
            !contains(bytes, token.as_bytes()),
            "token in {}",
            path.display()
        );
    }
}

#[test]
fn mirrors_are_fetched_over_tls_trusting_ssl_cert_file_then_incrementally_with_haves() {
    let dir = tempfile::tempdir().unwrap();
    let tls = Tls::new(dir.path());
    let (secret, later) = (mint("ghp"), mint("ghp"));
    let app = Repo::new(dir.path(), "app", &files_with(&secret));
    let token = format!("tok-{}", mint("ghp"));
    let (git_url, seen, posted) = git_http_on(dir.path().join("bare"), token.clone(), Some(&tls));
    assert!(git_url.starts_with("https://"));
    // The API on https too: both clients trust the CA that SSL_CERT_FILE names.
    let api = Api::start_on(Some(&tls));
    assert!(api.url.starts_with("https://"));
    let clone_url = format!("{git_url}/app.git");
    one_repository(&api, &clone_url, "2026-01-01T00:00:00Z");

    let (r1, code, printed) = run_tls(&api, dir.path(), &token, Some(&tls.ca_file));
    assert_eq!(code, 1, "{r1}");
    assert_eq!(secrets(&r1), std::slice::from_ref(&secret));
    assert_eq!(repos_of(&r1, &secret), ["acme/app"]);
    assert_eq!(r1["summary"]["repositories"]["fetched"], 1);
    // The server speaks only TLS and demands the token: both reached it.
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"))
    };
    let auths = std::mem::take(&mut *seen.lock().unwrap());
    assert!(!auths.is_empty());
    assert!(
        auths
            .iter()
            .all(|a| a.as_deref() == Some(&format!("Basic {basic}"))),
        "{auths:?}"
    );
    assert!(!contains(&printed, token.as_bytes()));
    assert_not_stored(dir.path(), &token);
    let first_bytes = r1["summary"]["repositories"]["bytes_fetched"]
        .as_u64()
        .unwrap();
    assert!(first_bytes > 0, "{}", r1["summary"]);

    // One new commit: fetched over TLS again, negotiating with what the mirror has (haves),
    // and only the new objects read.
    let old_tip = git(&app.bare, &["rev-parse", "main"]);
    app.push(&[("deploy.sh", format!("export GH_TOKEN={later}\n"))]);
    one_repository(&api, &clone_url, "2026-02-01T00:00:00Z");
    posted.lock().unwrap().clear();
    let (r2, code, printed) = run_tls(&api, dir.path(), &token, Some(&tls.ca_file));
    assert_eq!(code, 1, "{r2}");
    assert_eq!(repos_of(&r2, &later), ["acme/app"]);
    let stats = &r2["summary"]["repositories"];
    assert_eq!(
        (stats["fetched"].as_u64(), stats["scanned"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        r2["summary"]["files"].as_u64().unwrap() <= 2,
        "{}",
        r2["summary"]
    );
    let negotiation = posted.lock().unwrap().concat();
    assert!(
        contains(&negotiation, format!("have {old_tip}").as_bytes()),
        "{}",
        String::from_utf8_lossy(&negotiation)
    );
    assert!(
        stats["bytes_fetched"].as_u64().unwrap() < first_bytes,
        "{stats}"
    );
    assert!(!contains(&printed, token.as_bytes()));
    assert_not_stored(dir.path(), &token);

    // A wrong token: a problem naming the repository, not the token; the scan is incomplete.
    let other = tempfile::tempdir().unwrap();
    let wrong = format!("wrong-{}", mint("ghp"));
    let (report, code, printed) = run_tls(&api, other.path(), &wrong, Some(&tls.ca_file));
    assert_eq!(code, 5, "{report}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("acme/app") && errors.contains("authentication failed"),
        "{errors}"
    );
    assert!(!contains(&printed, wrong.as_bytes()));
}

#[test]
fn an_untrusted_certificate_fails_closed_naming_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let tls = Tls::new(dir.path());
    let _app = Repo::new(dir.path(), "app", &files_with(&mint("ghp")));
    let token = format!("tok-{}", mint("ghp"));
    let (git_url, seen, _) = git_http_on(dir.path().join("bare"), token.clone(), Some(&tls));
    // The API on loopback http (trusted without a CA); the git server's CA is not given.
    let api = Api::start();
    one_repository(&api, &format!("{git_url}/app.git"), "2026-01-01T00:00:00Z");
    let (report, code, printed) = run_tls(&api, dir.path(), &token, None);
    assert_eq!(code, 5, "{report}");
    assert!(report["findings"].as_array().unwrap().is_empty());
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("acme/app")
            && errors.contains("certificate")
            && errors.contains("SSL_CERT_FILE"),
        "{errors}"
    );
    // The handshake failed before any request: the token never left.
    assert!(seen.lock().unwrap().is_empty());
    assert!(!contains(&printed, token.as_bytes()));

    // The API on https, its CA not given either: the listing fails closed, naming it.
    let tls_api = Api::start_on(Some(&tls));
    one_repository(
        &tls_api,
        &format!("{git_url}/app.git"),
        "2026-01-01T00:00:00Z",
    );
    let (report, code, _) = run_tls(&tls_api, dir.path(), &token, None);
    assert_eq!(code, 5, "{report}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("organisation acme") && errors.contains("UnknownIssuer"),
        "{errors}"
    );
    assert!(tls_api.requests().is_empty());

    // An SSL_CERT_FILE that holds no certificate is said plainly, before anything is sent.
    let out = github(&api, dir.path(), &token, &["--org", "acme"])
        .env("SSL_CERT_FILE", dir.path().join("missing.pem"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SSL_CERT_FILE") && stderr.contains("missing.pem"),
        "{stderr}"
    );
}

#[test]
fn a_redirect_to_another_host_is_not_followed_and_the_token_stays_home() {
    let dir = tempfile::tempdir().unwrap();
    let tls = Tls::new(dir.path());
    let _app = Repo::new(dir.path(), "app", &files_with(&mint("ghp")));
    let token = format!("tok-{}", mint("ghp"));
    // The other host serves the repository too and records what it is sent.
    let (elsewhere, seen_elsewhere, _) =
        git_http_on(dir.path().join("bare"), token.clone(), Some(&tls));
    let elsewhere = elsewhere.replace("127.0.0.1", "localhost");
    let redirects = Arc::new(Mutex::new(Vec::new()));
    let r = redirects.clone();
    let home = serve_on(
        Arc::new(move |req: &Request| {
            r.lock()
                .unwrap()
                .push(req.headers.get("authorization").cloned());
            Reply {
                status: 302,
                headers: vec![("location".into(), format!("{elsewhere}{}", req.target))],
                body: Vec::new(),
            }
        }),
        Some(&tls),
    );
    let api = Api::start();
    one_repository(&api, &format!("{home}/app.git"), "2026-01-01T00:00:00Z");
    let (report, code, printed) = run_tls(&api, dir.path(), &token, Some(&tls.ca_file));
    assert_eq!(code, 5, "{report}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("acme/app") && errors.contains("redirected to localhost"),
        "{errors}"
    );
    // The clone URL's host got the token; the other host got nothing at all.
    assert!(redirects.lock().unwrap().iter().all(Option::is_some));
    assert!(!redirects.lock().unwrap().is_empty());
    assert!(
        seen_elsewhere.lock().unwrap().is_empty(),
        "{:?}",
        seen_elsewhere.lock().unwrap()
    );
    assert!(!contains(&printed, token.as_bytes()));
}

// ---------------------------------------------------------------- refs on blobs and trees

#[test]
fn a_tag_on_a_blob_or_a_tree_pushed_between_runs_is_found_by_the_incremental_run() {
    let dir = tempfile::tempdir().unwrap();
    let app = Repo::new(dir.path(), "app", &files_with(&mint("ghp")));
    // Over git's smart protocol (libgit2's file:// transport cannot fetch into a mirror whose
    // refs name a blob or a tree).
    let (git_url, _) = git_http(dir.path().join("bare"), "tok".into());
    let url = format!("{git_url}/app.git");
    let api = Api::start();
    one_repository(&api, &url, "2026-01-01T00:00:00Z");
    let (r1, code) = run_github(&api, dir.path(), "tok", &["--org", "acme"]);
    assert_eq!((code, secrets(&r1).len()), (1, 1), "{r1}");

    // Pushed since: a lightweight tag on a blob, an annotated tag on a tree, no new commit.
    let (in_blob, in_tree) = (mint("ghp"), mint("gho"));
    let w = &app.work;
    common::write(w, "loose.txt", format!("token {in_blob}\n"));
    let blob = git(w, &["hash-object", "-w", "loose.txt"]);
    git(w, &["tag", "file-version", &blob]);
    common::write(w, "sub/conf.env", format!("GITHUB_TOKEN={in_tree}\n"));
    git(w, &["add", "sub/conf.env"]);
    let tree = git(w, &["write-tree", "--prefix=sub/"]);
    git(w, &["tag", "-a", "-m", "config", "tree-version", &tree]);
    git(w, &["rm", "-q", "--cached", "sub/conf.env"]);
    std::fs::remove_dir_all(w.join("sub")).unwrap();
    std::fs::remove_file(w.join("loose.txt")).unwrap();
    git(w, &["push", "-q", app.bare.to_str().unwrap(), "--tags"]);
    one_repository(&api, &url, "2026-02-01T00:00:00Z");

    let (r2, code) = run_github(&api, dir.path(), "tok", &["--org", "acme"]);
    assert_eq!(code, 1, "{r2}");
    let stats = &r2["summary"]["repositories"];
    assert_eq!(
        (stats["fetched"].as_u64(), stats["scanned"].as_u64()),
        (Some(1), Some(1))
    );
    let path = |secret: &str| {
        common::finding(&r2, secret)["locations"][0]["path"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(path(&in_blob), "refs/tags/file-version", "{r2}");
    assert_eq!(path(&in_tree), "refs/tags/tree-version:conf.env", "{r2}");
    // Only what the new refs name was read (two blobs, a tag message), not the history again.
    assert!(
        r2["summary"]["files"].as_u64().unwrap() <= 3,
        "{}",
        r2["summary"]
    );

    // A new commit later: the tags, already scanned, are not read again.
    app.push(&[("notes.txt", "nothing here\n".into())]);
    one_repository(&api, &url, "2026-03-01T00:00:00Z");
    let (r3, code) = run_github(&api, dir.path(), "tok", &["--org", "acme"]);
    assert_eq!((code, secrets(&r3).len()), (1, 3), "{r3}");
    assert_eq!(r3["summary"]["repositories"]["scanned"], 1, "{r3}");
    // The new blob and the commit's message; not the tags' blobs or message.
    assert!(
        r3["summary"]["files"].as_u64().unwrap() <= 2,
        "{}",
        r3["summary"]
    );
}

// ---------------------------------------------------------------- crash and resume

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

#[test]
fn a_run_killed_mid_way_keeps_what_it_recorded_and_the_next_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let secrets_by_repo: Vec<String> = (0..3).map(|_| mint("ghp")).collect();
    let log_secret = mint("ghp");
    let repos: Vec<Repo> = (0..3)
        .map(|i| {
            Repo::new(
                dir.path(),
                &format!("r{i}"),
                &files_with(&secrets_by_repo[i]),
            )
        })
        .collect();
    let api = Api::start();
    let listing: Vec<String> = repos
        .iter()
        .enumerate()
        .map(|(i, r)| {
            repo_json(
                &format!("acme/r{i}"),
                &r.file_url(),
                "2026-01-01T00:00:00Z",
                false,
                false,
            )
        })
        .collect();
    api.reply(PAGE1, 200, format!("[{}]", listing.join(",")));
    let runs = |i: usize| format!("/repos/acme/r{i}/actions/runs?per_page=100&page=1");
    api.reply(
        &runs(0),
        200,
        format!(
            r#"{{"workflow_runs":[{{"id":7,"html_url":"{}/run/7","name":"ci"}}]}}"#,
            api.url
        ),
    );
    api.reply_with(
        "/repos/acme/r0/actions/runs/7/logs",
        302,
        String::new(),
        vec![("location".into(), format!("{}/blob/7.zip", api.url))],
    );
    api.routes.lock().unwrap().files.insert(
        "/blob/7.zip".into(),
        zip_with(&[(
            "build/1_Deploy.txt",
            format!("2026-01-01T00:00:00Z push with {log_secret}\n"),
        )]),
    );
    api.reply(&runs(1), 200, r#"{"workflow_runs":[]}"#.into());
    api.reply(&runs(2), 200, r#"{"workflow_runs":[]}"#.into());
    // The third repository's run listing hangs until the process is killed.
    let (release, hold) = channel();
    api.routes
        .lock()
        .unwrap()
        .hold
        .insert(runs(2), Arc::new(Mutex::new(hold)));
    let (tell, arrivals) = channel();
    *api.arrived.lock().unwrap() = Some(tell);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("patrol"))
        .args([
            "github",
            "--org",
            "acme",
            "--logs",
            "--fetch-jobs",
            "1",
            "-q",
        ])
        .args(["--api-url", &api.url, "--api-retries", "0"])
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg("--datastore")
        .arg(dir.path().join("state.db"))
        .env("GH_TOKEN", "tok")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Repositories are scanned in order: when r2's runs are asked for, r0 and r1 are done.
    while arrivals.recv().unwrap() != runs(2) {}
    child.kill().unwrap();
    child.wait().unwrap();
    *api.arrived.lock().unwrap() = None;
    api.routes.lock().unwrap().hold.clear();
    let _ = release.send(());

    let out = patrol()
        .args(["report", "-f", "json", "--datastore"])
        .arg(dir.path().join("state.db"))
        .output()
        .unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let repos_recorded: std::collections::BTreeSet<String> = stored["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().iter())
        .map(|l| l["repository"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        repos_recorded.into_iter().collect::<Vec<_>>(),
        ["acme/r0", "acme/r1"],
        "{stored}"
    );
    assert_eq!(
        stored["findings"].as_array().unwrap().len(),
        3,
        "r0, r0's log, r1"
    );

    // The next run resumes: r0 and r1 are not read again, r2 is; everything is reported.
    api.requests();
    let (report, code) = run_github(&api, dir.path(), "tok", &["--org", "acme", "--logs"]);
    assert_eq!(code, 1, "{report}");
    // Findings of earlier runs come from the datastore: by fingerprint (their secret is not
    // stored, so it is shown redacted even with --show-secrets).
    let fingerprint =
        |s: &String| patrol::finding::Secret::new(s.clone().into_bytes()).fingerprint();
    let mut want: Vec<String> = secrets_by_repo.iter().map(fingerprint).collect();
    want.push(fingerprint(&log_secret));
    want.sort();
    let mut got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(got, want);
    // The one scanned now is shown in full.
    assert!(secrets(&report).contains(&secrets_by_repo[2]));
    let stats = &report["summary"]["repositories"];
    assert_eq!(
        (stats["skipped"].as_u64(), stats["scanned"].as_u64()),
        (Some(2), Some(1)),
        "{stats}"
    );
    // r0's run 7 was scanned before the crash: its logs are not downloaded again.
    assert!(
        !api.requests()
            .iter()
            .any(|(t, _, _)| t.contains("/runs/7/logs")),
        "run 7 fetched again"
    );
    let _ = repos;
}

// ---------------------------------------------------------------- rate limits

#[test]
fn a_rate_limit_longer_than_max_wait_stops_cleanly_with_an_error_naming_the_listing() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start();
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600)
        .to_string();
    api.reply_with(
        PAGE1,
        403,
        r#"{"message":"API rate limit exceeded"}"#.into(),
        vec![
            ("x-ratelimit-remaining".into(), "0".into()),
            ("x-ratelimit-reset".into(), reset),
        ],
    );
    let (report, code) = run_github(
        &api,
        dir.path(),
        "tok",
        &["--org", "acme", "--user", "someone", "--max-wait", "5"],
    );
    assert_eq!(code, 5, "{report}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("organisation acme") && errors.contains("rate limit"),
        "{errors}"
    );
    // The budget is shared: the user's listing was not even sent.
    assert!(
        !api.requests()
            .iter()
            .any(|(t, _, _)| t.starts_with("/users/")),
        "the second listing ignored the exhausted budget"
    );
}

// ---------------------------------------------------------------- pull requests, wikis, gists

#[test]
fn pull_request_heads_wikis_and_gists_are_scanned_when_asked_and_excludes_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (s_app, s_pr, s_wiki, s_gist, s_skip) = (
        mint("ghp"),
        mint("ghp"),
        mint("ghp"),
        mint("ghp"),
        mint("ghp"),
    );
    let app = Repo::new(dir.path(), "app", &files_with(&s_app));
    // A pull request's head that no branch holds (refs/pull/1/head on the server).
    git(&app.work, &["checkout", "-q", "-b", "feature"]);
    app.commit(&[("pr.env", format!("TOKEN={s_pr}\n"))], "pr");
    git(
        &app.work,
        &[
            "push",
            "-q",
            app.bare.to_str().unwrap(),
            "feature:refs/pull/1/head",
        ],
    );
    git(&app.work, &["checkout", "-q", "main"]);
    let _wiki = Repo::new(
        dir.path(),
        "app.wiki",
        &[("Home.md", format!("token {s_wiki}\n"))],
    );
    let lib = Repo::new(dir.path(), "lib", &[("README.md", "nothing\n".to_string())]);
    let skipped = Repo::new(dir.path(), "skipped", &files_with(&s_skip));
    let gist = Repo::new(dir.path(), "gist", &[("notes.txt", format!("{s_gist}\n"))]);
    let api = Api::start();
    let with_wiki = |name: &str, r: &Repo| {
        let mut v: serde_json::Value = serde_json::from_str(&repo_json(
            name,
            &r.file_url(),
            "2026-01-01T00:00:00Z",
            false,
            false,
        ))
        .unwrap();
        v["has_wiki"] = true.into();
        v.to_string()
    };
    api.reply(
        PAGE1,
        200,
        format!(
            "[{},{},{}]",
            with_wiki("acme/app", &app),
            // Wiki enabled but never written: no wiki repository (a note, not an error).
            with_wiki("acme/lib", &lib),
            repo_json(
                "acme/skipped",
                &skipped.file_url(),
                "2026-01-01T00:00:00Z",
                false,
                false
            )
        ),
    );
    api.reply(
        "/users/ada/repos?type=owner&per_page=100&page=1",
        200,
        "[]".into(),
    );
    api.reply(
        "/users/ada/gists?per_page=100&page=1",
        200,
        format!(
            r#"[{{"id":"abc123","git_pull_url":"{}","updated_at":"2026-01-01T00:00:00Z"}}]"#,
            gist.file_url()
        ),
    );
    let base = ["--org", "acme", "--exclude", "ACME/skip*"];
    let (plain, code) = run_github(&api, dir.path(), "tok", &base);
    assert_eq!(code, 1, "{plain}");
    assert_eq!(secrets(&plain), std::slice::from_ref(&s_app));

    let mut all = base.to_vec();
    all.extend(["--pull-refs", "--wikis", "--user", "ada", "--gists"]);
    let (report, code) = run_github(&api, dir.path(), "tok", &all);
    assert_eq!(code, 1, "{report}");
    let found = secrets(&report);
    for s in [&s_pr, &s_wiki, &s_gist] {
        assert!(found.contains(s), "{report}");
    }
    assert!(!found.contains(&s_skip), "excluded repository scanned");
    assert_eq!(repos_of(&report, &s_pr), ["acme/app"]);
    assert_eq!(repos_of(&report, &s_wiki), ["acme/app.wiki"]);
    assert_eq!(repos_of(&report, &s_gist), ["ada/gist-abc123"]);
    assert_eq!(report["summary"]["errors"], 0, "{report}");
    assert!(
        report["summary"]["notes"]
            .to_string()
            .contains("acme/lib.wiki")
    );
}

// ---------------------------------------------------------------- shards and merge

/// An organisation of six repositories (a secret each, one more in every other) scanned by one
/// `patrol github` process (in `DIR/single`) and by N shards, each a separate `patrol github
/// --shard K/N` process with its own cache and datastore (in `DIR/shard-K`), each writing its
/// report to `DIR/shard-K.json`.
struct Sharded {
    dir: tempfile::TempDir,
    api: Api,
    names: [&'static str; 6],
    shared: String,
    minted: Vec<String>,
    single: serde_json::Value,
    reports: Vec<PathBuf>,
}

const N: u32 = 3;

fn sharded() -> Sharded {
    let dir = tempfile::tempdir().unwrap();
    let shared = mint("ghp");
    let mut minted = vec![shared.clone()];
    let names = ["app", "lib", "web", "infra", "docs", "cli"];
    let mut listing = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let own = mint("ghp");
        let mut files = files_with(&own);
        minted.push(own);
        if i % 2 == 0 {
            files.push(("deploy.sh", format!("export GH_TOKEN={shared}\n")));
        }
        let repo = Repo::new(dir.path(), name, &files);
        listing.push(repo_json(
            &format!("acme/{name}"),
            &repo.file_url(),
            "2026-01-01T00:00:00Z",
            false,
            false,
        ));
    }
    let api = Api::start();
    api.reply(PAGE1, 200, format!("[{}]", listing.join(",")));
    let shard_sizes: Vec<usize> = (0..N)
        .map(|k| {
            names
                .iter()
                .filter(|n| patrol::shard::shard_of(&format!("acme/{n}"), N) == k)
                .count()
        })
        .collect();
    assert!(
        shard_sizes.iter().filter(|&&n| n > 0).count() >= 2,
        "the repositories spread over several shards: {shard_sizes:?}"
    );

    let (single, code) = run_github(&api, &dir.path().join("single"), "tok", &["--org", "acme"]);
    assert_eq!(code, 1, "{single}");
    let mut reports = Vec::new();
    for k in 0..N {
        let own = dir.path().join(format!("shard-{k}"));
        let shard = format!("{k}/{N}");
        let (report, code) = run_github(&api, &own, "tok", &["--org", "acme", "--shard", &shard]);
        assert!(code == 0 || code == 1, "{report}");
        assert_eq!(
            report["summary"]["repositories"]["selected"], shard_sizes[k as usize],
            "shard {shard} scans its repositories only"
        );
        let file = dir.path().join(format!("shard-{k}.json"));
        std::fs::write(&file, report.to_string()).unwrap();
        reports.push(file);
    }
    Sharded {
        dir,
        api,
        names,
        shared,
        minted,
        single,
        reports,
    }
}

/// N shards of one organisation, each a separate `patrol github --shard K/N` process with its
/// own cache and datastore, merged with `patrol merge`, report what one process reports.
#[test]
fn shards_run_as_separate_processes_merge_into_the_single_run() {
    let Sharded {
        dir: _dir,
        names,
        shared,
        single,
        reports,
        ..
    } = sharded();
    let out = patrol()
        .arg("merge")
        .args(&reports)
        .args(["-f", "json", "--show-secrets"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(merged["findings"], single["findings"]);
    assert_eq!(
        merged["findings"].as_array().unwrap().len(),
        names.len() + 1
    );
    assert_eq!(
        repos_of(&merged, &shared),
        ["acme/app", "acme/docs", "acme/web"]
    );
    assert_eq!(merged["errors"], single["errors"]);
    for key in ["findings", "locations", "files", "bytes"] {
        assert_eq!(
            merged["summary"][key], single["summary"][key],
            "summary.{key}"
        );
    }
    assert_eq!(
        merged["summary"]["repositories"]["selected"],
        single["summary"]["repositories"]["selected"]
    );
}

/// Runs `cmd`: its exit code and standard output.
fn output_of(cmd: &mut assert_cmd::Command) -> (i32, String) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or_else(|| panic!("{err}")), stdout)
}

fn report_of(datastore: &Path, extra: &[&str]) -> serde_json::Value {
    let (_, out) = output_of(
        patrol()
            .arg("report")
            .arg("--datastore")
            .arg(datastore)
            .args(extra)
            .args(["-f", "json"]),
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"))
}

/// The shards' datastores merged with `patrol merge --datastore` are the datastore one process
/// keeps: `patrol report` prints the same from both, with no secret in the file; and a later
/// run given the merged datastore (and the single run's mirrors) finds nothing new and skips
/// every repository that did not move.
#[test]
fn shard_datastores_merge_into_the_datastore_of_the_single_run() {
    let Sharded {
        dir,
        api,
        names,
        minted,
        ..
    } = sharded();
    let d = dir.path();
    let single = d.join("single/state.db");
    // Into a directory that does not exist yet.
    let next = d.join("next");
    let merged = next.join("state.db");
    let shards: Vec<PathBuf> = (0..N)
        .map(|k| d.join(format!("shard-{k}/state.db")))
        .collect();
    let (code, printed) = output_of(
        patrol()
            .arg("merge")
            .arg("--datastore")
            .arg(&merged)
            .args(&shards)
            .args(["-f", "json"]),
    );
    assert_eq!(code, 1, "findings, as `patrol report` exits: {printed}");
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
    let one = report_of(&single, &[]);
    assert_eq!(one["findings"].as_array().unwrap().len(), names.len() + 1);
    assert_eq!(printed, one, "merge prints the merged datastore's report");
    assert_eq!(report_of(&merged, &[]), one);
    // Every secret was first seen in the shards' last runs: all new, as in the single run.
    assert_eq!(
        report_of(&merged, &["--new"]),
        report_of(&single, &["--new"])
    );
    let bytes = std::fs::read(&merged).unwrap();
    for secret in &minted {
        let needle = secret.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "a secret stored"
        );
    }

    // The next night, one process with the merged datastore: nothing new, nothing re-read.
    std::fs::rename(d.join("single/cache"), next.join("cache")).unwrap();
    let (report, code) = run_github(&api, &next, "tok", &["--org", "acme", "--new"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["findings"], serde_json::json!([]));
    let stats = &report["summary"]["repositories"];
    assert_eq!(stats["skipped"], names.len(), "{stats}");
    assert_eq!(stats["fetched"], 0, "{stats}");
    assert_eq!(report["summary"]["files"], 0);
    assert_eq!(
        report_of(&merged, &["--new"])["findings"],
        serde_json::json!([])
    );
    assert_eq!(report_of(&merged, &[])["findings"], one["findings"]);
}

// ---------------------------------------------------------------- what the API answers

#[test]
fn hostile_names_and_clone_urls_from_the_api_are_refused_before_anything_is_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let (s_app, s_escape, s_other) = (mint("ghp"), mint("ghp"), mint("ghp"));
    let app = Repo::new(dir.path(), "app", &files_with(&s_app));
    let escape = Repo::new(dir.path(), "escape", &files_with(&s_escape));
    // A git server on another loopback address: the token must not go there.
    let listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let other_host = format!("http://{}/acme/other.git", listener.local_addr().unwrap());
    let visited = Arc::new(Mutex::new(0usize));
    let v = visited.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            *v.lock().unwrap() += 1;
            drop(stream);
        }
    });
    let api = Api::start();
    let when = "2026-01-01T00:00:00Z";
    api.reply(
        PAGE1,
        200,
        format!(
            "[{},{},{},{}]",
            repo_json("acme/app", &app.file_url(), when, false, false),
            repo_json("../../escape", &escape.file_url(), when, false, false),
            repo_json(
                "acme/\u{1b}[2Jx\nfake",
                &escape.file_url(),
                when,
                false,
                false
            ),
            repo_json("acme/other", &other_host, when, false, false),
        ),
    );
    let out = patrol()
        .args(["github", "--api-url", &api.url, "--api-retries", "0"])
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .args(["--org", "acme", "-f", "json", "--show-secrets"])
        .env("GH_TOKEN", &s_other)
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(secrets(&report), [s_app], "{report:#}");
    assert_eq!(out.status.code(), Some(1));
    let errors = report["errors"].to_string();
    assert!(errors.contains("../../escape"), "{errors}");
    assert!(errors.contains("not 127.0.0.1"), "{errors}");
    // Nothing was written outside the cache directory, nor fetched from the other host.
    assert!(!dir.path().join("escape.git").exists());
    assert_eq!(*visited.lock().unwrap(), 0);
    assert!(!out.stderr.contains(&0x1b), "raw escape on stderr");
}

#[test]
fn an_api_answer_too_large_to_hold_is_an_error_naming_the_listing() {
    let dir = tempfile::tempdir().unwrap();
    let secret = mint("ghp");
    let app = Repo::new(dir.path(), "app", &files_with(&secret));
    let api = Api::start();
    let mut repo: serde_json::Value = serde_json::from_str(&repo_json(
        "acme/app",
        &app.file_url(),
        "2026-01-01T00:00:00Z",
        false,
        false,
    ))
    .unwrap();
    repo["description"] = "x".repeat(33 << 20).into();
    api.reply(PAGE1, 200, format!("[{repo}]"));
    let (report, code) = run_github(&api, dir.path(), "tok", &["--org", "acme"]);
    assert_eq!(code, 5, "{}", report["errors"]);
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("organisation acme") && errors.contains("more than 32 MiB"),
        "{errors}"
    );
}

#[test]
fn the_mirror_cache_is_created_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start();
    api.reply(PAGE1, 200, "[]".into());
    let (report, code) = run_github(&api, dir.path(), "tok", &["--org", "acme"]);
    assert_eq!(code, 0, "{report}");
    for d in ["cache", "cache/mirrors"] {
        let mode = std::fs::metadata(dir.path().join(d))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{d}: {mode:o}");
    }
}
