//! Binary content: telling it from text by its first bytes (a NUL that is not UTF-16), and what
//! becomes of it (skipped, or scanned with another matcher).

use crate::matcher::Matcher;

/// Bytes inspected to tell binary from text.
pub const SNIFF: usize = 8192;

/// What becomes of an input whose first bytes look binary ([`looks_binary`]).
#[derive(Clone, Copy)]
pub enum OnBinary<'m> {
    /// Not scanned (`--no-binary`): counted as skipped.
    Skip,
    /// Scanned with this matcher instead of the text one: the exact rules by default, every
    /// rule with `--binary`.
    ScanWith(&'m Matcher),
}

impl<'m> OnBinary<'m> {
    /// The matcher for an input starting with `head`: `text` for text, `None` to skip it.
    pub fn pick(self, text: &'m Matcher, head: &[u8]) -> Option<&'m Matcher> {
        if !looks_binary(head) {
            return Some(text);
        }
        match self {
            OnBinary::Skip => None,
            OnBinary::ScanWith(m) => Some(m),
        }
    }
}

/// True when the first bytes look binary: a NUL byte, unless the text is UTF-16.
pub fn looks_binary(head: &[u8]) -> bool {
    let head = &head[..head.len().min(SNIFF)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    if memchr::memchr(0, head).is_none() {
        return false;
    }
    // UTF-16 without a BOM: ASCII text has NULs in every other byte and none in between.
    let pairs = head.len() / 2;
    let nul_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let nul_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let utf16 = pairs > 0
        && ((nul_odd * 10 > pairs * 7 && nul_even * 20 < pairs)
            || (nul_even * 10 > pairs * 7 && nul_odd * 20 < pairs));
    !utf16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_sniffing() {
        assert!(looks_binary(b"\x7fELF\0\0\x01"));
        assert!(!looks_binary(b"plain text"));
        let utf16: Vec<u8> = "hello world"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!looks_binary(&utf16));
    }
}
