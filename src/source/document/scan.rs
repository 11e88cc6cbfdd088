//! Scanning documents: a document file, archive member or git blob is scanned raw (as any
//! input) and its decoded pieces are scanned too; a hit in a piece is located at the document
//! offset its map gives, with the line and column of that offset in the document and the
//! piece's decoding chain before the hit's own. A secret the raw scan already found at (about)
//! the same place is not reported twice, and neither is one found by two pieces at one place
//! (an inflated PDF stream and the strings in it).

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::path::Path;

use super::{Format, HEAD, Limits, MAX_DOCUMENT, Piece};
use crate::matcher::Encoding;
use crate::scan::Scanner;
use crate::source::archive;
use crate::source::reader::{self, Located, OnBinary, Origin};

/// Bytes apart within which a raw and a decoded hit of one secret are the same place (a base64
/// character group).
const SAME_PLACE: u64 = 4;

/// A document file's decoded pieces, after its raw scan (`raw`: its hits, not yet recorded;
/// `None` when it was skipped as binary, as a PDF with compressed streams often is: then its
/// bytes are scanned raw here as well). `head`: its first bytes, for recognition by content.
/// Does nothing for a file of no document format.
pub fn scan_document_file(
    scanner: &Scanner,
    limits: &Limits,
    path: &Path,
    shown: &str,
    head: &[u8],
    raw: Option<&[Located]>,
) {
    let Some(format) = super::format_of(shown, head) else {
        return;
    };
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_DOCUMENT + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return scanner
            .diagnostics
            .problem(shown, format!("read error while decoding: {e}"));
    }
    if bytes.len() as u64 > MAX_DOCUMENT {
        return too_big(scanner, shown);
    }
    match raw {
        Some(raw) => scan_decoded(scanner, &Origin::File, shown, format, &bytes, limits, raw),
        None => {
            let hits = document_hits(scanner, limits, shown, format, &bytes);
            scanner.record_all(&Origin::File, shown, hits);
        }
    }
}

/// Scans an archive member (shown as `shown`, named `name` inside its archive, reached through
/// the container steps `chain`) and records its hits (see [`member_hits`]).
pub fn scan_member(
    scanner: &Scanner,
    limits: &Limits,
    origin: &Origin,
    shown: &str,
    name: &str,
    reader: &mut dyn Read,
    chain: &[Encoding],
) {
    let hits = member_hits(scanner, limits, shown, name, reader, chain);
    scanner.record_all(origin, shown, hits);
}

/// The hits of an archive member or a git blob (shown as `shown`, named `name` inside its
/// container): raw, and decoded as well when its name or first bytes say it is a document
/// (`word/document.xml`, a PDF or an email whatever it is called). Every hit's decoding chain
/// starts with `chain`, the container steps it went through (`zip` for an Office part).
pub fn member_hits(
    scanner: &Scanner,
    limits: &Limits,
    shown: &str,
    name: &str,
    reader: &mut dyn Read,
    chain: &[Encoding],
) -> Vec<Located> {
    let mut bytes = Vec::new();
    if let Err(e) = reader.take(HEAD as u64).read_to_end(&mut bytes) {
        scanner
            .diagnostics
            .problem(shown, format!("read error: {e}"));
    }
    let Some(format) = super::member_format(name, &bytes) else {
        let rest = Cursor::new(bytes).chain(reader);
        let hits = scanner.hits_in(shown, rest).unwrap_or_default();
        return archive::decoded(hits, chain);
    };
    let left = (MAX_DOCUMENT + 1).saturating_sub(bytes.len() as u64);
    if let Err(e) = reader.take(left).read_to_end(&mut bytes) {
        scanner
            .diagnostics
            .problem(shown, format!("read error: {e}"));
    }
    if bytes.len() as u64 > MAX_DOCUMENT {
        too_big(scanner, shown);
        let rest = Cursor::new(bytes).chain(reader);
        let hits = scanner.hits_in(shown, rest).unwrap_or_default();
        return archive::decoded(hits, chain);
    }
    let hits = document_hits(scanner, limits, shown, format, &bytes);
    archive::decoded(hits, chain)
}

/// The hits of a whole document in memory: raw (even when it looks binary, as a PDF with
/// compressed streams does), then those of its decoded pieces that the raw scan did not find.
/// Problems met decoding are reported against `shown`.
pub fn document_hits(
    scanner: &Scanner,
    limits: &Limits,
    shown: &str,
    format: Format,
    bytes: &[u8],
) -> Vec<Located> {
    let mut hits = scanner.hits_in_bytes(bytes).unwrap_or_else(|| {
        let mut raw = Vec::new();
        reader::scan_slice(
            scanner.matcher,
            bytes,
            OnBinary::ScanWith(scanner.matcher),
            |l| raw.push(l),
        );
        raw
    });
    let mut decoded = Vec::new();
    let problems = decoded_hits(scanner, format, bytes, limits, &hits, &mut |l| {
        decoded.push(l)
    });
    for problem in problems {
        scanner.diagnostics.problem(shown, problem);
    }
    hits.append(&mut decoded);
    hits
}

/// Reports a document too big to be decoded (it is scanned raw only).
pub fn too_big(scanner: &Scanner, shown: &str) {
    scanner.diagnostics.problem(
        shown,
        format!(
            "document over {} MiB: scanned raw only, its encoded text was not decoded",
            MAX_DOCUMENT >> 20
        ),
    );
}

/// Decodes `doc` as `format` and records the hits of its pieces that `raw` does not hold.
pub fn scan_decoded(
    scanner: &Scanner,
    origin: &Origin,
    shown: &str,
    format: Format,
    doc: &[u8],
    limits: &Limits,
    raw: &[Located],
) {
    let problems = decoded_hits(scanner, format, doc, limits, raw, &mut |l| {
        let location = l.location(shown, origin);
        scanner.record(l.hit, location);
    });
    for problem in problems {
        scanner.diagnostics.problem(shown, problem);
    }
}

/// Decodes `doc` as `format` and hands over the hits of its pieces that `raw` does not hold,
/// each at its place in the document and with its piece's decoding chain before its own;
/// returns the problems met decoding.
fn decoded_hits(
    scanner: &Scanner,
    format: Format,
    doc: &[u8],
    limits: &Limits,
    raw: &[Located],
    emit: &mut dyn FnMut(Located),
) -> Vec<String> {
    let mut lines: Option<Vec<usize>> = None;
    let mut seen: HashSet<(Vec<u8>, u64)> = HashSet::new();
    let mut on_piece = |piece: Piece| {
        reader::scan_slice(
            scanner.matcher,
            &piece.bytes,
            OnBinary::ScanWith(scanner.matcher),
            |mut l| {
                let at = piece.origin.offset(l.offset as usize) as u64;
                let secret = &l.hit.secret;
                if raw
                    .iter()
                    .any(|r| r.hit.secret == *secret && r.offset.abs_diff(at) <= SAME_PLACE)
                    || !seen.insert((secret.clone(), at))
                {
                    return;
                }
                let newlines = lines
                    .get_or_insert_with(|| memchr::memchr_iter(b'\n', doc).collect::<Vec<usize>>());
                let before = newlines.partition_point(|&n| (n as u64) < at);
                let line_start = before.checked_sub(1).map_or(0, |k| newlines[k] as u64 + 1);
                l.line = before as u64 + 1;
                l.column = at - line_start + 1;
                l.offset = at;
                l.hit.decoded.splice(0..0, piece.chain.iter().copied());
                emit(l);
            },
        );
    };
    super::extract(format, doc, limits, &mut on_piece)
}
