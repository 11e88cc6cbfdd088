//! The matcher: one literal prefilter pass (aho-corasick) over raw bytes finds candidate offsets
//! for every rule at once, and for every decoder (the base64/percent/JSON/UTF-16 forms of the
//! prefixes). Each rule's regex and validator then run only in a small window around its
//! candidates; decoders decode a bounded window and feed it back through the same pass.
//! Bytes, not `str`: invalid UTF-8 and multi-megabyte lines are ordinary input.

pub mod checksum;
mod confirm;
pub mod decode;
mod encoding;
mod examples;
pub mod line;
pub mod placeholder;
pub mod redact;
#[cfg(test)]
mod tests;

use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;

use crate::finding::Secret;
use crate::rules::{Confidence, Rule, RuleError, TokenKind};
use confirm::CompiledRule;
pub use decode::Encoding;
use decode::Trigger;

/// How far decoders may nest (base64 inside base64 inside percent-encoding, …).
const MAX_DEPTH: usize = 3;

/// What a token's checksum said.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
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

/// A confirmed match. `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hit")
            .field("rule", &self.rule)
            .field("secret", &Secret::new(self.secret.clone()))
            .field("offset", &self.offset)
            .field("kind", &self.kind)
            .field("confidence", &self.confidence)
            .field("checksum", &self.checksum)
            .field("decoded", &self.decoded)
            .finish()
    }
}

#[derive(Debug, Clone, Default)]
pub struct MatcherOptions {
    /// Keep tokens whose checksum fails, marked `invalid`.
    pub include_invalid: bool,
    /// Lowercase words that mark a value as a placeholder (`placeholders` in patrol.toml).
    pub extra_placeholders: Vec<Vec<u8>>,
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
    /// Built by [`Matcher::exact_rules_only`]: only exact rules run, and only unmistakable hits
    /// are kept.
    exact_only: bool,
    /// Built for binary content ([`Matcher::exact_rules_only`], [`Matcher::every_rule_for_binary`]):
    /// a checksummed token's checksum is its boundary (see `confirm.rs`).
    binary: bool,
}

/// True for a rule whose hits are unmistakable anywhere, even in binary content: its kind (from
/// the kind registry) has a fixed prefix and a checksum, so a hit either passes the checksum or
/// has the kind's exact structure (see [`unmistakable`]).
pub fn is_exact_rule(rule: &Rule) -> bool {
    rule.fixed_kind().ok().flatten().is_some_and(|k| {
        let info = k.info();
        !info.prefixes.is_empty() && info.checksum != crate::kind::ChecksumScheme::None
    })
}

/// A hit of an exact rule that stands without context: its checksum passed, or its kind's
/// rule has no checksum to run and matched the exact structure at high confidence (stateless
/// installation tokens). Failed and unverified checksums are look-alikes.
fn unmistakable(hit: &Hit) -> bool {
    match hit.checksum {
        Checksum::Valid => true,
        Checksum::None => hit.confidence == Confidence::High,
        Checksum::Invalid | Checksum::Unverified => false,
    }
}

impl Matcher {
    pub fn new(rules: Vec<Rule>, options: MatcherOptions) -> Result<Matcher, RuleError> {
        Matcher::build(rules, options, false, false)
    }

    /// A matcher for binary content: the same rules in the same order (a hit's rule index
    /// means the same in both), but only the exact ones ([`is_exact_rule`]) are searched for,
    /// with their encoded forms, and only unmistakable hits are kept — no context rule, no
    /// failed or unverified checksum.
    pub fn exact_rules_only(
        rules: Vec<Rule>,
        options: MatcherOptions,
    ) -> Result<Matcher, RuleError> {
        Matcher::build(rules, options, true, true)
    }

    /// A matcher for binary content with every rule (`--binary`): the same rules, and the same
    /// reading of binary content as [`Matcher::exact_rules_only`] (a checksummed token may be
    /// followed by a letter), but no hit is dropped for want of a checksum.
    pub fn every_rule_for_binary(
        rules: Vec<Rule>,
        options: MatcherOptions,
    ) -> Result<Matcher, RuleError> {
        Matcher::build(rules, options, false, true)
    }

    fn build(
        rules: Vec<Rule>,
        options: MatcherOptions,
        exact_only: bool,
        binary: bool,
    ) -> Result<Matcher, RuleError> {
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
        crate::rules::validate(&rules)?;
        let mut compiled = Vec::with_capacity(rules.len());
        for (index, rule) in rules.into_iter().enumerate() {
            let searched = !exact_only || is_exact_rule(&rule);
            for lit in rule.literals.iter().filter(|_| searched) {
                add(lit.as_bytes().to_vec(), Action::Rule(index));
                if rule.encoded {
                    for (form, trigger) in decode::literal_triggers(lit) {
                        add(form, Action::Decode(trigger));
                    }
                }
            }
            compiled.push(CompiledRule::new(rule)?);
        }
        for (lit, trigger) in decode::fixed_triggers() {
            add(lit, Action::Decode(trigger));
        }
        // The search below reports one literal per position (leftmost-longest), which lets
        // aho-corasick use its SIMD prefilter. A literal that contains another (the fine-grained prefix
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
            exact_only,
            binary,
        })
    }

    /// Compiles every rule's regex now (user rules already are; built-in ones compile on first
    /// use), reporting the first that cannot be built, e.g. one over the size limit.
    pub fn compile_all(&self) -> Result<(), RuleError> {
        self.rules.iter().try_for_each(CompiledRule::compile)
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
    /// their chunks by this much so that nothing at a boundary is missed. Even, so that chunks
    /// start at even offsets, where UTF-16 code units do.
    pub fn max_window(&self) -> usize {
        let rules = self
            .rules
            .iter()
            .map(|r| r.rule.window[0] + r.rule.window[1]);
        let decoders = self.actions.iter().flatten().filter_map(|(a, _)| match a {
            Action::Decode(t) => Some(t.before + t.after),
            Action::Rule(_) => None,
        });
        rules.chain(decoders).max().unwrap_or(0).next_multiple_of(2)
    }

    /// All hits in `hay`, in order of offset, one per (secret, offset).
    pub fn scan(&self, hay: &[u8]) -> Vec<Hit> {
        let mut out = Vec::new();
        self.scan_into(hay, 0, &mut out);
        if self.exact_only {
            out.retain(unmistakable);
        }
        out.sort_by(|a, b| (a.offset, &a.secret).cmp(&(b.offset, &b.secret)));
        // Two rules, or two decoding paths, may confirm the same secret at the same place: keep
        // the surer one, then the one with the shorter decoding chain, then the rule that names
        // the kind over one that guesses it from the value (a client secret is 40 hex digits,
        // like a pre-2021 token).
        out.dedup_by(|later, kept| {
            if later.offset != kept.offset || later.secret != kept.secret {
                return false;
            }
            let rank = |h: &Hit| {
                let named = self.rules[h.rule].rule.kind != "auto";
                (
                    h.confidence,
                    h.checksum,
                    std::cmp::Reverse(h.decoded.len()),
                    named,
                )
            };
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
    /// encoded run, up to the next space or quote, is redacted whole. Every other occurrence of
    /// a secret found is redacted too, with or without the context its rule needs.
    pub fn redact_text(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        let mut secrets: Vec<(Vec<u8>, String)> = Vec::new();
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
            let shown = crate::finding::Secret::new(hit.secret.clone()).redacted();
            spans.push((start, end, shown.clone()));
            if !hit.secret.is_empty() && !secrets.iter().any(|(s, _)| *s == hit.secret) {
                secrets.push((hit.secret, shown));
            }
        }
        for (secret, shown) in &secrets {
            for start in memchr::memmem::find_iter(bytes, secret) {
                spans.push((start, start + secret.len(), shown.clone()));
            }
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_by_key(|s| s.0);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, shown) in spans {
            if start < at {
                // Overlaps a span already redacted: hide the rest of it as well.
                at = at.max(end);
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
        let mut decoded_until = [0usize; Encoding::ALL.len()];
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
                            hit.decoded.insert(0, d.encoding);
                            out.push(hit);
                        }
                    }
                }
            }
        }
    }
}
