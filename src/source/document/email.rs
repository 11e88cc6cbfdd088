//! Email: a message (`.eml`) or a mailbox of them (`.mbox`, split at its `From ` lines), with
//! MIME parts decoded — base64, and quoted-printable with its soft line breaks (`=` at a line's
//! end) removed, so a token wrapped by one is found whole — through nested multiparts and
//! attached messages (`message/rfc822`). Parts in other encodings (7bit, 8bit, binary) are
//! plain text the raw scan already reads. Every decoded byte maps back to the encoded character
//! it came from.

use memchr::memmem;

use super::Piece;
use super::sink::Sink;
use crate::matcher::Encoding;

/// Multiparts and attached messages nested deeper than this are a problem.
const MAX_DEPTH: usize = 16;

/// True when `head` (a file's first bytes) starts an email or a mailbox: an mbox `From ` line,
/// or a header block that names MIME or mail headers.
pub fn looks_like_email(head: &[u8]) -> bool {
    if head.starts_with(b"From ") {
        return true;
    }
    let mut names = 0;
    let mut mail = false;
    // The head may be cut mid-line: the last, partial line is not judged.
    let complete = memchr::memrchr(b'\n', head).map_or(&head[..0], |i| &head[..i]);
    for line in complete.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-') {
            return false;
        }
        names += 1;
        mail |= [
            &b"mime-version"[..],
            b"content-transfer-encoding",
            b"received",
            b"message-id",
            b"return-path",
            b"delivered-to",
        ]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n));
    }
    names >= 2 && mail
}

/// Hands the decoded parts of the email or mailbox `data` to `emit`; returns the problems.
pub fn extract(data: &[u8], emit: &mut dyn FnMut(Piece)) -> Vec<String> {
    let mut problems = Vec::new();
    for (start, end) in messages(data) {
        part(data, start, end, 0, emit, &mut problems);
    }
    problems
}

/// The messages of a mailbox (each after its `From ` line), or the one message.
fn messages(data: &[u8]) -> Vec<(usize, usize)> {
    if !data.starts_with(b"From ") {
        return vec![(0, data.len())];
    }
    let mut starts: Vec<usize> = vec![0];
    starts.extend(memmem::find_iter(data, b"\nFrom ").map(|i| i + 1));
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(data.len());
        let body = memchr::memchr(b'\n', &data[s..end]).map_or(end, |n| s + n + 1);
        out.push((body, end));
    }
    out
}

/// One MIME entity: `data[start..end]`, its headers then its body.
fn part(
    data: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    emit: &mut dyn FnMut(Piece),
    problems: &mut Vec<String>,
) {
    let entity = &data[start..end];
    let (headers, body_at) = match (
        memmem::find(entity, b"\n\n"),
        memmem::find(entity, b"\n\r\n"),
    ) {
        (Some(a), Some(b)) if b < a => (&entity[..b], b + 3),
        (Some(a), _) => (&entity[..a], a + 2),
        (None, Some(b)) => (&entity[..b], b + 3),
        (None, None) => return,
    };
    let body = start + body_at;
    let content_type = header(headers, b"content-type").unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("multipart/") || lower.starts_with("message/rfc822") {
        if depth >= MAX_DEPTH {
            problems.push(format!(
                "MIME parts nested deeper than {MAX_DEPTH} at byte {start}: not decoded"
            ));
            return;
        }
        if lower.starts_with("message/") {
            return part(data, body, end, depth + 1, emit, problems);
        }
        if let Some(boundary) = parameter(&content_type, "boundary") {
            for (s, e) in parts(data, body, end, boundary.as_bytes()) {
                part(data, s, e, depth + 1, emit, problems);
            }
        }
        return;
    }
    let encoding = header(headers, b"content-transfer-encoding").unwrap_or_default();
    let encoding = encoding.trim().to_ascii_lowercase();
    let step = match encoding.as_str() {
        "base64" => Encoding::Base64,
        "quoted-printable" => Encoding::QuotedPrintable,
        _ => return,
    };
    let mut sink = Sink::new(step, emit);
    match step {
        Encoding::Base64 => base64(&data[body..end], body, &mut sink),
        _ => quoted_printable(&data[body..end], body, &mut sink),
    }
    sink.finish();
}

/// The parts of a multipart body `data[start..end]` split at `--boundary` lines.
fn parts(data: &[u8], start: usize, end: usize, boundary: &[u8]) -> Vec<(usize, usize)> {
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary);
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for at in memmem::find_iter(&data[start..end], &delimiter).map(|i| start + i) {
        if at != start && data[at - 1] != b'\n' {
            continue;
        }
        if let Some(s) = open.take() {
            out.push((s, at.saturating_sub(1).max(s)));
        }
        let after = at + delimiter.len();
        if data[after..end].starts_with(b"--") {
            break;
        }
        open = Some(memchr::memchr(b'\n', &data[after..end]).map_or(end, |n| after + n + 1));
    }
    if let Some(s) = open {
        out.push((s, end));
    }
    out
}

/// A header's value (folded lines joined), by name, case-insensitively.
fn header(headers: &[u8], name: &[u8]) -> Option<String> {
    let mut value: Option<String> = None;
    for line in headers.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            if let Some(v) = value.as_mut() {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        if line[..colon].trim_ascii().eq_ignore_ascii_case(name) {
            value = Some(
                String::from_utf8_lossy(&line[colon + 1..])
                    .trim()
                    .to_string(),
            );
        }
    }
    value
}

/// A parameter of a header value (`boundary="abc"`), case-insensitive name.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        if !n.trim().eq_ignore_ascii_case(name) {
            return None;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .map_or(v, |v| v.split('"').next().unwrap_or(v));
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Base64 (whitespace and stray characters skipped) and, per decoded byte, the offset (from
/// `base`) of the character that holds its first bits.
fn base64(text: &[u8], base: usize, out: &mut Sink) {
    let mut quad = [(0u8, 0usize); 4];
    let mut n = 0;
    for (i, &c) in text.iter().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => continue,
        };
        quad[n] = (v, base + i);
        n += 1;
        if n == 4 {
            emit_quad(&quad, 3, out);
            n = 0;
        }
    }
    if n >= 2 {
        emit_quad(&quad, n - 1, out);
    }
}

fn emit_quad(q: &[(u8, usize); 4], bytes: usize, out: &mut Sink) {
    let b = [
        q[0].0 << 2 | q[1].0 >> 4,
        q[1].0 << 4 | q[2].0 >> 2,
        q[2].0 << 6 | q[3].0,
    ];
    for k in 0..bytes {
        out.push(b[k], q[k].1);
    }
}

/// Quoted-printable: `=XX` escapes decoded, soft line breaks (`=` then `\r\n` or `\n`) removed;
/// per decoded byte, its offset (from `base`).
fn quoted_printable(text: &[u8], base: usize, out: &mut Sink) {
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c == b'=' {
            let rest = &text[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (
                rest.first().and_then(|&b| hex(b)),
                rest.get(1).and_then(|&b| hex(b)),
            ) {
                out.push((h * 16 + l) as u8, base + i);
                i += 3;
                continue;
            }
        }
        out.push(c, base + i);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::document::Origin;
    use crate::source::document::sink::{FLUSH, OVERLAP};

    fn collect(step: Encoding, decode: impl FnOnce(&mut Sink)) -> (Vec<u8>, Vec<usize>) {
        let mut pieces = Vec::new();
        let mut emit = |p: Piece| pieces.push(p);
        let mut sink = Sink::new(step, &mut emit);
        decode(&mut sink);
        sink.finish();
        let p = pieces.pop().unwrap();
        match p.origin {
            Origin::Each(map) => (p.bytes, map),
            Origin::All(_) => unreachable!(),
        }
    }

    fn decoded(data: &[u8]) -> Vec<(Vec<u8>, Vec<Encoding>)> {
        let mut out = Vec::new();
        let problems = extract(data, &mut |p| out.push((p.bytes, p.chain)));
        assert!(problems.is_empty(), "{problems:?}");
        out
    }

    #[test]
    fn soft_breaks_and_escapes_are_decoded() {
        let (b, m) = collect(Encoding::QuotedPrintable, |s| {
            quoted_printable(b"ab=\r\ncd=3D=\nef=zz", 10, s)
        });
        assert_eq!(b, b"abcd=ef=zz");
        assert_eq!(m[2], 15);
    }

    #[test]
    fn base64_maps_bytes_to_their_characters() {
        let (b, m) = collect(Encoding::Base64, |s| base64(b"aGVs\r\nbG8=", 0, s));
        assert_eq!(b, b"hello");
        assert_eq!(m, vec![0, 1, 2, 6, 7]);
    }

    #[test]
    fn long_parts_are_handed_over_in_overlapping_pieces() {
        let mut pieces = Vec::new();
        let mut emit = |p: Piece| pieces.push(p);
        let mut sink = Sink::new(Encoding::QuotedPrintable, &mut emit);
        for i in 0..FLUSH + 2 * OVERLAP {
            sink.push(b'a', i);
        }
        sink.finish();
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].bytes.len(), FLUSH + OVERLAP);
        assert_eq!(pieces[1].bytes.len(), 2 * OVERLAP);
        assert_eq!(pieces[1].origin.offset(0), FLUSH);
    }

    #[test]
    fn nested_multiparts_and_mailboxes_are_walked() {
        let mbox = b"From a@b Mon\nSubject: one\nContent-Transfer-Encoding: quoted-printable\n\nx=\ny\nFrom c@d Tue\nContent-Type: multipart/mixed; boundary=\"B1\"\n\npreamble\n--B1\nContent-Type: multipart/alternative; boundary=B2\n\n--B2\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n--B2--\n--B1\nContent-Type: message/rfc822\n\nContent-Transfer-Encoding: Quoted-Printable\n\nq=3Dp\n--B1--\n";
        let got = decoded(mbox);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, b"xy\n");
        assert_eq!(got[1], (b"hello".to_vec(), vec![Encoding::Base64]));
        assert_eq!(got[2].0, b"q=p");
    }

    #[test]
    fn email_is_recognised_by_its_headers() {
        assert!(looks_like_email(b"Received: x\nMIME-Version: 1.0\nSub"));
        assert!(!looks_like_email(b"key: value\nother: 2\n\n"));
        assert!(!looks_like_email(b"fn main() {}\n"));
    }
}
