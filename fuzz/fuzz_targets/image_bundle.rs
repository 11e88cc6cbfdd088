//! `patrol image FILE` on a file of arbitrary bytes: a `docker save` tarball or an OCI layout
//! tarball, compressed or not (tar headers, links, `manifest.json`, `index.json` and the
//! indexes under it, configs, layers with whiteouts), with small limits. The first byte picks
//! the platforms; the rest is written to a file and read as `patrol image` reads it.
//!
//! Properties: no panic, no hang (an index listing itself, or listing one document many
//! times, is followed once), memory bounded (libFuzzer's `-rss_limit_mb`).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use patrol::diagnostics::Diagnostics;
use patrol::matcher::{Matcher, MatcherOptions};
use patrol::registry::Registry;
use patrol::scan::Scanner;
use patrol::source::Source;
use patrol::source::archive::Limits;
use patrol::source::image::{Images, Platforms};
use patrol::source::reader::OnBinary;

const LIMITS: Limits = Limits {
    max_total: 4 << 20,
    max_ratio: 100,
    max_depth: 3,
};

fn matchers() -> &'static (Matcher, Matcher) {
    static M: OnceLock<(Matcher, Matcher)> = OnceLock::new();
    M.get_or_init(|| {
        let rules = patrol::rules::builtin().expect("built-in rules parse");
        let text = Matcher::new(rules.clone(), MatcherOptions::default()).expect("rules build");
        let binary = Matcher::exact_rules_only(rules, MatcherOptions::default()).expect("build");
        (text, binary)
    })
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    // Never asked: the target is a file that exists.
    R.get_or_init(|| Registry::new(Duration::from_secs(1), 0).expect("a registry client"))
}

fn file() -> &'static PathBuf {
    static F: OnceLock<PathBuf> = OnceLock::new();
    F.get_or_init(|| std::env::temp_dir().join(format!("patrol-fuzz-{}.tar", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, image)) = data.split_first() else {
        return;
    };
    let platforms = match pick % 3 {
        0 => Platforms::Host,
        1 => Platforms::All,
        _ => Platforms::One("linux/arm64".into()),
    };
    let path = file();
    if std::fs::write(path, image).is_err() {
        return;
    }
    let (text, binary) = matchers();
    let diag = Diagnostics::silent();
    let scanner = Scanner::new(text, &diag, 1 << 16, OnBinary::ScanWith(binary));
    let images = Images {
        targets: vec![path.to_string_lossy().into_owned()],
        platforms,
        archives: LIMITS,
        registry: registry(),
    };
    let _ = images.scan(&scanner);
    let _ = scanner.finish();
    let _ = diag.finish();
});
