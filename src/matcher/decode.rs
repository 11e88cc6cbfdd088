//! Decoders for encoded secrets: base64 (Docker `auth`, `extraheader … basic`, Kubernetes
//! `.dockerconfigjson`), percent-encoding, JSON `\uXXXX` escapes and UTF-16 text.
//!
//! Each decoder is triggered by a literal in the same prefilter pass as the rules (the encoded
//! forms of the rules' prefixes, computed here), decodes a bounded window around the hit, and
//! returns the bytes with a map from every decoded byte back to its offset in the input, so that
//! a secret is reported where its encoded text is.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub use super::encoding::Encoding;

/// What a decoder literal asks for when it is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub encoding: Encoding,
    /// Bytes of context decoded before the hit.
    pub before: usize,
    /// Bytes decoded after the hit.
    pub after: usize,
    /// Base64 only: the hit's position inside its 4-character group.
    pub phase: usize,
}

/// Decoded bytes and, for each, the offset in the input it came from.
pub struct Decoded {
    /// The step that was decoded (a UTF-16 trigger decodes `utf-16le` or `utf-16be`).
    pub encoding: Encoding,
    pub bytes: Vec<u8>,
    pub map: Vec<usize>,
}

/// Longest token we expect (stateless installation tokens are ~520 characters).
const MAX_TOKEN: usize = 640;

/// Characters of UTF-16 text decoded before a hit: the context rules' names and URLs sit
/// before the value they find (`docker login -u USER -p TOKEN ghcr.io` the longest).
const UTF16_BEFORE: usize = 200;

/// The parts of `base64(x + literal + y)` fixed by `literal` alone, for each of the three
/// alignments, with the literal's position inside its 4-character group. URL-safe variants are
/// added where they differ.
pub fn base64_forms(literal: &[u8]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for align in 0..3 {
        let mut buf = vec![0u8; align];
        buf.extend_from_slice(literal);
        buf.resize(buf.len().div_ceil(3) * 3, 0);
        let enc = base64::engine::general_purpose::STANDARD.encode(&buf);
        let first = (8 * align).div_ceil(6);
        let end = 8 * (align + literal.len()) / 6;
        if end <= first + 2 {
            continue;
        }
        // Four characters are distinctive enough and let prefixes share forms (`Z2hw` for
        // every classic PAT at this alignment), keeping the prefilter small.
        let stable = &enc[first..end.min(first + 4)];
        if out.iter().any(|(f, _)| f == stable) {
            continue;
        }
        out.push((stable.to_string(), first % 4));
        let url = stable.replace('+', "-").replace('/', "_");
        if url != stable {
            out.push((url, first % 4));
        }
    }
    out
}

/// Decoder triggers for a rule literal (prefix) marked `encoded`.
pub fn literal_triggers(literal: &str) -> Vec<(Vec<u8>, Trigger)> {
    let mut out = Vec::new();
    for (form, phase) in base64_forms(literal.as_bytes()) {
        out.push((
            form.into_bytes(),
            Trigger {
                encoding: Encoding::Base64,
                before: 96,
                after: MAX_TOKEN * 4 / 3 + 8,
                phase,
            },
        ));
    }
    out
}

/// Triggers independent of any rule: containers, and the escaped forms of the prefixes of
/// every kind with a checksum (from the kind registry).
pub fn fixed_triggers() -> Vec<(Vec<u8>, Trigger)> {
    let t = |encoding, before, after| Trigger {
        encoding,
        before,
        after,
        phase: 0,
    };
    let mut out = Vec::new();
    // A Kubernetes .dockerconfigjson is base64 of {"auths": …}, whose `auth` fields are base64
    // again: decode the whole document and let the prefix forms find the inner layer.
    for (form, phase) in base64_forms(b"\"auths\"") {
        out.push((
            form.into_bytes(),
            Trigger {
                phase,
                ..t(Encoding::Base64, 16, 64 * 1024)
            },
        ));
    }
    let mut push = |lit: Vec<u8>, trigger: Trigger| {
        if !out.iter().any(|(l, _)| *l == lit) {
            out.push((lit, trigger));
        }
    };
    for prefix in crate::kind::checksummed_prefixes().map(str::as_bytes) {
        let percent = t(Encoding::Percent, 48, MAX_TOKEN * 3);
        // The prefix with its last `_` percent-encoded: the byte before it and `%5F`.
        if let Some(us) = prefix.iter().rposition(|&b| b == b'_').filter(|&i| i > 0) {
            let mut lit = vec![prefix[us - 1]];
            lit.extend_from_slice(b"%5F");
            push(lit, percent);
        }
        if prefix.len() >= 2 {
            // Fully percent-encoded: the first byte and the high nibble of the second.
            push(
                format!("%{:02X}%{:X}", prefix[0], prefix[1] >> 4).into_bytes(),
                percent,
            );
            // JSON escapes of `_` (`\u005f`): every prefix holds one within its first seven
            // characters, so a token escaped whole is found from it too (`before` reaches
            // back over six escaped characters).
            let json = t(Encoding::JsonEscape, 72, MAX_TOKEN * 6);
            push(format!("\\u{:04x}", b'_').as_bytes()[..5].to_vec(), json);
            // UTF-16 text (Windows' "Unicode", little endian, and big endian): the first two
            // characters, each followed by a NUL. In either byte order ASCII text alternates
            // NULs and characters, so this one form is found in both; the decoder tells them
            // apart by alignment. The same two letters in upper case start the names the
            // context rules look for (`GITHUB_…`, `GH_…`, `GHCR_…`; lower case `github…`,
            // `gh_…` share the prefixes' form), so context rules see UTF-16 text as well.
            let utf16 = t(Encoding::Utf16le, 2 * UTF16_BEFORE, MAX_TOKEN * 2);
            push(vec![prefix[0], 0, prefix[1], 0], utf16);
            push(
                vec![
                    prefix[0].to_ascii_uppercase(),
                    0,
                    prefix[1].to_ascii_uppercase(),
                    0,
                ],
                utf16,
            );
        }
    }
    out
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Decodes around a trigger hit at `pos` in `hay`. Returns `None` when nothing decodes.
pub fn decode(hay: &[u8], pos: usize, trigger: &Trigger) -> Option<Decoded> {
    match trigger.encoding {
        Encoding::Base64 => decode_base64(hay, pos, trigger),
        Encoding::Percent => {
            let (start, end) = line_window(hay, pos, trigger.before, trigger.after);
            Some(decode_percent(&hay[start..end], start))
        }
        Encoding::JsonEscape => {
            let (start, end) = line_window(hay, pos, trigger.before, trigger.after);
            Some(decode_json_escapes(&hay[start..end], start))
        }
        Encoding::Utf16le | Encoding::Utf16be => Some(decode_utf16_around(hay, pos, trigger)),
        // Containers and documents are opened by the sources, never by a prefilter hit.
        Encoding::Zip
        | Encoding::Gzip
        | Encoding::Bzip2
        | Encoding::Xz
        | Encoding::Zstd
        | Encoding::Tar
        | Encoding::Flate
        | Encoding::QuotedPrintable
        | Encoding::Xml
        | Encoding::PdfString => None,
    }
}

/// Decodes UTF-16 around a hit on a character followed by a NUL at `pos`. ASCII text reads
/// the same in both byte orders away from its ends (`X\0Y\0` is little endian from `X`, big
/// endian from the NUL before it), so the byte order is read at the ends of the run of text
/// ([`big_endian_at`]); alignment (code units at even offsets, as in a whole UTF-16 file)
/// decides only when the ends say nothing.
fn decode_utf16_around(hay: &[u8], pos: usize, trigger: &Trigger) -> Decoded {
    let big_endian = big_endian_at(hay, pos);
    let unit = if big_endian { pos - 1 } else { pos };
    let start = unit - (trigger.before.min(unit) & !1);
    let end = unit.saturating_add(trigger.after).min(hay.len());
    decode_utf16(&hay[start..end], start, big_endian)
}

/// Characters of a run looked at to find its ends.
const RUN_REACH: usize = 2 * MAX_TOKEN;

/// The byte order of the UTF-16 text whose ASCII character at `pos` is followed by a NUL. The
/// run of printable ASCII characters one NUL apart is followed back and forth: little endian text has
/// the NUL of its last character after the run, big endian text the NUL of its first
/// character before it. Counted as runs of NULs, so that a NUL terminator or padding between
/// strings does not mislead: an odd run before the text and an even one after it is big endian,
/// an even run before and an odd one after little endian. A byte-order mark decides; when the
/// ends say nothing, code units sit at even offsets (as in a whole UTF-16 file).
fn big_endian_at(hay: &[u8], pos: usize) -> bool {
    let ascii = |i: usize| {
        hay.get(i)
            .is_some_and(|&b| b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    };
    let mut first = pos;
    while first >= 2 && pos - first < RUN_REACH && hay[first - 1] == 0 && ascii(first - 2) {
        first -= 2;
    }
    let mut last = pos;
    while last - pos < RUN_REACH && hay.get(last + 1) == Some(&0) && ascii(last + 2) {
        last += 2;
    }
    if pos == 0 || (first >= 2 && hay[first - 2..first] == [0xFF, 0xFE]) {
        return false;
    }
    if first >= 3 && hay[first - 3..first] == [0xFE, 0xFF, 0] {
        return true;
    }
    let nuls =
        |run: &mut dyn Iterator<Item = &u8>| run.take(RUN_REACH).take_while(|&&b| b == 0).count();
    let nuls_before = nuls(&mut hay[..first].iter().rev());
    let nuls_after = nuls(&mut hay[last + 1..].iter());
    match (nuls_before % 2 == 1, nuls_after % 2 == 1) {
        (true, false) => true,
        (false, true) => false,
        _ => pos % 2 == 1,
    }
}

fn line_window(hay: &[u8], pos: usize, before: usize, after: usize) -> (usize, usize) {
    let hi = (pos + after).min(hay.len());
    super::line::clip_to_line(hay, pos, pos.saturating_sub(before), hi)
}

fn decode_base64(hay: &[u8], pos: usize, trigger: &Trigger) -> Option<Decoded> {
    let group = pos.checked_sub(trigger.phase)?;
    // Walk back over whole groups of base64 characters, at most `before` bytes.
    let mut start = group;
    while start >= 4
        && group - start + 4 <= trigger.before
        && hay[start - 4..start].iter().all(|&b| is_b64(b))
    {
        start -= 4;
    }
    let limit = (pos + trigger.after).min(hay.len());
    let end = start + hay[start..limit].iter().take_while(|&&b| is_b64(b)).count();
    let mut text = &hay[start..end];
    let url_safe = text.iter().any(|&b| b == b'-' || b == b'_');
    if text.len() % 4 == 1 {
        text = &text[..text.len() - 1];
    }
    let alphabet = if url_safe {
        base64::alphabet::URL_SAFE
    } else {
        base64::alphabet::STANDARD
    };
    let engine = GeneralPurpose::new(
        &alphabet,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let bytes = engine.decode(text).ok()?;
    let map = (0..bytes.len()).map(|d| start + d / 3 * 4).collect();
    Some(Decoded {
        encoding: Encoding::Base64,
        bytes,
        map,
    })
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_percent(text: &[u8], base: usize) -> Decoded {
    let mut bytes = Vec::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' && i + 2 < text.len() {
            if let (Some(h), Some(l)) = (hex_val(text[i + 1]), hex_val(text[i + 2])) {
                bytes.push(h << 4 | l);
                map.push(base + i);
                i += 3;
                continue;
            }
        }
        bytes.push(text[i]);
        map.push(base + i);
        i += 1;
    }
    Decoded {
        encoding: Encoding::Percent,
        bytes,
        map,
    }
}

fn decode_json_escapes(text: &[u8], base: usize) -> Decoded {
    let mut bytes = Vec::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' && i + 1 < text.len() {
            let simple = match text[i + 1] {
                b'"' => Some(b'"'),
                b'\\' => Some(b'\\'),
                b'/' => Some(b'/'),
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                _ => None,
            };
            if let Some(b) = simple {
                bytes.push(b);
                map.push(base + i);
                i += 2;
                continue;
            }
            if text[i + 1] == b'u' && i + 6 <= text.len() {
                let code = text[i + 2..i + 6]
                    .iter()
                    .try_fold(0u32, |acc, &b| Some(acc << 4 | u32::from(hex_val(b)?)));
                if let Some(ch) = code.and_then(char::from_u32) {
                    let mut buf = [0u8; 4];
                    for &b in ch.encode_utf8(&mut buf).as_bytes() {
                        bytes.push(b);
                        map.push(base + i);
                    }
                    i += 6;
                    continue;
                }
            }
        }
        bytes.push(text[i]);
        map.push(base + i);
        i += 1;
    }
    Decoded {
        encoding: Encoding::JsonEscape,
        bytes,
        map,
    }
}

/// UTF-16 text, little or big endian, as UTF-8; unpaired surrogates become U+FFFD.
fn decode_utf16(text: &[u8], base: usize, big_endian: bool) -> Decoded {
    let units = text.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut map = Vec::with_capacity(text.len() / 2);
    let mut unit_index = 0usize;
    for r in char::decode_utf16(units) {
        let ch = r.unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buf = [0u8; 4];
        for &b in ch.encode_utf8(&mut buf).as_bytes() {
            bytes.push(b);
            map.push(base + unit_index * 2);
        }
        unit_index += ch.len_utf16();
    }
    Decoded {
        encoding: if big_endian {
            Encoding::Utf16be
        } else {
            Encoding::Utf16le
        },
        bytes,
        map,
    }
}

#[cfg(test)]
mod tests;
