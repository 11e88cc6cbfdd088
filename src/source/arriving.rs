//! Input that arrives over time (standard input fed by `kubectl logs -f`): complete lines are
//! scanned as soon as a read returns them, with the same chunk and overlap rules as
//! [`super::reader::scan_stream`], so a token is reported while the pipe is still open.

use std::io::{self, Read};

use super::reader::{Chunking, Located, OnBinary, Outcome, SNIFF, Window};
use crate::matcher::Matcher;

/// Reads once (at most `max` bytes, and 64 KiB): whatever has arrived. 0 at the end.
fn read_arrived(input: &mut impl Read, w: &mut Window, max: usize) -> io::Result<usize> {
    w.read_once(input, max.clamp(1, 64 * 1024))
}

/// Like [`super::reader::scan_stream`], for input that arrives over time (a pipe from `kubectl logs -f`):
/// complete lines are scanned as soon as a read returns them, without waiting for a whole
/// chunk; a round still never holds more than a chunk plus its context. A hit whose rule would
/// need text from a line not yet arrived is judged on what has arrived.
pub fn scan_arriving<R: Read>(
    matcher: &Matcher,
    mut input: R,
    chunking: Chunking,
    on_binary: OnBinary<'_>,
    mut emit: impl FnMut(Located),
) -> io::Result<Outcome> {
    let Chunking {
        size: chunk,
        context,
    } = chunking;
    let mut w = Window::new(Vec::new());
    let mut eof = read_arrived(&mut input, &mut w, SNIFF)? == 0;
    let Some(matcher) = on_binary.pick(matcher, w.data()) else {
        return Ok(Outcome::Binary);
    };
    loop {
        let own_start = w.own_start;
        let want = own_start + chunk + context;
        let full = w.len() >= want;
        let own_end = if full {
            own_start + chunk
        } else if eof {
            w.len()
        } else {
            memchr::memrchr(b'\n', &w.data()[own_start..]).map_or(own_start, |i| own_start + i + 1)
        };
        if own_end > own_start {
            w.locate(matcher, own_end, &mut emit);
        }
        if eof && !full {
            return Ok(Outcome::Scanned(w.end()));
        }
        w.slide(own_end, context);
        let want = w.own_start + chunk + context;
        if !eof && w.len() < want {
            let room = want - w.len();
            eof = read_arrived(&mut input, &mut w, room)? == 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::MatcherOptions;
    use crate::source::reader::scan_stream;
    use crate::template::Mint;

    fn matcher() -> Matcher {
        Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap()
    }

    /// A reader that hands out at most `n` bytes per read, like a pipe.
    struct Trickle<'d>(&'d [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn arriving_input_finds_what_a_stream_finds() {
        let m = matcher();
        let mut mint = Mint::new();
        let mut text = Vec::new();
        for i in 0..100u64 {
            text.extend_from_slice(format!("line {i} filler\n").repeat(5).as_bytes());
            text.extend_from_slice(format!("tok={}\n", mint.token("ghp").unwrap()).as_bytes());
        }
        let hits = |live: bool, size: usize, piece: usize| {
            let mut got = Vec::new();
            let chunking = Chunking { size, context: 300 };
            let emit = |l: Located| got.push((l.hit.secret, l.line, l.column, l.offset));
            let out = if live {
                scan_arriving(&m, Trickle(&text, piece), chunking, OnBinary::Skip, emit)
            } else {
                scan_stream(&m, &text[..], chunking, OnBinary::Skip, emit)
            };
            assert!(matches!(out.unwrap(), Outcome::Scanned(n) if n == text.len() as u64));
            got
        };
        let expected = hits(false, 1 << 20, 0);
        assert_eq!(expected.len(), 100);
        for (size, piece) in [(1 << 20, 7), (1 << 20, 4096), (64, 13), (1000, 1 << 16)] {
            assert_eq!(
                hits(true, size, piece),
                expected,
                "chunk {size}, reads of {piece}"
            );
        }
    }
}
