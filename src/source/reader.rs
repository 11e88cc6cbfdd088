//! Scans a byte stream of any size with bounded memory: the stream is read in chunks, each
//! scanned together with enough context before and after it that a secret crossing a chunk
//! boundary is still found, and each hit is kept by exactly one chunk (the one where it starts).
//! Line and column numbers are counted here, once, for the hits only.

use std::io::{self, Read};

use crate::finding::{GitContext, Location, LogContext, SourceKind};
use crate::matcher::{Hit, Matcher};

/// Default bytes per chunk: big enough that most files are one chunk.
pub const DEFAULT_CHUNK: usize = 8 << 20;

/// Bytes inspected to tell binary from text.
pub const SNIFF: usize = 8192;

/// A hit with its 1-based line and column and its absolute byte offset.
pub struct Located {
    pub hit: Hit,
    pub line: u64,
    pub column: u64,
    pub offset: u64,
    /// The first bytes of the hit's line (for a log timestamp), when still in the buffer.
    pub line_head: Vec<u8>,
    /// The line carries an inline allow marker (`patrol:allow`, `gitleaks:allow`,
    /// `pragma: allowlist secret`).
    pub inline_allow: bool,
}

/// Where an input's bytes came from: the one context every source gives for its hits, turned
/// into a [`Location`] in one place ([`Located::location`]).
#[derive(Debug, Clone)]
pub enum Origin<'a> {
    File,
    Stdin,
    /// The index: what is about to be committed.
    Staged,
    /// An object in git history: the blob or message and the commit that introduced it.
    Git(GitContext),
    /// A CI log: archive, member, job, step and run; each hit adds its line's timestamp.
    Log(&'a LogContext),
}

impl Origin<'_> {
    pub fn kind(&self) -> SourceKind {
        match self {
            Origin::File => SourceKind::File,
            Origin::Stdin => SourceKind::Stdin,
            Origin::Staged => SourceKind::Staged,
            Origin::Git(_) => SourceKind::Git,
            Origin::Log(_) => SourceKind::Log,
        }
    }
}

impl Located {
    /// This hit's location in an input shown as `path`, from `origin`.
    pub fn location(&self, path: &str, origin: &Origin) -> Location {
        Location {
            source: origin.kind(),
            repository: None,
            path: path.to_string(),
            line: self.line,
            column: self.column,
            offset: self.offset,
            decoded: self.hit.decoded.clone(),
            git: match origin {
                Origin::Git(g) => Some(g.clone()),
                _ => None,
            },
            log: match origin {
                Origin::Log(base) => Some(LogContext {
                    timestamp: crate::source::logs::timestamp(&self.line_head),
                    ..(*base).clone()
                }),
                _ => None,
            },
            inline_allow: self.inline_allow,
        }
    }
}

/// Comments that allow the secrets on their line, patrol's and those of tools teams migrate from.
pub const INLINE_MARKERS: [&[u8]; 3] = [
    b"patrol:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
];

/// How far from a hit, on its line, a marker is looked for (minified lines can be huge).
const MARKER_REACH: usize = 4096;

fn has_marker(buf: &[u8], line_start: Option<usize>, at: usize) -> bool {
    let lo = line_start.unwrap_or(0).max(at.saturating_sub(MARKER_REACH));
    let hi = (at + MARKER_REACH).min(buf.len());
    let (start, end) = crate::matcher::line::clip_to_line(buf, at, lo, hi);
    let line = &buf[start..end];
    INLINE_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(line, m).is_some())
}

/// Bytes of a line kept in [`Located::line_head`].
const LINE_HEAD: usize = 48;

pub enum Outcome {
    /// Scanned this many bytes.
    Scanned(u64),
    /// Looked binary and was not scanned.
    Binary,
}

/// What becomes of an input whose first bytes look binary ([`looks_binary`]).
#[derive(Clone, Copy)]
pub enum OnBinary<'m> {
    /// Not scanned (`--no-binary`): counted as skipped.
    Skip,
    /// Scanned with this matcher instead of the text one: the exact rules by default, every
    /// rule with `--binary`.
    ScanWith(&'m Matcher),
}

impl<'m> OnBinary<'m> {
    /// The matcher for an input starting with `head`: `text` for text, `None` to skip it.
    pub fn pick(self, text: &'m Matcher, head: &[u8]) -> Option<&'m Matcher> {
        if !looks_binary(head) {
            return Some(text);
        }
        match self {
            OnBinary::Skip => None,
            OnBinary::ScanWith(m) => Some(m),
        }
    }
}

/// True when the first bytes look binary: a NUL byte, unless the text is UTF-16.
pub fn looks_binary(head: &[u8]) -> bool {
    let head = &head[..head.len().min(SNIFF)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    if memchr::memchr(0, head).is_none() {
        return false;
    }
    // UTF-16 without a BOM: ASCII text has NULs in every other byte and none in between.
    let pairs = head.len() / 2;
    let nul_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let nul_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let utf16 = pairs > 0
        && ((nul_odd * 10 > pairs * 7 && nul_even * 20 < pairs)
            || (nul_even * 10 > pairs * 7 && nul_odd * 20 < pairs));
    !utf16
}

/// How a stream is cut: `size` bytes owned per round, scanned with `context` bytes on each side.
#[derive(Debug, Clone, Copy)]
pub struct Chunking {
    pub size: usize,
    pub context: usize,
}

impl Chunking {
    /// Chunks of `size` bytes with as much context as the matcher's widest window.
    pub fn new(matcher: &Matcher, size: usize) -> Chunking {
        Chunking {
            size: size.max(1),
            context: matcher.max_window(),
        }
    }
}

/// Scans `buf` (which starts at `buf_start` in its stream) and emits the hits that start in
/// `own`, with line numbers counted from `lines` (newlines before `buf`, and where the line
/// holding `buf[0]` starts).
pub(super) fn locate(
    matcher: &Matcher,
    buf: &[u8],
    buf_start: u64,
    own: std::ops::Range<usize>,
    lines: (u64, u64),
    emit: &mut impl FnMut(Located),
) {
    let (mut line, mut line_start) = lines;
    let mut counted = 0usize;
    for hit in matcher.scan(buf) {
        if !own.contains(&hit.offset) {
            continue;
        }
        let gap = &buf[counted..hit.offset];
        line += memchr::memchr_iter(b'\n', gap).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', gap) {
            line_start = buf_start + (counted + i + 1) as u64;
        }
        counted = hit.offset;
        let offset = buf_start + hit.offset as u64;
        let head = line_start
            .checked_sub(buf_start)
            .map(|i| {
                let i = i as usize;
                buf[i..(i + LINE_HEAD).min(buf.len())].to_vec()
            })
            .unwrap_or_default();
        let inline_allow = has_marker(
            buf,
            line_start.checked_sub(buf_start).map(|i| i as usize),
            hit.offset,
        );
        emit(Located {
            hit,
            line: line + 1,
            column: offset - line_start + 1,
            offset,
            line_head: head,
            inline_allow,
        });
    }
}

/// Scans bytes already in memory (a git blob, a mapped file) in one pass, without copying.
pub fn scan_slice(
    matcher: &Matcher,
    data: &[u8],
    on_binary: OnBinary<'_>,
    mut emit: impl FnMut(Located),
) -> Outcome {
    let Some(matcher) = on_binary.pick(matcher, data) else {
        return Outcome::Binary;
    };
    locate(matcher, data, 0, 0..data.len(), (0, 0), &mut emit);
    Outcome::Scanned(data.len() as u64)
}

/// Scans `input` chunk by chunk, calling `emit` for every hit in order of offset.
/// `size_hint` (the file's length, when known) sizes the buffer so that a small file costs a
/// small allocation.
pub fn scan_stream<R: Read>(
    matcher: &Matcher,
    mut input: R,
    size_hint: Option<u64>,
    chunking: Chunking,
    on_binary: OnBinary<'_>,
    mut emit: impl FnMut(Located),
) -> io::Result<Outcome> {
    let mut matcher = matcher;
    let Chunking {
        size: chunk,
        context,
    } = chunking;
    let first_round = chunk.saturating_add(context);
    let initial = size_hint.map_or(64 * 1024, |n| {
        usize::try_from(n).map_or(first_round, |n| n.saturating_add(1))
    });
    let mut w = Window::new(Vec::with_capacity(initial.min(first_round)));
    let mut first = true;
    loop {
        let want = w.own_start + chunk + context;
        if first {
            first = false;
            // Sniff before reading a whole chunk: a large binary costs one small read.
            (&mut input).take(SNIFF as u64).read_to_end(&mut w.buf)?;
            match on_binary.pick(matcher, &w.buf) {
                Some(m) => matcher = m,
                None => return Ok(Outcome::Binary),
            }
        }
        let have = w.buf.len();
        if want > have {
            (&mut input)
                .take((want - have) as u64)
                .read_to_end(&mut w.buf)?;
        }
        let eof = w.buf.len() < want;
        let own_end = if eof {
            w.buf.len()
        } else {
            w.own_start + chunk
        };
        w.locate(matcher, own_end, &mut emit);
        if eof {
            return Ok(Outcome::Scanned(w.end()));
        }
        w.slide(own_end, context);
    }
}

/// The bytes of a stream held for one round and where they sit in the stream, shared by
/// [`scan_stream`] and the arriving reader: each round locates the hits of the bytes it owns,
/// then slides on, keeping `context` bytes before the next owned region.
pub(super) struct Window {
    pub(super) buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    start: u64,
    /// Index in `buf` of the first byte the current round owns.
    pub(super) own_start: usize,
    /// Newlines before `buf[0]`.
    lines_before: u64,
    /// Stream offset where the line holding `buf[0]` starts.
    line_start_before: u64,
}

impl Window {
    pub(super) fn new(buf: Vec<u8>) -> Window {
        Window {
            buf,
            start: 0,
            own_start: 0,
            lines_before: 0,
            line_start_before: 0,
        }
    }

    /// Stream offset just past the bytes read so far.
    pub(super) fn end(&self) -> u64 {
        self.start + self.buf.len() as u64
    }

    /// Emits the hits that start in the owned bytes `own_start..own_end`.
    pub(super) fn locate(&self, matcher: &Matcher, own_end: usize, emit: &mut impl FnMut(Located)) {
        locate(
            matcher,
            &self.buf,
            self.start,
            self.own_start..own_end,
            (self.lines_before, self.line_start_before),
            emit,
        );
    }

    /// Drops what the next round does not need: `own_end` becomes the next owned start, with
    /// `context` bytes kept before it.
    pub(super) fn slide(&mut self, own_end: usize, context: usize) {
        let keep_from = own_end.saturating_sub(context);
        let dropped = &self.buf[..keep_from];
        self.lines_before += memchr::memchr_iter(b'\n', dropped).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', dropped) {
            self.line_start_before = self.start + (i + 1) as u64;
        }
        self.buf.drain(..keep_from);
        self.start += keep_from as u64;
        self.own_start = own_end - keep_from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::MatcherOptions;
    use crate::template::Mint;

    fn matcher() -> Matcher {
        Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap()
    }

    #[test]
    fn tokens_across_chunk_boundaries_are_found_once_with_right_lines() {
        let m = matcher();
        let mut mint = Mint::new();
        let mut text = Vec::new();
        let mut expected = Vec::new();
        for i in 0..200u64 {
            let tok = mint.token("ghp").unwrap();
            text.extend_from_slice(format!("line {i} filler filler\n").repeat(7).as_bytes());
            let col = 5;
            expected.push((tok.clone(), 8 * i + 8, col));
            text.extend_from_slice(format!("tok={tok}\n").as_bytes());
        }
        // Chunk sizes that cut tokens at every possible place.
        for size in [37, 64, 1000, 4096, 1 << 20] {
            let mut got = Vec::new();
            let chunking = Chunking { size, context: 300 };
            let out = scan_stream(&m, &text[..], None, chunking, OnBinary::Skip, |l| {
                got.push((String::from_utf8(l.hit.secret).unwrap(), l.line, l.column))
            })
            .unwrap();
            assert!(matches!(out, Outcome::Scanned(n) if n == text.len() as u64));
            assert_eq!(got.len(), expected.len(), "chunk {size}");
            if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
                panic!(
                    "chunk {size}: hit {i} differs: {:?} vs {:?}",
                    got[i].1, expected[i].1
                );
            }
        }
    }

    #[test]
    fn binary_sniffing() {
        assert!(looks_binary(b"\x7fELF\0\0\x01"));
        assert!(!looks_binary(b"plain text"));
        let utf16: Vec<u8> = "hello world"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!looks_binary(&utf16));
    }
}
