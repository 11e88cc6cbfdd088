//! The document extractors (Office XML text, PDF streams and strings, MIME email) on arbitrary
//! bytes, with small limits. The first byte picks the format; the rest is the document.
//!
//! Properties: no panic, no hang, memory bounded (libFuzzer's `-rss_limit_mb`), every decoded
//! byte maps back inside the document, and inflated PDF bytes stay within the budget.

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::source::archive::Limits;
use patrol::source::document::{self, Format, Origin};

const LIMITS: Limits = Limits {
    max_total: 4 << 20,
    max_ratio: 100,
    max_depth: 3,
};

const FORMATS: [Format; 3] = [Format::OfficeXml, Format::Pdf, Format::Email];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, doc)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(pick) % FORMATS.len()];
    let mut inflated = 0u64;
    let _problems = document::extract(format, doc, &LIMITS, &mut |piece| match &piece.origin {
        Origin::Each(map) => {
            assert_eq!(map.len(), piece.bytes.len(), "one offset per decoded byte");
            assert!(
                map.iter().all(|&at| at < doc.len()),
                "offset outside the document"
            );
        }
        Origin::All(at) => {
            assert!(*at <= doc.len(), "offset outside the document");
            if piece.chain.last() == Some(&patrol::matcher::Encoding::Flate) {
                inflated += piece.bytes.len() as u64;
            }
        }
    });
    assert!(inflated <= LIMITS.max_total, "{inflated} bytes inflated");
});
