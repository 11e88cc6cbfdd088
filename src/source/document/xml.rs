//! The text of an XML part of an Office Open XML (`word/document.xml`, `xl/sharedStrings.xml`,
//! `ppt/slides/*.xml`) or OpenDocument (`content.xml`) package: character data with entities
//! decoded (`&amp;`, `&#x41;`, `&#65;`) and CDATA kept, markup dropped. The formats split one
//! paragraph's text into runs (`<w:t>`, `<a:t>`, `<t>`, `<text:span>`); the runs are joined, and
//! a paragraph, cell or line break ends a line. Whitespace-only text between two tags
//! (indentation) is dropped. Every output byte maps back to its offset in the part.

use super::{Origin, Piece};
use crate::matcher::Encoding;

/// Elements (by local name) whose end, or empty form, ends a line of text.
const BREAKS: [&[u8]; 12] = [
    b"p",
    b"h",
    b"si",
    b"c",
    b"br",
    b"cr",
    b"tab",
    b"tc",
    b"tr",
    b"row",
    b"table-cell",
    b"line-break",
];

/// Text gathered before it is handed over (at the next line end).
const FLUSH: usize = 1 << 20;

/// Hands the text of an XML part to `emit` in pieces (chain `xml`), cut at line ends.
pub fn extract(data: &[u8], emit: &mut dyn FnMut(Piece)) {
    text(data, &mut |bytes, map| {
        emit(Piece {
            bytes,
            origin: Origin::Each(map),
            chain: vec![Encoding::Xml],
        })
    });
}

/// The text of `data` and, for each byte of it, its offset in `data`, handed to `emit` in
/// parts cut at line ends.
pub fn text(data: &[u8], emit: &mut dyn FnMut(Vec<u8>, Vec<usize>)) {
    let mut out = Vec::new();
    let mut map = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] != b'<' {
            let end = memchr::memchr(b'<', &data[i..]).map_or(data.len(), |n| i + n);
            let run = &data[i..end];
            if !run.iter().all(u8::is_ascii_whitespace) {
                decode_entities(run, i, &mut out, &mut map);
            }
            i = end;
            continue;
        }
        let rest = &data[i..];
        if rest.starts_with(b"<![CDATA[") {
            let body = i + 9;
            let end = memchr::memmem::find(&data[body..], b"]]>").map_or(data.len(), |n| body + n);
            out.extend_from_slice(&data[body..end]);
            map.extend(body..end);
            i = (end + 3).min(data.len());
            continue;
        }
        let close: &[u8] = if rest.starts_with(b"<!--") {
            b"-->"
        } else if rest.starts_with(b"<?") {
            b"?>"
        } else {
            b">"
        };
        let end = memchr::memmem::find(&rest[1..], close).map_or(data.len(), |n| i + 1 + n);
        if close == b">" && ends_a_line(&data[i + 1..end]) && out.last() != Some(&b'\n') {
            out.push(b'\n');
            map.push(i);
            if out.len() >= FLUSH {
                emit(std::mem::take(&mut out), std::mem::take(&mut map));
            }
        }
        i = (end + close.len()).min(data.len());
    }
    if !out.is_empty() {
        emit(out, map);
    }
}

/// True for `/w:p`, `w:br/` and the like (the inside of a tag, without `<` and `>`).
fn ends_a_line(tag: &[u8]) -> bool {
    let (closing, tag) = match tag.strip_prefix(b"/") {
        Some(t) => (true, t),
        None => (false, tag),
    };
    let empty = tag.ends_with(b"/");
    if !closing && !empty {
        return false;
    }
    let name_end = tag
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/')
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    BREAKS.contains(&local)
}

/// Appends `run` (at offset `at` in the part) with its entities decoded.
fn decode_entities(run: &[u8], at: usize, out: &mut Vec<u8>, map: &mut Vec<usize>) {
    let mut i = 0;
    while i < run.len() {
        let Some(n) = memchr::memchr(b'&', &run[i..]) else {
            out.extend_from_slice(&run[i..]);
            map.extend(at + i..at + run.len());
            return;
        };
        out.extend_from_slice(&run[i..i + n]);
        map.extend(at + i..at + i + n);
        i += n;
        let semi = run[i..]
            .iter()
            .take(12)
            .position(|&b| b == b';')
            .map(|p| i + p);
        let decoded = semi.and_then(|s| entity(&run[i + 1..s]));
        match (semi, decoded) {
            (Some(s), Some(c)) => {
                let mut buf = [0u8; 4];
                let bytes = c.encode_utf8(&mut buf).as_bytes();
                out.extend_from_slice(bytes);
                map.extend(std::iter::repeat_n(at + i, bytes.len()));
                i = s + 1;
            }
            _ => {
                out.push(b'&');
                map.push(at + i);
                i += 1;
            }
        }
    }
}

/// The character an entity name (between `&` and `;`) stands for.
fn entity(name: &[u8]) -> Option<char> {
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        [b'#', b'x' | b'X', hex @ ..] => {
            char::from_u32(u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?)
        }
        [b'#', dec @ ..] => char::from_u32(std::str::from_utf8(dec).ok()?.parse().ok()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(data: &[u8]) -> (Vec<u8>, Vec<usize>) {
        let (mut bytes, mut offsets) = (Vec::new(), Vec::new());
        text(data, &mut |b, m| {
            bytes.extend(b);
            offsets.extend(m);
        });
        (bytes, offsets)
    }

    fn plain(data: &str) -> String {
        String::from_utf8(whole(data.as_bytes()).0).unwrap()
    }

    #[test]
    fn runs_of_a_paragraph_are_joined_and_paragraphs_end_lines() {
        let doc = "<w:body>\n  <w:p><w:r><w:t>ab</w:t></w:r>\n  <w:r><w:t xml:space=\"preserve\">c d</w:t></w:r></w:p>\n  <w:p><w:r><w:t>e</w:t></w:r></w:p></w:body>";
        assert_eq!(plain(doc), "abc d\ne\n");
    }

    #[test]
    fn entities_and_cdata_are_decoded_with_offsets() {
        let doc = "<t>a&amp;&#x41;&#66;&bogus;&lt;<![CDATA[<x>]]></t>";
        assert_eq!(plain(doc), "a&AB&bogus;<<x>");
        let (bytes, map) = whole(doc.as_bytes());
        assert_eq!(bytes.len(), map.len());
        assert_eq!(map[0], 3);
        assert_eq!(map[1], 4);
        assert_eq!(doc.as_bytes()[map[2]], b'&');
    }

    #[test]
    fn comments_and_declarations_are_dropped() {
        assert_eq!(
            plain("<?xml version=\"1.0\"?><!-- a>b --><si><t>x</t></si><si><t>y</t></si>"),
            "x\ny\n"
        );
        assert_eq!(plain("<unterminated"), "");
        assert_eq!(plain("text & more <"), "text & more ");
    }
}
