//! Recognises values that are not secrets although they sit where a secret would: references
//! (`${{ secrets.X }}`, `$X`, `%X%`), templates (`<your-pat>`, `{{ token }}`), masks (`***`),
//! stock words (`changeme`, `your_token_here`) and strings too uniform to be random
//! (`XXXX…`, `0000…`, `abcdef…123`).

/// Words that mark a value as an example rather than a credential (compared lowercase).
const WORDS: &[&str] = &[
    "your",
    "token_here",
    "tokenhere",
    "changeme",
    "change_me",
    "placeholder",
    "example",
    "redacted",
    "dummy",
    "sample",
    "replace",
    "insert",
    "secret_here",
    "xxxx",
    "****",
    "<",
    ">",
    "todo",
    "fixme",
    "foobar",
    "x-oauth-basic",
    "notarealtoken",
    "fake",
];

/// Structural checks only: right for checksum-validated tokens, whose random part could
/// contain a word by chance but never a long ascending run or a handful of distinct characters.
pub fn is_uniform(value: &[u8]) -> bool {
    // Judge the random part of prefixed tokens, not their fixed prefix.
    let body = &value[crate::kind::prefix_of(value).len()..];
    if body.is_empty() {
        return true;
    }
    let mut seen = [false; 256];
    let mut distinct = 0usize;
    for &b in body {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    // A random base62 string of 36 characters has about 27 distinct characters.
    let min_distinct = (body.len() / 4).clamp(3, 12);
    if distinct < min_distinct {
        return true;
    }
    longest_run(body) >= 6
}

/// Longest run of consecutive characters that each follow the previous one (`abcd`, `1234`),
/// ignoring case.
fn longest_run(s: &[u8]) -> usize {
    let mut best = 1;
    let mut run = 1;
    for w in s.windows(2) {
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
        if b == a.wrapping_add(1) && b.is_ascii_alphanumeric() {
            run += 1;
            best = best.max(run);
        } else {
            run = 1;
        }
    }
    best
}

/// True for references, templates, masks and stock example values.
pub fn is_placeholder(value: &[u8]) -> bool {
    let Some(&first) = value.first() else {
        return true;
    };
    if matches!(first, b'$' | b'%' | b'<' | b'{' | b'#' | b'*' | b'@' | b'&') {
        return true;
    }
    if value.contains(&b'*') || value.windows(2).any(|w| w == b"{{" || w == b"${") {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if WORDS
        .iter()
        .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    {
        return true;
    }
    is_uniform(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "${{ secrets.GITHUB_TOKEN }}",
            "$GH_TOKEN",
            "${GH_TOKEN:-}",
            "%GH_TOKEN%",
            "<your-pat>",
            "your_token_here",
            "changeme",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "***",
            "",
            "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p:?}");
        }
        let classic = crate::kind::TokenKind::ClassicPat.prefix();
        for body in [
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "000000000000000000000000000000000000",
        ] {
            let p = format!("{classic}{body}");
            assert!(is_placeholder(p.as_bytes()), "{p:?}");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for v in [
            "3f2a9c01d4b7e8f6a5c3b2d1e0f9a8b7c6d5e4f3",
            "Zq8LmN2pR7sT4vW9xY1bC3dF5gH6jK0aQeUiOo",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v:?}");
        }
    }
}
