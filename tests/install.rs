//! scripts/install.sh, the Action's download-and-verify step, against a fake release served on
//! 127.0.0.1: a good archive installs, a tampered one is refused (nothing installed, nothing
//! built), a missing release is built from source only when asked (the build command is
//! injected, so no cargo runs), and `latest` follows the releases/latest redirect.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mockito::Server;
use sha2::{Digest, Sha256};

const TARGET: &str = "x86_64-unknown-linux-musl";
const STEM: &str = "patrol-v1.2.3-x86_64-unknown-linux-musl";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh")
}

/// A release archive as the release workflow makes it: `STEM/patrol` (here a shell script
/// that prints `message`) beside the README.
fn archive(message: &str) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, mode, body) in [
        ("patrol", 0o755, format!("#!/bin/sh\necho '{message}'\n")),
        ("README.md", 0o644, "# patrol\n".to_string()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, format!("{STEM}/{name}"), body.as_bytes())
            .expect("tar member");
    }
    tar.into_inner().expect("tar").finish().expect("gzip")
}

fn sums_for(archive: &[u8]) -> String {
    let digest: String = Sha256::digest(archive)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{digest}  {STEM}.tar.gz\n{}  patrol-v1.2.3-aarch64-apple-darwin.tar.gz\n",
        "0".repeat(64)
    )
}

/// Serves `SHA256SUMS` and the archive of release v1.2.3 (each expected to be fetched `hits`
/// times) under /acme/patrol/releases.
fn serve_release(
    server: &mut Server,
    sums: &str,
    archive: Vec<u8>,
    hits: usize,
) -> [mockito::Mock; 2] {
    let base = "/acme/patrol/releases/download/v1.2.3";
    [
        server
            .mock("GET", format!("{base}/SHA256SUMS").as_str())
            .with_body(sums)
            .expect(hits)
            .create(),
        server
            .mock("GET", format!("{base}/{STEM}.tar.gz").as_str())
            .with_body(archive)
            .expect(hits)
            .create(),
    ]
}

/// Runs the script with `args` into `dir`; the injected build command writes a `patrol` that
/// prints "built from source" and leaves a marker, so a test can tell whether it ran.
fn install(server: &Server, dir: &Path, args: &[&str]) -> Output {
    let marker = dir.with_extension("built");
    Command::new("sh")
        .env("GITHUB_OUTPUT", dir.with_extension("output"))
        .arg(script())
        .args(["--dir", dir.to_str().expect("utf-8 path"), "--target", TARGET])
        .args(args)
        .env("PATROL_RELEASES_URL", format!("{}/acme/patrol/releases", server.url()))
        .env(
            "PATROL_BUILD_CMD",
            format!(
                "mkdir -p \"$PATROL_BUILD_ROOT/bin\" && printf '#!/bin/sh\\necho built from source %s\\n' \"$PATROL_VERSION\" > \"$PATROL_BUILD_ROOT/bin/patrol\" && touch '{}'",
                marker.display()
            ),
        )
        .output()
        .expect("run sh")
}

/// What the script told GitHub Actions (`from=release` or `from=source`).
fn github_output(dir: &Path) -> String {
    std::fs::read_to_string(dir.with_extension("output")).unwrap_or_default()
}

fn run_installed(dir: &Path) -> String {
    let out = Command::new(dir.join("patrol"))
        .output()
        .expect("run installed patrol");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_good_archive_is_verified_and_installed() {
    let mut server = Server::new();
    let good = archive("patrol 1.2.3 from the release");
    let mocks = serve_release(&mut server, &sums_for(&good), good, 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    let out = install(&server, &dir, &["--version", "v1.2.3"]);
    assert!(out.status.success(), "install failed: {}", stderr(&out));
    assert!(stderr(&out).contains("verified"), "{}", stderr(&out));
    assert_eq!(run_installed(&dir), "patrol 1.2.3 from the release");
    assert!(
        !dir.with_extension("built").exists(),
        "a release was there: nothing to build"
    );
    for m in &mocks {
        m.assert();
    }
}

#[test]
fn a_version_without_the_v_is_the_same_tag() {
    let mut server = Server::new();
    let good = archive("patrol 1.2.3");
    let _mocks = serve_release(&mut server, &sums_for(&good), good, 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    let out = install(&server, &dir, &["--version", "1.2.3"]);
    assert!(out.status.success(), "install failed: {}", stderr(&out));
    assert_eq!(run_installed(&dir), "patrol 1.2.3");
}

#[test]
fn a_tampered_archive_is_refused_and_nothing_is_installed_or_built() {
    let mut server = Server::new();
    let good = archive("patrol 1.2.3");
    let tampered = archive("patrol 1.2.3 with a backdoor");
    let _mocks = serve_release(&mut server, &sums_for(&good), tampered, 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    // --build-if-missing must not turn a bad checksum into a build.
    let out = install(
        &server,
        &dir,
        &["--version", "v1.2.3", "--build-if-missing"],
    );
    assert!(!out.status.success(), "a tampered archive was accepted");
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.join("patrol").exists(),
        "a tampered binary was installed"
    );
    assert!(
        !dir.with_extension("built").exists(),
        "a checksum mismatch fell back to building"
    );
}

#[test]
fn a_previous_install_survives_a_tampered_upgrade() {
    let mut server = Server::new();
    let good = archive("patrol 1.2.3");
    let _mocks = serve_release(&mut server, &sums_for(&good), archive("evil"), 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("patrol"), "previous").expect("write");

    let out = install(&server, &dir, &["--version", "v1.2.3"]);
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("patrol")).expect("read"),
        "previous"
    );
}

#[test]
fn a_missing_release_is_built_from_source_only_when_asked() {
    let mut server = Server::new();
    let missing = server
        .mock("GET", "/acme/patrol/releases/download/v9.9.9/SHA256SUMS")
        .with_status(404)
        .expect(2)
        .create();
    let tmp = tempfile::tempdir().expect("tempdir");

    let refused = tmp.path().join("refused");
    let out = install(&server, &refused, &["--version", "v9.9.9"]);
    assert!(
        !out.status.success(),
        "a missing release installed something"
    );
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
    assert!(!refused.join("patrol").exists());
    assert!(!refused.with_extension("built").exists());

    let built = tmp.path().join("built");
    let out = install(
        &server,
        &built,
        &["--version", "v9.9.9", "--build-if-missing"],
    );
    assert!(out.status.success(), "fallback failed: {}", stderr(&out));
    assert!(
        built.with_extension("built").exists(),
        "the build command did not run"
    );
    assert_eq!(run_installed(&built), "built from source v9.9.9");
    assert_eq!(github_output(&built), "from=source\n");
    missing.assert();
}

#[test]
fn a_release_without_this_machine_s_archive_is_a_missing_release() {
    let mut server = Server::new();
    let sums = server
        .mock("GET", "/acme/patrol/releases/download/v1.2.3/SHA256SUMS")
        .with_body(format!(
            "{}  patrol-v1.2.3-aarch64-apple-darwin.tar.gz\n",
            "0".repeat(64)
        ))
        .expect(2)
        .create();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    let out = install(&server, &dir, &["--version", "v1.2.3"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("has no {STEM}.tar.gz")),
        "{}",
        stderr(&out)
    );

    let out = install(
        &server,
        &dir,
        &["--version", "v1.2.3", "--build-if-missing"],
    );
    assert!(out.status.success(), "fallback failed: {}", stderr(&out));
    assert_eq!(run_installed(&dir), "built from source v1.2.3");
    sums.assert();
}

#[test]
fn a_server_error_is_a_failure_not_a_fallback() {
    let mut server = Server::new();
    let _broken = server
        .mock("GET", "/acme/patrol/releases/download/v1.2.3/SHA256SUMS")
        .with_status(403)
        .create();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    let out = install(
        &server,
        &dir,
        &["--version", "v1.2.3", "--build-if-missing"],
    );
    assert!(!out.status.success(), "an unreadable release fell back");
    assert!(stderr(&out).contains("HTTP 403"), "{}", stderr(&out));
    assert!(!dir.with_extension("built").exists());
}

#[test]
fn latest_follows_the_releases_latest_redirect() {
    let mut server = Server::new();
    let _latest = server
        .mock("GET", "/acme/patrol/releases/latest")
        .with_status(302)
        .with_header(
            "location",
            &format!("{}/acme/patrol/releases/tag/v1.2.3", server.url()),
        )
        .create();
    let _page = server
        .mock("GET", "/acme/patrol/releases/tag/v1.2.3")
        .with_body("release page")
        .create();
    let good = archive("patrol 1.2.3 latest");
    let _mocks = serve_release(&mut server, &sums_for(&good), good, 1);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    let out = install(&server, &dir, &[]);
    assert!(out.status.success(), "install failed: {}", stderr(&out));
    assert_eq!(run_installed(&dir), "patrol 1.2.3 latest");
}

#[test]
fn plain_http_is_refused_except_to_this_machine() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new("sh")
        .arg(script())
        .args(["--version", "v1.2.3", "--target", TARGET, "--dir"])
        .arg(tmp.path())
        .env(
            "PATROL_RELEASES_URL",
            "http://example.com/acme/patrol/releases",
        )
        .output()
        .expect("run sh");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("https"), "{}", stderr(&out));
}

#[test]
fn from_source_builds_without_asking_for_a_release() {
    // No mock at all: any request would be answered 501 and fail the install.
    let server = Server::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bin");

    let out = install(&server, &dir, &["--version", "v1.2.3", "--from-source"]);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
    assert_eq!(run_installed(&dir), "built from source v1.2.3");
    assert_eq!(github_output(&dir), "from=source\n");
}

#[test]
fn help_describes_the_script() {
    let out = Command::new("sh")
        .arg(script())
        .arg("--help")
        .output()
        .expect("run sh");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SHA256SUMS") && text.contains("PATROL_BUILD_CMD"),
        "{text}"
    );
    assert!(!text.contains("set -eu"), "{text}");
}

#[test]
fn what_package_sh_makes_install_sh_installs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let fake = tmp.path().join("built-patrol");
    std::fs::write(&fake, "#!/bin/sh\necho 'patrol as released'\n").expect("write");
    let out = Command::new("sh")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/package.sh"))
        .args(["v1.2.3", TARGET])
        .arg(&fake)
        .arg(tmp.path().join("dist"))
        .output()
        .expect("run package.sh");
    assert!(out.status.success(), "package.sh: {}", stderr(&out));
    let archive_path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(
        archive_path,
        tmp.path().join("dist").join(format!("{STEM}.tar.gz"))
    );
    let packaged = std::fs::read(&archive_path).expect("archive");

    // The release's licence files and docs travel with the binary.
    let mut members: Vec<String> = tar::Archive::new(flate2::read::GzDecoder::new(&packaged[..]))
        .entries()
        .expect("tar")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    members.sort();
    for name in [
        "CHANGELOG.md",
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "README.md",
        "patrol",
    ] {
        assert!(
            members.contains(&format!("{STEM}/{name}")),
            "{name} missing: {members:?}"
        );
    }

    let mut server = Server::new();
    let _mocks = serve_release(&mut server, &sums_for(&packaged), packaged, 1);
    let dir = tmp.path().join("bin");
    let out = install(&server, &dir, &["--version", "v1.2.3"]);
    assert!(out.status.success(), "install failed: {}", stderr(&out));
    assert_eq!(run_installed(&dir), "patrol as released");
}

/// Runs the script with no injected build command and a fake `cargo` first on PATH that records
/// its arguments and installs a stand-in; returns the arguments cargo got.
fn default_build(extra: &[&str]) -> String {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tools = tmp.path().join("tools");
    std::fs::create_dir_all(&tools).expect("mkdir");
    let log = tmp.path().join("cargo-args");
    let cargo = tools.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$*\" > '{}'\nwhile [ \"$1\" != --root ]; do shift; done\nmkdir -p \"$2/bin\"\nprintf '#!/bin/sh\\necho from cargo\\n' > \"$2/bin/patrol\"\n",
            log.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let dir = tmp.path().join("bin");
    let out = Command::new("sh")
        .arg(script())
        .args([
            "--dir",
            dir.to_str().expect("utf-8"),
            "--target",
            TARGET,
            "--from-source",
        ])
        .args(extra)
        .env(
            "PATH",
            format!(
                "{}:{}",
                tools.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("PATROL_RELEASES_URL", "http://127.0.0.1:9/none")
        .env_remove("PATROL_BUILD_CMD")
        .env_remove("GITHUB_OUTPUT")
        .output()
        .expect("run sh");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(run_installed(&dir), "from cargo");
    let args = std::fs::read_to_string(&log).expect("cargo ran");
    args.trim().to_string()
}

#[test]
fn the_default_build_installs_the_given_source_or_the_crate_of_that_version() {
    let args = default_build(&["--source", "/action/checkout", "--version", "v1.2.3"]);
    assert!(
        args.starts_with("install --locked --quiet --path /action/checkout --root "),
        "{args}"
    );
    let args = default_build(&["--version", "v1.2.3"]);
    assert!(
        args.starts_with("install --locked --quiet --root "),
        "{args}"
    );
    assert!(args.ends_with(" --version 1.2.3 patrol"), "{args}");
}
