//! Confirming a candidate: a rule's regex runs in a bounded window around its literal hit
//! (ANSI colour codes stripped from windows that hold one), the `secret` group is picked, and
//! the rule's validator — checksum from the kind registry, placeholder and shape checks —
//! decides whether it is a credential, how sure, and what its checksum said.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

use super::{Checksum, Hit, Matcher, checksum, placeholder};
use crate::kind::{self, TokenKind};
use crate::rules::{ChecksumFailure, Confidence, Rule, RuleError, Validator};

/// Compiled size limit of one rule's regex.
const REGEX_SIZE_LIMIT: usize = 1 << 22;

pub(super) struct CompiledRule {
    pub(super) rule: Rule,
    /// Built-in rules compile on their first candidate: most runs (a pre-commit check of a
    /// small change) never need most rules. Their patterns are checked by a test. User rules
    /// compile when the matcher is built, so that a bad one is an error before any scan.
    regex: OnceLock<Regex>,
    secret_groups: OnceLock<Vec<usize>>,
    kind: Option<TokenKind>,
    checksum_failure: ChecksumFailure,
    /// The longest text the regex can match, when it is bounded: a match that overlaps the
    /// literal ends within this many bytes of it, so the window after it is cut there.
    max_match: Option<usize>,
}

impl CompiledRule {
    pub(super) fn new(rule: Rule) -> Result<CompiledRule, RuleError> {
        let kind = rule.fixed_kind()?;
        let checksum_failure = rule
            .checksum_failure
            .unwrap_or_else(|| kind.map_or(ChecksumFailure::Drop, |k| k.info().checksum_failure));
        // Parsing is cheap and catches most mistakes at once; built-in rules compile on first
        // use, user rules now.
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(&rule.regex)
            .map_err(|e| RuleError::Regex {
                id: rule.id.clone(),
                source: Box::new(regex::Error::Syntax(e.to_string())),
            })?;
        let cr = CompiledRule {
            regex: OnceLock::new(),
            secret_groups: OnceLock::new(),
            kind,
            checksum_failure,
            max_match: hir.properties().maximum_len(),
            rule,
        };
        if !cr.rule.builtin {
            cr.compile()?;
        }
        Ok(cr)
    }

    /// Builds the regex now; an error names the rule.
    pub(super) fn compile(&self) -> Result<(), RuleError> {
        if self.regex.get().is_some() {
            return Ok(());
        }
        let regex = RegexBuilder::new(&self.rule.regex)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| RuleError::Regex {
                id: self.rule.id.clone(),
                source: Box::new(e),
            })?;
        let _ = self.regex.set(regex);
        Ok(())
    }

    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            RegexBuilder::new(&self.rule.regex)
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .unwrap_or_else(|e| {
                    // Only built-in rules get here (user rules compiled in `new`), and
                    // `every_builtin_regex_compiles` compiles them all: never silently match
                    // nothing.
                    panic!("built-in rule {} does not compile: {e}", self.rule.id)
                })
        })
    }

    fn secret_groups(&self) -> &[usize] {
        self.secret_groups.get_or_init(|| {
            self.regex()
                .capture_names()
                .enumerate()
                .filter(|(_, n)| n.is_some_and(|n| n.starts_with("secret")))
                .map(|(i, _)| i)
                .collect()
        })
    }
}

impl Matcher {
    pub(super) fn run_rule(
        &self,
        index: usize,
        hay: &[u8],
        lit_start: usize,
        lit_end: usize,
        out: &mut Vec<Hit>,
    ) {
        let cr = &self.rules[index];
        let [before, after] = cr.rule.window;
        let mut lo = lit_start.saturating_sub(before);
        let mut hi = lit_end.saturating_add(after).min(hay.len());
        if !cr.rule.multiline {
            (lo, hi) = super::line::clip_to_line(hay, lit_start, lo, hi);
        }
        // Terminal colour codes can sit inside a token (CI logs): match on a copy of this
        // window without them, mapping offsets back. Windows without ESC are used as they are.
        let stripped = memchr::memchr(0x1B, &hay[lo..hi]).map(|_| strip_ansi(&hay[lo..hi], lo));
        let lit_len = lit_end - lit_start;
        let (mut window, rel, map): (&[u8], usize, Option<&[usize]>) = match &stripped {
            Some((bytes, map)) => {
                let rel = map.partition_point(|&o| o < lit_start);
                (bytes, rel, Some(map))
            }
            None => (&hay[lo..hi], lit_start - lo, None),
        };
        // A match that overlaps the literal starts before its end and is at most `max_match`
        // long: text further on cannot change it, nor any assertion (`$`, `\b`) it holds, as
        // every position such a match touches stays inside the window. Dense literals (a file
        // repeating one prefix) then cost a short search each, not a whole window.
        if let Some(len) = cr.max_match {
            let end = rel.saturating_add(lit_len).saturating_add(len);
            window = &window[..end.min(window.len())];
        }
        let found = self.first_match(index, window, rel, lit_len, lo, map);
        if found.is_some() || !self.binary {
            out.extend(found);
            return;
        }
        // In binary content the checksum is the boundary: a token written just before a
        // letter (a `.pyc` string followed by the next object's type byte) is read at the
        // longest length its rule allows without the byte after it, kept only when its
        // checksum passes.
        let checksummed = matches!(
            cr.rule.validator,
            Some(Validator::Crc32 | Validator::FineGrained)
        );
        if let Some(len) = cr.max_match.filter(|_| checksummed) {
            let end = rel.saturating_add(len).saturating_sub(1);
            if end > rel + lit_len && end < window.len() {
                let cut = self.first_match(index, &window[..end], rel, lit_len, lo, map);
                out.extend(cut.filter(|h| h.checksum == Checksum::Valid));
            }
        }
    }

    /// The first hit of rule `index` in `window` that overlaps the literal at `rel`
    /// (`lit_len` long); `lo` and `map` turn window offsets into input offsets.
    fn first_match(
        &self,
        index: usize,
        window: &[u8],
        rel: usize,
        lit_len: usize,
        lo: usize,
        map: Option<&[usize]>,
    ) -> Option<Hit> {
        let cr = &self.rules[index];
        for caps in cr.regex().captures_iter(window) {
            let Some(whole) = caps.get(0) else { continue };
            // The match must overlap the literal that was found.
            if whole.start() >= rel + lit_len {
                break;
            }
            if whole.end() <= rel {
                continue;
            }
            let secret = cr
                .secret_groups()
                .iter()
                .find_map(|&g| caps.get(g))
                .unwrap_or(whole);
            let offset = map.map_or(lo + secret.start(), |m| m[secret.start()]);
            return self.confirm(index, secret.as_bytes(), offset);
        }
        None
    }

    /// Runs the rule's validator; `None` when the candidate is not a credential. A value whose
    /// checksum is valid is a credential whatever it looks like: placeholder words (built-in or
    /// `placeholders` in patrol.toml) and uniformity judge only values without one.
    fn confirm(&self, index: usize, secret: &[u8], offset: usize) -> Option<Hit> {
        let cr = &self.rules[index];
        let base = cr.rule.confidence;
        let kind = cr.kind.unwrap_or_else(|| kind::classify(secret));
        let checksum_ok = match cr.rule.validator {
            Some(Validator::Crc32) => Some(checksum::classic_is_valid(secret)),
            Some(Validator::FineGrained) => Some(checksum::fine_grained_is_valid(secret)),
            Some(Validator::Opaque | Validator::Jwt) | None => None,
        };
        let (checksum, confidence) = if checksum_ok == Some(true) {
            (Checksum::Valid, base)
        } else if self.is_user_placeholder(secret) {
            return None;
        } else {
            match (cr.rule.validator, checksum_ok) {
                (_, Some(false)) if !placeholder::is_uniform(secret) => match cr.checksum_failure {
                    // A look-alike as often as a token (GitHub's own docs example fails).
                    ChecksumFailure::Report => (Checksum::Unverified, Confidence::Low),
                    ChecksumFailure::Drop if self.options.include_invalid => {
                        (Checksum::Invalid, Confidence::Low)
                    }
                    ChecksumFailure::Drop => return None,
                },
                (Some(Validator::Opaque), _) if self.is_prefixed_of_unknown_shape(secret) => {
                    // Assigned to a credential name, with a GitHub prefix, but no token rule
                    // knows its length: reported, not left to rules that will not find it.
                    (Checksum::Unverified, Confidence::Low)
                }
                (Some(Validator::Jwt), None) if !placeholder::is_uniform(secret) => {
                    let sure = checksum::stateless_is_well_formed(secret);
                    (Checksum::None, if sure { base } else { Confidence::Low })
                }
                (Some(Validator::Opaque), _) if is_opaque_credential(secret) => {
                    // A value whose shape names a kind in the registry (40 hex, a legacy
                    // installation token) keeps the rule's confidence; anything else is less sure.
                    let sure = kind != TokenKind::Generic;
                    (Checksum::None, if sure { base } else { base.lower() })
                }
                (None, None) if !placeholder::is_uniform(secret) => (Checksum::None, base),
                _ => return None,
            }
        };
        Some(Hit {
            rule: index,
            secret: secret.to_vec(),
            offset,
            kind,
            confidence,
            checksum,
            decoded: Vec::new(),
        })
    }

    /// A value with the prefix of a checksummed kind that no rule of a fixed kind matches
    /// (an installation token of 20 characters): its own rules will not report it.
    fn is_prefixed_of_unknown_shape(&self, v: &[u8]) -> bool {
        kind::has_checksummed_prefix(v)
            && v.len() >= 16
            && v.len() <= 1024
            && !placeholder::is_placeholder(v)
            && !placeholder::is_uniform(v)
            && !self.rules.iter().any(|r| {
                r.kind.is_some()
                    && r.rule.literals.iter().any(|l| v.starts_with(l.as_bytes()))
                    && r.regex().is_match(v)
            })
    }

    /// The value holds one of the `placeholders` words of patrol.toml.
    fn is_user_placeholder(&self, secret: &[u8]) -> bool {
        let words = &self.options.extra_placeholders;
        if words.is_empty() {
            return false;
        }
        let lower = secret.to_ascii_lowercase();
        words
            .iter()
            .any(|w| memchr::memmem::find(&lower, w).is_some())
    }
}

/// `text` without ANSI escape sequences (CSI such as `ESC[36;1m`, and two-byte escapes), with
/// the offset in the input (`base` + index) of every byte kept.
pub(super) fn strip_ansi(text: &[u8], base: usize) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == 0x1B {
            if text.get(i + 1) == Some(&b'[') {
                // Parameters and intermediates, then one final byte in @..~.
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
        map.push(base + i);
        i += 1;
    }
    (out, map)
}

/// A value found by context (no prefix) that could be a credential: not a reference or
/// placeholder, long and mixed enough to be random, and not shaped like a token of a kind with
/// a checksum (those kinds' own rules decide about such values).
fn is_opaque_credential(v: &[u8]) -> bool {
    v.len() >= 16
        && v.len() <= 1024
        && !kind::has_checksummed_prefix(v)
        && v.iter().any(u8::is_ascii_digit)
        && v.iter().any(u8::is_ascii_alphabetic)
        && !placeholder::is_placeholder(v)
}
