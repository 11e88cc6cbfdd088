//! The limits that hold against hostile archives, counted on what is actually read: a budget of
//! decompressed bytes per top-level archive, and a compression ratio measured on the compressed
//! bytes really consumed from the container (not on sizes the archive declares about itself).

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Decompressed bytes a member may always produce, whatever its ratio (headers dominate small
/// inputs).
const RATIO_FLOOR: u64 = 1 << 20;

/// Decompressed bytes left for one top-level archive and everything inside it.
pub struct Budget {
    left: Cell<u64>,
    exhausted: Cell<bool>,
}

impl Budget {
    pub fn new(bytes: u64) -> Budget {
        Budget {
            left: Cell::new(bytes),
            exhausted: Cell::new(false),
        }
    }

    /// Takes `n` bytes, or marks the budget exhausted and fails.
    pub fn take(&self, n: u64) -> io::Result<()> {
        match self.left.get().checked_sub(n) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.exhausted.set(true);
                Err(io::Error::other(
                    "decompressed size over the limit (--max-archive-bytes)",
                ))
            }
        }
    }

    /// True once a read was refused: the rest of the archive is not read.
    pub fn exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

/// Counts the bytes read from a container (its compressed bytes), seeks included.
pub struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R> Counted<R> {
    pub fn new(inner: R) -> (Counted<R>, Rc<Cell<u64>>) {
        let count = Rc::new(Cell::new(0));
        (
            Counted {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A decompressing stream checked as it is read: its output against the budget, and against
/// `max_ratio` times the compressed bytes consumed since it started.
pub struct Limited<'b, R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
    start: u64,
    produced: u64,
    max_ratio: u64,
    budget: &'b Budget,
}

impl<'b, R: Read> Limited<'b, R> {
    /// `consumed` counts the container's bytes; what it says now is this stream's start.
    pub fn new(inner: R, consumed: Rc<Cell<u64>>, max_ratio: u64, budget: &'b Budget) -> Self {
        Limited {
            inner,
            start: consumed.get(),
            consumed,
            produced: 0,
            max_ratio,
            budget,
        }
    }
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let consumed = self.consumed.get().saturating_sub(self.start);
        if self.produced > consumed.saturating_mul(self.max_ratio).max(RATIO_FLOOR) {
            return Err(io::Error::other(
                "compression ratio over the limit (--max-archive-ratio)",
            ));
        }
        self.budget.take(n as u64)?;
        Ok(n)
    }
}

/// Takes every byte read from `inner` from the budget (bytes copied aside, such as a nested
/// archive being spooled).
pub struct Budgeted<'b, R> {
    pub inner: R,
    pub budget: &'b Budget,
}

impl<R: Read> Read for Budgeted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.take(n as u64)?;
        Ok(n)
    }
}

/// Remembers the first read error of a member (the scanner reports it too), so that the
/// container can stop where its stream broke.
pub struct ErrorTap<'r> {
    pub inner: &'r mut dyn Read,
    pub error: Option<io::Error>,
}

impl Read for ErrorTap<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if self.error.is_none() {
                self.error = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_measured_on_bytes_consumed() {
        let budget = Budget::new(u64::MAX);
        let (_, consumed) = Counted::new(io::empty());
        // 4 MiB produced from nothing consumed: over the ratio once past the floor.
        let zeros = io::repeat(0).take(4 << 20);
        let mut l = Limited::new(zeros, consumed, 200, &budget);
        let err = io::copy(&mut l, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("ratio"), "{err}");
    }

    #[test]
    fn budget_is_exhausted_once() {
        let budget = Budget::new(10);
        let mut r = Budgeted {
            inner: io::repeat(1).take(20),
            budget: &budget,
        };
        assert!(io::copy(&mut r, &mut io::sink()).is_err());
        assert!(budget.exhausted());
    }
}
