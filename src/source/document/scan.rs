//! Scanning documents: a document file or archive member is scanned raw (as any input) and
//! its decoded pieces are scanned too; a hit in a piece is recorded at the document offset its
//! map gives, with the line and column of that offset in the document and the piece's decoding
//! chain before the hit's own. A secret the raw scan already found at (about) the same place is
//! not recorded twice, and neither is one found by two pieces at one place (an inflated PDF
//! stream and the strings in it).

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use super::{Format, Limits, MAX_DOCUMENT, Piece};
use crate::scan::Scanner;
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
            let mut raw = Vec::new();
            reader::scan_slice(
                scanner.matcher,
                &bytes,
                OnBinary::ScanWith(scanner.matcher),
                |l| raw.push(l),
            );
            scan_decoded(scanner, &Origin::File, shown, format, &bytes, limits, &raw);
            scanner.record_all(&Origin::File, shown, raw);
        }
    }
}

/// Scans an archive member (shown as `shown`, named `name` inside its archive): raw, and
/// decoded when it is a document part (`word/document.xml`, a PDF, an email). Records its hits.
pub fn scan_member(
    scanner: &Scanner,
    limits: &Limits,
    shown: &str,
    name: &str,
    reader: &mut dyn Read,
) {
    let Some(format) = super::member_format(name, b"") else {
        return scanner.scan_input(&Origin::File, shown, reader);
    };
    let mut bytes = Vec::new();
    if let Err(e) = reader.take(MAX_DOCUMENT + 1).read_to_end(&mut bytes) {
        scanner
            .diagnostics
            .problem(shown, format!("read error: {e}"));
    }
    if bytes.len() as u64 > MAX_DOCUMENT {
        too_big(scanner, shown);
        let rest = std::io::Cursor::new(bytes).chain(reader);
        return scanner.scan_input(&Origin::File, shown, rest);
    }
    // A document skipped as binary (a PDF's compressed streams) is still scanned raw.
    let raw = scanner.hits_in_bytes(&bytes).unwrap_or_else(|| {
        let mut raw = Vec::new();
        reader::scan_slice(
            scanner.matcher,
            &bytes,
            OnBinary::ScanWith(scanner.matcher),
            |l| raw.push(l),
        );
        raw
    });
    scan_decoded(scanner, &Origin::File, shown, format, &bytes, limits, &raw);
    scanner.record_all(&Origin::File, shown, raw);
}

fn too_big(scanner: &Scanner, shown: &str) {
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
    let mut lines: Option<Vec<usize>> = None;
    let mut seen: HashSet<(Vec<u8>, u64)> = HashSet::new();
    let mut on_piece = |piece: Piece| {
        reader::scan_slice(
            scanner.matcher,
            &piece.bytes,
            OnBinary::ScanWith(scanner.matcher),
            |l| {
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
                let mut location = l.location(shown, origin);
                location.line = before as u64 + 1;
                location.column = at - line_start + 1;
                location.offset = at;
                let mut chain = piece.chain.clone();
                chain.append(&mut location.decoded);
                location.decoded = chain.clone();
                let mut hit = l.hit;
                hit.decoded = chain;
                scanner.record(hit, location);
            },
        );
    };
    for problem in super::extract(format, doc, limits, &mut on_piece) {
        scanner.diagnostics.problem(shown, problem);
    }
}
