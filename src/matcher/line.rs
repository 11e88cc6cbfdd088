//! Lines in raw bytes: the one helper that clips a window around an offset to the line holding
//! it. The matcher clips rule windows with it, decoders their input, and the reader the reach of
//! inline allow comments.

/// The bounds `(start, end)` of the line holding offset `at`, clipped to `lo..hi`: `start` is
/// just after the last `\n` in `lo..at` (else `lo`), `end` is the first `\n` in `at..hi` (else
/// `hi`). Requires `lo <= at <= hi <= hay.len()`.
pub fn clip_to_line(hay: &[u8], at: usize, lo: usize, hi: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', &hay[lo..at]).map_or(lo, |i| lo + i + 1);
    let end = memchr::memchr(b'\n', &hay[at..hi]).map_or(hi, |i| at + i);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_to_the_line_and_to_the_window() {
        let hay = b"one\ntwo three\nfour";
        // `at` inside "two three".
        assert_eq!(clip_to_line(hay, 8, 0, hay.len()), (4, 13));
        // The window is narrower than the line.
        assert_eq!(clip_to_line(hay, 8, 6, 10), (6, 10));
        // First and last lines, and an empty window.
        assert_eq!(clip_to_line(hay, 1, 0, hay.len()), (0, 3));
        assert_eq!(clip_to_line(hay, 16, 0, hay.len()), (14, 18));
        assert_eq!(clip_to_line(hay, 4, 4, 4), (4, 4));
    }
}
