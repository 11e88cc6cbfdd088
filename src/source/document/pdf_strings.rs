//! PDF strings: literal `( … )` strings with their escapes (`\n`, `\(`, octal `\101`, a
//! backslash before a line end) and hex `< … >` strings, decoded wherever they stand (in the
//! file, in an inflated content or object stream), with comments skipped and dictionaries'
//! `<<` not mistaken for strings. Strings of one array (`[(gh) -20 (p_…)] TJ`, how a page
//! positions the pieces of one word) are joined; other strings end a line. Every decoded byte
//! maps back to the character it came from.

use super::{Origin, Piece};
use crate::matcher::Encoding;

/// Decoded string bytes gathered before they are handed over as one piece.
const FLUSH: usize = 1 << 20;

/// Decoded strings gathered into pieces, strings of one array joined.
pub struct Strings {
    bytes: Vec<u8>,
    origin: Origin,
    chain: Vec<Encoding>,
}

impl Strings {
    pub fn new(origin: Origin, chain: Vec<Encoding>) -> Strings {
        Strings {
            bytes: Vec::new(),
            origin,
            chain,
        }
    }

    fn push(&mut self, b: u8, at: usize) {
        self.bytes.push(b);
        if let Origin::Each(map) = &mut self.origin {
            map.push(at);
        }
    }

    pub fn flush(&mut self, emit: &mut dyn FnMut(Piece)) {
        if self.bytes.is_empty() {
            return;
        }
        let origin = match &mut self.origin {
            Origin::Each(map) => Origin::Each(std::mem::take(map)),
            Origin::All(at) => Origin::All(*at),
        };
        emit(Piece {
            bytes: std::mem::take(&mut self.bytes),
            origin,
            chain: self.chain.clone(),
        });
    }

    /// Decodes the strings of `data` (at offset `base`).
    pub fn scan(&mut self, data: &[u8], base: usize, emit: &mut dyn FnMut(Piece)) {
        let mut depth = 0usize;
        let mut i = 0;
        while i < data.len() {
            let after = match data[i] {
                b'%' => {
                    i += memchr::memchr2(b'\n', b'\r', &data[i..]).unwrap_or(data.len() - i);
                    continue;
                }
                b'(' => self.literal(data, i + 1, base),
                b'<' if data.get(i + 1) == Some(&b'<') => {
                    i += 2;
                    continue;
                }
                b'<' => match self.hex(data, i + 1, base) {
                    Some(after) => after,
                    None => {
                        i += 1;
                        continue;
                    }
                },
                b'[' => {
                    depth += 1;
                    i += 1;
                    continue;
                }
                b']' => {
                    depth = depth.saturating_sub(1);
                    i + 1
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            i = after;
            if depth == 0 && self.bytes.last().is_some_and(|&b| b != b'\n') {
                self.push(b'\n', base + i - 1);
                if self.bytes.len() >= FLUSH {
                    self.flush(emit);
                }
            }
        }
    }

    /// A literal string whose body starts at `i`; returns the index after its `)`.
    fn literal(&mut self, data: &[u8], mut i: usize, base: usize) -> usize {
        let mut depth = 1;
        while i < data.len() {
            let at = base + i;
            match data[i] {
                b'\\' => {
                    i += 1;
                    let Some(&c) = data.get(i) else { break };
                    match c {
                        b'n' => self.push(b'\n', at),
                        b'r' => self.push(b'\r', at),
                        b't' => self.push(b'\t', at),
                        b'b' => self.push(8, at),
                        b'f' => self.push(12, at),
                        b'0'..=b'7' => {
                            let digits = data[i..]
                                .iter()
                                .take(3)
                                .take_while(|d| (b'0'..=b'7').contains(d))
                                .count();
                            let v = data[i..i + digits]
                                .iter()
                                .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                            self.push(v as u8, at);
                            i += digits;
                            continue;
                        }
                        b'\r' => {
                            if data.get(i + 1) == Some(&b'\n') {
                                i += 1;
                            }
                        }
                        b'\n' => {}
                        other => self.push(other, at),
                    }
                    i += 1;
                }
                b'(' => {
                    depth += 1;
                    self.push(b'(', at);
                    i += 1;
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                    self.push(b')', at);
                    i += 1;
                }
                b => {
                    self.push(b, at);
                    i += 1;
                }
            }
        }
        data.len()
    }

    /// A hex string whose body starts at `i`; returns the index after its `>`, or `None` for
    /// a stray `<` (nothing decoded).
    fn hex(&mut self, data: &[u8], i: usize, base: usize) -> Option<usize> {
        let end = memchr::memchr(b'>', &data[i..]).map(|n| i + n)?;
        let body = &data[i..end];
        if !body
            .iter()
            .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
        {
            return None;
        }
        let mut high: Option<(u8, usize)> = None;
        for (j, &b) in body.iter().enumerate() {
            let Some(v) = (b as char).to_digit(16) else {
                continue;
            };
            match high.take() {
                None => high = Some((v as u8, base + i + j)),
                Some((h, at)) => self.push(h << 4 | v as u8, at),
            }
        }
        if let Some((h, at)) = high {
            self.push(h << 4, at);
        }
        Some(end + 1)
    }
}
