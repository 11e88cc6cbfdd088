//! The decompressing readers of gzip, bzip2, xz and zstd streams (pure Rust but for gzip's
//! zlib-rs), and the head read from a stream to recognise what it holds. Every format reads
//! all the members or frames a stream holds (`zstd` writes one frame per input of a multi-file
//! call, `pzstd` one per block), not only the first.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::{HEAD, Kind};

/// The decompressing reader of a compressed stream.
pub fn decompressor<'r>(kind: Kind, r: impl Read + 'r) -> io::Result<Box<dyn Read + 'r>> {
    Ok(match kind {
        Kind::Gzip | Kind::TarGz => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        // A dictionary over this many KiB is refused before it is allocated (xz -9 uses 64 MiB).
        Kind::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(r, true, 256 << 10)),
        Kind::Zstd => Box::new(ZstdFrames::new(r)?),
        Kind::Zip | Kind::Tar => return Err(io::Error::other("not a compressed stream")),
    })
}

/// Every frame of a zstd stream, one after the other; skippable frames are skipped. (ruzstd's
/// streaming decoder reads one frame.)
struct ZstdFrames<R> {
    source: BufReader<R>,
    frame: FrameDecoder,
}

impl<R: Read> ZstdFrames<R> {
    fn new(source: R) -> io::Result<Self> {
        let mut frames = ZstdFrames {
            source: BufReader::new(source),
            frame: FrameDecoder::new(),
        };
        if !frames.next_frame()? {
            return Err(io::Error::other("no zstd frame"));
        }
        Ok(frames)
    }

    /// Starts the next frame; false at the end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.frame.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::other("truncated skippable zstd frame"));
                    }
                }
                Err(e) => return Err(io::Error::other(e.to_string())),
            }
        }
    }
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let frame = &mut self.frame;
            while frame.can_collect() < buf.len() && !frame.is_finished() {
                let wanted = buf.len() - frame.can_collect();
                frame
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(wanted))
                    .map_err(|e| io::Error::other(e.to_string()))?;
            }
            let n = frame.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if !self.next_frame()? {
                return Ok(0);
            }
        }
    }
}

/// The first [`HEAD`] bytes of `r` (fewer at its end), to recognise what it holds.
pub fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}
