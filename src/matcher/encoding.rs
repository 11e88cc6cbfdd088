//! The steps of a decoding chain, as findings record them (`decoded` in every report).

use serde::Serialize;

/// One decoding step, as recorded in a finding's decoding chain (`decoded` in reports). The
/// matcher's own decoders record the first five; sources that open containers and documents
/// record the others (a member of a zip: `zip`; a PDF stream: `flate`, then `pdf-string`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Base64,
    Percent,
    JsonEscape,
    #[serde(rename = "utf-16le")]
    Utf16le,
    #[serde(rename = "utf-16be")]
    Utf16be,
    /// A zip member (Office Open XML, OpenDocument, jar, …).
    Zip,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    /// A tar member.
    Tar,
    /// A deflate stream (PDF `/FlateDecode`, zlib).
    Flate,
    /// Quoted-printable (MIME), soft line breaks joined.
    QuotedPrintable,
    /// XML text: entities decoded, runs of one paragraph joined (OOXML, ODF).
    Xml,
    /// A PDF literal `( … )` or hex `< … >` string.
    PdfString,
}

impl Encoding {
    /// Every step, in declaration order (`ALL[e as usize] == e`).
    pub const ALL: [Encoding; 15] = [
        Encoding::Base64,
        Encoding::Percent,
        Encoding::JsonEscape,
        Encoding::Utf16le,
        Encoding::Utf16be,
        Encoding::Zip,
        Encoding::Gzip,
        Encoding::Bzip2,
        Encoding::Xz,
        Encoding::Zstd,
        Encoding::Tar,
        Encoding::Flate,
        Encoding::QuotedPrintable,
        Encoding::Xml,
        Encoding::PdfString,
    ];

    /// The name in reports (the same as the JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent",
            Encoding::JsonEscape => "json-escape",
            Encoding::Utf16le => "utf-16le",
            Encoding::Utf16be => "utf-16be",
            Encoding::Zip => "zip",
            Encoding::Gzip => "gzip",
            Encoding::Bzip2 => "bzip2",
            Encoding::Xz => "xz",
            Encoding::Zstd => "zstd",
            Encoding::Tar => "tar",
            Encoding::Flate => "flate",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Xml => "xml",
            Encoding::PdfString => "pdf-string",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
