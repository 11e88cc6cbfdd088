//! The archive readers (zip, gzip, bzip2, xz, zstd, tar, nested) on arbitrary bytes, with small
//! limits, through content recognition as `scan` does it. The first byte picks the outer
//! archive's name (the kind when the content says nothing, and the inner member's name); the
//! rest is the archive.
//!
//! Properties: no panic, no hang, memory bounded (libFuzzer's `-rss_limit_mb`), and members
//! never receive more decompressed bytes than the budget.

#![no_main]

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use patrol::diagnostics::Diagnostics;
use patrol::source::archive::{self, Archives, Limits};

const NAMES: [&str; 12] = [
    "notes.txt",
    "f.bz2",
    "f.tar.xz",
    "f.zst",
    "f.zip",
    "f.gz",
    "f.tar",
    "f.tgz",
    "f.tar.gz",
    "f.zip.gz",
    "f.gz.gz",
    "f.tar.gz.gz",
];

const LIMITS: Limits = Limits {
    max_total: 4 << 20,
    max_ratio: 100,
    max_depth: 3,
};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let Some(kind) = archive::recognise(&bytes[..bytes.len().min(archive::HEAD)], name) else {
        return;
    };
    let delivered = AtomicU64::new(0);
    let member = |_shown: &str, _name: &str, r: &mut dyn Read, _size: Option<u64>, _chain: &[_]| {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    delivered.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    };
    let diag = Diagnostics::silent();
    Archives::new(LIMITS, &diag).scan_bytes(bytes.to_vec(), name, kind, &member);
    let delivered = delivered.load(Ordering::Relaxed);
    assert!(
        delivered <= LIMITS.max_total,
        "{delivered} bytes delivered, budget {}",
        LIMITS.max_total
    );
    let _ = diag.finish();
});
