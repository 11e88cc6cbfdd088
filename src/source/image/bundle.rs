//! Images stored as files: a `docker save` tarball (`manifest.json`, configs, `layer.tar`s; Docker
//! 25+ adds an OCI layout inside), an OCI image layout as a tarball or a directory
//! (`index.json`, `blobs/sha256/…`), compressed tarballs too. Read in one pass, in the order the
//! entries come: small JSON documents are kept (manifests, configs), every other entry is
//! scanned as a layer as it streams (skipped when a layer of that digest was scanned earlier in
//! the run). In an uncompressed tarball file the walk seeks over large entries instead, and
//! they are scanned side by side afterwards, each from a handle of its own that must yield the
//! whole entry. Once every entry is read, the index or `manifest.json` says which layers make
//! which image, in what order, and the images are recorded. Nothing of the tarball is left
//! unread: an entry that no selected image uses is recorded as a `blob`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::LayerCache;
use super::layer::{ScannedLayer, normalise, scan_layer, sha256_digest};
use super::resolve::Platforms;
use super::spec;
use crate::scan::Scanner;
use crate::source::archive::{self, Budget, Counted, Limited, Limits};

/// Largest JSON entry kept in memory as a document.
const DOC_MAX: u64 = 4 << 20;
/// Most bytes of documents kept for one bundle; beyond, entries are scanned as they come.
const DOCS_MAX: u64 = 64 << 20;

/// What one pass over a bundle's entries gathered.
#[derive(Default)]
pub(super) struct Entries {
    pub(super) docs: HashMap<String, Vec<u8>>,
    doc_bytes: u64,
    pub(super) layers: HashMap<String, Arc<ScannedLayer>>,
    /// Symbolic and hard links: name → target, both as paths in the bundle.
    pub(super) links: HashMap<String, String>,
}

pub struct Bundle<'a> {
    pub scanner: &'a Scanner<'a>,
    pub limits: Limits,
    pub cache: &'a LayerCache,
    pub platforms: &'a Platforms,
    /// The tarball or directory as given.
    pub image: String,
}

/// `blobs/ALG/HEX` for a digest `ALG:HEX` (both plain lowercase words).
pub(super) fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (word(alg) && word(hex)).then(|| format!("blobs/{alg}/{hex}"))
}

/// The digest a bundle path names (`blobs/sha256/HEX`), when it names one.
pub(super) fn named_digest(name: &str) -> Option<String> {
    let hex = name.strip_prefix("blobs/sha256/")?;
    let digest = format!("sha256:{hex}");
    spec::sha256_hex(&digest).is_some().then_some(digest)
}

/// Bytes read from an image file at a time: small enough to stay in the processor's cache
/// between the read and the hashing and matching that follow.
const READ_BUFFER: usize = 64 << 10;

fn looks_like_json(head: &[u8]) -> bool {
    matches!(
        head.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

impl Bundle<'_> {
    pub(super) fn shown(&self, name: &str) -> String {
        format!("{}!{name}", self.image)
    }

    /// A tarball, compressed or not.
    pub fn scan_tarball(&self, path: &Path) {
        let diag = self.scanner.diagnostics;
        let mut file = match File::open(path) {
            Ok(f) => BufReader::with_capacity(READ_BUFFER, f),
            Err(e) => return diag.problem(&self.image, e.to_string()),
        };
        let head = match archive::read_head(&mut file) {
            Ok(h) => h,
            Err(e) => return diag.problem(&self.image, e.to_string()),
        };
        let budget = Budget::new(self.limits.max_total);
        let mut entries = Entries::default();
        let result = match archive::sniff(&head) {
            Some(kind) if kind.is_compression() => {
                let input = Cursor::new(head.clone()).chain(file);
                let (counted, consumed) = Counted::new(input);
                match archive::decompressor(kind, counted) {
                    Ok(d) => {
                        let limited = Limited::new(d, consumed, self.limits.max_ratio, &budget);
                        self.read_tar(limited, &mut entries)
                    }
                    Err(e) => Err(e),
                }
            }
            // A pipe (`patrol image <(docker save app)`) cannot seek: read it as it streams.
            _ if !file.get_ref().metadata().is_ok_and(|m| m.is_file()) => {
                self.read_tar(Cursor::new(head).chain(file), &mut entries)
            }
            _ => self.read_tar_file(file, path, &mut entries),
        };
        if let Err(e) = result {
            diag.problem(
                &self.image,
                format!("broken image tarball: {e}: entries after the break were not read"),
            );
        }
        self.finish(entries);
    }

    fn read_tar(&self, r: impl Read, entries: &mut Entries) -> io::Result<()> {
        let mut tar = tar::Archive::new(r);
        self.walk(tar.entries()?, entries, None)
    }

    /// An uncompressed tarball, a file: the walk seeks over large entries and leaves them to
    /// [`Bundle::scan_at`], which scans them side by side, each from its own handle.
    fn read_tar_file(
        &self,
        mut file: BufReader<File>,
        path: &Path,
        entries: &mut Entries,
    ) -> io::Result<()> {
        file.seek(SeekFrom::Start(0))?;
        let mut tar = tar::Archive::new(file);
        let mut later = Vec::new();
        let walked = self.walk(tar.entries_with_seek()?, entries, Some(&mut later));
        let scanned: Vec<_> = later
            .par_iter()
            .map(|(name, at, size)| (name, self.scan_at(path, name, *at, *size)))
            .collect();
        for (name, layer) in scanned {
            entries
                .layers
                .insert(name.clone(), self.cache.insert(layer));
        }
        walked
    }

    /// The entry `name` of the tarball at `path`, `size` bytes from `at`, scanned as a layer. A
    /// tarball that ends before the entry does is a layer not read to its end.
    fn scan_at(&self, path: &Path, name: &str, at: u64, size: u64) -> ScannedLayer {
        let mut blob: Box<dyn Read> = match File::open(path).and_then(|mut f| {
            f.seek(SeekFrom::Start(at))?;
            Ok(f)
        }) {
            Ok(f) => Box::new(Exact(
                BufReader::with_capacity(READ_BUFFER, f).take(size),
                size,
            )),
            Err(e) => Box::new(Failing(Some(e))),
        };
        let expected = named_digest(name);
        scan_layer(
            self.scanner,
            self.limits,
            &mut blob,
            &self.shown(name),
            expected.as_deref(),
        )
    }

    /// The entries of a tarball, in order; with `later`, entries larger than a document that
    /// are not in the cache are only noted there (name, offset, size), for the caller to scan.
    fn walk<R: Read>(
        &self,
        walk: tar::Entries<'_, R>,
        entries: &mut Entries,
        mut later: Option<&mut Vec<(String, u64, u64)>>,
    ) -> io::Result<()> {
        for entry in walk {
            let mut entry = entry?;
            let name = normalise(&String::from_utf8_lossy(&entry.path_bytes())).to_string();
            let kind = entry.header().entry_type();
            if kind.is_symlink() || kind.is_hard_link() {
                if let Some(target) = entry.link_name_bytes() {
                    let target = String::from_utf8_lossy(&target).into_owned();
                    let base = if kind.is_symlink() {
                        name.rsplit_once('/').map_or("", |(d, _)| d)
                    } else {
                        ""
                    };
                    let resolved = join(base, &target);
                    entries.links.insert(name, resolved);
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let size = entry.header().size().ok();
            if let (Some(later), Some(size)) = (later.as_deref_mut(), size) {
                let cached = || named_digest(&name).is_some_and(|d| self.cache.get(&d).is_some());
                if size > DOC_MAX && !cached() {
                    later.push((name, entry.raw_file_position(), size));
                    continue;
                }
            }
            self.entry(&name, size, &mut entry, entries)?;
        }
        Ok(())
    }

    /// An OCI layout directory: its regular files (links to them followed), in name order.
    pub fn scan_dir(&self, dir: &Path) {
        let mut files = Vec::new();
        let mut stack = vec![(dir.to_path_buf(), String::new())];
        while let Some((path, rel)) = stack.pop() {
            let listing = match std::fs::read_dir(&path) {
                Ok(l) => l,
                Err(e) => {
                    self.scanner
                        .diagnostics
                        .problem(self.shown(&rel), e.to_string());
                    continue;
                }
            };
            for item in listing.flatten() {
                let name = item.file_name().to_string_lossy().into_owned();
                let rel = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                match item.file_type() {
                    Ok(t) if t.is_dir() => stack.push((item.path(), rel)),
                    _ => files.push((rel, item.path())),
                }
            }
        }
        files.sort();
        let mut entries = Entries::default();
        for (rel, path) in files {
            // A FIFO or a device (or a link to one) is never opened: it could block or never end.
            if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
                self.scanner.diagnostics.skipped_special();
                continue;
            }
            let opened = File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f)));
            let result = opened.and_then(|(len, f)| {
                let mut r = BufReader::with_capacity(READ_BUFFER, f);
                self.entry(&rel, Some(len), &mut r, &mut entries)
            });
            if let Err(e) = result {
                self.scanner
                    .diagnostics
                    .problem(self.shown(&rel), e.to_string());
            }
        }
        self.finish(entries);
    }

    /// One entry: kept as a document, or scanned as a layer. An `Err` is the enclosing
    /// stream's (the tarball broke); the layer's own problems are reported by the layer.
    fn entry(
        &self,
        name: &str,
        size: Option<u64>,
        r: &mut dyn Read,
        entries: &mut Entries,
    ) -> io::Result<()> {
        let head = archive::read_head(r)?;
        let expected = named_digest(name);
        let fits = size.is_some_and(|s| s <= DOC_MAX && entries.doc_bytes + s <= DOCS_MAX);
        if fits && looks_like_json(&head) {
            let mut bytes = head;
            r.take(DOC_MAX).read_to_end(&mut bytes)?;
            let digest = sha256_digest(&bytes);
            if expected.as_ref().is_some_and(|e| *e != digest) {
                self.scanner.diagnostics.problem(
                    self.shown(name),
                    format!(
                        "digest mismatch: read {digest}, named {}",
                        expected.unwrap_or_default()
                    ),
                );
            }
            entries.doc_bytes += bytes.len() as u64;
            entries.docs.insert(name.to_string(), bytes);
            return Ok(());
        }
        if let Some(cached) = expected.as_ref().and_then(|d| self.cache.get(d)) {
            entries.layers.insert(name.to_string(), cached);
            return Ok(());
        }
        let mut blob = Cursor::new(head).chain(r);
        let layer = scan_layer(
            self.scanner,
            self.limits,
            &mut blob,
            &self.shown(name),
            expected.as_deref(),
        );
        let layer = self.cache.insert(layer);
        entries.layers.insert(name.to_string(), layer);
        Ok(())
    }
}

/// A reader of exactly `.1` bytes: one that ends sooner is an error, not a short layer.
struct Exact<R>(R, u64);

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        if n == 0 && self.1 > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the tarball ends {} bytes before this entry does", self.1),
            ));
        }
        self.1 -= n as u64;
        Ok(n)
    }
}

/// A reader whose first read is the error it was given (a layer that could not be opened).
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// `target` resolved against the directory `base`, `..` and `.` folded.
fn join(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_blob_paths() {
        assert_eq!(join("abc", "../blobs/sha256/x"), "blobs/sha256/x");
        assert_eq!(join("", "/a/./b"), "a/b");
        assert_eq!(
            blob_path("sha256:ab12").as_deref(),
            Some("blobs/sha256/ab12")
        );
        assert_eq!(blob_path("sha256:../x"), None);
        assert!(named_digest("blobs/sha256/short").is_none());
    }
}
