//! Archives: `.zip`, `.gz`, `.tar`, `.tar.gz`/`.tgz`, read in memory or streamed and never
//! extracted to disk, nested archives included, within limits against hostile input: total
//! decompressed bytes, compression ratio and nesting depth. A broken or truncated archive is
//! reported and the caller goes on with the next input; members already scanned keep their
//! findings. Used by `patrol logs` and by `patrol scan` (unless `--no-archives`).

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diagnostics::Diagnostics;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes for the whole run.
    pub max_total: u64,
    /// Decompressed bytes per compressed byte, for any member.
    pub max_ratio: u64,
    /// Archives inside archives, counting the outermost as 1.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total: 8 << 30,
            max_ratio: 200,
            max_depth: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Gzip,
    Tar,
    TarGz,
}

/// The archive kind a name says, if any.
pub fn kind_of(name: &str) -> Option<Kind> {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".zip") {
        Some(Kind::Zip)
    } else if n.ends_with(".tar.gz") || n.ends_with(".tgz") {
        Some(Kind::TarGz)
    } else if n.ends_with(".gz") {
        Some(Kind::Gzip)
    } else if n.ends_with(".tar") {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Called for each member that is not itself an archive: (shown path `archive!member`, member
/// name inside its archive, its bytes, its size when known).
pub type Member<'m> = dyn Fn(&str, &str, &mut dyn Read, Option<u64>) + Sync + 'm;

pub struct Archives<'a> {
    limits: Limits,
    left: AtomicU64,
    diag: &'a Diagnostics,
}

/// Counts bytes through a reader and stops at the run's budget or a member's ratio.
struct Limited<'r, R> {
    inner: R,
    left: &'r AtomicU64,
    /// Decompressed bytes allowed for this member (from its compressed size and the ratio).
    allowed: u64,
    read: u64,
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.allowed {
            return Err(io::Error::other(
                "compression ratio over the limit (--max-archive-ratio)",
            ));
        }
        let taken = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                l.checked_sub(n as u64)
            });
        if taken.is_err() {
            return Err(io::Error::other(
                "decompressed size over the limit (--max-archive-bytes)",
            ));
        }
        Ok(n)
    }
}

/// Counts compressed bytes read, for streams whose compressed size is not known up front.
struct Counting<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A decompressing stream whose ratio is checked against the compressed bytes read so far.
struct Ratio<R> {
    inner: R,
    compressed: std::rc::Rc<std::cell::Cell<u64>>,
    out: u64,
    max_ratio: u64,
}

impl<R: Read> Read for Ratio<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        // Some slack for small inputs, whose headers dominate.
        if self.out > (self.compressed.get() + 64 * 1024).saturating_mul(self.max_ratio) {
            return Err(io::Error::other(
                "compression ratio over the limit (--max-archive-ratio)",
            ));
        }
        Ok(n)
    }
}

impl<'a> Archives<'a> {
    pub fn new(limits: Limits, diag: &'a Diagnostics) -> Archives<'a> {
        Archives {
            limits,
            left: AtomicU64::new(limits.max_total),
            diag,
        }
    }

    /// Scans the archive at `path` (shown as `shown`). Problems are reported, never fatal.
    pub fn scan_file(&self, path: &Path, shown: &str, kind: Kind, member: &Member) {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return self.diag.problem(shown, e.to_string()),
        };
        if let Err(e) = self.walk(kind, shown, Source::File(file), 1, member) {
            self.diag.problem(shown, format!("broken archive: {e}"));
        }
    }

    /// Scans an archive held in memory (a downloaded run-log zip).
    pub fn scan_bytes(&self, bytes: Vec<u8>, shown: &str, kind: Kind, member: &Member) {
        if let Err(e) = self.walk(kind, shown, Source::Bytes(bytes), 1, member) {
            self.diag.problem(shown, format!("broken archive: {e}"));
        }
    }

    fn walk(
        &self,
        kind: Kind,
        shown: &str,
        src: Source,
        depth: u32,
        member: &Member,
    ) -> io::Result<()> {
        match kind {
            Kind::Zip => match src {
                Source::File(f) => self.walk_zip(
                    zip::ZipArchive::new(f).map_err(io::Error::other)?,
                    shown,
                    depth,
                    member,
                ),
                Source::Bytes(b) => self.walk_zip(
                    zip::ZipArchive::new(Cursor::new(b)).map_err(io::Error::other)?,
                    shown,
                    depth,
                    member,
                ),
            },
            Kind::Gzip | Kind::TarGz => {
                let count = std::rc::Rc::new(std::cell::Cell::new(0));
                let counting = Counting {
                    inner: src.into_read(),
                    count: count.clone(),
                };
                let decoder = Ratio {
                    inner: flate2::read::MultiGzDecoder::new(counting),
                    compressed: count,
                    out: 0,
                    max_ratio: self.limits.max_ratio,
                };
                let mut limited = Limited {
                    inner: decoder,
                    left: &self.left,
                    allowed: u64::MAX,
                    read: 0,
                };
                if kind == Kind::TarGz {
                    self.walk_tar(&mut limited, shown, depth, member)
                } else {
                    let inner_name =
                        strip_suffix_ci(shown.rsplit(['/', '!']).next().unwrap_or(shown), ".gz");
                    self.member(
                        &format!("{shown}!{inner_name}"),
                        &inner_name,
                        &mut limited,
                        None,
                        depth,
                        member,
                    )
                }
            }
            Kind::Tar => {
                let mut r = src.into_read();
                self.walk_tar(&mut r, shown, depth, member)
            }
        }
    }

    fn walk_zip<R: Read + io::Seek>(
        &self,
        mut zip: zip::ZipArchive<R>,
        shown: &str,
        depth: u32,
        member: &Member,
    ) -> io::Result<()> {
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.diag.problem(shown, format!("member {i}: {e}"));
                    continue;
                }
            };
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_string();
            let allowed = entry
                .compressed_size()
                .max(1)
                .saturating_mul(self.limits.max_ratio)
                .max(1 << 20);
            let size = entry.size();
            let mut limited = Limited {
                inner: &mut entry,
                left: &self.left,
                allowed,
                read: 0,
            };
            // Members of a zip are independent: one that fails (reported) does not stop the rest.
            let _ = self.member(
                &format!("{shown}!{name}"),
                &name,
                &mut limited,
                Some(size),
                depth,
                member,
            );
        }
        Ok(())
    }

    fn walk_tar(
        &self,
        r: &mut dyn Read,
        shown: &str,
        depth: u32,
        member: &Member,
    ) -> io::Result<()> {
        let mut tar = tar::Archive::new(r);
        for entry in tar.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let size = entry.header().size().ok();
            self.member(
                &format!("{shown}!{name}"),
                &name,
                &mut entry,
                size,
                depth,
                member,
            )?;
        }
        Ok(())
    }

    /// One member: a nested archive is walked (within the depth limit), anything else scanned.
    /// Errors inside a member are reported against it; only an unreadable container stops.
    fn member(
        &self,
        shown: &str,
        name: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        depth: u32,
        member: &Member,
    ) -> io::Result<()> {
        if let Some(kind) = kind_of(name) {
            if depth >= self.limits.max_depth {
                self.diag
                    .problem(shown, "nested archive not opened: over --max-archive-depth");
                return Ok(());
            }
            let bytes = match self.read_limited(r) {
                Ok(b) => b,
                Err(e) => {
                    self.diag.problem(shown, e.to_string());
                    return Ok(());
                }
            };
            if let Err(e) = self.walk(kind, shown, Source::Bytes(bytes), depth + 1, member) {
                self.diag.problem(shown, format!("broken archive: {e}"));
            }
            return Ok(());
        }
        let mut checked = ErrorTap {
            inner: r,
            error: None,
        };
        member(shown, name, &mut checked, size);
        if let Some(e) = checked.error {
            // A stream error inside a gzip or tar ends the container too.
            return Err(e);
        }
        Ok(())
    }

    fn read_limited(&self, r: &mut dyn Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut limited = Limited {
            inner: r,
            left: &self.left,
            allowed: u64::MAX,
            read: 0,
        };
        limited.read_to_end(&mut out)?;
        Ok(out)
    }
}

/// Remembers the first read error of a member (the scanner reports it too), so that the
/// container can stop where its stream broke.
struct ErrorTap<'r> {
    inner: &'r mut dyn Read,
    error: Option<io::Error>,
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

enum Source {
    File(File),
    Bytes(Vec<u8>),
}

impl Source {
    fn into_read(self) -> Box<dyn Read> {
        match self {
            Source::File(f) => Box::new(io::BufReader::new(f)),
            Source::Bytes(b) => Box::new(Cursor::new(b)),
        }
    }
}

fn strip_suffix_ci(name: &str, suffix: &str) -> String {
    if name.to_ascii_lowercase().ends_with(suffix) {
        name[..name.len() - suffix.len()].to_string()
    } else {
        name.to_string()
    }
}
