//! What a blob holds, recognised as `patrol scan` recognises a file: an archive or compressed
//! file committed to history (by its magic bytes, whatever it is called) is opened within the
//! archive limits and its members scanned, documents among them decoded; a document blob (a
//! PDF, an email, by its first bytes) is decoded as well as scanned raw. One blob may sit at
//! many paths, and which is known only when it is attributed: while it is scanned it is shown
//! as `blob <id>` (in problems, and as the head of its members' paths), and each hit keeps the
//! place inside the blob that the attributed path is put in front of ([`place_path`]).

use std::sync::Mutex;

use git2::Oid;

use crate::scan::Scanner;
use crate::source::archive::{self, Archives, Limits, inner_name};
use crate::source::document::{self, MAX_DOCUMENT};
use crate::source::reader::Located;

/// Hits in one place of a blob.
pub(super) struct Place {
    /// Empty for the blob's own bytes; for a member, its path after the blob's scan-time name
    /// ([`scan_name`]): `!word/document.xml`, `!blob 0123456789ab` for a compressed blob's
    /// content.
    pub member: String,
    pub hits: Vec<Located>,
}

/// How blobs are read: archives opened within these limits, or not at all (`--no-archives`).
pub(super) struct BlobContent<'a> {
    archives: Option<Archives<'a>>,
    limits: Limits,
}

impl<'a> BlobContent<'a> {
    pub(super) fn new(scanner: &Scanner<'a>, limits: Limits, open_archives: bool) -> Self {
        BlobContent {
            archives: open_archives.then(|| Archives::new(limits, scanner.diagnostics)),
            limits,
        }
    }

    /// The hits of blob `oid`, by place (only places with hits).
    pub(super) fn hits(&self, scanner: &Scanner, oid: Oid, data: &[u8]) -> Vec<Place> {
        let shown = scan_name(oid);
        let head = &data[..data.len().min(document::HEAD)];
        let container = self
            .archives
            .as_ref()
            .and_then(|a| Some((a, archive::sniff(head)?)));
        if let Some((archives, kind)) = container {
            let places = Mutex::new(Vec::new());
            archives.scan_slice(data, &shown, kind, &|path, name, reader, _size, chain| {
                let hits = document::member_hits(scanner, &self.limits, path, name, reader, chain);
                if !hits.is_empty() {
                    let member = path.strip_prefix(shown.as_str()).unwrap_or(path);
                    places
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Place {
                            member: member.to_string(),
                            hits,
                        });
                }
            });
            return places.into_inner().unwrap_or_else(|e| e.into_inner());
        }
        let hits = match document::format_of("", head) {
            Some(format) if data.len() as u64 <= MAX_DOCUMENT => {
                document::document_hits(scanner, &self.limits, &shown, format, data)
            }
            Some(_) => {
                document::too_big(scanner, &shown);
                scanner.hits_in_bytes(data).unwrap_or_default()
            }
            None => scanner.hits_in_bytes(data).unwrap_or_default(),
        };
        if hits.is_empty() {
            return Vec::new();
        }
        vec![Place {
            member: String::new(),
            hits,
        }]
    }
}

/// The name blob `oid` is shown under while it is scanned.
pub(super) fn scan_name(oid: Oid) -> String {
    format!("blob {}", &oid.to_string()[..12])
}

/// The path of a place in blob `oid` found at `path`: `path` itself, or `path!member`; the
/// content of a compressed blob is named after `path` (`notes.txt.gz!notes.txt`), as
/// `patrol scan` names it.
pub(super) fn place_path(path: &str, oid: Oid, member: &str) -> String {
    let named = member
        .strip_prefix('!')
        .and_then(|m| m.strip_prefix(scan_name(oid).as_str()))
        .filter(|rest| rest.is_empty() || rest.starts_with('!'));
    match named {
        Some(rest) => format!("{path}!{}{rest}", inner_name(path)),
        None => format!("{path}{member}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_under_the_attributed_path() {
        let oid = Oid::from_bytes(&[0xab; 20]).unwrap();
        let name = scan_name(oid);
        assert_eq!(place_path("a/b.txt", oid, ""), "a/b.txt");
        assert_eq!(
            place_path("r.docx", oid, "!word/document.xml"),
            "r.docx!word/document.xml"
        );
        assert_eq!(
            place_path("d/notes.txt.gz", oid, &format!("!{name}")),
            "d/notes.txt.gz!notes.txt"
        );
        assert_eq!(
            place_path("x.gz", oid, &format!("!{name}!inner.txt")),
            "x.gz!x!inner.txt"
        );
    }
}
