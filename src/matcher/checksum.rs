//! Token checksums: the CRC32/base62 tail of classic-format tokens (personal, OAuth, user,
//! installation and refresh tokens) and the unofficial SHA-256/base32 check inside fine-grained
//! tokens. Which kind carries which is written in the kind registry (`crate::kind`).
//!
//! Facts (github-facts.md §2): the CRC is standard CRC-32 of the random part only (prefix
//! excluded), encoded big-endian in base62 with the alphabet `0-9A-Za-z`, left-padded to 6
//! characters. We compare decoded integers, so a checksum with leading zeros always passes.

use sha2::{Digest, Sha256};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Length of the checksum tail of a classic-format token.
pub const CHECKSUM_LEN: usize = 6;

fn base62_value(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'A'..=b'Z' => Some(u64::from(b - b'A') + 10),
        b'a'..=b'z' => Some(u64::from(b - b'a') + 36),
        _ => None,
    }
}

/// Decodes a big-endian base62 number (at most 10 digits fit in a u64 without overflow).
pub fn base62_decode(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    digits
        .iter()
        .try_fold(0u64, |acc, &b| Some(acc * 62 + base62_value(b)?))
}

/// The 6-character checksum GitHub appends to a classic-format token's random part.
pub fn classic_checksum(random_part: &[u8]) -> String {
    let mut n = u64::from(crc32fast::hash(random_part));
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// Checks a classic-format token (any prefix ending in `_`): the part after the last
/// `_` is the random part followed by a 6-character base62 CRC32 of it.
pub fn classic_is_valid(token: &[u8]) -> bool {
    let Some(us) = token.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let body = &token[us + 1..];
    if body.len() <= CHECKSUM_LEN || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, tail) = body.split_at(body.len() - CHECKSUM_LEN);
    base62_decode(tail) == Some(u64::from(crc32fast::hash(random)))
}

/// The 8-character check GitHub appears to embed in fine-grained tokens:
/// `base32(sha256(token[..len-16]))[..8]` at `token[len-16..len-8]` (github-facts.md §2.4).
pub fn fine_grained_check(head: &[u8]) -> String {
    let digest = Sha256::digest(head);
    // The first 8 base32 characters use the first 40 bits (5 bytes) of the digest.
    let mut bits: u64 = 0;
    for &b in &digest[..5] {
        bits = (bits << 8) | u64::from(b);
    }
    (0..8)
        .map(|i| char::from(BASE32[((bits >> (35 - 5 * i)) & 31) as usize]))
        .collect()
}

/// True when a 93-character fine-grained token carries the expected internal check. A failure
/// does not make the token fake: GitHub documents no checksum for this kind.
pub fn fine_grained_is_valid(token: &[u8]) -> bool {
    if token.len() < 16 + 8 {
        return false;
    }
    let n = token.len();
    fine_grained_check(&token[..n - 16]).as_bytes() == &token[n - 16..n - 8]
}

/// A stateless installation token's JWT (after the app id's `_`) is well formed: three
/// base64url segments, the first two JSON objects, the signature at least 32 bytes. Issued
/// tokens are about 520 characters; a look-alike written by hand is not.
pub fn stateless_is_well_formed(token: &[u8]) -> bool {
    use base64::Engine as _;
    // `<prefix><app id>_<jwt>`: the JWT starts after the digits that follow the first `_`.
    let Some(first) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let digits = token[first + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let us = first + 1 + digits;
    if digits == 0 || token.get(us) != Some(&b'_') {
        return false;
    }
    let parts: Vec<&[u8]> = token[us + 1..].split(|&b| b == b'.').collect();
    let [header, payload, signature] = parts[..] else {
        return false;
    };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let object = |seg: &[u8]| {
        engine
            .decode(seg)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v.is_object())
    };
    object(header) && object(payload) && engine.decode(signature).is_ok_and(|s| s.len() >= 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::TokenKind;

    fn classic(rest: &str) -> String {
        format!("{}{rest}", TokenKind::ClassicPat.prefix())
    }

    // Public vectors from github-facts.md §2.2, kept as separate literals (random part and
    // checksum) so that no whole token with a valid checksum is committed.
    const VECTORS: &[(&str, &str)] = &[
        ("M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq", "11T4V4"),
        ("HEEjXavM6wKtyhAUwDblMznMEhWyTt", "4XwY6f"),
        ("vKdQ4XtRZOBFd16YZEgyLKyQ8Cee4g", "2NJ0mT"),
        ("fIkRGaBu5PeKsznMzXQOg3kETH1Sgx", "2oIfSC"),
        // Leading-zero checksum: CRC 0x1f9f5813 encodes to "Zu4ln", padded "0Zu4ln".
        ("QdwULL38u41vs1OcAjhKqcaSZ9W63r", "0Zu4ln"),
    ];

    #[test]
    fn known_answers() {
        for (random, sum) in VECTORS {
            assert_eq!(classic_checksum(random.as_bytes()), *sum, "{random}");
            let token = classic(&format!("{random}{sum}"));
            assert!(classic_is_valid(token.as_bytes()));
        }
    }

    #[test]
    fn leading_zero_checksum_passes_unpadded_comparison() {
        assert_eq!(base62_decode(b"0Zu4ln"), base62_decode(b"Zu4ln"));
        assert_eq!(base62_decode(b"0Zu4ln"), Some(0x1f9f_5813));
    }

    #[test]
    fn one_changed_character_fails() {
        let token = classic(&format!("{}{}", VECTORS[0].0, "11T4V3"));
        assert!(!classic_is_valid(token.as_bytes()));
        assert!(!classic_is_valid(classic("").as_bytes()));
        assert!(!classic_is_valid(classic("abc").as_bytes()));
        assert!(!classic_is_valid(b"no underscore"));
        // Documentation placeholder from GitHub's own docs fails.
        let doc = format!(
            "{}16C7e42F292c6912E7710c838347Ae178B4a",
            TokenKind::Oauth.prefix()
        );
        assert!(!classic_is_valid(doc.as_bytes()));
    }

    #[test]
    fn max_crc_fits_six_chars() {
        assert_eq!(base62_decode(b"4gfFC3"), Some(u64::from(u32::MAX)));
    }

    #[test]
    fn fine_grained_check_round_trips() {
        let head = format!(
            "{}11ABCDEFG0{}_{}",
            TokenKind::FineGrainedPat.prefix(),
            "a".repeat(12),
            "b".repeat(43)
        );
        let check = fine_grained_check(head.as_bytes());
        assert_eq!(check.len(), 8);
        assert!(check.bytes().all(|b| BASE32.contains(&b)));
        let token = format!("{head}{check}ZZZZZZZZ");
        assert!(fine_grained_is_valid(token.as_bytes()));
        let broken = format!(
            "{head}{}ZZZZZZZZ",
            if check.starts_with('A') { "B" } else { "A" }.to_string() + &check[1..]
        );
        assert!(!fine_grained_is_valid(broken.as_bytes()));
    }
}
