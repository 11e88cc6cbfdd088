//! Archives and compressed files: zip (and the formats that are zips: `.docx`, `.jar`, `.apk`,
//! …), gzip, bzip2, xz, zstd and tar, recognised by their content ([`recognise`]), streamed and
//! never extracted, nested ones included, within limits against hostile input (see [`limit`]): decompressed bytes
//! per top-level archive, compression ratio counted on the bytes actually consumed and produced,
//! nesting depth, and zip members whose data overlap refused. Nested gzip and tar are streamed;
//! a nested zip (which needs seeking) is held in memory up to [`SPOOL_IN_MEMORY`] and spilled
//! to an anonymous temporary file beyond ([`spool`]). Whatever is not read completely — a broken or
//! truncated archive, a member over a limit, an exhausted budget — is reported as a problem and
//! the caller goes on; members already scanned keep their findings. Used by `patrol logs` and by
//! `patrol scan` (unless `--no-archives`).

mod decompress;
mod limit;
mod recognise;
mod spool;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::matcher::Encoding;
use crate::source::reader::Located;
pub use decompress::{decompressor, read_head};
pub use limit::{Budget, Counted, Limited};
use limit::{Budgeted, ErrorTap};
pub use recognise::{HEAD, Kind, inner_name, kind_of, recognise, sniff};
use spool::spool;

/// Bytes of a nested zip held in memory; the rest is spilled to a temporary file.
pub const SPOOL_IN_MEMORY: usize = 16 << 20;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes for each top-level archive, everything inside it included.
    pub max_total: u64,
    /// Decompressed bytes per compressed byte consumed, for any member.
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

/// Called for each member that is not itself an archive: (shown path `archive!member`, member
/// name inside its archive, its bytes, its size when known, the container steps it went
/// through, outermost first).
pub type Member<'m> = dyn Fn(&str, &str, &mut dyn Read, Option<u64>, &[Encoding]) + Sync + 'm;

pub struct Archives<'a> {
    limits: Limits,
    diag: &'a Diagnostics,
    /// Told the name of every entry of a top-level tar, whatever its type.
    entry_names: Option<&'a (dyn Fn(&str) + Sync)>,
}

/// Where an archive's bytes come from.
enum Input<'r> {
    File(File),
    Bytes(Vec<u8>),
    /// Bytes borrowed (a git blob).
    Slice(&'r [u8]),
    /// A member of the enclosing archive, read as it decompresses.
    Stream(&'r mut dyn Read),
}

impl<'r> Input<'r> {
    fn into_read(self) -> Box<dyn Read + 'r> {
        match self {
            Input::File(f) => Box::new(io::BufReader::new(f)),
            Input::Bytes(b) => Box::new(Cursor::new(b)),
            Input::Slice(b) => Box::new(b),
            Input::Stream(r) => Box::new(r),
        }
    }
}

impl<'a> Archives<'a> {
    pub fn new(limits: Limits, diag: &'a Diagnostics) -> Archives<'a> {
        Archives {
            limits,
            diag,
            entry_names: None,
        }
    }

    /// Also tells `seen` the name of every entry of a top-level tar — links, directories and
    /// archives as well as files (what an image layer puts in place of a path below it).
    pub fn with_entry_names(self, seen: &'a (dyn Fn(&str) + Sync)) -> Archives<'a> {
        Archives {
            entry_names: Some(seen),
            ..self
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Scans the archive at `path` (shown as `shown`). Problems are reported, never fatal.
    pub fn scan_file(&self, path: &Path, shown: &str, kind: Kind, member: &Member) {
        match File::open(path) {
            Ok(f) => self.scan_opened(f, shown, kind, member),
            Err(e) => self.diag.problem(shown, e.to_string()),
        }
    }

    /// Scans an archive already open (a downloaded run-log zip in a temporary file).
    pub fn scan_opened(&self, file: File, shown: &str, kind: Kind, member: &Member) {
        self.scan_top(Input::File(file), shown, kind, member);
    }

    /// Scans an archive held in memory.
    pub fn scan_bytes(&self, bytes: Vec<u8>, shown: &str, kind: Kind, member: &Member) {
        self.scan_top(Input::Bytes(bytes), shown, kind, member);
    }

    /// Scans an archive read as a stream (a pipe named on the command line); a zip, which
    /// needs seeking, is spooled first within the budget.
    pub fn scan_read(&self, r: &mut dyn Read, shown: &str, kind: Kind, member: &Member) {
        if kind != Kind::Zip {
            return self.scan_top(Input::Stream(r), shown, kind, member);
        }
        let budget = Budget::new(self.limits.max_total);
        match spool(&mut Budgeted {
            inner: r,
            budget: &budget,
        }) {
            Ok(input) => self.scan_top(input, shown, kind, member),
            Err(e) => self.diag.problem(shown, format!("broken archive: {e}")),
        }
    }

    /// Scans an archive borrowed from memory (a git blob).
    pub fn scan_slice(&self, bytes: &[u8], shown: &str, kind: Kind, member: &Member) {
        self.scan_top(Input::Slice(bytes), shown, kind, member);
    }

    /// One top-level archive, with a budget of its own: a hostile archive cannot starve the next.
    fn scan_top(&self, input: Input, shown: &str, kind: Kind, member: &Member) {
        let budget = Budget::new(self.limits.max_total);
        let result = self.walk(kind, shown, input, 1, &[], &budget, member);
        if budget.exhausted() {
            self.diag.problem(
                shown,
                "decompressed size over the limit (--max-archive-bytes): the rest of the archive was not read",
            );
        } else if let Err(e) = result {
            self.diag.problem(shown, format!("broken archive: {e}"));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        kind: Kind,
        shown: &str,
        input: Input,
        depth: u32,
        chain: &[Encoding],
        budget: &Budget,
        member: &Member,
    ) -> io::Result<()> {
        let chain = &[chain, &[kind.encoding()][..]].concat();
        match (kind, input) {
            (Kind::Zip, Input::File(f)) => self.walk_zip(f, shown, depth, chain, budget, member),
            (Kind::Zip, Input::Bytes(b)) => {
                self.walk_zip(Cursor::new(b), shown, depth, chain, budget, member)
            }
            (Kind::Zip, Input::Slice(b)) => {
                self.walk_zip(Cursor::new(b), shown, depth, chain, budget, member)
            }
            (Kind::Zip, Input::Stream(_)) => Err(io::Error::other("a zip must be spooled first")),
            (Kind::Tar, input) => {
                self.walk_tar(&mut input.into_read(), shown, depth, chain, budget, member)
            }
            (_, input) => {
                let (counted, consumed) = Counted::new(input.into_read());
                let decoder = decompressor(kind, counted)?;
                let mut limited = Limited::new(decoder, consumed, self.limits.max_ratio, budget);
                let inner = inner_name(shown);
                let head = read_head(&mut limited)?;
                let mut content = Cursor::new(&head[..]).chain(&mut limited);
                // A compressed tar is one level: its members read `x.tar.gz!member`.
                if kind == Kind::TarGz || recognise(&head, &inner) == Some(Kind::Tar) {
                    let chain = &[&chain[..], &[Encoding::Tar]].concat();
                    self.walk_tar(&mut content, shown, depth, chain, budget, member)
                } else {
                    let path = format!("{shown}!{inner}");
                    self.member(
                        &path,
                        &inner,
                        &mut content,
                        None,
                        depth,
                        chain,
                        budget,
                        member,
                    )
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_zip<R: Read + Seek>(
        &self,
        reader: R,
        shown: &str,
        depth: u32,
        chain: &[Encoding],
        budget: &Budget,
        member: &Member,
    ) -> io::Result<()> {
        let (counted, consumed) = Counted::new(reader);
        let mut zip = zip::ZipArchive::new(counted).map_err(io::Error::other)?;
        // Byte ranges of the members read so far, by start: overlapping data is a zip bomb.
        let mut taken: BTreeMap<u64, u64> = BTreeMap::new();
        for i in 0..zip.len() {
            if budget.exhausted() {
                break;
            }
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
            let path = format!("{shown}!{name}");
            let start = entry.header_start();
            let end = entry
                .data_start()
                .unwrap_or(start)
                .saturating_add(entry.compressed_size())
                .max(start + 1);
            let before = taken
                .range(..=start)
                .next_back()
                .is_some_and(|(_, e)| *e > start);
            let after = taken.range(start..).next().is_some_and(|(s, _)| *s < end);
            if before || after {
                self.diag
                    .problem(path, "member overlaps another one (a zip bomb): not read");
                continue;
            }
            taken.insert(start, end);
            let size = entry.size();
            let mut limited =
                Limited::new(&mut entry, consumed.clone(), self.limits.max_ratio, budget);
            // Members of a zip are independent: one that fails (reported) does not stop the rest.
            let _ = self.member(
                &path,
                &name,
                &mut limited,
                Some(size),
                depth,
                chain,
                budget,
                member,
            );
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_tar(
        &self,
        r: &mut dyn Read,
        shown: &str,
        depth: u32,
        chain: &[Encoding],
        budget: &Budget,
        member: &Member,
    ) -> io::Result<()> {
        let mut tar = tar::Archive::new(r);
        for entry in tar.entries()? {
            let mut entry = entry?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if let Some(seen) = self.entry_names.filter(|_| depth == 1) {
                seen(&name);
            }
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let size = entry.header().size().ok();
            self.member(
                &format!("{shown}!{name}"),
                &name,
                &mut entry,
                size,
                depth,
                chain,
                budget,
                member,
            )?;
        }
        Ok(())
    }

    /// One member: a nested archive (recognised by its content, or failing that its name) is
    /// walked within the depth limit, anything else scanned. Errors inside a member are
    /// reported against it; an error of the enclosing stream (or an exhausted budget) is
    /// returned, so that the container stops where its stream broke.
    #[allow(clippy::too_many_arguments)]
    fn member(
        &self,
        shown: &str,
        name: &str,
        r: &mut dyn Read,
        size: Option<u64>,
        depth: u32,
        chain: &[Encoding],
        budget: &Budget,
        member: &Member,
    ) -> io::Result<()> {
        let head = read_head(r)?;
        let mut r = Cursor::new(&head[..]).chain(r);
        let Some(kind) = recognise(&head, name) else {
            let mut checked = ErrorTap {
                inner: &mut r,
                error: None,
            };
            member(shown, name, &mut checked, size, chain);
            return checked.error.map_or(Ok(()), Err);
        };
        if depth >= self.limits.max_depth {
            self.diag
                .problem(shown, "nested archive not opened: over --max-archive-depth");
            return Ok(());
        }
        let input = match kind {
            Kind::Zip => match spool(&mut Budgeted { inner: r, budget }) {
                Ok(input) => input,
                Err(e) if budget.exhausted() => return Err(e),
                Err(e) => {
                    self.diag.problem(shown, format!("broken archive: {e}"));
                    return Ok(());
                }
            },
            _ => Input::Stream(&mut r),
        };
        match self.walk(kind, shown, input, depth + 1, chain, budget, member) {
            Err(e) if budget.exhausted() => Err(e),
            Err(e) => {
                self.diag.problem(shown, format!("broken archive: {e}"));
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }
}

/// `hits` of a member, each with the container steps it went through before its own decoding.
pub fn decoded(mut hits: Vec<Located>, chain: &[Encoding]) -> Vec<Located> {
    if !chain.is_empty() {
        for l in &mut hits {
            l.hit.decoded.splice(0..0, chain.iter().copied());
        }
    }
    hits
}
