//! Documents whose text is hidden by their format: the XML parts of Office Open XML and
//! OpenDocument files ([`xml`]), PDF streams and strings ([`pdf`]) and MIME email ([`email`]).
//! Each extractor turns a document's bytes into [`Piece`]s of decoded text, each with its
//! decoding chain and a map from every decoded byte back to an offset in the document, so that a
//! finding's line and column point into the document as stored. Recognition (by name or first
//! bytes) is here; the zip walk that hands over OOXML/ODF members belongs to `archive`.
//!
//! A document is always scanned raw as well (by its caller); a secret found both raw and
//! decoded at the same place is recorded once, raw (see [`scan::scan_decoded`]).

pub mod email;
pub mod pdf;
pub mod pdf_strings;
pub mod scan;
pub mod sink;
pub mod xml;

pub use scan::{
    document_hits, member_hits, scan_decoded, scan_document_file, scan_member, too_big,
};

use crate::matcher::Encoding;

/// Bytes of a document read whole to be decoded; a bigger one is scanned raw only (a problem).
pub const MAX_DOCUMENT: u64 = 64 << 20;

/// Where the bytes of a [`Piece`] come from in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Byte `i` of the piece comes from offset `map[i]`.
    Each(Vec<usize>),
    /// Every byte comes from one place (the start of a compressed stream).
    All(usize),
}

impl Origin {
    /// The document offset of the piece's byte `i`.
    pub fn offset(&self, i: usize) -> usize {
        match self {
            Origin::Each(map) => map.get(i).or(map.last()).copied().unwrap_or(0),
            Origin::All(at) => *at,
        }
    }
}

/// Decoded text of part of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub bytes: Vec<u8>,
    pub origin: Origin,
    /// Decoding steps from the document's bytes to `bytes`, outermost first.
    pub chain: Vec<Encoding>,
}

/// The decoded pieces of a document and what could not be read (problems to report).
#[derive(Debug, Default)]
pub struct Extracted {
    pub pieces: Vec<Piece>,
    pub problems: Vec<String>,
}

/// The document formats recognised here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An XML part of an Office Open XML or OpenDocument package.
    OfficeXml,
    Pdf,
    Email,
}

/// The format a file's name or first bytes say, if any. `head`: the file's first bytes (512
/// are plenty).
pub fn format_of(name: &str, head: &[u8]) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    let file = lower.rsplit(['/', '!', '\\']).next().unwrap_or(&lower);
    if file.ends_with(".pdf") || pdf::looks_like_pdf(head) {
        Some(Format::Pdf)
    } else if file.ends_with(".eml") || file.ends_with(".mbox") || email::looks_like_email(head) {
        Some(Format::Email)
    } else {
        None
    }
}

/// True for the members of an Office Open XML or OpenDocument package that hold its text.
pub fn is_office_xml_member(member: &str) -> bool {
    let m = member.to_ascii_lowercase();
    if !m.ends_with(".xml") {
        return false;
    }
    ["word/", "xl/", "ppt/", "docprops/", "customxml/"]
        .iter()
        .any(|p| m.starts_with(p))
        || ["content.xml", "styles.xml", "meta.xml", "settings.xml"].contains(&m.as_str())
}

/// The decoded text of one archive member, when it is a document part: `outer` is the archive
/// as shown (`report.docx`), `member` the member's name inside it (`word/document.xml`).
/// `None` when the member is no document this module decodes (by its name, or its first bytes
/// for PDF and email).
pub fn text_of_member(
    outer: &str,
    member: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Option<Extracted> {
    let _ = outer;
    let format = member_format(member, bytes)?;
    let mut out = Extracted::default();
    out.problems = extract(format, bytes, limits, &mut |p| out.pieces.push(p));
    Some(out)
}

/// The format of an archive member, by its name or (PDF, email) its first bytes.
pub fn member_format(member: &str, head: &[u8]) -> Option<Format> {
    if is_office_xml_member(member) {
        return Some(Format::OfficeXml);
    }
    format_of(member, head)
}

/// Decodes `bytes` as a document of `format`, handing each piece to `emit` as it is decoded
/// (at most about a MiB of text at a time, plus one inflated PDF stream); returns the problems.
pub fn extract(
    format: Format,
    bytes: &[u8],
    limits: &Limits,
    emit: &mut dyn FnMut(Piece),
) -> Vec<String> {
    match format {
        Format::OfficeXml => {
            xml::extract(bytes, emit);
            Vec::new()
        }
        Format::Pdf => pdf::extract(bytes, limits, emit),
        Format::Email => email::extract(bytes, emit),
    }
}

pub use crate::source::archive::Limits;

/// Bytes of a file's start kept for recognition by content.
pub const HEAD: usize = 1024;

/// Keeps the first [`HEAD`] bytes read through it, so that a file's raw scan also tells its
/// format without a second read.
pub struct HeadTap {
    head: [u8; HEAD],
    len: usize,
}

impl Default for HeadTap {
    fn default() -> Self {
        HeadTap {
            head: [0; HEAD],
            len: 0,
        }
    }
}

impl HeadTap {
    /// `inner`, with its first bytes kept here as they are read.
    pub fn reading<R: std::io::Read>(&mut self, inner: R) -> Tapped<'_, R> {
        Tapped { tap: self, inner }
    }

    /// The first bytes read so far.
    pub fn bytes(&self) -> &[u8] {
        &self.head[..self.len]
    }
}

pub struct Tapped<'t, R> {
    tap: &'t mut HeadTap,
    inner: R,
}

impl<R: std::io::Read> std::io::Read for Tapped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let tap = &mut *self.tap;
        if tap.len < HEAD {
            let k = n.min(HEAD - tap.len);
            tap.head[tap.len..tap.len + k].copy_from_slice(&buf[..k]);
            tap.len += k;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name_and_content() {
        assert_eq!(format_of("a/b.PDF", b""), Some(Format::Pdf));
        assert_eq!(format_of("x.bin", b"%PDF-1.7\n"), Some(Format::Pdf));
        assert_eq!(format_of("m.mbox", b""), Some(Format::Email));
        assert_eq!(
            format_of(
                "msg",
                b"From: a@b\r\nSubject: hi\r\nMIME-Version: 1.0\r\n\r\n"
            ),
            Some(Format::Email)
        );
        assert_eq!(format_of("main.rs", b"fn main() {}\n"), None);
        assert!(is_office_xml_member("word/document.xml"));
        assert!(is_office_xml_member("content.xml"));
        assert!(!is_office_xml_member("word/media/a.png"));
    }
}
