//! One stream worked on by two threads: this thread reads it in chunks and hands each chunk to a
//! side task (a layer's sha256) and, over a bounded channel, to a second thread that decodes
//! and matches it. The two run at once, so an image costs about the larger of the two rather
//! than their sum. Memory stays bounded: at most [`DEPTH`] chunks are in flight, and spent
//! chunks come back to be filled again. The source is always read to its end — when the
//! consumer stops early (a broken archive in a layer) the side task still sees every byte, so
//! a digest is never computed on part of a blob.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes handed over at a time.
const CHUNK: usize = 256 << 10;
/// Chunks in flight between the two threads.
const DEPTH: usize = 4;

type Message = io::Result<Vec<u8>>;

/// Reads `source` to its end on this thread, passing every chunk to `aside`, while `consume`
/// reads the same bytes on another thread. Returns the source's read error, if any, and what
/// `consume` returned. A read error reaches `consume` as its own read error, in place.
pub fn handoff<T: Send>(
    source: &mut dyn Read,
    mut aside: impl FnMut(&[u8]),
    consume: impl FnOnce(&mut dyn Read) -> T + Send,
) -> (io::Result<()>, T) {
    let (to_consumer, received) = sync_channel::<Message>(DEPTH);
    let (give_back, spent) = sync_channel::<Vec<u8>>(DEPTH + 2);
    std::thread::scope(|s| {
        let consumer = s.spawn(move || {
            let mut reader = Received {
                chunks: received,
                give_back,
                chunk: Vec::new(),
                pos: 0,
            };
            consume(&mut reader)
        });
        let mut listening = true;
        let read = loop {
            let mut buf = spent
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
            buf.clear();
            let result = source.take(CHUNK as u64).read_to_end(&mut buf);
            if !buf.is_empty() {
                aside(&buf);
                listening = listening && to_consumer.send(Ok(buf)).is_ok();
            }
            match result {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(e) => {
                    if listening {
                        let _ = to_consumer.send(Err(io::Error::new(e.kind(), e.to_string())));
                    }
                    break Err(e);
                }
            }
        };
        drop(to_consumer);
        let out = consumer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (read, out)
    })
}

/// The consumer's side: the chunks as one stream.
struct Received {
    chunks: Receiver<Message>,
    give_back: SyncSender<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for Received {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.chunks.recv() {
                Ok(Ok(next)) => {
                    let spent = std::mem::replace(&mut self.chunk, next);
                    // The reader keeps at most DEPTH + 2 spare chunks; beyond, one is freed.
                    let _ = self.give_back.try_send(spent);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The sender is gone: the end of the stream.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `good` bytes, then fails.
    struct Failing {
        good: io::Take<io::Repeat>,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.good.read(buf)? {
                0 => Err(io::Error::other("disk on fire")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn every_byte_reaches_both_sides_even_when_the_consumer_stops_early() {
        let data: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let mut seen = Vec::new();
        let (read, copy) = handoff(
            &mut &data[..],
            |c| seen.extend_from_slice(c),
            |r| {
                let mut out = Vec::new();
                r.read_to_end(&mut out).map(|_| out)
            },
        );
        assert!(read.is_ok());
        assert_eq!(copy.unwrap(), data);
        assert_eq!(seen, data);

        let mut seen = 0usize;
        let (read, first) = handoff(
            &mut &data[..],
            |c| seen += c.len(),
            |r| {
                let mut first = [0u8; 10];
                r.read_exact(&mut first).map(|_| first)
            },
        );
        assert!(read.is_ok());
        assert_eq!(first.unwrap(), data[..10]);
        assert_eq!(seen, data.len(), "the side task saw the whole source");
    }

    #[test]
    fn a_read_error_reaches_the_consumer_after_the_bytes_before_it() {
        let mut source = Failing {
            good: io::repeat(7).take(CHUNK as u64 + 5),
        };
        let (read, got) = handoff(
            &mut source,
            |_| {},
            |r| {
                let mut out = Vec::new();
                let e = r.read_to_end(&mut out).unwrap_err();
                (out.len(), e.to_string())
            },
        );
        assert!(read.is_err());
        assert_eq!(got, (CHUNK + 5, "disk on fire".to_string()));
    }
}
