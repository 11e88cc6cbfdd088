//! Decoders for encoded secrets: base64 (Docker `auth`, `extraheader … basic`, Kubernetes
//! `.dockerconfigjson`), percent-encoding, JSON `\uXXXX` escapes and UTF-16 text.
//!
//! Each decoder is triggered by a literal in the same prefilter pass as the rules (the encoded
//! forms of the rules' prefixes, computed here), decodes a bounded window around the hit, and
//! returns the bytes with a map from every decoded byte back to its offset in the input, so that
//! a secret is reported where its encoded text is.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Serialize;

/// One decoding step, as recorded in a finding's decoding chain (`decoded` in reports). The
/// matcher's own decoders record the first five; sources that open containers and documents
/// record the others (a member of a zip: `zip`; a PDF stream: `flate`, then `pdf-string`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Base64,
    Percent,
    JsonEscape,
    #[serde(rename = "utf-16le")]
    Utf16le,
    #[serde(rename = "utf-16be")]
    Utf16be,
    /// A zip member (Office Open XML, OpenDocument, jar, …).
    Zip,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    /// A tar member.
    Tar,
    /// A deflate stream (PDF `/FlateDecode`, zlib).
    Flate,
    /// Quoted-printable (MIME), soft line breaks joined.
    QuotedPrintable,
    /// XML text: entities decoded, runs of one paragraph joined (OOXML, ODF).
    Xml,
    /// A PDF literal `( … )` or hex `< … >` string.
    PdfString,
}

impl Encoding {
    /// Every step, in declaration order (`ALL[e as usize] == e`).
    pub const ALL: [Encoding; 15] = [
        Encoding::Base64,
        Encoding::Percent,
        Encoding::JsonEscape,
        Encoding::Utf16le,
        Encoding::Utf16be,
        Encoding::Zip,
        Encoding::Gzip,
        Encoding::Bzip2,
        Encoding::Xz,
        Encoding::Zstd,
        Encoding::Tar,
        Encoding::Flate,
        Encoding::QuotedPrintable,
        Encoding::Xml,
        Encoding::PdfString,
    ];

    /// The name in reports (the same as the JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent",
            Encoding::JsonEscape => "json-escape",
            Encoding::Utf16le => "utf-16le",
            Encoding::Utf16be => "utf-16be",
            Encoding::Zip => "zip",
            Encoding::Gzip => "gzip",
            Encoding::Bzip2 => "bzip2",
            Encoding::Xz => "xz",
            Encoding::Zstd => "zstd",
            Encoding::Tar => "tar",
            Encoding::Flate => "flate",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Xml => "xml",
            Encoding::PdfString => "pdf-string",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub bytes: Vec<u8>,
    pub map: Vec<usize>,
}

/// Longest token we expect (stateless installation tokens are ~520 characters).
const MAX_TOKEN: usize = 640;

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
            // JSON escapes of `_` (`\u005f`), and of the first byte when everything is escaped.
            let json = t(Encoding::JsonEscape, 72, MAX_TOKEN * 6);
            push(format!("\\u{:04x}", b'_').as_bytes()[..5].to_vec(), json);
            push(format!("\\u{:04x}", prefix[0]).into_bytes(), json);
            // The first two characters in UTF-16 little endian (Windows' "Unicode"); the hit is
            // the first unit.
            push(
                vec![prefix[0], 0, prefix[1], 0],
                t(Encoding::Utf16le, 0, MAX_TOKEN * 2),
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
        Encoding::Utf16le | Encoding::Utf16be => {
            let start = pos.saturating_sub(trigger.before);
            let end = (pos + trigger.after).min(hay.len());
            let big_endian = trigger.encoding == Encoding::Utf16be;
            Some(decode_utf16(&hay[start..end], start, big_endian))
        }
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
    Some(Decoded { bytes, map })
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
    Decoded { bytes, map }
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
    Decoded { bytes, map }
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
    Decoded { bytes, map }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::TokenKind;

    fn classic() -> &'static str {
        TokenKind::ClassicPat.prefix()
    }

    #[test]
    fn escaped_prefix_triggers_come_from_the_registry() {
        let lits: Vec<Vec<u8>> = fixed_triggers().into_iter().map(|(l, _)| l).collect();
        for want in [
            &b"p%5F"[..],
            b"t%5F",
            b"%67%6",
            b"\\u005",
            b"\\u0067",
            b"g\0h\0",
            b"g\0i\0",
        ] {
            assert!(
                lits.iter().any(|l| l == want),
                "{:?}",
                String::from_utf8_lossy(want)
            );
        }
        let unique: std::collections::HashSet<_> = lits.iter().collect();
        assert_eq!(unique.len(), lits.len());
    }

    #[test]
    fn base64_forms_are_found_in_every_alignment() {
        let forms = base64_forms(classic().as_bytes());
        for pad in ["", "a", "ab", "abc"] {
            let enc =
                base64::engine::general_purpose::STANDARD.encode(format!("{pad}{}1234", classic()));
            assert!(
                forms.iter().any(|(f, _)| enc.contains(f.as_str())),
                "{pad:?} -> {enc} not covered by {forms:?}"
            );
        }
    }

    #[test]
    fn base64_decode_maps_back_to_encoded_text() {
        let inner = format!("octocat:{}secretvalue", classic());
        let enc = base64::engine::general_purpose::STANDARD.encode(&inner);
        let hay = format!("{{\"auth\": \"{enc}\"}}");
        let forms = base64_forms(classic().as_bytes());
        let (form, phase) = forms
            .iter()
            .find(|(f, _)| hay.contains(f.as_str()))
            .unwrap();
        let pos = hay.find(form.as_str()).unwrap();
        let t = Trigger {
            encoding: Encoding::Base64,
            before: 96,
            after: 200,
            phase: *phase,
        };
        let d = decode(hay.as_bytes(), pos, &t).unwrap();
        assert_eq!(d.bytes, inner.as_bytes());
        assert_eq!(d.map[0], hay.find(&enc).unwrap());
    }

    #[test]
    fn percent_json_and_utf16() {
        let d = decode_percent(b"a%5Fb%zz", 10);
        assert_eq!(d.bytes, b"a_b%zz");
        assert_eq!(d.map[2], 14);
        let d = decode_json_escapes(br#"\u0067h\u005f\n"#, 0);
        assert_eq!(d.bytes, b"gh_\n");
        let text = format!("{}x", classic());
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let d = decode_utf16(&le, 100, false);
        assert_eq!(d.bytes, text.as_bytes());
        assert_eq!(d.map[4], 108);
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let d = decode_utf16(&be, 100, true);
        assert_eq!(d.bytes, text.as_bytes());
        assert_eq!(d.map[4], 108);
    }

    #[test]
    fn every_encoding_is_listed_once_and_named_as_in_json() {
        for (i, e) in Encoding::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i);
            let json = serde_json::to_string(e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
        }
        let names: Vec<&str> = Encoding::ALL.iter().map(|e| e.as_str()).collect();
        for want in [
            "zip",
            "flate",
            "quoted-printable",
            "utf-16be",
            "pdf-string",
            "xml",
        ] {
            assert!(names.contains(&want), "{want}");
        }
    }
}
