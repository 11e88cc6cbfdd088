//! The matcher: one literal prefilter pass (aho-corasick) over raw bytes finds candidate offsets
//! for every rule at once, and for every decoder (the base64/percent/JSON/UTF-16 forms of the
//! prefixes). Each rule's regex and validator then run only in a small window around its
//! candidates; decoders decode a bounded window and feed it back through the same pass.
//! Bytes, not `str`: invalid UTF-8 and multi-megabyte lines are ordinary input.

pub mod checksum;
pub mod decode;
pub mod placeholder;

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use serde::Serialize;

use crate::rules::{ChecksumFailure, Confidence, Rule, RuleError, TokenKind, Validator};
pub use decode::Encoding;
use decode::Trigger;

/// How far decoders may nest (base64 inside base64 inside percent-encoding, …).
const MAX_DEPTH: usize = 3;

/// What a token's checksum said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Checksum {
    /// Failed: shown only with `--include-invalid`.
    Invalid,
    /// This kind's checksum is unconfirmed and did not pass; reported all the same.
    Unverified,
    /// The kind has no checksum.
    None,
    /// Passed.
    Valid,
}

impl Checksum {
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Valid => "valid",
            Checksum::Unverified => "unverified",
            Checksum::Invalid => "invalid",
            Checksum::None => "none",
        }
    }
}

/// A confirmed match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into [`Matcher::rules`].
    pub rule: usize,
    pub secret: Vec<u8>,
    /// Offset in the scanned bytes where the secret (or its encoded text) starts.
    pub offset: usize,
    pub kind: TokenKind,
    pub confidence: Confidence,
    pub checksum: Checksum,
    /// Decoding steps from the scanned bytes to the secret, outermost first.
    pub decoded: Vec<Encoding>,
}

#[derive(Debug, Clone, Default)]
pub struct MatcherOptions {
    /// Keep tokens whose checksum fails, marked `invalid`.
    pub include_invalid: bool,
    /// Lowercase words that mark a value as a placeholder (`placeholders` in patrol.toml).
    pub extra_placeholders: Vec<Vec<u8>>,
}

struct CompiledRule {
    rule: Rule,
    /// Compiled on the rule's first candidate: most runs (a pre-commit check of a small change)
    /// never need most rules, and compiling all of them would dominate start-up.
    regex: OnceLock<Regex>,
    secret_groups: OnceLock<Vec<usize>>,
    kind: Option<TokenKind>,
}

impl CompiledRule {
    fn build(pattern: &str) -> Result<Regex, regex::Error> {
        RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(1 << 22)
            .build()
    }

    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // The pattern was checked when the matcher was built.
            Self::build(&self.rule.regex)
                .unwrap_or_else(|_| Regex::new("[^\\s\\S]").expect("empty regex"))
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    Rule(usize),
    Decode(Trigger),
}

/// An action and where, inside the literal that was found, its own literal starts.
type Placed = (Action, usize);

pub struct Matcher {
    rules: Vec<CompiledRule>,
    prefilter: AhoCorasick,
    literals: Vec<Vec<u8>>,
    /// For each prefilter pattern, what its hits trigger.
    actions: Vec<Vec<Placed>>,
    options: MatcherOptions,
}

impl Matcher {
    pub fn new(rules: Vec<Rule>, options: MatcherOptions) -> Result<Matcher, RuleError> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut actions: Vec<Vec<Action>> = Vec::new();
        let mut add = |lit: Vec<u8>, action: Action| {
            let i = literals.iter().position(|l| *l == lit).unwrap_or_else(|| {
                literals.push(lit);
                actions.push(Vec::new());
                literals.len() - 1
            });
            if !actions[i].contains(&action) {
                actions[i].push(action);
            }
        };
        let mut compiled = Vec::with_capacity(rules.len());
        for (index, rule) in rules.into_iter().enumerate() {
            // Check the pattern now (parsing is cheap); compile it on first use.
            regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(&rule.regex)
                .map_err(|e| RuleError::Regex {
                    id: rule.id.clone(),
                    source: Box::new(regex::Error::Syntax(e.to_string())),
                })?;
            for lit in &rule.literals {
                add(lit.as_bytes().to_vec(), Action::Rule(index));
                if rule.encoded {
                    for (form, trigger) in decode::literal_triggers(lit) {
                        add(form, Action::Decode(trigger));
                    }
                }
            }
            let kind = rule.fixed_kind()?;
            compiled.push(CompiledRule {
                rule,
                regex: OnceLock::new(),
                secret_groups: OnceLock::new(),
                kind,
            });
        }
        for (lit, trigger) in decode::fixed_triggers() {
            add(lit, Action::Decode(trigger));
        }
        // The search below reports one literal per position (leftmost-longest), which lets
        // aho-corasick use its SIMD prefilter. A literal that contains another (`github_pat_`
        // holds `github_`) therefore also carries the other's actions, at its offset.
        let placed: Vec<Vec<Placed>> = literals
            .iter()
            .map(|outer| {
                let mut v = Vec::new();
                for (inner, acts) in literals.iter().zip(&actions) {
                    for at in memchr::memmem::find_iter(outer, inner) {
                        for &a in acts {
                            if !v.contains(&(a, at)) {
                                v.push((a, at));
                            }
                        }
                    }
                }
                v
            })
            .collect();
        let actions = placed;
        // The SIMD prefilter does the scanning; a contiguous NFA confirms its candidates as well
        // as a DFA would and builds in a fraction of the time (start-up matters to hooks).
        let prefilter = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&literals)
            .map_err(|e| RuleError::Invalid {
                id: "(prefilter)".into(),
                message: e.to_string(),
            })?;
        Ok(Matcher {
            rules: compiled,
            prefilter,
            literals,
            actions,
            options,
        })
    }

    /// Compiles every rule's regex now (scans compile them on first use), reporting the first
    /// that cannot be built, e.g. one over the size limit.
    pub fn compile_all(&self) -> Result<(), RuleError> {
        for cr in &self.rules {
            let regex = CompiledRule::build(&cr.rule.regex).map_err(|e| RuleError::Regex {
                id: cr.rule.id.clone(),
                source: Box::new(e),
            })?;
            let _ = cr.regex.set(regex);
        }
        Ok(())
    }

    /// The rules, in the order hits refer to them.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = &Rule> {
        self.rules.iter().map(|c| &c.rule)
    }

    /// The prefilter's literals (for diagnostics and benchmarks).
    pub fn literals(&self) -> Vec<Vec<u8>> {
        self.literals.clone()
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    /// Longest context a rule or decoder may need around a hit; chunked sources overlap
    /// their chunks by this much so that nothing at a boundary is missed.
    pub fn max_window(&self) -> usize {
        let rules = self
            .rules
            .iter()
            .map(|r| r.rule.window[0] + r.rule.window[1]);
        let decoders = self.actions.iter().flatten().filter_map(|(a, _)| match a {
            Action::Decode(t) => Some(t.before + t.after),
            Action::Rule(_) => None,
        });
        rules.chain(decoders).max().unwrap_or(0)
    }

    /// All hits in `hay`, in order of offset, one per (secret, offset).
    pub fn scan(&self, hay: &[u8]) -> Vec<Hit> {
        let mut out = Vec::new();
        self.scan_into(hay, 0, &mut out);
        out.sort_by(|a, b| (a.offset, &a.secret).cmp(&(b.offset, &b.secret)));
        // Two rules, or two decoding paths, may confirm the same secret at the same place: keep
        // the surer one, then the one with the shorter decoding chain.
        out.dedup_by(|later, kept| {
            if later.offset != kept.offset || later.secret != kept.secret {
                return false;
            }
            let rank = |h: &Hit| (h.confidence, h.checksum, std::cmp::Reverse(h.decoded.len()));
            if rank(later) > rank(kept) {
                std::mem::swap(later, kept);
            }
            true
        });
        out
    }

    /// `text` with every secret this matcher finds in it redacted, for strings taken from
    /// scanned content (commit summaries, authors, member names, log lines in messages) that a
    /// report or message prints. A secret found through a decoding has no literal span: its
    /// encoded run, up to the next space or quote, is redacted whole.
    pub fn redact_text(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        for hit in self.scan(bytes) {
            let start = hit.offset.min(bytes.len());
            let end = if hit.decoded.is_empty() {
                (start + hit.secret.len()).min(bytes.len())
            } else {
                bytes[start..]
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<'))
                    .map_or(bytes.len(), |i| start + i)
            };
            let shown = crate::finding::Secret::new(hit.secret).redacted();
            spans.push((start, end, shown));
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_by_key(|s| s.0);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, shown) in spans {
            if start < at {
                continue;
            }
            out.push_str(&String::from_utf8_lossy(&bytes[at..start]));
            out.push_str(&shown);
            at = end;
        }
        out.push_str(&String::from_utf8_lossy(&bytes[at..]));
        out
    }

    fn scan_into(&self, hay: &[u8], depth: usize, out: &mut Vec<Hit>) {
        // End of the last window each decoder decoded, so one encoded run is decoded once.
        let mut decoded_until = [0usize; 5];
        for m in self.prefilter.find_iter(hay) {
            for &(action, at) in &self.actions[m.pattern().as_usize()] {
                let start = m.start() + at;
                match action {
                    Action::Rule(r) => self.run_rule(r, hay, start, m.end(), out),
                    Action::Decode(trigger) => {
                        let slot = trigger.encoding as usize;
                        if depth >= MAX_DEPTH || start + 200 < decoded_until[slot] {
                            continue;
                        }
                        let Some(d) = decode::decode(hay, start, &trigger) else {
                            continue;
                        };
                        decoded_until[slot] = d.map.last().map_or(0, |&e| e + 1);
                        let mut inner = Vec::new();
                        self.scan_into(&d.bytes, depth + 1, &mut inner);
                        for mut hit in inner {
                            hit.offset = d.map[hit.offset];
                            hit.decoded.insert(0, trigger.encoding);
                            out.push(hit);
                        }
                    }
                }
            }
        }
    }

    fn run_rule(
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
            if let Some(i) = memchr::memrchr(b'\n', &hay[lo..lit_start]) {
                lo += i + 1;
            }
            if let Some(i) = memchr::memchr(b'\n', &hay[lit_start..hi]) {
                hi = lit_start + i;
            }
        }
        // Terminal colour codes can sit inside a token (CI logs): match on a copy of this
        // window without them, mapping offsets back. Windows without ESC are used as they are.
        let stripped = memchr::memchr(0x1B, &hay[lo..hi]).map(|_| strip_ansi(&hay[lo..hi], lo));
        let lit_len = lit_end - lit_start;
        let (window, rel, map): (&[u8], usize, Option<&[usize]>) = match &stripped {
            Some((bytes, map)) => {
                let rel = map.partition_point(|&o| o < lit_start);
                (bytes, rel, Some(map))
            }
            None => (&hay[lo..hi], lit_start - lo, None),
        };
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
            if let Some(hit) = self.confirm(index, secret.as_bytes(), offset) {
                out.push(hit);
            }
            break;
        }
    }

    /// Runs the rule's validator; `None` when the candidate is not a credential.
    fn confirm(&self, index: usize, secret: &[u8], offset: usize) -> Option<Hit> {
        let cr = &self.rules[index];
        let base = cr.rule.confidence;
        let checked = |valid: bool| match (valid, cr.rule.checksum_failure) {
            (true, _) => Some((Checksum::Valid, base)),
            (false, ChecksumFailure::Report) => Some((Checksum::Unverified, base.lower())),
            (false, ChecksumFailure::Drop) if self.options.include_invalid => {
                Some((Checksum::Invalid, Confidence::Low))
            }
            (false, ChecksumFailure::Drop) => None,
        };
        if !self.options.extra_placeholders.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if self
                .options
                .extra_placeholders
                .iter()
                .any(|w| memchr::memmem::find(&lower, w).is_some())
            {
                return None;
            }
        }
        let kind = cr.kind.unwrap_or_else(|| TokenKind::classify(secret));
        let (checksum, confidence) = match cr.rule.validator {
            Some(Validator::Crc32) if !placeholder::is_uniform(secret) => {
                checked(checksum::classic_is_valid(secret))?
            }
            Some(Validator::FineGrained) if !placeholder::is_uniform(secret) => {
                checked(checksum::fine_grained_is_valid(secret))?
            }
            Some(Validator::Opaque) if is_opaque_credential(secret) => {
                let sure = matches!(kind, TokenKind::LegacyHex | TokenKind::LegacyInstallation);
                (Checksum::None, if sure { base } else { base.lower() })
            }
            None if !placeholder::is_uniform(secret) => (Checksum::None, base),
            _ => return None,
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
}

/// `text` without ANSI escape sequences (CSI such as `ESC[36;1m`, and two-byte escapes), with
/// the offset in the input (`base` + index) of every byte kept.
fn strip_ansi(text: &[u8], base: usize) -> (Vec<u8>, Vec<usize>) {
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
/// placeholder, long and mixed enough to be random, and not shaped like a prefixed GitHub token
/// (those rules, with their checksums, decide about such values).
fn is_opaque_credential(v: &[u8]) -> bool {
    let prefixed = v.starts_with(b"github_pat_")
        || (v.len() > 4 && v.starts_with(b"gh") && v[2].is_ascii_lowercase() && v[3] == b'_');
    v.len() >= 16
        && v.len() <= 1024
        && !prefixed
        && v.iter().any(u8::is_ascii_digit)
        && v.iter().any(u8::is_ascii_alphabetic)
        && !placeholder::is_placeholder(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_text_hides_every_secret_in_a_string() {
        let m = Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap();
        let mut mint = crate::template::Mint::new();
        let token = mint.classic("ghp_", 30);
        let text = format!("rotate old token {token} now");
        let shown = m.redact_text(&text);
        assert!(!shown.contains(&token), "{shown}");
        assert!(shown.starts_with("rotate old token ghp_") && shown.ends_with(" now"));
        assert_eq!(m.redact_text("nothing here"), "nothing here");
    }

    /// aho-corasick's SIMD prefilter (Teddy) takes at most 64 patterns and fingerprints up to
    /// 4 bytes of each: a rule with a shorter literal, or too many literals, would silently
    /// make every scan several times slower.
    #[test]
    fn prefilter_stays_on_the_simd_path() {
        let m = Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap();
        let lits = m.literals();
        assert!(lits.len() <= 64, "{} prefilter literals", lits.len());
        let short: Vec<_> = lits
            .iter()
            .filter(|l| l.len() < 4)
            .map(|l| String::from_utf8_lossy(l))
            .collect();
        assert!(short.is_empty(), "literals under 4 bytes: {short:?}");
    }

    #[test]
    fn tokens_split_or_wrapped_by_ansi_escapes_are_found_where_they_start() {
        let mut mint = crate::template::Mint::new();
        let m = Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap();
        let tok = mint.token("ghp").unwrap();
        let cases = [
            format!("2024-05-01T12:00:00.1234567Z Using token \x1b[32m{tok}\x1b[0m"),
            format!(
                "2024-05-01T12:00:00.1234567Z echo {}\x1b[0m\x1b[32m{}",
                &tok[..12],
                &tok[12..]
            ),
            format!(
                "\x1b[36;1mexport GH_TOKEN=\x1b[0m {}\x1b[1;33m{}\x1b[0m (expires)",
                &tok[..20],
                &tok[20..]
            ),
        ];
        for text in &cases {
            let hits = m.scan(text.as_bytes());
            assert_eq!(hits.len(), 1, "{text:?}");
            assert_eq!(hits[0].secret, tok.as_bytes());
            assert_eq!(
                &text.as_bytes()[hits[0].offset..hits[0].offset + 4],
                b"ghp_"
            );
        }
        let (s, map) = strip_ansi(b"a\x1b[1;2mb\x1bXc", 10);
        assert_eq!(s, b"abc");
        assert_eq!(map, vec![10, 17, 20]);
    }

    #[test]
    fn invalid_utf8_and_huge_lines_are_ordinary_input() {
        let mut mint = crate::template::Mint::new();
        let tok = mint.token("ghp").unwrap();
        let mut hay = vec![0xFFu8, 0xFE, 0xC3];
        hay.extend(std::iter::repeat_n(b'a', 3 << 20));
        hay.extend_from_slice(b" \xff");
        hay.extend_from_slice(tok.as_bytes());
        hay.extend_from_slice(b"\xc3\x28");
        hay.extend(std::iter::repeat_n(b'b', 3 << 20));
        let m = Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap();
        let hits = m.scan(&hay);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].secret, tok.as_bytes());
        assert_eq!(hits[0].offset, 3 + (3 << 20) + 2);
    }
}
