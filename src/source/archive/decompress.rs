//! The decompressing readers of gzip, bzip2, xz and zstd streams (pure Rust but for gzip's
//! zlib-rs), and the head read from a stream to recognise what it holds.

use std::io::{self, Read};

use super::{HEAD, Kind};

/// The decompressing reader of a compressed stream.
pub fn decompressor<'r>(kind: Kind, r: impl Read + 'r) -> io::Result<Box<dyn Read + 'r>> {
    Ok(match kind {
        Kind::Gzip | Kind::TarGz => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        // A dictionary over this many KiB is refused before it is allocated (xz -9 uses 64 MiB).
        Kind::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(r, true, 256 << 10)),
        Kind::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(r)
                .map_err(|e| io::Error::other(e.to_string()))?,
        ),
        Kind::Zip | Kind::Tar => return Err(io::Error::other("not a compressed stream")),
    })
}

/// The first [`HEAD`] bytes of `r` (fewer at its end), to recognise what it holds.
pub fn read_head(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    r.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}
