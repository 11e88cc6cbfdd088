//! PDF strings: literal `( … )` strings with their escapes (`\n`, `\(`, octal `\101`, a
//! backslash before a line end) and hex `< … >` strings, decoded wherever they stand (in the
//! file, in an inflated content or object stream), with comments skipped and dictionaries'
//! `<<` not mistaken for strings. Strings of one array (`[(gh) -20 (p_…)] TJ`, how a page
//! positions the pieces of one word) are joined; other strings end a line. Every decoded byte
//! maps back to the character it came from.
//!
//! A viewer also shows the strings of consecutive text-showing operators (`(gh) Tj (p_…) Tj`)
//! side by side until an operator moves to another line (`T*`, `'`, `"`, a `Td`/`TD` with a
//! vertical move, a `Tm` to another baseline, `BT`, `ET`). Such strings are handed over a second
//! time, joined as shown, so that a token split across operators is read whole, while the text
//! where each string ends a line still keeps a token apart from the text shown after it.

use super::{Origin, Piece};
use crate::matcher::Encoding;

/// Decoded string bytes gathered before they are handed over as one piece.
const FLUSH: usize = 1 << 20;

/// Decoded strings gathered into pieces, strings of one array joined.
pub struct Strings {
    bytes: Vec<u8>,
    origin: Origin,
    chain: Vec<Encoding>,
    /// Indices in `bytes` of the line ends between strings a viewer shows side by side.
    joins: Vec<usize>,
}

impl Strings {
    pub fn new(origin: Origin, chain: Vec<Encoding>) -> Strings {
        Strings {
            bytes: Vec::new(),
            origin,
            chain,
            joins: Vec::new(),
        }
    }

    fn push(&mut self, b: u8, at: usize) {
        self.bytes.push(b);
        if let Origin::Each(map) = &mut self.origin {
            map.push(at);
        }
    }

    /// Hands over the strings gathered: each ending a line, then (when some were shown side by
    /// side) joined as a viewer shows them.
    pub fn flush(&mut self, emit: &mut dyn FnMut(Piece)) {
        if self.bytes.is_empty() {
            return;
        }
        let joins = std::mem::take(&mut self.joins);
        let origin = match &mut self.origin {
            Origin::Each(map) => Origin::Each(std::mem::take(map)),
            Origin::All(at) => Origin::All(*at),
        };
        let bytes = std::mem::take(&mut self.bytes);
        let joined = (!joins.is_empty()).then(|| {
            let kept = |i: &usize| joins.binary_search(i).is_err();
            let bytes = (0..bytes.len()).filter(kept).map(|i| bytes[i]).collect();
            let origin = match &origin {
                Origin::Each(map) => {
                    Origin::Each((0..map.len()).filter(kept).map(|i| map[i]).collect())
                }
                Origin::All(at) => Origin::All(*at),
            };
            Piece {
                bytes,
                origin,
                chain: self.chain.clone(),
            }
        });
        emit(Piece {
            bytes,
            origin,
            chain: self.chain.clone(),
        });
        if let Some(joined) = joined {
            emit(joined);
        }
    }

    /// Decodes the strings of `data` (at offset `base`).
    pub fn scan(&mut self, data: &[u8], base: usize, emit: &mut dyn FnMut(Piece)) {
        let mut depth = 0usize;
        let mut shown = Shown::default();
        let mut i = 0;
        while i < data.len() {
            let after = match data[i] {
                b'%' => {
                    i += memchr::memchr2(b'\n', b'\r', &data[i..]).unwrap_or(data.len() - i);
                    continue;
                }
                b'(' => {
                    shown.operand_starts(depth);
                    self.literal(data, i + 1, base)
                }
                b'<' if data.get(i + 1) == Some(&b'<') => {
                    i += 2;
                    continue;
                }
                b'<' => match self.hex(data, i + 1, base) {
                    Some(after) => {
                        shown.operand_starts(depth);
                        after
                    }
                    None => {
                        i += 1;
                        continue;
                    }
                },
                b'[' => {
                    shown.operand_starts(depth);
                    depth += 1;
                    i += 1;
                    continue;
                }
                b']' => {
                    depth = depth.saturating_sub(1);
                    i + 1
                }
                b'/' => {
                    // A name (`/Tj` is no operator).
                    i += 1 + regular_run(&data[i + 1..]);
                    continue;
                }
                b if is_regular(b) => {
                    let end = i + regular_run(&data[i..]);
                    shown.token(&data[i..end], &mut self.joins);
                    i = end;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            i = after;
            if depth > 0 {
                continue;
            }
            shown.after_operand = None;
            if self.bytes.last().is_some_and(|&b| b != b'\n') {
                shown.after_operand = Some(self.bytes.len());
                self.push(b'\n', base + i - 1);
                if self.bytes.len() >= FLUSH {
                    self.flush(emit);
                    shown.forget_indices();
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

/// PDF white space and delimiters end a token; every other byte is a "regular character".
fn is_regular(b: u8) -> bool {
    !(b.is_ascii_whitespace() || b == 0 || b"()<>[]{}/%".contains(&b))
}

/// Length of the run of regular characters at the start of `data`.
fn regular_run(data: &[u8]) -> usize {
    data.iter()
        .position(|&b| !is_regular(b))
        .unwrap_or(data.len())
}

/// Which strings a viewer shows side by side: follows the operators of a content stream.
#[derive(Default)]
struct Shown {
    /// The line end (an index in `Strings::bytes`) after the string or array just read, until
    /// the operator that takes it.
    after_operand: Option<usize>,
    /// The line end after the last string shown, while the text stays on its line.
    after_shown: Option<usize>,
    /// `after_shown` when the string just read began: dropped if a `Tj`/`TJ` shows it.
    candidate: Option<usize>,
    /// The last number read: the operand of a `Td` or `Tm` before it.
    number: Option<f64>,
    /// The baseline of the last `Tm`, while no other operator moved off it.
    baseline: Option<f64>,
}

impl Shown {
    fn operand_starts(&mut self, depth: usize) {
        if depth == 0 {
            self.candidate = self.after_shown.take();
        }
    }

    /// A number or an operator; a shown string is joined to the one before it by recording
    /// the line end between them in `joins`.
    fn token(&mut self, token: &[u8], joins: &mut Vec<usize>) {
        if matches!(token[0], b'0'..=b'9' | b'+' | b'-' | b'.') {
            self.number = std::str::from_utf8(token).ok().and_then(|t| t.parse().ok());
            return;
        }
        let new_line = match token {
            b"Tj" | b"TJ" => {
                joins.extend(self.candidate);
                self.after_shown = self.after_operand;
                false
            }
            // Move to the next line, then show the string.
            b"'" | b"\"" => {
                self.after_shown = self.after_operand;
                self.baseline = None;
                false
            }
            b"Td" | b"TD" => self.number != Some(0.0),
            b"Tm" => {
                let same = self.number.is_some() && self.number == self.baseline;
                self.baseline = self.number;
                !same
            }
            b"T*" | b"BT" | b"ET" => true,
            _ => false,
        };
        if new_line {
            self.after_shown = None;
            if token != b"Tm" {
                self.baseline = None;
            }
        }
        self.after_operand = None;
        self.candidate = None;
        self.number = None;
    }

    /// The indices into the strings handed over are gone.
    fn forget_indices(&mut self) {
        self.after_operand = None;
        self.after_shown = None;
        self.candidate = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of `data` as text: the strings line by line, then joined as shown (if any).
    fn pieces(data: &[u8]) -> Vec<(String, Vec<usize>)> {
        let mut out = Vec::new();
        let mut s = Strings::new(Origin::Each(Vec::new()), vec![Encoding::PdfString]);
        s.scan(data, 0, &mut |p| match p.origin {
            Origin::Each(map) => out.push((String::from_utf8(p.bytes).unwrap(), map)),
            Origin::All(_) => unreachable!(),
        });
        s.flush(&mut |p| match p.origin {
            Origin::Each(map) => out.push((String::from_utf8(p.bytes).unwrap(), map)),
            Origin::All(_) => unreachable!(),
        });
        out
    }

    fn texts(data: &[u8]) -> Vec<String> {
        pieces(data).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn strings_shown_side_by_side_are_joined_and_mapped_to_their_characters() {
        let data =
            b"BT /F1 9 Tf 72 700 Td (ab) Tj 0 Tc (cd) Tj 4 0 Td <6566> Tj [(g) -9 (h)] TJ ET";
        let p = pieces(data);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].0, "ab\ncd\nef\ngh\n", "each string still ends a line");
        assert_eq!(p[1].0, "abcdefgh\n");
        let map = &p[1].1;
        assert_eq!(map.len(), p[1].0.len());
        for (i, c) in "abcd".chars().enumerate() {
            assert_eq!(data[map[i]], c as u8);
        }
        // A hex string's byte maps to its first digit.
        assert_eq!(&data[map[4]..map[4] + 2], b"65");
        assert_eq!(data[map[6]], b'g');
        assert_eq!(data[map[7]], b'h');
    }

    #[test]
    fn a_move_to_another_line_ends_the_text_shown() {
        for data in [
            &b"BT (ab) Tj T* (cd) Tj ET"[..],
            b"BT (ab) Tj 0 -14 Td (cd) Tj ET",
            b"BT (ab) Tj 0 -14 TD (cd) Tj ET",
            b"BT (ab) Tj (cd) ' ET",
            b"BT (ab) Tj 1 2 (cd) \" ET",
            b"BT (ab) Tj ET BT (cd) Tj ET",
            b"BT 1 0 0 1 72 700 Tm (ab) Tj 1 0 0 1 72 686 Tm (cd) Tj ET",
            b"BT (ab) /Tj (cd) Tj ET",
        ] {
            let t = texts(data);
            assert_eq!(t, ["ab\ncd\n"], "{}", String::from_utf8_lossy(data));
        }
        // The same baseline again is the same line; strings no operator shows are not joined.
        let t = texts(b"BT 1 0 0 1 72 700 Tm (ab) Tj 1 0 0 1 90 700 Tm (cd) Tj ET");
        assert_eq!(t, ["ab\ncd\n", "abcd\n"]);
        assert_eq!(texts(b"<< /A (ab) /B (cd) >>"), ["ab\ncd\n"]);
        // `'` shows its string on a new line, and the next one beside it.
        let t = texts(b"BT (ab) ' (cd) Tj ET");
        assert_eq!(t, ["ab\ncd\n", "abcd\n"]);
    }
}
