//! Token minting and example templates. Rule examples and test fixtures never hold a whole
//! token with a valid checksum; they hold templates such as `{{ghp}}` that are filled here with
//! freshly minted tokens (random part + computed checksum).
//!
//! Templates: `{{ghp}} {{gho}} {{ghu}} {{ghs}} {{ghr}}` (80 chars) `{{ghr36}} {{github_pat}}
//! {{v1}} {{hex40}} {{opaque}}`, and the installation prefix followed by `stateless` for a
//! stateless installation token. Token templates are named after their kind's prefix (read
//! from the kind registry) without its `_`. `{{NAME:bad}}` is the same shape with a wrong
//! checksum; `{{base64:TEXT}}`, `{{percent:TEXT}}` (every byte), `{{jsonu:TEXT}}` (every
//! character as `\uXXXX`) and `{{utf16le:TEXT}}` encode the text inside, innermost first.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;

use crate::kind::{ChecksumScheme, KINDS, TokenKind};
use crate::matcher::checksum::{classic_checksum, fine_grained_check};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A small xorshift generator: minted tokens need to differ, not to be unpredictable.
pub struct Mint {
    state: u64,
}

static SEED: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);

impl Default for Mint {
    fn default() -> Self {
        Mint::new()
    }
}

impl Mint {
    /// Each generator gets a distinct seed within the process.
    pub fn new() -> Mint {
        let seed = SEED.fetch_add(0x6A09_E667_F3BC_C909, Ordering::Relaxed);
        Mint { state: seed | 1 }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[(self.next() % alphabet.len() as u64) as usize]))
            .collect()
    }

    /// A classic-format token (`prefix` of a kind with a CRC) with `random_len` random
    /// characters and a valid checksum.
    pub fn classic(&mut self, prefix: &str, random_len: usize) -> String {
        let random = self.chars(BASE62, random_len);
        self.classic_from(prefix, &random)
    }

    /// A classic-format token with the given random part and its valid checksum.
    pub fn classic_from(&self, prefix: &str, random: &str) -> String {
        let sum = classic_checksum(random.as_bytes());
        format!("{prefix}{random}{sum}")
    }

    /// A 93-character fine-grained token whose internal check holds.
    pub fn fine_grained(&mut self) -> String {
        let head = format!(
            "{}11{}0{}_{}",
            TokenKind::FineGrainedPat.prefix(),
            self.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 7),
            self.chars(BASE62, 12),
            self.chars(BASE62, 43)
        );
        let check = fine_grained_check(head.as_bytes());
        format!("{head}{check}{}", self.chars(BASE62, 8))
    }

    /// A stateless installation token: `<prefix><app id>_<header>.<payload>.<signature>`,
    /// header and payload base64url JSON as GitHub issues them, an RS256-sized signature.
    pub fn stateless_installation(&mut self) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let b64url = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let app = 100_000 + self.next() % 900_000;
        let header = format!(
            "{{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"{}\"}}",
            self.chars(alnum, 16)
        );
        let payload = format!(
            "{{\"iss\":\"{app}\",\"iat\":{},\"exp\":{},\"jti\":\"{}\"}}",
            1_770_000_000 + self.next() % 1_000_000,
            1_780_000_000 + self.next() % 1_000_000,
            self.chars(alnum, 120)
        );
        format!(
            "{}{app}_{}.{}.{}",
            TokenKind::Installation.prefix(),
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            self.chars(b64url, 342)
        )
    }

    /// Fills one template name; `None` when the name is not a token template.
    pub fn token(&mut self, name: &str) -> Option<String> {
        let (name, bad) = match name.strip_suffix(":bad") {
            Some(n) => (n, true),
            None => (name, false),
        };
        let refresh = TokenKind::Refresh.prefix();
        let crc_prefix = KINDS
            .iter()
            .filter(|k| k.checksum == ChecksumScheme::Crc32)
            .flat_map(|k| k.prefixes.iter().copied())
            .find(|p| p.strip_suffix('_') == Some(name));
        let hex = b"0123456789abcdef";
        let tok = if crc_prefix == Some(refresh) {
            // Refresh tokens are 80 characters (70 random); `ghr36` is the 40-character form.
            self.classic(refresh, 70)
        } else if name == format!("{}36", refresh.trim_end_matches('_')) {
            self.classic(refresh, 30)
        } else if let Some(prefix) = crc_prefix {
            self.classic(prefix, 30)
        } else if Some(name) == TokenKind::FineGrainedPat.prefix().strip_suffix('_') {
            self.fine_grained()
        } else if name.strip_prefix(TokenKind::Installation.prefix()) == Some("stateless") {
            self.stateless_installation()
        } else if Some(name) == TokenKind::LegacyInstallation.prefix().strip_suffix('.') {
            format!(
                "{}{}",
                TokenKind::LegacyInstallation.prefix(),
                self.chars(hex, 40)
            )
        } else if name == "hex40" {
            self.chars(hex, 40)
        } else if name == "opaque" {
            self.chars(BASE62, 40)
        } else {
            return None;
        };
        Some(if bad { break_checksum(&tok) } else { tok })
    }
}

/// The same token with one checksum character changed so that the check fails.
pub fn break_checksum(token: &str) -> String {
    let mut b = token.as_bytes().to_vec();
    // Classic tokens: the last character is part of the CRC; fine-grained: position len-16 is
    // the first character of the SHA-256 check.
    let i = if token.starts_with(TokenKind::FineGrainedPat.prefix()) {
        b.len() - 16
    } else {
        b.len() - 1
    };
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap_or_default()
}

fn encode(func: &str, arg: &[u8]) -> Option<Vec<u8>> {
    Some(match func {
        "base64" => base64::engine::general_purpose::STANDARD
            .encode(arg)
            .into_bytes(),
        "percent" => arg
            .iter()
            .flat_map(|b| format!("%{b:02X}").into_bytes())
            .collect(),
        "jsonu" => String::from_utf8_lossy(arg)
            .encode_utf16()
            .flat_map(|u| format!("\\u{u:04x}").into_bytes())
            .collect(),
        "utf16le" => String::from_utf8_lossy(arg)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
        _ => return None,
    })
}

/// A filled template: the bytes, and the tokens minted for it in order of appearance.
pub struct Filled {
    pub bytes: Vec<u8>,
    pub tokens: Vec<String>,
}

/// Fills every template in `text`, innermost first. Unknown `{{…}}` (such as a GitHub Actions
/// expression) is left as it is.
pub fn fill(text: &str, mint: &mut Mint) -> Filled {
    let mut bytes = text.as_bytes().to_vec();
    let mut tokens = Vec::new();
    let mut from = 0;
    while let Some(close) = memchr::memmem::find(&bytes[from..], b"}}").map(|i| from + i) {
        let Some(open) = memchr::memmem::rfind(&bytes[..close], b"{{") else {
            from = close + 2;
            continue;
        };
        let inner = String::from_utf8_lossy(&bytes[open + 2..close]).into_owned();
        let replacement = match inner.split_once(':') {
            Some((func, arg)) if arg != "bad" => encode(func, arg.as_bytes()),
            _ => mint
                .token(&inner)
                .inspect(|t| tokens.push(t.clone()))
                .map(String::into_bytes),
        };
        match replacement {
            Some(r) => {
                bytes.splice(open..close + 2, r);
                from = 0;
            }
            None => from = close + 2,
        }
    }
    Filled { bytes, tokens }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::checksum::{classic_is_valid, fine_grained_is_valid};

    #[test]
    fn minted_tokens_validate_and_broken_ones_do_not() {
        let mut m = Mint::new();
        for name in ["ghp", "gho", "ghu", "ghs", "ghr", "ghr36"] {
            let t = m.token(name).unwrap();
            assert!(classic_is_valid(t.as_bytes()), "{name}");
            assert!(!classic_is_valid(break_checksum(&t).as_bytes()));
        }
        assert_eq!(m.token("ghr").unwrap().len(), 80);
        let fg = m.token("github_pat").unwrap();
        assert_eq!(fg.len(), 93);
        assert!(fine_grained_is_valid(fg.as_bytes()));
        assert!(!fine_grained_is_valid(break_checksum(&fg).as_bytes()));
    }

    #[test]
    fn nested_templates_fill_innermost_first() {
        let mut m = Mint::new();
        let f = fill(
            "{\"auth\":\"{{base64:u:{{ghp}}}}\"} ${{ secrets.X }}",
            &mut m,
        );
        let s = String::from_utf8(f.bytes).unwrap();
        assert_eq!(f.tokens.len(), 1);
        assert!(s.ends_with("${{ secrets.X }}"));
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("u:{}", f.tokens[0]));
        assert!(s.contains(&enc));
    }
}
