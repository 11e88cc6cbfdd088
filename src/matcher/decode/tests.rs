//! Unit tests of `matcher::decode`.

use super::*;
use crate::kind::TokenKind;

fn classic() -> &'static str {
    TokenKind::ClassicPat.prefix()
}

#[test]
fn escaped_prefix_triggers_come_from_the_registry() {
    let lits: Vec<Vec<u8>> = fixed_triggers().into_iter().map(|(l, _)| l).collect();
    for want in [
        &b"p%5F"[..],
        b"t%5F",
        b"%67%6",
        b"\\u005",
        b"g\0h\0",
        b"g\0i\0",
        b"G\0H\0",
        b"G\0I\0",
    ] {
        assert!(
            lits.iter().any(|l| l == want),
            "{:?}",
            String::from_utf8_lossy(want)
        );
    }
    let unique: std::collections::HashSet<_> = lits.iter().collect();
    assert_eq!(unique.len(), lits.len());
}

#[test]
fn base64_forms_are_found_in_every_alignment() {
    let forms = base64_forms(classic().as_bytes());
    for pad in ["", "a", "ab", "abc"] {
        let enc =
            base64::engine::general_purpose::STANDARD.encode(format!("{pad}{}1234", classic()));
        assert!(
            forms.iter().any(|(f, _)| enc.contains(f.as_str())),
            "{pad:?} -> {enc} not covered by {forms:?}"
        );
    }
}

#[test]
fn base64_decode_maps_back_to_encoded_text() {
    let inner = format!("octocat:{}secretvalue", classic());
    let enc = base64::engine::general_purpose::STANDARD.encode(&inner);
    let hay = format!("{{\"auth\": \"{enc}\"}}");
    let forms = base64_forms(classic().as_bytes());
    let (form, phase) = forms
        .iter()
        .find(|(f, _)| hay.contains(f.as_str()))
        .unwrap();
    let pos = hay.find(form.as_str()).unwrap();
    let t = Trigger {
        encoding: Encoding::Base64,
        before: 96,
        after: 200,
        phase: *phase,
    };
    let d = decode(hay.as_bytes(), pos, &t).unwrap();
    assert_eq!(d.bytes, inner.as_bytes());
    assert_eq!(d.map[0], hay.find(&enc).unwrap());
}

#[test]
fn percent_json_and_utf16() {
    let d = decode_percent(b"a%5Fb%zz", 10);
    assert_eq!(d.bytes, b"a_b%zz");
    assert_eq!(d.map[2], 14);
    let d = decode_json_escapes(br#"\u0067h\u005f\n"#, 0);
    assert_eq!(d.bytes, b"gh_\n");
    let text = format!("{}x", classic());
    let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let d = decode_utf16(&le, 100, false);
    assert_eq!(d.bytes, text.as_bytes());
    assert_eq!(d.map[4], 108);
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let d = decode_utf16(&be, 100, true);
    assert_eq!(d.bytes, text.as_bytes());
    assert_eq!(d.map[4], 108);
}

#[test]
fn every_encoding_is_listed_once_and_named_as_in_json() {
    for (i, e) in Encoding::ALL.iter().enumerate() {
        assert_eq!(*e as usize, i);
        let json = serde_json::to_string(e).unwrap();
        assert_eq!(json, format!("\"{}\"", e.as_str()));
    }
    let names: Vec<&str> = Encoding::ALL.iter().map(|e| e.as_str()).collect();
    for want in [
        "zip",
        "flate",
        "quoted-printable",
        "utf-16be",
        "pdf-string",
        "xml",
    ] {
        assert!(names.contains(&want), "{want}");
    }
}
