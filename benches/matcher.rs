//! Matcher throughput on source-like text with rare hits, next to a plain `memchr::memmem`
//! search for `ghp_` over the same bytes in the same run (the reference the README quotes).
//!
//! `cargo bench --bench matcher`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use patrol::matcher::{Matcher, MatcherOptions};
use patrol::template::Mint;
use std::hint::black_box;
use std::path::PathBuf;

/// Real Rust source: the dependencies cargo downloaded to build this crate (regex-syntax,
/// aho-corasick, …), or this crate's own `src/` when they cannot be found.
fn source_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut dirs = Vec::new();
    if let Some(Ok(indexes)) = home.map(|h| std::fs::read_dir(h.join("registry/src"))) {
        for index in indexes.flatten() {
            let Ok(crates) = std::fs::read_dir(index.path()) else {
                continue;
            };
            let mut found: Vec<PathBuf> = crates
                .flatten()
                .map(|c| c.path())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    [
                        "regex-syntax-",
                        "aho-corasick-",
                        "serde_json-",
                        "clap_builder-",
                    ]
                    .iter()
                    .any(|c| name.starts_with(c))
                })
                .collect();
            found.sort();
            dirs.extend(found.into_iter().map(|p| p.join("src")));
        }
    }
    if dirs.is_empty() {
        dirs.push(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src")));
    }
    dirs
}

/// About 16 MiB of source text, repeated, with a token every ~2 MiB.
fn corpus() -> Vec<u8> {
    let mut base = Vec::new();
    let mut stack = source_dirs();
    stack.reverse();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                base.extend_from_slice(&b);
            }
        }
    }
    let mut mint = Mint::new();
    let mut out = Vec::with_capacity(17 << 20);
    while out.len() < 16 << 20 {
        out.extend_from_slice(&base);
        if out.len() % (2 << 20) < base.len() {
            let tok = mint.token("ghp").unwrap_or_default();
            out.extend_from_slice(format!("\nGH_TOKEN={tok}\n").as_bytes());
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let hay = corpus();
    let rules = patrol::rules::builtin().expect("built-in rules");
    let matcher = Matcher::new(rules, MatcherOptions::default()).expect("matcher");
    let finder = memchr::memmem::Finder::new(b"ghp_");
    let mut g = c.benchmark_group("source-like text");
    g.throughput(Throughput::Bytes(hay.len() as u64));
    g.sample_size(20);
    g.bench_function("memmem ghp_ (reference)", |b| {
        b.iter(|| finder.find_iter(black_box(&hay)).count())
    });
    g.bench_function("matcher, every rule and decoder", |b| {
        b.iter(|| matcher.scan(black_box(&hay)).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
