//! One layer blob, scanned as it streams, on two or three threads ([`handoff`]): the reading
//! thread computes the blob's sha256 (checked against the digest that names it); a second
//! decompresses a gzip or zstd layer and computes the sha256 of its uncompressed tar (its
//! `diff_id`, checked against the image config's `rootfs.diff_ids` once the image is known);
//! the last walks the tar with the archive reader within the archive limits (so files in the
//! layer that are archives are opened too) and matches every file. What the layer deletes or
//! replaces in the layers below it is kept as [`Changes`], so that a hit can be told `deleted
//! in a later layer` once the image's layer order is known. Hits are returned, not recorded:
//! one layer may belong to several images. Their order is the layer's own, whatever the
//! threads do.

use std::io::{Cursor, Read};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

pub use super::changes::{Changes, normalise};
use super::handoff::handoff;
use crate::scan::Scanner;
use crate::source::archive::{self, Archives, Budget, Counted, Limited, Limits};
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

/// A scanned layer: its hits, its changes, and its digests as computed.
pub struct ScannedLayer {
    pub hits: Vec<LayerHit>,
    pub changes: Changes,
    /// `sha256:HEX` of the blob as read.
    pub digest: String,
    /// `sha256:HEX` of the uncompressed content (the blob's own digest for an uncompressed
    /// layer); `None` when the content could not be read to its end.
    pub diff_id: Option<String>,
    /// The digest matched the expected one (true when none was expected) and the blob was
    /// read to its end.
    pub verified: bool,
}

/// What the threads after the reading one found.
#[derive(Default)]
struct Content {
    hits: Vec<LayerHit>,
    changes: Changes,
    /// Set for a compressed layer decompressed to its end.
    diff_id: Option<String>,
    compressed: bool,
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
    let mut hash = Sha256::new();
    let (read, content) = handoff(
        blob,
        |chunk| hash.update(chunk),
        |blob| scan_blob(scanner, limits, blob, shown),
    );
    let digest = hex_digest(hash.finalize().as_slice());
    let read_ok = match read {
        Ok(()) => true,
        Err(e) => {
            diag.problem(shown, format!("layer not read to its end: {e}"));
            false
        }
    };
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
    let diff_id = match content.compressed {
        true => content.diff_id,
        false => read_ok.then(|| digest.clone()),
    };
    ScannedLayer {
        hits: content.hits,
        changes: content.changes,
        digest,
        diff_id,
        verified: read_ok && matches,
    }
}

/// The blob as it arrives: a compressed layer is decompressed here and its content handed to
/// a thread of its own, its sha256 computed on the way; an uncompressed one is scanned here.
fn scan_blob(scanner: &Scanner, limits: Limits, blob: &mut dyn Read, shown: &str) -> Content {
    let diag = scanner.diagnostics;
    let head = match archive::read_head(blob) {
        Ok(head) => head,
        Err(e) => {
            diag.problem(shown, format!("layer not readable: {e}"));
            return Content::default();
        }
    };
    let mut input = Cursor::new(head.clone()).chain(blob);
    let Some(kind) = archive::sniff(&head).filter(|k| k.is_compression()) else {
        return scan_content(scanner, limits, &mut input, shown);
    };
    let budget = Budget::new(limits.max_total);
    let (counted, consumed) = Counted::new(input);
    let decoder = match archive::decompressor(kind, counted) {
        Ok(d) => d,
        Err(e) => {
            diag.problem(shown, format!("broken layer: {e}"));
            return Content::default();
        }
    };
    let mut content = Limited::new(decoder, consumed, limits.max_ratio, &budget);
    let mut hash = Sha256::new();
    let (read, mut found) = handoff(
        &mut content,
        |chunk| hash.update(chunk),
        |tar| scan_content(scanner, limits, tar, shown),
    );
    match read {
        Ok(()) => found.diff_id = Some(hex_digest(hash.finalize().as_slice())),
        Err(e) => diag.problem(shown, format!("layer not decompressed to its end: {e}")),
    }
    found.compressed = true;
    found
}

/// A layer's uncompressed content: a tar (or another archive) walked, every entry's name noted
/// in the layer's changes and every file matched; anything else matched as it is.
fn scan_content(scanner: &Scanner, limits: Limits, r: &mut dyn Read, shown: &str) -> Content {
    let diag = scanner.diagnostics;
    let found = Mutex::new(Vec::new());
    let changes = Mutex::new(Changes::default());
    let head = match archive::read_head(r) {
        Ok(head) => head,
        Err(e) => {
            diag.problem(shown, format!("layer not readable: {e}"));
            return Content::default();
        }
    };
    let mut input = Cursor::new(head.clone()).chain(r);
    match archive::sniff(&head) {
        Some(kind) => {
            // The layer's own container is not shown as a decoding step; archives inside are.
            let prefix = format!("{shown}!");
            let member: &archive::Member = &|path, name, reader, _size, chain| {
                let rest = path.strip_prefix(&prefix).unwrap_or(path);
                let top = match chain.len() {
                    0 | 1 => normalise(name),
                    _ => normalise(rest.split('!').next().unwrap_or(rest)),
                };
                if let Some(hits) = scanner.hits_in(path, reader) {
                    let hits = archive::decoded(hits, chain.get(1..).unwrap_or_default());
                    lock(&found).extend(hits.into_iter().map(|located| LayerHit {
                        file: normalise(rest).to_string(),
                        top: top.to_string(),
                        located,
                    }));
                }
            };
            let note = |name: &str| lock(&changes).note(name);
            Archives::new(limits, diag)
                .with_entry_names(&note)
                .scan_read(&mut input, shown, kind, member);
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
    Content {
        hits: found.into_inner().unwrap_or_else(|e| e.into_inner()),
        changes: changes.into_inner().unwrap_or_else(|e| e.into_inner()),
        ..Content::default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
