//! The matcher with its decoders on arbitrary bytes. Valid UTF-8 holding `{{…}}` templates
//! (`{{ghp}}`, `{{base64:…}}`, as in `fixtures/`) is filled with freshly minted tokens first,
//! so that mutations reach checksum-valid tokens, which random bytes never would.
//!
//! Properties: every hit lies inside the input; a hit found without decoding is the input's
//! bytes at its offset (ANSI colour codes inside a token are skipped by design); and
//! `redact_text` leaves no secret of 8 bytes or more that occurs literally in the text.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use patrol::matcher::{Matcher, MatcherOptions};

fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| {
        let rules = patrol::rules::builtin().expect("built-in rules parse");
        Matcher::new(rules, MatcherOptions::default()).expect("built-in rules build")
    })
}

/// `text` without ANSI escape sequences, as the matcher reads a window holding an ESC.
fn strip_ansi(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == 0x1B {
            if text.get(i + 1) == Some(&b'[') {
                let mut j = i + 2;
                while j < text.len() && (0x20..=0x3F).contains(&text[j]) {
                    j += 1;
                }
                i = (j + 1).min(text.len());
            } else {
                i = (i + 2).min(text.len());
            }
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

fn check_scan(m: &Matcher, hay: &[u8]) {
    for hit in m.scan(hay) {
        assert!(!hit.secret.is_empty(), "empty secret at {}", hit.offset);
        assert!(
            hit.offset < hay.len(),
            "offset {} outside {} bytes",
            hit.offset,
            hay.len()
        );
        if hit.decoded.is_empty() {
            let rest = &hay[hit.offset..];
            assert!(
                rest.starts_with(&hit.secret) || strip_ansi(rest).starts_with(&hit.secret),
                "secret not at its offset {} (rule {})",
                hit.offset,
                m.rule(hit.rule).id
            );
        }
    }
}

fn check_redact(m: &Matcher, text: &str) {
    let shown = m.redact_text(text);
    for hit in m.scan(text.as_bytes()) {
        if !hit.decoded.is_empty() || hit.secret.len() < 8 {
            continue;
        }
        if memchr::memmem::find(text.as_bytes(), &hit.secret).is_none() {
            continue;
        }
        assert!(
            memchr::memmem::find(shown.as_bytes(), &hit.secret).is_none(),
            "redact_text left a secret of rule {} (offset {}) in the text",
            m.rule(hit.rule).id,
            hit.offset
        );
    }
}

/// Each encoding template multiplies what it holds (`jsonu` by 6): six nested ones made a
/// 344-byte input 16 MB. The matcher decodes three levels deep, so fill at most three.
fn fill_is_bounded(text: &str) -> bool {
    let encodings = ["{{base64:", "{{percent:", "{{jsonu:", "{{utf16le:"]
        .iter()
        .map(|e| text.matches(e).count())
        .sum::<usize>();
    text.len() <= 4096 && encodings <= 3
}

fuzz_target!(|data: &[u8]| {
    let m = matcher();
    let hay = match std::str::from_utf8(data) {
        Ok(text) if text.contains("{{") && fill_is_bounded(text) => {
            patrol::template::fill(text, &mut patrol::template::Mint::new()).bytes
        }
        _ => data.to_vec(),
    };
    check_scan(m, &hay);
    check_redact(m, &String::from_utf8_lossy(&hay));
});
