//! One layer blob, scanned as it streams: its sha256 computed while reading and checked against
//! the digest that names it; its content recognised (tar, gzip, zstd, …) and walked by the
//! archive reader within the archive limits (so files in the layer that are archives are
//! opened too); every file scanned, whiteouts included. What the layer deletes or replaces in
//! the layers below it is kept as [`Changes`], so that a hit can be told `deleted in a later
//! layer` once the image's layer order is known. Hits are returned, not recorded: one layer may
//! belong to several images.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Cursor, Read};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::scan::Scanner;
use crate::source::archive::{self, Archives, Limits};
use crate::source::reader::Located;

/// A hit in a layer, with the file it is in.
#[derive(Clone)]
pub struct LayerHit {
    /// The file's path in the layer (`app/lib.jar!config.properties` for a member of an
    /// archive in the layer).
    pub file: String,
    /// The path of the layer's own file holding it (what a later layer can delete).
    pub top: String,
    pub located: Located,
}

/// What a layer does to the layers below it.
#[derive(Default)]
pub struct Changes {
    /// Paths a whiteout deletes (`dir/.wh.name` deletes `dir/name` and what is below it).
    whiteouts: HashSet<String>,
    /// Directories whose content below this layer an opaque marker (`.wh..wh..opq`) hides.
    opaque: HashSet<String>,
    /// Hashes of the paths of the layer's files: a file here replaces one below.
    files: HashSet<u64>,
}

fn path_hash(path: &str) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

/// A member name as a path in the image: no `./` or `/` in front, no `/` at the end.
pub fn normalise(name: &str) -> &str {
    let mut s = name;
    while let Some(rest) = s.strip_prefix("./").or_else(|| s.strip_prefix('/')) {
        s = rest;
    }
    s.trim_end_matches('/')
}

impl Changes {
    /// Notes a file of the layer.
    pub fn note(&mut self, name: &str) {
        let path = normalise(name);
        let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
        if base == ".wh..wh..opq" {
            self.opaque.insert(dir.to_string());
        } else if let Some(target) = base.strip_prefix(".wh.") {
            let target = if dir.is_empty() {
                target.to_string()
            } else {
                format!("{dir}/{target}")
            };
            self.whiteouts.insert(target);
        } else {
            self.files.insert(path_hash(path));
        }
    }

    /// True when this layer deletes or replaces `path` of a layer below.
    pub fn removes(&self, path: &str) -> bool {
        let path = normalise(path);
        if self.files.contains(&path_hash(path)) {
            return true;
        }
        let mut p = path;
        loop {
            if self.whiteouts.contains(p) {
                return true;
            }
            let parent = p.rsplit_once('/').map_or("", |(parent, _)| parent);
            if self.opaque.contains(parent) {
                return true;
            }
            if parent.is_empty() {
                return false;
            }
            p = parent;
        }
    }
}

/// A scanned layer: its hits, its changes, and its digest as computed.
pub struct ScannedLayer {
    pub hits: Vec<LayerHit>,
    pub changes: Changes,
    /// `sha256:HEX` of the blob as read.
    pub digest: String,
    /// The digest matched the expected one (true when none was expected) and the blob was
    /// read to its end.
    pub verified: bool,
}

/// Computes the sha256 of what is read through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// `sha256:HEX` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    hex_digest(Sha256::digest(bytes).as_slice())
}

fn hex_digest(sum: &[u8]) -> String {
    let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Scans the layer blob `blob` (shown as `shown` in problems), checking it against `expected`
/// (`sha256:HEX`) when given. Problems — a broken or truncated layer, a digest mismatch, a
/// limit reached — are reported against `shown`; the hits found are kept whatever happened.
pub fn scan_layer(
    scanner: &Scanner,
    limits: Limits,
    blob: &mut dyn Read,
    shown: &str,
    expected: Option<&str>,
) -> ScannedLayer {
    let diag = scanner.diagnostics;
    let mut hashing = Hashing {
        inner: blob,
        hash: Sha256::new(),
    };
    let found = Mutex::new(Vec::new());
    let changes = Mutex::new(Changes::default());
    let mut read_ok = true;
    match archive::read_head(&mut hashing) {
        Err(e) => {
            diag.problem(shown, format!("layer not readable: {e}"));
            read_ok = false;
        }
        Ok(head) => {
            let mut input = Cursor::new(head.clone()).chain(&mut hashing);
            match archive::sniff(&head) {
                Some(kind) => {
                    // The layer's own containers (tar, or gzip/zstd then tar) are not shown
                    // as decoding steps; archives inside the layer are.
                    let base = if kind.is_compression() { 2 } else { 1 };
                    let prefix = format!("{shown}!");
                    let member: &archive::Member = &|path, name, reader, _size, chain| {
                        let rest = path.strip_prefix(&prefix).unwrap_or(path);
                        let top = if chain.len() <= base {
                            lock(&changes).note(name);
                            normalise(name)
                        } else {
                            normalise(rest.split('!').next().unwrap_or(rest))
                        };
                        if let Some(hits) = scanner.hits_in(path, reader) {
                            let hits = archive::decoded(hits, &chain[base.min(chain.len())..]);
                            let mut found = lock(&found);
                            found.extend(hits.into_iter().map(|located| LayerHit {
                                file: normalise(rest).to_string(),
                                top: top.to_string(),
                                located,
                            }));
                        }
                    };
                    Archives::new(limits, diag).scan_read(&mut input, shown, kind, member);
                }
                // Not an archive (an attestation, an artifact): its bytes are the content.
                None => {
                    if let Some(hits) = scanner.hits_in(shown, &mut input) {
                        lock(&found).extend(hits.into_iter().map(|located| LayerHit {
                            file: String::new(),
                            top: String::new(),
                            located,
                        }));
                    }
                }
            }
            // The rest (tar padding, bytes after a broken member) still counts for the digest.
            if let Err(e) = io::copy(&mut input, &mut io::sink()) {
                diag.problem(shown, format!("layer not read to its end: {e}"));
                read_ok = false;
            }
        }
    }
    let digest = hex_digest(hashing.hash.finalize().as_slice());
    let matches = expected.is_none_or(|e| e == digest);
    if read_ok && !matches {
        diag.problem(
            shown,
            format!(
                "layer digest mismatch: expected {}, read {digest}",
                expected.unwrap_or_default()
            ),
        );
    }
    ScannedLayer {
        hits: found.into_inner().unwrap_or_else(|e| e.into_inner()),
        changes: changes.into_inner().unwrap_or_else(|e| e.into_inner()),
        digest,
        verified: read_ok && matches,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_opaque_directories_and_replacements() {
        let mut c = Changes::default();
        c.note("./etc/.wh.npmrc");
        c.note("root/.wh.secrets");
        c.note("app/config/.wh..wh..opq");
        c.note("/srv/token.txt");
        assert!(c.removes("etc/npmrc"));
        assert!(c.removes("root/secrets/a/b"));
        assert!(!c.removes("root/secretsX"));
        assert!(c.removes("app/config/prod.env"));
        assert!(!c.removes("app/config"));
        assert!(c.removes("./srv/token.txt"));
        assert!(!c.removes("srv/other.txt"));
        let mut root = Changes::default();
        root.note(".wh..wh..opq");
        assert!(root.removes("anything/at/all"));
    }
}
