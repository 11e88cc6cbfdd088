//! `patrol github --org ORG --packages`: the organisation's container packages listed by a
//! stand-in for GitHub's API on 127.0.0.1 (a package name with `/`, tagged and untagged
//! versions), pulled by digest from a stand-in registry on 127.0.0.1 demanding the API token
//! through its token service, with images built here byte for byte: tokens planted in a layer
//! file a later layer deletes and in a build argument; a layer shared by every version and
//! package; a version the registry does not have.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::api::Api;
use common::image::{Image, Seen, digest, h, serve, tar};
use common::{all_files, contains, mint, patrol};
use serde_json::{Value, json};

const PACKAGES: &str = "/orgs/acme/packages?package_type=container&per_page=100&page=1";
const REPOS: &str = "/orgs/acme/repos?type=all&per_page=100&page=1";

fn versions_path(package: &str) -> String {
    format!("/orgs/acme/packages/container/{package}/versions?per_page=100&page=1")
}

fn version(id: u64, image: &Image, tags: &[&str]) -> Value {
    json!({"id": id, "name": digest(&image.manifest), "package_html_url": "https://example.com",
           "metadata": {"package_type": "container", "container": {"tags": tags}}})
}

/// The stand-in registry: the images of each repository (`acme/app`, `acme/team/tool`) by
/// manifest digest and every blob, behind a bearer token the token service gives only for
/// Basic `patrol:API_TOKEN`. `missing` manifests answer 404.
struct Registry {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Registry {
    fn start(images: &[(&str, &Image)], api_token: &str, missing: &[String]) -> Registry {
        let mut manifests: HashMap<String, Vec<u8>> = HashMap::new();
        let mut blobs: HashMap<String, Vec<u8>> = HashMap::new();
        for (repo, image) in images {
            let d = digest(&image.manifest);
            manifests.insert(format!("/v2/{repo}/manifests/{d}"), image.manifest.clone());
            for b in image.layers.iter().chain([&image.config]) {
                blobs.insert(format!("/v2/{repo}/blobs/{}", digest(b)), b.clone());
            }
        }
        let missing: Vec<String> = missing.to_vec();
        let basic = {
            use base64::Engine;
            let raw = format!("patrol:{api_token}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        };
        let port_cell = Arc::new(Mutex::new(0u16));
        let port_of = port_cell.clone();
        let (port, seen) = serve(move |path, auth| {
            if path.starts_with("/token") {
                return match auth {
                    Some(a) if a == basic => (200, vec![], br#"{"token":"reg123"}"#.to_vec()),
                    _ => (401, vec![], vec![]),
                };
            }
            if auth != Some("Bearer reg123") {
                let realm = format!("http://127.0.0.1:{}/token", port_of.lock().unwrap());
                let challenge = format!(r#"Bearer realm="{realm}",service="stand-in""#);
                return (401, vec![h("WWW-Authenticate", challenge)], vec![]);
            }
            if missing.iter().any(|m| path.ends_with(m.as_str())) {
                return (404, vec![], vec![]);
            }
            if let Some(m) = manifests.get(path) {
                let ct = "application/vnd.oci.image.manifest.v1+json".to_string();
                return (200, vec![h("Content-Type", ct)], m.clone());
            }
            match blobs.get(path) {
                Some(b) => (200, vec![], b.clone()),
                None => (404, vec![], vec![]),
            }
        });
        *port_cell.lock().unwrap() = port;
        Registry { port, seen }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Blob and manifest paths asked for since the last call.
    fn pulls(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
            .into_iter()
            .map(|s| s.path)
            .filter(|p| p.contains("/blobs/") || p.contains("/manifests/"))
            .collect()
    }
}

/// Runs `patrol github --org acme --packages` with the API token in `GITHUB_TOKEN` only (the
/// registry gets it without `GHCR_TOKEN`/`GH_TOKEN`): exit code, report, stdout and stderr.
fn run(
    api: &Api,
    registry: &Registry,
    dir: &Path,
    token: &str,
    extra: &[&str],
) -> (i32, Value, String) {
    let out = patrol()
        .args([
            "github",
            "--org",
            "acme",
            "--packages",
            "--api-url",
            &api.url,
        ])
        .args(["--api-retries", "0", "--registry", &registry.host()])
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(extra)
        .args(["-f", "json"])
        .env("GITHUB_TOKEN", token)
        .env_remove("GH_TOKEN")
        .env_remove("GHCR_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let printed =
        String::from_utf8_lossy(&[out.stdout.clone(), out.stderr.clone()].concat()).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (code, report, printed)
}

fn fingerprints(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

fn fingerprint(secret: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first location of the finding of `secret`.
fn location<'a>(report: &'a Value, secret: &str) -> &'a Value {
    let fp = fingerprint(secret);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fp.as_str())
        .unwrap_or_else(|| panic!("no finding for {}: {report:#}", &secret[..8]));
    &f["locations"][0]
}

/// The planted tokens, by where they are.
struct Planted {
    shared: String,
    deleted: String,
    arg: String,
    second: String,
    tool: String,
    untagged: String,
}

impl Planted {
    fn all(&self) -> [&String; 6] {
        [
            &self.shared,
            &self.deleted,
            &self.arg,
            &self.second,
            &self.tool,
            &self.untagged,
        ]
    }
}

/// `acme/app` 1.0 and 2.0 (and an untagged version), `acme/team/tool` main: every image's
/// bottom layer is the same blob.
fn images() -> (Vec<(&'static str, Image)>, Planted) {
    let t = Planted {
        shared: mint("ghp"),
        deleted: mint("ghp"),
        arg: mint("ghp"),
        second: mint("ghp"),
        tool: mint("ghp"),
        untagged: mint("ghp"),
    };
    let base = tar(&[("etc/base.conf", format!("token={}\n", t.shared).as_bytes())]);
    let file = |name: &str, tok: &str| tar(&[(name, format!("t={tok}\n").as_bytes())]);
    let npmrc = format!("//npm.pkg.github.com/:_authToken={}\n", t.deleted);
    let one = Image::new(
        vec![
            base.clone(),
            tar(&[("root/.npmrc", npmrc.as_bytes())]),
            tar(&[("root/.wh..npmrc", b"")]),
        ],
        json!({"architecture": "amd64", "os": "linux", "config": {},
               "history": [
                   {"created_by": "ADD rootfs /"},
                   {"created_by": format!("RUN |1 GHCR_TOKEN={} /bin/sh -c npm ci", t.arg)},
                   {"created_by": "RUN /bin/sh -c rm /root/.npmrc"}]}),
    );
    let two = Image::new(
        vec![base.clone(), file("srv/two.txt", &t.second)],
        json!({"config": {}}),
    );
    let untagged = Image::new(
        vec![base.clone(), file("srv/old.txt", &t.untagged)],
        json!({"config": {}}),
    );
    let tool = Image::new(
        vec![base, file("opt/tool.env", &t.tool)],
        json!({"config": {}}),
    );
    let images = vec![
        ("acme/app", one),
        ("acme/app", two),
        ("acme/app", untagged),
        ("acme/team/tool", tool),
    ];
    (images, t)
}

fn stand_in_api(images: &[(&str, Image)]) -> Api {
    let api = Api::start();
    api.reply(REPOS, 200, "[]".into());
    api.reply(
        PACKAGES,
        200,
        json!([{"id": 1, "name": "app", "package_type": "container", "visibility": "private"},
               {"id": 2, "name": "team/tool", "package_type": "container"}])
        .to_string(),
    );
    api.reply(
        &versions_path("app"),
        200,
        json!([
            version(11, &images[0].1, &["1.0"]),
            version(12, &images[1].1, &["2.0", "latest"]),
            version(13, &images[2].1, &[]),
        ])
        .to_string(),
    );
    api.reply(
        &versions_path("team%2Ftool"),
        200,
        json!([version(21, &images[3].1, &["main"])]).to_string(),
    );
    api
}

#[test]
fn tagged_versions_are_pulled_once_shared_layers_read_once_and_a_rerun_pulls_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (images, t) = images();
    let api = stand_in_api(&images);
    let token = mint("ghp");
    let refs: Vec<(&str, &Image)> = images.iter().map(|(r, i)| (*r, i)).collect();
    let registry = Registry::start(&refs, &token, &[]);

    // First run: the three tagged versions of both packages.
    let (code, report, printed) = run(&api, &registry, dir.path(), &token, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
    let expected: BTreeSet<String> = [&t.shared, &t.deleted, &t.arg, &t.second, &t.tool]
        .iter()
        .map(|s| fingerprint(s))
        .collect();
    assert_eq!(fingerprints(&report), expected, "{report:#}");
    let app = format!("{}/acme/app", registry.host());
    let l = location(&report, &t.deleted);
    assert_eq!(l["repository"], app.as_str());
    assert_eq!(
        l["image"]["image"],
        format!("{app}@{}", digest(&images[0].1.manifest))
    );
    assert_eq!(l["image"]["tag"], "1.0");
    assert_eq!(l["image"]["file"], "root/.npmrc");
    assert_eq!(l["image"]["deleted_later"], true);
    assert_eq!(l["image"]["digest"], digest(&images[0].1.layers[1]));
    let l = location(&report, &t.arg);
    assert_eq!(l["image"]["part"], "config:history[1]");
    assert_eq!(location(&report, &t.second)["image"]["tag"], "2.0, latest");
    let l = location(&report, &t.tool);
    assert_eq!(
        l["repository"],
        format!("{}/acme/team/tool", registry.host())
    );
    assert_eq!(l["image"]["tag"], "main");
    // The shared bottom layer: found in every image, fetched once.
    let shared = digest(&images[0].1.layers[0]);
    let pulls = registry.pulls();
    assert_eq!(
        pulls.iter().filter(|p| p.ends_with(&shared)).count(),
        1,
        "{pulls:#?}"
    );
    let fp = fingerprint(&t.shared);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fp.as_str())
        .unwrap();
    assert_eq!(f["location_count"], 3, "{f:#}");
    // The untagged version was left out, and the run says so.
    assert!(
        !pulls
            .iter()
            .any(|p| p.contains(&digest(&images[2].1.manifest)))
    );
    assert!(printed.contains("untagged"), "{printed}");

    // Second run: every version is known; nothing is pulled, the findings are still reported.
    let (code, again, _) = run(&api, &registry, dir.path(), &token, &[]);
    assert_eq!(code, 1, "{again:#}");
    assert_eq!(registry.pulls(), Vec::<String>::new());
    assert_eq!(fingerprints(&again), expected);

    // --include-untagged: only the untagged version is pulled (its shared layer included: a
    // new run), and its token joins the others.
    let (code, more, _) = run(&api, &registry, dir.path(), &token, &["--include-untagged"]);
    assert_eq!(code, 1, "{more:#}");
    let pulls = registry.pulls();
    assert!(
        pulls
            .iter()
            .all(|p| !p.contains("/manifests/") || p.ends_with(&digest(&images[2].1.manifest))),
        "{pulls:#?}"
    );
    assert_eq!(fingerprints(&more).len(), 6);

    // No token — planted or the API's — in anything patrol printed or kept.
    for run_printed in [&printed] {
        for s in t.all().into_iter().chain([&token]) {
            assert!(!run_printed.contains(s.as_str()));
        }
    }
    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for s in t.all().into_iter().chain([&token]) {
            assert!(
                !contains(bytes, s.as_bytes()),
                "{} holds a token",
                path.display()
            );
        }
        assert!(!contains(bytes, b"reg123"), "{}", path.display());
    }
}

#[test]
fn a_missing_version_or_package_is_an_error_naming_it_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let (images, t) = images();
    let api = stand_in_api(&images);
    let token = mint("ghp");
    let refs: Vec<(&str, &Image)> = images.iter().map(|(r, i)| (*r, i)).collect();
    let gone = digest(&images[1].1.manifest);
    let registry = Registry::start(&refs, &token, std::slice::from_ref(&gone));
    // A third package whose versions cannot be listed.
    api.reply(
        PACKAGES,
        200,
        json!([{"name": "app"}, {"name": "team/tool"}, {"name": "vanished"}]).to_string(),
    );

    // Findings would exit 1 first: `--exit-code 0` shows the incomplete scan's 5.
    let (code, report, printed) = run(&api, &registry, dir.path(), &token, &["--exit-code", "0"]);
    assert_eq!(code, 5, "{report:#}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains(&format!("acme/app@{gone}")) && errors.contains("404"),
        "{errors}"
    );
    assert!(errors.contains("acme/vanished"), "{errors}");
    let found = fingerprints(&report);
    for s in [&t.shared, &t.deleted, &t.arg, &t.tool] {
        assert!(found.contains(&fingerprint(s)), "{report:#}");
    }
    assert!(!found.contains(&fingerprint(&t.second)));
    for s in t.all() {
        assert!(!printed.contains(s.as_str()));
    }

    // The version that could not be read is asked for again; the others are not.
    registry.pulls();
    let (code, _, _) = run(&api, &registry, dir.path(), &token, &[]);
    assert_eq!(code, 1);
    let pulls = registry.pulls();
    assert!(
        pulls.iter().all(|p| p.ends_with(&gone)) && !pulls.is_empty(),
        "{pulls:#?}"
    );

    // --exclude applies to OWNER/PACKAGE: the excluded packages' versions are not listed. The
    // replacement steps of a package finding (read again: --full) are those of an image.
    api.requests();
    let (_, report, printed) = run(
        &api,
        &registry,
        dir.path(),
        &token,
        &[
            "--exclude",
            "acme/team/*",
            "--exclude",
            "acme/vanished",
            "--steps",
            "--full",
        ],
    );
    assert!(printed.contains("BuildKit secret"), "{printed}");
    assert!(
        printed.contains("delete every tag and version"),
        "{printed}"
    );
    assert!(
        !report["errors"].to_string().contains("vanished"),
        "{report:#}"
    );
    let asked = api.requests();
    assert!(
        asked
            .iter()
            .any(|(target, _, _)| target.contains("/app/versions"))
    );
    assert!(
        !asked
            .iter()
            .any(|(target, _, _)| target.contains("tool") || target.contains("vanished")),
        "{asked:#?}"
    );
}
