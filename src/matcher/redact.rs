//! Hiding secrets in text that did not come through a scan: a fatal error's message, a
//! server's answer. The scan redacts what it finds with the run's own matcher
//! ([`Matcher::redact_text`]); text printed outside a scan goes through the built-in rules here,
//! so that a server echoing a token or an error quoting a file never prints one whole.

use std::sync::OnceLock;

use super::{Matcher, MatcherOptions};

/// `text` with every secret the built-in rules find in it redacted.
pub fn with_builtin_rules(text: &str) -> String {
    static MATCHER: OnceLock<Option<Matcher>> = OnceLock::new();
    let matcher = MATCHER.get_or_init(|| {
        let rules = crate::rules::builtin().ok()?;
        Matcher::new(rules, MatcherOptions::default()).ok()
    });
    match matcher {
        Some(m) => m.redact_text(text),
        // The embedded rules always build (a test says so); should they not, print nothing
        // that could hold a secret rather than the text.
        None => String::from("(message withheld: the built-in rules did not build)"),
    }
}

/// Text a server sent, as patrol prints and keeps it: any token in it redacted (a server may
/// echo the one it was sent), then at most [`SERVER_TEXT_CHARS`] characters.
pub fn server_text(text: &str) -> String {
    with_builtin_rules(text)
        .chars()
        .take(SERVER_TEXT_CHARS)
        .collect()
}

/// How much of a server's message patrol keeps.
pub const SERVER_TEXT_CHARS: usize = 300;

#[cfg(test)]
mod tests {
    use crate::template::Mint;

    #[test]
    fn a_token_in_text_from_outside_a_scan_is_redacted() {
        let token = Mint::new().token("ghp").expect("a template");
        let text = format!("bad request: \"{token}\" is not valid");
        let out = super::with_builtin_rules(&text);
        assert!(!out.contains(&token), "{out}");
        assert!(out.contains("bad request: \""), "{out}");
        assert!(out.contains(&token[..8]), "{out}");
    }

    #[test]
    fn server_text_is_redacted_before_it_is_shortened() {
        let token = Mint::new().token("ghp").expect("a template");
        let text = format!("{}{token}", "x".repeat(super::SERVER_TEXT_CHARS - 20));
        let out = super::server_text(&text);
        assert!(!out.contains(&token[..20]), "{out}");
        assert!(out.contains(&token[..8]), "{out}");
        let long = super::server_text(&"y".repeat(10 * super::SERVER_TEXT_CHARS));
        assert_eq!(long.chars().count(), super::SERVER_TEXT_CHARS);
    }
}
