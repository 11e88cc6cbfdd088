//! What a release publishes agrees with the crate's version before the tag is pushed: the
//! `patrol-docker` pre-commit hook runs this version's image, CHANGELOG.md has this version's
//! section (the release notes), and cargo binstall looks for the archive names that
//! scripts/package.sh makes.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

#[test]
fn the_docker_pre_commit_hook_runs_this_version_s_image() {
    let hooks = read(".pre-commit-hooks.yaml");
    let entry = hooks
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("entry: ghcr.io/"))
        .expect("a docker_image hook");
    let image = entry
        .trim_start_matches("entry: ")
        .trim_end_matches(" staged");
    let tag = image
        .rsplit_once(':')
        .map(|(_, tag)| tag)
        .expect("tagged image");
    assert_eq!(tag, format!("v{}", env!("CARGO_PKG_VERSION")), "{entry}");
    assert!(hooks.contains("language: docker_image"));
}

#[test]
fn the_changelog_has_this_version_s_section() {
    let changelog = read("CHANGELOG.md");
    let heading = format!("## [{}]", env!("CARGO_PKG_VERSION"));
    assert!(
        changelog.lines().any(|l| l.starts_with(&heading)),
        "CHANGELOG.md has no {heading} section"
    );
}

#[test]
fn binstall_looks_for_the_archives_package_sh_makes() {
    let manifest: toml::Value = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml");
    let binstall = &manifest["package"]["metadata"]["binstall"];
    // { name } is the crate name, patrol, as in package.sh's patrol-TAG-TARGET.
    assert_eq!(manifest["package"]["name"].as_str(), Some("patrol"));
    let name = "{ name }-v{ version }-{ target }";
    assert!(
        binstall["pkg-url"]
            .as_str()
            .expect("pkg-url")
            .ends_with(&format!("/{name}.tar.gz"))
    );
    assert_eq!(
        binstall["bin-dir"].as_str(),
        Some(format!("{name}/{{ bin }}{{ binary-ext }}").as_str())
    );
    let windows = &binstall["overrides"]["x86_64-pc-windows-msvc"];
    assert!(
        windows["pkg-url"]
            .as_str()
            .expect("windows pkg-url")
            .ends_with(&format!("/{name}.zip"))
    );
    let package = read("scripts/package.sh");
    assert!(package.contains(r#"stem="patrol-$tag-$target""#));
}
