//! Unit tests of `source::reader`.

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
        let out = scan_stream(&m, &text[..], chunking, OnBinary::Skip, |l| {
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

/// Yields its bytes, then fails.
struct FailsAfter<'a>(&'a [u8]);

impl Read for FailsAfter<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("device went away"));
        }
        let n = out.len().min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn bytes_read_before_an_error_are_scanned_and_the_error_returned() {
    let m = matcher();
    let tok = Mint::new().token("ghp").unwrap();
    let text = format!(
        "{}\ntoken {tok} at the end of what could be read\n",
        "x".repeat(20_000)
    );
    for size in [64, 4096, DEFAULT_CHUNK] {
        let chunking = Chunking { size, context: 300 };
        let mut got = Vec::new();
        let out = scan_stream(
            &m,
            FailsAfter(text.as_bytes()),
            chunking,
            OnBinary::Skip,
            |l| got.push(l.hit.secret),
        );
        assert!(out.is_err(), "chunk {size}: the error is returned");
        assert_eq!(got, vec![tok.clone().into_bytes()], "chunk {size}");
    }
}

#[test]
fn a_reused_buffer_holds_nothing_of_the_previous_input() {
    let m = matcher();
    let tok = Mint::new().token("ghp").unwrap();
    let chunking = Chunking::new(&m, DEFAULT_CHUNK);
    let first = format!("{}\n{tok}\n", "y".repeat(50_000));
    let n = scan_stream(&m, first.as_bytes(), chunking, OnBinary::Skip, |_| {});
    assert!(matches!(n, Ok(Outcome::Scanned(_))));
    // A shorter input read into the same thread's buffer: the old token's bytes are still
    // in the buffer past the new input's end, and must not be seen.
    let mut got = 0;
    let out = scan_stream(&m, &b"short\n"[..], chunking, OnBinary::Skip, |_| got += 1);
    assert!(matches!(out, Ok(Outcome::Scanned(6))));
    assert_eq!(got, 0);
}
