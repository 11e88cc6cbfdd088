//! Recognising containers: by their magic bytes first (a gzip file named `notes.txt`, a `.docx`
//! or `.jar` that is a zip), by their name only when the content says nothing (an old tar
//! without the `ustar` magic, a truncated archive). A few byte comparisons on a head the reader
//! has already read: nothing is added per byte of text.

use crate::matcher::Encoding;

/// Bytes of a head that recognition needs (the tar magic ends at 262).
pub const HEAD: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A zip (Office Open XML, OpenDocument, jar, war, apk, whl, nupkg, vsix, ipa, crx, …).
    Zip,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    Tar,
    /// A tar inside gzip, said by the name only (`.tar.gz`, `.tgz`).
    TarGz,
}

impl Kind {
    /// The decoding step a member of this container records.
    pub fn encoding(self) -> Encoding {
        match self {
            Kind::Zip => Encoding::Zip,
            Kind::Gzip | Kind::TarGz => Encoding::Gzip,
            Kind::Bzip2 => Encoding::Bzip2,
            Kind::Xz => Encoding::Xz,
            Kind::Zstd => Encoding::Zstd,
            Kind::Tar => Encoding::Tar,
        }
    }

    /// A single compressed stream (its content is one member, or a tar).
    pub fn is_compression(self) -> bool {
        matches!(
            self,
            Kind::Gzip | Kind::TarGz | Kind::Bzip2 | Kind::Xz | Kind::Zstd
        )
    }
}

/// The container a head of content is, by its magic bytes.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    let kind = match head {
        // Local file header, an empty archive's end record, a spanned archive's marker; a
        // Chrome extension (`Cr24`) is a header before a zip, read from its end like any zip.
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => Kind::Zip,
        [b'C', b'r', b'2', b'4', ..] => Kind::Zip,
        [0x1f, 0x8b, 8, ..] => Kind::Gzip,
        [
            b'B',
            b'Z',
            b'h',
            b'1'..=b'9',
            0x31,
            0x41,
            0x59,
            0x26,
            0x53,
            0x59,
            ..,
        ] => Kind::Bzip2,
        [
            b'B',
            b'Z',
            b'h',
            b'1'..=b'9',
            0x17,
            0x72,
            0x45,
            0x38,
            0x50,
            0x90,
            ..,
        ] => Kind::Bzip2,
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Kind::Xz,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Kind::Zstd,
        _ if head.get(257..262) == Some(b"ustar") => Kind::Tar,
        _ => return None,
    };
    Some(kind)
}

/// The container a name says, if any (used when the content says nothing).
pub fn kind_of(name: &str) -> Option<Kind> {
    let n = name.to_ascii_lowercase();
    let ends = |s: &[&str]| s.iter().any(|s| n.ends_with(s));
    // Office Open XML and OpenDocument packages are zips of XML parts.
    if ends(&[".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"]) {
        Some(Kind::Zip)
    } else if ends(&[".tar.gz", ".tgz"]) {
        Some(Kind::TarGz)
    } else if ends(&[".gz"]) {
        Some(Kind::Gzip)
    } else if ends(&[".bz2", ".tbz2", ".tbz"]) {
        Some(Kind::Bzip2)
    } else if ends(&[".xz", ".txz"]) {
        Some(Kind::Xz)
    } else if ends(&[".zst", ".zstd", ".tzst"]) {
        Some(Kind::Zstd)
    } else if ends(&[".tar"]) {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// The container `head` is, or failing that the one `name` says.
pub fn recognise(head: &[u8], name: &str) -> Option<Kind> {
    sniff(head).or_else(|| kind_of(name))
}

/// The name of what a compressed file holds: `notes.txt.gz` → `notes.txt`, `a.tgz` → `a.tar`;
/// a name without a compression suffix (`notes.txt` holding gzip) is kept.
pub fn inner_name(outer: &str) -> String {
    let base = outer.rsplit(['/', '!']).next().unwrap_or(outer);
    let lower = base.to_ascii_lowercase();
    for (suffix, replace) in [
        (".tgz", ".tar"),
        (".tbz2", ".tar"),
        (".tbz", ".tar"),
        (".txz", ".tar"),
        (".tzst", ".tar"),
        (".gz", ""),
        (".bz2", ""),
        (".xz", ""),
        (".zstd", ""),
        (".zst", ""),
    ] {
        if lower.ends_with(suffix) && base.len() > suffix.len() {
            return format!("{}{replace}", &base[..base.len() - suffix.len()]);
        }
    }
    base.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide_whatever_the_name() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(sniff(b"Cr24\x03\0\0\0"), Some(Kind::Zip));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Kind::Gzip));
        assert_eq!(sniff(b"BZh91AY&SY"), Some(Kind::Bzip2));
        assert_eq!(sniff(b"\xfd7zXZ\0\0"), Some(Kind::Xz));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some(Kind::Zstd));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Kind::Tar));
        assert_eq!(sniff(b"PK is a text"), None);
        assert_eq!(sniff(b"BZh9 is not bzip2"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(recognise(b"plain", "a.tar"), Some(Kind::Tar));
        assert_eq!(recognise(b"plain", "notes.txt"), None);
    }

    #[test]
    fn inner_names() {
        assert_eq!(inner_name("dir/notes.txt.gz"), "notes.txt");
        assert_eq!(inner_name("a.zip!b.TGZ"), "b.tar");
        assert_eq!(inner_name("notes.txt"), "notes.txt");
        assert_eq!(inner_name(".gz"), ".gz");
        assert_eq!(inner_name("x.tar.zst"), "x.tar");
    }
}
