//! PDF: streams filtered with `/FlateDecode` (once or chained) are inflated, and literal
//! `( … )` and hex `< … >` strings are decoded, in the file and inside inflated streams
//! (content streams, object streams). Strings of one array (`[(gh) -20 (p_…)] TJ`) are joined,
//! as a viewer shows them.
//!
//! A small tokenizer over `stream … endstream`, not a PDF parser: it needs no cross-reference
//! table, so a damaged, truncated or hand-edited PDF is read as far as it goes, and nothing is
//! rendered. Limits (the archive ones): inflated bytes per document (`max_total`), the ratio of
//! each stream, at most [`MAX_STREAM`] bytes per stream and [`MAX_STREAMS`] streams; what a
//! limit or a broken stream leaves unread is a problem. The file itself is scanned raw by the
//! caller.

use std::io::Read;

use memchr::memmem;

use super::pdf_strings::Strings;
use super::{Limits, Origin, Piece};
use crate::matcher::Encoding;

/// Streams read in one document; the rest is a problem.
pub const MAX_STREAMS: usize = 100_000;
/// Inflated bytes kept for one stream.
pub const MAX_STREAM: u64 = 64 << 20;
/// Inflated bytes a stream may always produce, whatever its ratio.
const RATIO_FLOOR: u64 = 1 << 20;

/// True when `head` (a file's first bytes) is a PDF.
pub fn looks_like_pdf(head: &[u8]) -> bool {
    memmem::find(&head[..head.len().min(1024)], b"%PDF-").is_some()
}

/// Hands the decoded pieces of the PDF `data` to `emit`; returns the problems.
pub fn extract(data: &[u8], limits: &Limits, emit: &mut dyn FnMut(Piece)) -> Vec<String> {
    let mut problems = Vec::new();
    let mut budget = limits.max_total;
    let mut outside = Strings::new(Origin::Each(Vec::new()), vec![Encoding::PdfString]);
    let mut pos = 0;
    let mut streams = 0usize;
    let finder = memmem::Finder::new(b"stream");
    while let Some(found) = finder.find(&data[pos..]) {
        let kw = pos + found;
        let after = kw + b"stream".len();
        if data[..kw].ends_with(b"end") {
            pos = after;
            continue;
        }
        let start = match data.get(after..after + 2) {
            Some(b"\r\n") => after + 2,
            Some([b'\n' | b'\r', _]) | Some([b'\n' | b'\r']) => after + 1,
            _ if after == data.len() => after,
            _ => {
                pos = after;
                continue;
            }
        };
        let region = &data[pos..kw];
        outside.scan(region, pos, emit);
        let end = memmem::find(&data[start..], b"endstream").map_or(data.len(), |n| start + n);
        let body = trim_eol(&data[start..end]);
        streams += 1;
        if streams > MAX_STREAMS {
            problems.push(format!(
                "more than {MAX_STREAMS} streams: the rest of the PDF was not decoded"
            ));
            outside.flush(emit);
            return problems;
        }
        match filters(dictionary(region)) {
            Filters::None => {
                let mut s = Strings::new(Origin::Each(Vec::new()), vec![Encoding::PdfString]);
                s.scan(body, start, emit);
                s.flush(emit);
            }
            Filters::Flate(n) => match inflate_chain(body, n, limits.max_ratio, &mut budget) {
                Ok(bytes) => stream_pieces(bytes, start, n, emit),
                Err((bytes, why)) => {
                    problems.push(format!("stream at byte {start}: {why}"));
                    stream_pieces(bytes, start, n, emit);
                    if budget == 0 {
                        outside.flush(emit);
                        return problems;
                    }
                }
            },
            Filters::Other => {}
        }
        pos = (end + b"endstream".len()).min(data.len());
    }
    outside.scan(&data[pos..], pos, emit);
    outside.flush(emit);
    problems
}

/// An inflated stream (starting at `start` in the file) and the strings in it.
fn stream_pieces(bytes: Vec<u8>, start: usize, flates: usize, emit: &mut dyn FnMut(Piece)) {
    if bytes.is_empty() {
        return;
    }
    let chain = vec![Encoding::Flate; flates];
    let mut strings_chain = chain.clone();
    strings_chain.push(Encoding::PdfString);
    let mut s = Strings::new(Origin::All(start), strings_chain);
    s.scan(&bytes, 0, emit);
    emit(Piece {
        bytes,
        origin: Origin::All(start),
        chain,
    });
    s.flush(emit);
}

fn trim_eol(body: &[u8]) -> &[u8] {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    body.strip_suffix(b"\r").unwrap_or(body)
}

/// The stream's dictionary: what follows the last `obj` keyword before it.
fn dictionary(region: &[u8]) -> &[u8] {
    let tail = &region[region.len().saturating_sub(4096)..];
    memmem::rfind(tail, b"obj").map_or(tail, |i| &tail[i..])
}

enum Filters {
    None,
    /// This many `/FlateDecode` in a row.
    Flate(usize),
    Other,
}

fn filters(dict: &[u8]) -> Filters {
    let Some(at) = memmem::rfind(dict, b"/Filter") else {
        return Filters::None;
    };
    let rest = &dict[at + b"/Filter".len()..];
    let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let names: &[u8] = match rest.first() {
        Some(b'[') => &rest[1..memchr::memchr(b']', rest).unwrap_or(rest.len())],
        Some(b'/') => {
            let end = rest[1..]
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b"/<>[]()".contains(&b))
                .map_or(rest.len(), |n| n + 1);
            &rest[..end]
        }
        _ => return Filters::Other,
    };
    let mut flates = 0;
    for name in names
        .split(|&b| b == b'/' || b.is_ascii_whitespace())
        .filter(|n| !n.is_empty())
    {
        match name {
            b"FlateDecode" | b"Fl" => flates += 1,
            _ => return Filters::Other,
        }
    }
    if flates == 0 {
        Filters::Other
    } else {
        Filters::Flate(flates)
    }
}

/// Inflates `n` times; on failure, what was inflated and why it stopped.
fn inflate_chain(
    body: &[u8],
    n: usize,
    max_ratio: u64,
    budget: &mut u64,
) -> Result<Vec<u8>, (Vec<u8>, String)> {
    let mut bytes = inflate(body, max_ratio, budget)?;
    for _ in 1..n {
        bytes = inflate(&bytes, max_ratio, budget)?;
    }
    Ok(bytes)
}

/// One zlib (or raw deflate) stream, within the ratio, [`MAX_STREAM`] and the budget.
fn inflate(body: &[u8], max_ratio: u64, budget: &mut u64) -> Result<Vec<u8>, (Vec<u8>, String)> {
    let by_ratio = (body.len() as u64)
        .saturating_mul(max_ratio)
        .max(RATIO_FLOOR);
    let cap = by_ratio.min(MAX_STREAM).min(*budget);
    let mut out = Vec::new();
    let zlib = body.len() >= 2 && u16::from_be_bytes([body[0], body[1]]) % 31 == 0;
    let result = if zlib {
        flate2::read::ZlibDecoder::new(body)
            .take(cap + 1)
            .read_to_end(&mut out)
    } else {
        flate2::read::DeflateDecoder::new(body)
            .take(cap + 1)
            .read_to_end(&mut out)
    };
    let over = out.len() as u64 > cap;
    out.truncate(cap as usize);
    *budget -= out.len() as u64;
    if over {
        let why = if cap == *budget + out.len() as u64 {
            "inflated bytes over the limit (--max-archive-bytes): the rest of the PDF was not decoded"
        } else if cap == MAX_STREAM {
            "inflated stream over 64 MiB: the rest of it was not decoded"
        } else {
            "compression ratio over the limit (--max-archive-ratio): the rest of it was not decoded"
        };
        if cap == *budget + out.len() as u64 {
            *budget = 0;
        }
        return Err((out, why.to_string()));
    }
    match result {
        Ok(_) => Ok(out),
        Err(e) => Err((out, format!("could not be inflated completely ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pieces(data: &[u8]) -> (Vec<Piece>, Vec<String>) {
        let mut out = Vec::new();
        let problems = extract(data, &Limits::default(), &mut |p| out.push(p));
        (out, problems)
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn strings_are_decoded_and_arrays_joined() {
        let (p, problems) =
            pieces(b"%PDF-1.4\n1 0 obj (a\\(b\\)\\101\\\nc) <6869 7> [(x) 5 (y)] endobj");
        assert!(problems.is_empty());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].bytes, b"a(b)Ac\nhip\nxy\n");
        assert_eq!(p[0].chain, vec![Encoding::PdfString]);
        assert_eq!(p[0].origin.offset(0), 18);
    }

    #[test]
    fn flate_streams_are_inflated_once_per_filter() {
        let content = b"BT (hello) Tj ET";
        let twice = deflate(&deflate(content));
        let mut pdf =
            b"%PDF-1.5\n4 0 obj << /Length 9 /Filter [/FlateDecode /Fl] >>\nstream\n".to_vec();
        let start = pdf.len();
        pdf.extend_from_slice(&twice);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        let (p, problems) = pieces(&pdf);
        assert!(problems.is_empty(), "{problems:?}");
        let inflated = p
            .iter()
            .find(|p| p.chain == [Encoding::Flate, Encoding::Flate])
            .unwrap();
        assert_eq!(inflated.bytes, content);
        assert_eq!(inflated.origin, Origin::All(start));
        let strings = p.iter().find(|p| p.chain.len() == 3).unwrap();
        assert_eq!(strings.bytes, b"hello\n");
    }

    #[test]
    fn a_deflate_bomb_and_a_broken_stream_are_problems() {
        let bomb = deflate(&vec![0u8; 8 << 20]);
        let mut pdf = b"%PDF-1.5\n1 0 obj <</Filter/FlateDecode>>stream\n".to_vec();
        pdf.extend_from_slice(&bomb);
        pdf.extend_from_slice(b"\nendstream endobj 2 0 obj <</Filter /FlateDecode>>stream\r\nxx");
        let (_, problems) = pieces(&pdf);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("ratio"), "{problems:?}");
    }
}
