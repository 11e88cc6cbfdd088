//! Scans a byte stream of any size with bounded memory: the stream is read in chunks, each
//! scanned together with enough context before and after it that a secret crossing a chunk
//! boundary is still found, and each hit is kept by exactly one chunk (the one where it starts).
//! Line and column numbers are counted here, once, for the hits only.

use std::io::{self, Read};

use crate::finding::{ChatContext, GitContext, ImageContext, Location, LogContext, SourceKind};
use crate::matcher::{Hit, Matcher};

/// Default bytes per chunk: most files are one chunk, and a chunk of a large one stays in the
/// processor's cache between being read and being matched (reading multi-megabyte chunks made
/// the copy from the page cache half the cost of a scan of large logs).
pub const DEFAULT_CHUNK: usize = 256 << 10;

pub use super::binary::{OnBinary, SNIFF, looks_binary};

/// A hit with its 1-based line and column and its absolute byte offset.
#[derive(Clone)]
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
    /// A container image: a layer's file or a part of its config.
    Image(&'a ImageContext),
    /// A message in a chat export (a file, or an archive member).
    Chat(&'a ChatContext),
}

impl Origin<'_> {
    pub fn kind(&self) -> SourceKind {
        match self {
            Origin::File | Origin::Chat(_) => SourceKind::File,
            Origin::Stdin => SourceKind::Stdin,
            Origin::Staged => SourceKind::Staged,
            Origin::Git(_) => SourceKind::Git,
            Origin::Log(_) => SourceKind::Log,
            Origin::Image(_) => SourceKind::Image,
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
            image: match origin {
                Origin::Image(i) => Some((*i).clone()),
                _ => None,
            },
            chat: match origin {
                Origin::Chat(c) => Some((*c).clone()),
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

thread_local! {
    /// Each thread's buffer for [`scan_stream`], reused from one input to the next: a run over
    /// many files neither allocates nor clears a buffer for each.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Scans `input` chunk by chunk, calling `emit` for every hit in order of offset. The chunk is
/// read into this thread's reused buffer. On a read error the bytes read before it are still
/// scanned, then the error is returned.
pub fn scan_stream<R: Read>(
    matcher: &Matcher,
    input: R,
    chunking: Chunking,
    on_binary: OnBinary<'_>,
    mut emit: impl FnMut(Located),
) -> io::Result<Outcome> {
    // `take` leaves an empty buffer behind, so a nested scan (an archive member met while its
    // archive is read) gets a buffer of its own instead of a panic.
    let mut w = Window::new(SCRATCH.take());
    let result = scan_rounds(matcher, input, chunking, on_binary, &mut w, &mut emit);
    let buf = w.buf;
    // Keep at most one round's worth (a chunk and its context on both sides).
    if buf.len()
        <= chunking
            .size
            .saturating_add(chunking.context.saturating_mul(2))
    {
        SCRATCH.set(buf);
    }
    result
}

fn scan_rounds<'m, R: Read>(
    mut matcher: &'m Matcher,
    mut input: R,
    chunking: Chunking,
    on_binary: OnBinary<'m>,
    w: &mut Window,
    emit: &mut impl FnMut(Located),
) -> io::Result<Outcome> {
    let Chunking {
        size: chunk,
        context,
    } = chunking;
    // Sniff before reading a whole chunk: a large binary costs one small read.
    w.fill_to(&mut input, SNIFF)?;
    match on_binary.pick(matcher, w.data()) {
        Some(m) => matcher = m,
        None => return Ok(Outcome::Binary),
    }
    loop {
        let want = w.own_start + chunk + context;
        let read = w.fill_to(&mut input, want);
        let eof = !matches!(read, Ok(false));
        let own_end = if eof { w.len() } else { w.own_start + chunk };
        w.locate(matcher, own_end, emit);
        if eof {
            return read.map(|_| Outcome::Scanned(w.end()));
        }
        w.slide(own_end, context);
    }
}

/// The bytes of a stream held for one round and where they sit in the stream, shared by
/// [`scan_stream`] and the arriving reader: each round locates the hits of the bytes it owns,
/// then slides on, keeping `context` bytes before the next owned region.
pub(super) struct Window {
    /// Initialised bytes, of which the first `filled` are the stream's: reads go straight into
    /// the rest, so a reused buffer is never cleared again.
    buf: Vec<u8>,
    filled: usize,
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
    /// A window reading into `buf` (initialised bytes, whatever they hold).
    pub(super) fn new(buf: Vec<u8>) -> Window {
        Window {
            buf,
            filled: 0,
            start: 0,
            own_start: 0,
            lines_before: 0,
            line_start_before: 0,
        }
    }

    /// The stream's bytes held now.
    pub(super) fn data(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    pub(super) fn len(&self) -> usize {
        self.filled
    }

    /// Stream offset just past the bytes read so far.
    pub(super) fn end(&self) -> u64 {
        self.start + self.filled as u64
    }

    /// Reads once, at most `max` bytes (whatever has arrived); 0 at the end of the input.
    pub(super) fn read_once(&mut self, input: &mut impl Read, max: usize) -> io::Result<usize> {
        let end = self.filled + max;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        loop {
            match input.read(&mut self.buf[self.filled..end]) {
                Ok(n) => {
                    self.filled += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until `upto` bytes are held; `true` when the input ended first.
    pub(super) fn fill_to(&mut self, input: &mut impl Read, upto: usize) -> io::Result<bool> {
        while self.filled < upto {
            if self.read_once(input, upto - self.filled)? == 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Emits the hits that start in the owned bytes `own_start..own_end`.
    pub(super) fn locate(&self, matcher: &Matcher, own_end: usize, emit: &mut impl FnMut(Located)) {
        locate(
            matcher,
            self.data(),
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
        self.buf.copy_within(keep_from..self.filled, 0);
        self.filled -= keep_from;
        self.start += keep_from as u64;
        self.own_start = own_end - keep_from;
    }
}

#[cfg(test)]
mod tests;
