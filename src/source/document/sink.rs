//! Decoded bytes with their map back to the document, handed over as [`Piece`]s of bounded
//! size that overlap, so that memory stays bounded on a long encoded part and a token across a
//! cut is still found whole.

use super::{Origin, Piece};
use crate::matcher::Encoding;

/// Decoded bytes handed over in pieces of about [`FLUSH`] bytes; each piece starts with the
/// last [`OVERLAP`] bytes of the one before, so that a token across the cut is found whole (the
/// scan records a secret found twice at one place once).
pub struct Sink<'e> {
    bytes: Vec<u8>,
    map: Vec<usize>,
    step: Encoding,
    emit: &'e mut dyn FnMut(Piece),
}

pub const FLUSH: usize = 1 << 20;
pub const OVERLAP: usize = 4096;

impl<'e> Sink<'e> {
    pub fn new(step: Encoding, emit: &'e mut dyn FnMut(Piece)) -> Sink<'e> {
        Sink {
            bytes: Vec::new(),
            map: Vec::new(),
            step,
            emit,
        }
    }

    pub fn push(&mut self, b: u8, at: usize) {
        self.bytes.push(b);
        self.map.push(at);
        if self.bytes.len() >= FLUSH + OVERLAP {
            let keep = self.bytes.len() - OVERLAP;
            let bytes = self.bytes.split_off(keep);
            let map = self.map.split_off(keep);
            self.hand_over(bytes, map);
        }
    }

    /// Hands over the current piece, keeping `bytes`/`map` (its tail) as the next one's start.
    fn hand_over(&mut self, bytes: Vec<u8>, map: Vec<usize>) {
        let mut piece_bytes = std::mem::replace(&mut self.bytes, bytes);
        let mut piece_map = std::mem::replace(&mut self.map, map);
        piece_bytes.extend_from_slice(&self.bytes);
        piece_map.extend_from_slice(&self.map);
        (self.emit)(Piece {
            bytes: piece_bytes,
            origin: Origin::Each(piece_map),
            chain: vec![self.step],
        });
    }

    pub fn finish(mut self) {
        if !self.bytes.is_empty() {
            let bytes = std::mem::take(&mut self.bytes);
            let map = std::mem::take(&mut self.map);
            (self.emit)(Piece {
                bytes,
                origin: Origin::Each(map),
                chain: vec![self.step],
            });
        }
    }
}
