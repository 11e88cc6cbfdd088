//! `patrol image`: images built here byte for byte (tar layers, config JSON, manifest, index) in
//! the OCI layout (directory and tarball) and `docker save` forms, with tokens minted at test
//! time and planted in a file a later whiteout deletes, an opaque-directory deletion, an `ENV`,
//! a build argument in the history, a label, a gzip and a zstd layer; and a stand-in registry on
//! 127.0.0.1 (token auth, a blob redirect to another port, a missing layer).

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::image::*;
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The tokens planted in [`planted`]'s image, by where they are.
struct Tokens {
    deleted: String,
    opaque: String,
    kept: String,
    gzip: String,
    zstd: String,
    env: String,
    arg: String,
    label: String,
}

fn planted() -> (Image, Tokens) {
    let t = Tokens {
        deleted: mint("ghp"),
        opaque: mint("ghp"),
        kept: mint("ghp"),
        gzip: mint("ghp"),
        zstd: mint("ghp"),
        env: mint("ghp"),
        arg: mint("ghp"),
        label: mint("ghp"),
    };
    let npmrc = format!("//npm.pkg.github.com/:_authToken={}\n", t.deleted);
    let env = format!("TOKEN={}\n", t.opaque);
    let kept = format!("token: {}\n", t.kept);
    let base = tar(&[
        ("root/.npmrc", npmrc.as_bytes()),
        ("app/conf/secret.env", env.as_bytes()),
        ("srv/kept.txt", kept.as_bytes()),
    ]);
    let gz = format!("gh={}\n", t.gzip);
    let second = gzip(&tar(&[
        ("root/.wh..npmrc", b""),
        ("etc/gz.txt", gz.as_bytes()),
    ]));
    let zs = format!("zs={}\n", t.zstd);
    let third = zstd(&tar(&[
        ("app/conf/.wh..wh..opq", b""),
        ("opt/zs.txt", zs.as_bytes()),
    ]));
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {
            "Env": ["PATH=/usr/bin", format!("GH_TOKEN={}", t.env)],
            "Labels": {"org.example.token": t.label},
            "Cmd": ["npm", "start"]
        },
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created_by": "ARG GHCR_TOKEN", "empty_layer": true},
            {"created_by": format!("RUN |1 GHCR_TOKEN={} /bin/sh -c npm ci # buildkit", t.arg)},
            {"created_by": "COPY . /opt # buildkit"}
        ]
    });
    (Image::new(vec![base, second, third], config), t)
}

fn location<'a>(report: &'a Value, secret: &str) -> &'a Value {
    &finding(report, secret)["locations"][0]
}

fn check_planted(report: &Value, t: &Tokens) {
    let l = location(report, &t.deleted);
    assert_eq!(l["source"], "image");
    assert_eq!(l["image"]["part"], "layer");
    assert_eq!(l["image"]["file"], "root/.npmrc");
    assert_eq!(l["image"]["deleted_later"], true);
    assert_eq!(l["image"]["instruction"], "ADD file:abc in /");
    assert!(
        l["image"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let l = location(report, &t.opaque);
    assert_eq!(l["image"]["file"], "app/conf/secret.env");
    assert_eq!(l["image"]["deleted_later"], true);
    let l = location(report, &t.kept);
    assert_eq!(l["image"]["deleted_later"], false);
    let l = location(report, &t.gzip);
    assert_eq!(l["image"]["file"], "etc/gz.txt");
    // The instruction holds the build argument's value: never shown in full.
    let instruction = l["image"]["instruction"].as_str().unwrap();
    assert!(
        instruction.starts_with("RUN |1 GHCR_TOKEN=ghp_"),
        "{instruction}"
    );
    assert!(!instruction.contains(&t.arg));
    assert_eq!(location(report, &t.zstd)["image"]["file"], "opt/zs.txt");
    assert_eq!(location(report, &t.env)["image"]["part"], "config:env");
    assert_eq!(location(report, &t.env)["line"], 2);
    assert_eq!(location(report, &t.label)["image"]["part"], "config:labels");
    let arg = location(report, &t.arg);
    assert_eq!(arg["image"]["part"], "config:history[2]");
    assert!(
        arg["image"]["instruction"]
            .as_str()
            .unwrap()
            .starts_with("RUN |1 GHCR_TOKEN=")
    );
    // Each token once, where it was put: the config's other fields did not add locations.
    assert_eq!(finding(report, &t.env)["location_count"], 1);
    assert_eq!(secrets(report).len(), 8, "{report:#}");
}

#[test]
fn an_oci_layout_directory_yields_every_planted_token_with_layer_deletion_and_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let (image, t) = planted();
    oci_dir(dir.path(), &[(&image, None)]);
    let target = dir.path().to_str().unwrap();
    let (report, code) = json_report(&["image", target]);
    assert_eq!(code, 1, "{report:#}");
    check_planted(&report, &t);
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
    let l = location(&report, &t.kept);
    assert_eq!(l["image"]["image"], target);
    assert_eq!(l["image"]["tag"], "1.0");
    assert_eq!(l["image"]["manifest"], digest(&image.manifest));
    assert_eq!(l["path"], format!("{target}!srv/kept.txt"));
}

#[test]
fn oci_and_docker_save_tarballs_compressed_or_not_yield_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (image, t) = planted();
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    let oci = write(dir.path(), "oci.tar", tar_of(&layout));
    let saved = write(dir.path(), "saved.tar", docker_save(&image, "app:1.0"));
    let gz = write(
        dir.path(),
        "saved.tar.gz",
        gzip(&docker_save(&image, "app:1.0")),
    );
    for path in [&oci, &saved, &gz] {
        let (report, code) = json_report(&["image", path.to_str().unwrap()]);
        assert_eq!(code, 1, "{}: {report:#}", path.display());
        check_planted(&report, &t);
        assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
    }
    let (report, _) = json_report(&["image", saved.to_str().unwrap()]);
    assert_eq!(location(&report, &t.kept)["image"]["tag"], "app:1.0");
}

#[test]
fn every_output_format_shows_the_image_context_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (image, t) = planted();
    oci_dir(dir.path(), &[(&image, None)]);
    let target = dir.path().to_str().unwrap();
    let run = |format: &str| {
        let out = patrol()
            .args(["image", target, "-f", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8(all).unwrap();
        for s in [&t.deleted, &t.arg, &t.env, &t.label, &t.gzip] {
            assert!(!text.contains(s.as_str()), "{format} shows a secret");
        }
        text
    };
    let text = run("text");
    assert!(text.contains("deleted in a later layer: yes"), "{text}");
    assert!(text.contains("deleted in a later layer: no"), "{text}");
    assert!(text.contains("added by: RUN |1 GHCR_TOKEN=ghp_"), "{text}");
    assert!(text.contains("config:history[2]"), "{text}");
    let jsonl = run("jsonl");
    let lines: Vec<Value> = jsonl
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().any(|l| l["image"]["deleted_later"] == true));
    let sarif: Value = serde_json::from_str(
        run("sarif")
            .lines()
            .take_while(|l| !l.starts_with("patrol"))
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    )
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["properties"]["image"]["part"] == "config:env")
    );
}

#[test]
fn platforms_of_a_multi_platform_index_are_selected() {
    let dir = tempfile::tempdir().unwrap();
    let amd = mint("ghp");
    let arm = mint("ghp");
    let image = |tok: &str, arch: &str| {
        Image::new(
            vec![tar(&[("etc/t", format!("t={tok}\n").as_bytes())])],
            json!({"architecture": arch, "os": "linux", "config": {}}),
        )
    };
    let (a, b) = (image(&amd, "amd64"), image(&arm, "arm64"));
    oci_dir(
        dir.path(),
        &[
            (&a, Some(("linux", "amd64"))),
            (&b, Some(("linux", "arm64"))),
        ],
    );
    let target = dir.path().to_str().unwrap();
    let (report, _) = json_report(&["image", target, "--platform", "linux/arm64"]);
    assert_eq!(secrets(&report), [arm.as_str()], "{report:#}");
    assert_eq!(location(&report, &arm)["image"]["platform"], "linux/arm64");
    let (report, _) = json_report(&["image", target, "--all-platforms"]);
    assert_eq!(secrets(&report).len(), 2);
    let (report, code) = json_report(&["image", target, "--platform", "windows/amd64"]);
    assert!(secrets(&report).is_empty());
    assert_eq!(code, 5, "no such platform is an incomplete scan");
    let errors = report["errors"].to_string();
    assert!(errors.contains("linux/arm64"), "{errors}");
}

#[test]
fn broken_layers_are_reported_by_image_and_layer_and_the_others_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let (image, t) = planted();
    oci_dir(dir.path(), &[(&image, None)]);
    // The gzip layer's bytes no longer match its digest.
    let second = dir.path().join(blob(&image.layers[1]));
    let mut bytes = std::fs::read(&second).unwrap();
    let n = bytes.len();
    bytes[n - 9] ^= 0xff;
    std::fs::write(&second, bytes).unwrap();
    let target = dir.path().to_str().unwrap();
    let (report, code) = json_report(&["image", target, "--exit-code", "0"]);
    assert_eq!(code, 5, "{report:#}");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains(&hex(&digest(&image.layers[1]))[..12]),
        "{errors}"
    );
    assert!(errors.contains("digest mismatch"), "{errors}");
    let found = secrets(&report);
    assert!(found.contains(&t.deleted) && found.contains(&t.zstd) && found.contains(&t.env));

    // A truncated tarball: what came before the cut is kept, the cut is reported.
    let saved = docker_save(&image, "app:1.0");
    let cut = write(dir.path(), "cut.tar", &saved[..saved.len() - 3000]);
    let (report, code) = json_report(&["image", cut.to_str().unwrap(), "--exit-code", "0"]);
    assert_eq!(code, 5);
    assert!(report["errors"].to_string().contains("cut.tar"));

    // A manifest of a media type patrol does not know.
    let odd = dir.path().join("odd");
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}"#;
    write(&odd, &blob(manifest), manifest);
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.example.thing+json",
        "digest": digest(manifest), "size": manifest.len()}]});
    write(&odd, "index.json", serde_json::to_vec(&index).unwrap());
    let (report, code) = json_report(&["image", odd.to_str().unwrap()]);
    assert_eq!(code, 5);
    assert!(
        report["errors"]
            .to_string()
            .contains("unknown manifest media type"),
        "{report:#}"
    );
}

#[test]
fn a_decompression_bomb_layer_stops_at_the_archive_limits() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let bomb = gzip(&tar(&[("zeros", &vec![0u8; 8 << 20])]));
    let fine = tar(&[("etc/t", format!("t={tok}\n").as_bytes())]);
    let image = Image::new(vec![bomb, fine], json!({"config": {}}));
    oci_dir(dir.path(), &[(&image, None)]);
    let (report, code) = json_report(&["image", dir.path().to_str().unwrap()]);
    assert_eq!(secrets(&report), [tok]);
    assert_eq!(code, 1);
    let errors = report["errors"].to_string();
    assert!(errors.contains("ratio"), "{errors}");
    assert_eq!(report["summary"]["incomplete"], true, "{report:#}");
}

#[test]
fn a_layer_shared_by_two_images_is_scanned_once() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = planted();
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    let saved = write(dir.path(), "saved.tar", tar_of(&layout));
    let target = layout.to_str().unwrap();
    let (once, _) = json_report(&["image", target]);
    let (twice, _) = json_report(&["image", target, saved.to_str().unwrap()]);
    let files = |r: &Value| r["summary"]["files"].as_u64().unwrap();
    // The second image reads only its config (and documents): its layers come from the first.
    assert!(
        files(&twice) < 2 * files(&once) - 3,
        "{} vs {}",
        files(&twice),
        files(&once)
    );
    assert_eq!(twice["findings"][0]["location_count"], 2);
}

#[test]
fn a_registry_image_is_pulled_with_token_auth_a_redirect_without_credentials_and_a_missing_layer() {
    let (image, t) = planted();
    let blobs: Vec<(String, Vec<u8>)> = image
        .blobs()
        .into_iter()
        .map(|(name, b)| (format!("sha256:{}", &name["blobs/sha256/".len()..]), b))
        .collect();
    let gzip_layer = digest(&image.layers[1]);
    let missing = digest(&image.layers[2]);
    // The storage host: refuses a request that carries the registry's credentials.
    let stored = image.layers[1].clone();
    let (storage, storage_seen) = serve(move |_, auth| match auth {
        Some(_) => (
            400,
            vec![],
            b"credentials sent to the storage host".to_vec(),
        ),
        None => (200, vec![], stored.clone()),
    });
    let manifest = image.manifest.clone();
    let registry_port = Arc::new(Mutex::new(0u16));
    let port_for_realm = registry_port.clone();
    let ghcr_token = mint("ghp");
    let expected_basic = {
        use base64::Engine;
        let raw = format!("patrol:{ghcr_token}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    };
    let (gzip_at, missing_at) = (gzip_layer.clone(), missing.clone());
    let (port, seen) = serve(move |path, auth| {
        let realm = format!("http://127.0.0.1:{}/token", port_for_realm.lock().unwrap());
        if path.starts_with("/token") {
            assert!(
                path.contains("scope=repository%3Ateam%2Fapp%3Apull"),
                "{path}"
            );
            return match auth {
                Some(a) if a == expected_basic => (200, vec![], br#"{"token":"abc123"}"#.to_vec()),
                _ => (401, vec![], vec![]),
            };
        }
        if auth != Some("Bearer abc123") {
            let challenge = format!(
                r#"Bearer realm="{realm}",service="stand-in",scope="repository:team/app:pull""#
            );
            return (401, vec![h("WWW-Authenticate", challenge)], vec![]);
        }
        if path == "/v2/team/app/manifests/1.0" {
            let ct = h(
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json".into(),
            );
            return (200, vec![ct], manifest.clone());
        }
        let Some(d) = path.strip_prefix("/v2/team/app/blobs/") else {
            return (404, vec![], vec![]);
        };
        if d == gzip_at {
            let to = format!("http://127.0.0.1:{storage}/store/{}", hex(d));
            return (307, vec![h("Location", to)], vec![]);
        }
        if d == missing_at {
            return (404, vec![], vec![]);
        }
        match blobs.iter().find(|(name, _)| name == d) {
            Some((_, b)) => (200, vec![], b.clone()),
            None => (404, vec![], vec![]),
        }
    });
    *registry_port.lock().unwrap() = port;
    let target = format!("127.0.0.1:{port}/team/app:1.0");
    let out = patrol()
        .args(["image", &target, "-f", "json", "--show-secrets"])
        .env("GHCR_TOKEN", &ghcr_token)
        .env_remove("GH_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{stderr}"));
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let found = secrets(&report);
    for s in [&t.deleted, &t.kept, &t.gzip, &t.env, &t.arg, &t.label] {
        assert!(found.contains(s), "{report:#}");
    }
    assert!(!found.contains(&t.zstd), "the missing layer held it");
    let l = location(&report, &t.gzip);
    assert_eq!(l["image"]["digest"], gzip_layer);
    assert_eq!(l["image"]["tag"], "1.0");
    // The file the missing layer's opaque directory deletes cannot be said deleted.
    assert_eq!(
        location(&report, &t.deleted)["image"]["deleted_later"],
        true
    );
    let errors = report["errors"].to_string();
    assert!(
        errors.contains(&missing) && errors.contains("404"),
        "{errors}"
    );
    assert!(errors.contains(&target), "{errors}");
    assert_eq!(storage_seen.lock().unwrap().len(), 1);
    assert!(storage_seen.lock().unwrap()[0].authorization.is_none());
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|s| s.path.starts_with("/token"))
    );
    // The registry token never appears in what patrol prints.
    let printed = [out.stdout.clone(), out.stderr.clone()].concat();
    let printed = String::from_utf8_lossy(&printed);
    assert!(!printed.contains(&ghcr_token) && !printed.contains("abc123"));
}

#[test]
fn a_registry_that_refuses_or_limits_is_an_incomplete_scan_naming_the_image() {
    let (port, _) = serve(|path, _| {
        if path.contains("/limited/") {
            (429, vec![h("Retry-After", "0".into())], vec![])
        } else {
            (401, vec![], vec![])
        }
    });
    for (name, said) in [("closed", "401"), ("limited", "429")] {
        let target = format!("127.0.0.1:{port}/{name}/app:1");
        let out = patrol()
            .args(["image", &target, "-f", "json", "--api-retries", "1"])
            .env_remove("GHCR_TOKEN")
            .env_remove("GH_TOKEN")
            .env("DOCKER_CONFIG", "/nonexistent")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(5));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors = report["errors"].to_string();
        assert!(
            errors.contains(&target) && errors.contains(said),
            "{errors}"
        );
    }
}

#[test]
fn steps_verify_and_suppression_work_on_image_findings() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let allowed = mint("ghp");
    let config = json!({"config": {"Env": [format!("GH_TOKEN={tok}"), format!("OLD={allowed}")]}});
    let image = Image::new(vec![tar(&[("etc/x", b"nothing\n")])], config);
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    let fingerprint: String = Sha256::digest(allowed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    write(
        dir.path(),
        "patrol.toml",
        format!("allow = [\"{fingerprint}\"]\n"),
    );
    let mut server = mockito::Server::new();
    let live = server
        .mock("GET", "/user")
        .match_header("authorization", format!("Bearer {tok}").as_str())
        .with_status(200)
        .with_body(r#"{"login":"octocat","id":1}"#)
        .expect(1)
        .create();
    let out = patrol()
        .current_dir(dir.path())
        .args(["image", "layout", "--verify", "--steps", "--api-url"])
        .arg(server.url())
        .args(["--api-interval", "0", "-f", "json"])
        .output()
        .unwrap();
    live.assert();
    assert_eq!(out.status.code(), Some(3), "a live secret exits 3");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    assert_eq!(report["summary"]["suppressed"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("BuildKit secret"), "{stderr}");
    assert!(stderr.contains("delete every tag and version"), "{stderr}");
    assert!(!stderr.contains(&tok));
}

#[test]
fn what_no_image_uses_is_still_scanned_as_a_blob() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _) = planted();
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    let stray = mint("ghp");
    let extra = tar(&[("notes.txt", format!("t={stray}\n").as_bytes())]);
    write(&layout, &blob(&extra), &extra);
    let (report, _) = json_report(&["image", layout.to_str().unwrap()]);
    let l = location(&report, &stray);
    assert_eq!(l["image"]["part"], "blob", "{report:#}");
    assert_eq!(
        l["image"]["file"],
        format!("{}!notes.txt", blob(&extra)),
        "{report:#}"
    );
    assert!(l["image"]["deleted_later"].is_null());
}

// ---- hostile images ----

#[test]
fn an_index_naming_the_same_manifests_over_and_over_is_resolved_once() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let image = Image::new(
        vec![tar(&[("etc/t", format!("t={tok}\n").as_bytes())])],
        json!({"config": {}}),
    );
    for (name, bytes) in image.blobs() {
        write(dir.path(), &name, bytes);
    }
    let entry = |media: &str, bytes: &[u8]| json!({"mediaType": media, "digest": digest(bytes), "size": bytes.len()});
    // An inner index naming the image 400 times, named 400 times by index.json: 160 000 paths
    // to one image.
    let inner = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests":
        vec![entry("application/vnd.oci.image.manifest.v1+json", &image.manifest); 400]}))
    .unwrap();
    write(dir.path(), &blob(&inner), &inner);
    let index = json!({"schemaVersion": 2, "manifests":
        vec![entry("application/vnd.oci.image.index.v1+json", &inner); 400]});
    write(
        dir.path(),
        "index.json",
        serde_json::to_vec(&index).unwrap(),
    );
    let (report, code) = json_report(&["image", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(secrets(&report), [tok]);
    // The layer and the config were read once each, not once per path.
    let files = report["summary"]["files"].as_u64().unwrap();
    assert!(files < 20, "{files} files read");
}

#[test]
fn a_github_token_goes_to_no_token_realm_on_another_host_and_odd_digests_are_not_fetched() {
    // The token service on another host name (still this machine): it may issue an anonymous
    // token, but must not receive the GitHub token.
    let (realm_port, realm_seen) = serve(|_, _| (200, vec![], br#"{"token":"anon"}"#.to_vec()));
    let ghcr_token = mint("ghp");
    let layer = tar(&[("etc/x", b"nothing\n")]);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"digest": "sha256:../../../../v2/secret/config", "size": 2},
        "layers": [{"digest": "sha256:../../admin", "size": 1},
                   {"digest": digest(&layer), "size": layer.len()}]}))
    .unwrap();
    let (port, seen) = serve(move |path, auth| {
        if auth != Some("Bearer anon") {
            let realm = format!("http://localhost:{realm_port}/token");
            let challenge = format!(r#"Bearer realm="{realm}",service="s""#);
            return (401, vec![h("WWW-Authenticate", challenge)], vec![]);
        }
        if path == "/v2/team/app/manifests/1.0" {
            return (200, vec![], manifest.clone());
        }
        (200, vec![], layer.clone())
    });
    let target = format!("127.0.0.1:{port}/team/app:1.0");
    let out = patrol()
        .args(["image", &target, "-f", "json"])
        .env("GHCR_TOKEN", &ghcr_token)
        .env_remove("GH_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].to_string();
    assert!(errors.contains("not a sha256 digest"), "{errors}");
    let realm_seen = realm_seen.lock().unwrap();
    assert!(!realm_seen.is_empty());
    assert!(
        realm_seen.iter().all(|s| s.authorization.is_none()),
        "{realm_seen:?}"
    );
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().all(|s| s.path.starts_with("/v2/team/app/")),
        "{seen:?}"
    );
}

#[test]
fn a_token_service_answer_too_large_to_hold_is_refused() {
    let pad = "x".repeat(2 << 20);
    let own_port = Arc::new(Mutex::new(0u16));
    let realm_port = own_port.clone();
    let (port, _) = serve(move |path, auth| {
        if path.starts_with("/token") {
            let body = format!(r#"{{"pad":"{pad}","token":"abc"}}"#);
            return (200, vec![], body.into_bytes());
        }
        match auth {
            Some("Bearer abc") => (404, vec![], vec![]),
            _ => {
                let port = *realm_port.lock().unwrap();
                let challenge = format!(r#"Bearer realm="http://127.0.0.1:{port}/token""#);
                (401, vec![h("WWW-Authenticate", challenge)], vec![])
            }
        }
    });
    *own_port.lock().unwrap() = port;
    let target = format!("127.0.0.1:{port}/team/app:1.0");
    let out = patrol()
        .args(["image", &target, "-f", "json"])
        .env_remove("GHCR_TOKEN")
        .env_remove("GH_TOKEN")
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].to_string();
    assert!(errors.contains("no JSON"), "{errors}");
}

#[test]
fn a_fifo_or_a_link_to_a_device_in_a_layout_directory_is_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (image, t) = planted();
    oci_dir(dir.path(), &[(&image, None)]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("blobs/zero")).unwrap();
    let fifo = dir.path().join("blobs/fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let (report, code) = json_report(&["image", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    check_planted(&report, &t);
    assert_eq!(report["summary"]["skipped_special"], 2, "{report:#}");
}

#[test]
fn a_secret_in_an_index_platform_is_redacted_in_every_location() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    let image = Image::new(
        vec![tar(&[("etc/t", format!("t={tok}\n").as_bytes())])],
        json!({"config": {}}),
    );
    oci_dir(dir.path(), &[(&image, Some(("linux", tok.as_str())))]);
    let out = patrol()
        .args(["image", dir.path().to_str().unwrap(), "--all-platforms"])
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"platform\": \"linux/"), "{text}");
    assert!(!text.contains(&tok), "{text}");
}

/// A tar written header by header: names as given (`..`, control characters, NUL), a GNU long
/// name entry first for names over 100 bytes.
fn raw_tar(members: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut entry = |name: &[u8], kind: tar::EntryType, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        let n = name.len().min(100);
        h.as_old_mut().name[..n].copy_from_slice(&name[..n]);
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    };
    for (name, data) in members {
        if name.len() > 100 {
            entry(
                b"././@LongLink",
                tar::EntryType::GNULongName,
                &[name, &b"\0"[..]].concat(),
            );
        }
        entry(name, tar::EntryType::Regular, data);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

#[test]
fn hostile_names_and_config_strings_reach_no_terminal_raw_and_keep_json_valid() {
    let dir = tempfile::tempdir().unwrap();
    let toks: Vec<String> = (0..6).map(|_| mint("ghp")).collect();
    let long = format!("deep/{}/\x1b[2Jname", "d".repeat(300));
    let names: [&[u8]; 5] = [
        b"\x1b]0;owned\x07title.txt",
        b"a\nb\x1b[2J.txt",
        b"../../etc/escape.txt",
        long.as_bytes(),
        b"nul\0hidden.txt",
    ];
    let members: Vec<(&[u8], Vec<u8>)> = names
        .iter()
        .zip(&toks)
        .map(|(n, t)| (*n, format!("t={t}\n").into_bytes()))
        .collect();
    let members: Vec<(&[u8], &[u8])> = members.iter().map(|(n, d)| (*n, &d[..])).collect();
    let layer = raw_tar(&members);
    let config = json!({"config": {
            "Env": [format!("\u{1b}[2JKEY={}", toks[5])],
            "Labels": {"lab\u{1b}]8;;http://x\u{7}el": "v"}},
        "history": [{"created_by": "RUN \u{1b}[31m echo \u{9b}2J"}]});
    let image = Image::new(vec![layer], config);
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    // An entry no image uses, broken, with an escape in its name: a problem naming it.
    write(
        &layout,
        "blobs/\u{1b}[2Jjunk.gz",
        [0x1f, 0x8b, 8, 0, 1, 2, 3],
    );
    let tarball = write(dir.path(), "hostile.tar", tar_of(&layout));
    for target in [&layout, &tarball] {
        let target = target.to_str().unwrap();
        for format in ["text", "json", "jsonl", "sarif"] {
            let out = patrol()
                .args(["image", target, "-f", format])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            // JSON escapes C0 controls; a C1 one (U+009B) is valid JSON, but text is for people.
            let c1 = |s: &[u8]| String::from_utf8_lossy(s).contains('\u{9b}');
            assert!(!out.stdout.contains(&0x1b), "{format}");
            assert!(!out.stderr.contains(&0x1b) && !c1(&out.stderr), "{format}");
            assert!(format != "text" || !c1(&out.stdout), "{format}");
            if format == "json" || format == "sarif" {
                serde_json::from_slice::<Value>(&out.stdout).expect("valid JSON");
            }
        }
        let (report, _) = json_report(&["image", target]);
        let found = secrets(&report);
        for t in &toks {
            assert!(found.contains(t), "{report:#}");
        }
        assert!(
            report["errors"].to_string().contains("junk.gz"),
            "{report:#}"
        );
    }
}

/// A private stand-in registry serving `image` as `team/app:1.0` to whoever shows the bearer
/// token its token service hands out for `expected_basic` (`Basic base64(user:secret)`) only.
fn private_registry(image: &Image, expected_basic: String) -> u16 {
    let blobs: Vec<(String, Vec<u8>)> = image
        .blobs()
        .into_iter()
        .map(|(name, b)| (format!("sha256:{}", &name["blobs/sha256/".len()..]), b))
        .collect();
    let manifest = image.manifest.clone();
    let port_cell = Arc::new(Mutex::new(0u16));
    let realm_port = port_cell.clone();
    let (port, _) = serve(move |path, auth| {
        if path.starts_with("/token") {
            return match auth {
                Some(a) if a == expected_basic => (200, vec![], br#"{"token":"t0k"}"#.to_vec()),
                _ => (401, vec![], vec![]),
            };
        }
        if auth != Some("Bearer t0k") {
            let realm = format!("http://127.0.0.1:{}/token", realm_port.lock().unwrap());
            let challenge = format!(r#"Bearer realm="{realm}",service="stand-in""#);
            return (401, vec![h("WWW-Authenticate", challenge)], vec![]);
        }
        if path == "/v2/team/app/manifests/1.0" {
            let ct = h(
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json".into(),
            );
            return (200, vec![ct], manifest.clone());
        }
        let d = path.strip_prefix("/v2/team/app/blobs/").unwrap_or("");
        match blobs.iter().find(|(name, _)| name == d) {
            Some((_, b)) => (200, vec![], b.clone()),
            None => (404, vec![], vec![]),
        }
    });
    *port_cell.lock().unwrap() = port;
    port
}

fn basic(user: &str, secret: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
}

/// Pulls `team/app:1.0` from the stand-in on `port` with no credentials in the environment and
/// the docker configuration in `docker_config`; the report, the exit code and all it printed.
fn pull_with_docker_config(
    port: u16,
    docker_config: &Path,
    path: Option<std::ffi::OsString>,
) -> (Value, i32, String) {
    let target = format!("127.0.0.1:{port}/team/app:1.0");
    let mut cmd = patrol();
    cmd.args(["image", &target, "-f", "json", "--show-secrets"])
        .env_remove("GHCR_TOKEN")
        .env_remove("GH_TOKEN")
        .env("DOCKER_CONFIG", docker_config);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output().unwrap();
    let printed = String::from_utf8_lossy(&[out.stdout.clone(), out.stderr].concat()).into_owned();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{printed}"));
    (report, out.status.code().unwrap_or(-1), printed)
}

#[test]
fn docker_config_auths_log_in_to_a_private_registry_and_the_secret_is_never_printed() {
    let (image, t) = planted();
    let secret = mint("ghp");
    let port = private_registry(&image, format!("Basic {}", basic("octo", &secret)));
    let config = tempfile::tempdir().unwrap();
    let auths = json!({"auths": {format!("127.0.0.1:{port}"): {"auth": basic("octo", &secret)}}});
    write(
        config.path(),
        "config.json",
        serde_json::to_vec(&auths).unwrap(),
    );
    let (report, code, printed) = pull_with_docker_config(port, config.path(), None);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
    assert!(secrets(&report).contains(&t.kept), "{report:#}");
    assert!(!printed.contains(&secret) && !printed.contains(&basic("octo", &secret)));

    // Without the entry the registry refuses: the credentials above were what opened it.
    write(config.path(), "config.json", "{}");
    let (report, code, _) = pull_with_docker_config(port, config.path(), None);
    assert_eq!(code, 5, "{report:#}");
    assert!(secrets(&report).is_empty());
}

#[test]
fn a_docker_credential_helper_logs_in_to_a_private_registry_and_the_secret_is_never_printed() {
    let (image, t) = planted();
    let secret = mint("ghp");
    let port = private_registry(&image, format!("Basic {}", basic("helper-user", &secret)));
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let asked = dir.path().join("asked");
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = get ] || exit 1\ncat > '{}'\nprintf '%s' '{{\"ServerURL\":\"x\",\"Username\":\"helper-user\",\"Secret\":\"{secret}\"}}'\n",
        asked.display()
    );
    let helper = write(&bin, "docker-credential-test", script);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("docker");
    let helpers = json!({"credHelpers": {format!("127.0.0.1:{port}"): "test"}});
    write(
        &config,
        "config.json",
        serde_json::to_vec(&helpers).unwrap(),
    );
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let (report, code, printed) = pull_with_docker_config(port, &config, Some(path));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
    assert!(secrets(&report).contains(&t.kept), "{report:#}");
    assert_eq!(
        std::fs::read_to_string(&asked).unwrap().trim(),
        format!("127.0.0.1:{port}"),
        "the helper is asked for the registry's host"
    );
    assert!(!printed.contains(&secret));
}

/// A layer tar of members that may be links: `(name, Some(target), symlink?)` or content.
enum Member<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
}

fn tar_with_links(members: &[Member]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for m in members {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        match m {
            Member::File(name, data) => {
                h.set_size(data.len() as u64);
                h.set_cksum();
                t.append_data(&mut h, name, *data).unwrap();
            }
            Member::Symlink(name, to) | Member::HardLink(name, to) => {
                let kind = match m {
                    Member::Symlink(..) => tar::EntryType::Symlink,
                    _ => tar::EntryType::Link,
                };
                h.set_entry_type(kind);
                h.set_size(0);
                t.append_link(&mut h, name, to).unwrap();
            }
        }
    }
    t.into_inner().unwrap()
}

#[test]
fn a_link_or_a_file_a_later_layer_puts_at_a_path_deletes_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let [sym, hard, over, nested, kept] = [(); 5].map(|_| mint("ghp"));
    let inner = gzip(&tar(&[("inner.txt", format!("t={nested}\n").as_bytes())]));
    let lower = tar(&[
        ("etc/a.txt", format!("t={sym}\n").as_bytes()),
        ("etc/b.txt", format!("t={hard}\n").as_bytes()),
        ("etc/c.txt", format!("t={over}\n").as_bytes()),
        ("opt/bundle.tar.gz", &inner),
        ("srv/d.txt", format!("t={kept}\n").as_bytes()),
    ]);
    let upper = tar_with_links(&[
        Member::Symlink("etc/a.txt", "/dev/null"),
        Member::File("etc/other", b"nothing\n"),
        Member::HardLink("etc/b.txt", "etc/other"),
        Member::File("etc/c.txt", b"nothing\n"),
        Member::File("opt/bundle.tar.gz", b"not an archive any more\n"),
    ]);
    let image = Image::new(vec![lower, upper], json!({"config": {}}));
    oci_dir(dir.path(), &[(&image, None)]);
    let (report, code) = json_report(&["image", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    for (secret, what) in [
        (&sym, "a symbolic link"),
        (&hard, "a hard link"),
        (&over, "a file"),
        (&nested, "a file in place of an archive"),
    ] {
        let l = location(&report, secret);
        assert_eq!(
            l["image"]["deleted_later"], true,
            "replaced by {what}: {l:#}"
        );
    }
    assert_eq!(
        location(&report, &nested)["image"]["file"],
        "opt/bundle.tar.gz!inner.txt"
    );
    assert_eq!(location(&report, &kept)["image"]["deleted_later"], false);
}

/// `sha256:HEX` of each layer's uncompressed tar, as `rootfs.diff_ids` lists them.
fn diff_ids(uncompressed: &[&[u8]]) -> Value {
    json!(uncompressed.iter().map(|l| digest(l)).collect::<Vec<_>>())
}

#[test]
fn each_layer_is_checked_against_the_configs_diff_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (mint("ghp"), mint("ghp"));
    let plain = tar(&[("etc/a", format!("t={a}\n").as_bytes())]);
    let packed = tar(&[("etc/b", format!("t={b}\n").as_bytes())]);
    let layers = vec![plain.clone(), gzip(&packed)];
    let good = json!({"config": {}, "rootfs": {"type": "layers",
        "diff_ids": diff_ids(&[&plain, &packed])}});
    let image = Image::new(layers.clone(), good);
    let layout = dir.path().join("good");
    oci_dir(&layout, &[(&image, None)]);
    let (report, code) = json_report(&["image", layout.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");

    // The config says the gzip layer's diff_id is its compressed digest: not what it holds.
    let wrong = json!({"config": {}, "rootfs": {"type": "layers",
        "diff_ids": [digest(&plain), digest(&layers[1])]}});
    let image = Image::new(layers.clone(), wrong);
    let layout = dir.path().join("wrong");
    oci_dir(&layout, &[(&image, None)]);
    let target = layout.to_str().unwrap();
    let (report, code) = json_report(&["image", target, "--exit-code", "0"]);
    assert_eq!(code, 5, "{report:#}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report:#}");
    let error = errors[0].to_string();
    assert!(error.contains("diff_id mismatch"), "{error}");
    assert!(
        error.contains(target) && error.contains(&digest(&layers[1])),
        "{error}"
    );
    assert_eq!(secrets(&report).len(), 2, "the findings are kept");

    // In `docker save`'s own form the layers are not named by digest: diff_ids are the check.
    let saved = json!({"config": {}, "rootfs": {"type": "layers",
        "diff_ids": diff_ids(&[&plain, &packed])}});
    let image = Image::new(vec![plain.clone(), packed.clone()], saved);
    let mut bytes = docker_save(&image, "app:1");
    let at = bytes
        .windows(a.len())
        .position(|w| w == a.as_bytes())
        .unwrap();
    bytes[at - 2] = b'T'; // `t=` becomes `T=` inside the first layer.tar
    let tarball = write(dir.path(), "saved.tar", &bytes);
    let (report, code) = json_report(&["image", tarball.to_str().unwrap(), "--exit-code", "0"]);
    assert_eq!(code, 5, "{report:#}");
    let errors = report["errors"].to_string();
    assert!(errors.contains("diff_id mismatch"), "{errors}");
    assert_eq!(secrets(&report).len(), 2);
}

#[test]
fn a_large_layer_whose_digest_does_not_match_is_reported_and_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let (first, last) = (mint("ghp"), mint("ghp"));
    // Several MiB: the layer is hashed on one thread and matched on another, chunk by chunk.
    let filler = "lorem ipsum dolor sit amet\n".repeat(200_000);
    let body = format!("a={first}\n{filler}z={last}\n");
    let layer = tar(&[("srv/big.txt", body.as_bytes())]);
    let image = Image::new(vec![layer.clone()], json!({"config": {}}));
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    let stored = layout.join(blob(&layer));
    let mut bytes = std::fs::read(&stored).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'x' { b'y' } else { b'x' };
    std::fs::write(&stored, bytes).unwrap();
    let oci = write(dir.path(), "oci.tar", tar_of(&layout));
    for target in [layout.to_str().unwrap(), oci.to_str().unwrap()] {
        let (report, code) = json_report(&["image", target, "--exit-code", "0"]);
        assert_eq!(code, 5, "{report:#}");
        let errors = report["errors"].to_string();
        assert!(errors.contains("layer digest mismatch"), "{errors}");
        assert!(errors.contains(hex(&digest(&layer))), "{errors}");
        assert_eq!(
            secrets(&report),
            [first.clone(), last.clone()],
            "{report:#}"
        );
    }
}

#[test]
fn findings_are_the_same_whichever_layer_a_pull_finishes_first() {
    let (image, _) = planted();
    let reports: Vec<Value> = (0..image.layers.len())
        .map(|slow| {
            let slow_layer = digest(&image.layers[slow]);
            let blobs: Vec<(String, Vec<u8>)> = image
                .blobs()
                .into_iter()
                .map(|(name, b)| (format!("sha256:{}", &name["blobs/sha256/".len()..]), b))
                .collect();
            let manifest = image.manifest.clone();
            let (port, _) = serve(move |path, _| {
                if path == "/v2/team/app/manifests/1.0" {
                    let ct = h(
                        "Content-Type",
                        "application/vnd.oci.image.manifest.v1+json".into(),
                    );
                    return (200, vec![ct], manifest.clone());
                }
                let d = path.strip_prefix("/v2/team/app/blobs/").unwrap_or("");
                if d == slow_layer {
                    // Not a timing assertion: only makes this layer likely to finish last.
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                match blobs.iter().find(|(name, _)| name == d) {
                    Some((_, b)) => (200, vec![], b.clone()),
                    None => (404, vec![], vec![]),
                }
            });
            let out = patrol()
                .args(["image", &format!("127.0.0.1:{port}/team/app:1.0")])
                .args(["-f", "json", "--show-secrets"])
                .env_remove("GHCR_TOKEN")
                .env_remove("GH_TOKEN")
                .env("DOCKER_CONFIG", "/nonexistent")
                .output()
                .unwrap();
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
            let findings = report["findings"].to_string();
            // The port differs from run to run; nothing else may.
            serde_json::from_str(&findings.replace(&port.to_string(), "PORT")).unwrap()
        })
        .collect();
    assert_eq!(secrets(&json!({"findings": reports[0]})).len(), 8);
    for r in &reports[1..] {
        assert_eq!(r, &reports[0]);
    }
}

#[test]
fn large_layers_of_a_tarball_are_scanned_side_by_side_and_a_cut_inside_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let tokens: Vec<String> = (0..4).map(|_| mint("ghp")).collect();
    // Larger than a document: each layer is read from its own handle, beside the others.
    let filler = "lorem ipsum dolor sit amet\n".repeat(200_000);
    let layers: Vec<Vec<u8>> = tokens
        .chunks(2)
        .map(|pair| {
            let body = format!("a={}\n{filler}z={}\n", pair[0], pair[1]);
            tar(&[("srv/big.txt", body.as_bytes())])
        })
        .collect();
    let image = Image::new(layers.clone(), json!({"config": {}}));
    let layout = dir.path().join("layout");
    oci_dir(&layout, &[(&image, None)]);
    let saved = docker_save(&image, "app:1.0");
    let targets = [
        write(dir.path(), "saved.tar", &saved),
        write(dir.path(), "oci.tar", tar_of(&layout)),
    ];
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let (from_dir, code) = json_report(&["image", layout.to_str().unwrap()]);
    assert_eq!(code, 1, "{from_dir:#}");
    assert_eq!(
        sorted(secrets(&from_dir)),
        sorted(tokens.clone()),
        "{from_dir:#}"
    );
    for target in &targets {
        let (report, code) = json_report(&["image", target.to_str().unwrap()]);
        assert_eq!(code, 1, "{report:#}");
        assert_eq!(secrets(&report), secrets(&from_dir), "{report:#}");
        assert_eq!(report["errors"], json!([]), "{report:#}");
    }

    // Cut in the middle of the second layer: the first layer and the head of the second are
    // kept, the cut is reported against that layer, and the scan is incomplete.
    let second = saved
        .windows(layers[1].len().min(4096))
        .position(|w| w == &layers[1][..w.len()])
        .unwrap();
    let cut = write(
        dir.path(),
        "cut.tar",
        &saved[..second + layers[1].len() / 2],
    );
    let (report, code) = json_report(&["image", cut.to_str().unwrap(), "--exit-code", "0"]);
    assert_eq!(code, 5, "{report:#}");
    let errors = report["errors"].to_string();
    assert!(errors.contains("00000001/layer.tar"), "{errors}");
    assert!(errors.contains("not read to its end"), "{errors}");
    let found = secrets(&report);
    for t in &tokens[..3] {
        assert!(found.contains(t), "{report:#}");
    }
    assert!(!found.contains(&tokens[3]), "{report:#}");
}

#[cfg(unix)]
#[test]
fn an_image_tarball_from_a_pipe_is_read_as_it_streams() {
    let dir = tempfile::tempdir().unwrap();
    let tok = mint("ghp");
    // Larger than a document, so a file would have it set aside and read from its own handle.
    let body = format!("a={tok}\n{}", "lorem ipsum\n".repeat(500_000));
    let image = Image::new(
        vec![tar(&[("srv/big.txt", body.as_bytes())])],
        json!({"config": {}}),
    );
    let saved = write(dir.path(), "saved.tar", docker_save(&image, "app:1.0"));
    let fifo = dir.path().join("pipe.tar");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let bytes = std::fs::read(saved).unwrap();
            std::fs::write(fifo, bytes).unwrap();
        })
    };
    let (report, code) = json_report(&["image", fifo.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["errors"], json!([]), "{report:#}");
    assert_eq!(secrets(&report), [tok]);
}
