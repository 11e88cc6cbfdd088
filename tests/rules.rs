//! Every rule carries its own examples (must be found by that rule) and counter-examples (must
//! produce no finding at all); this test runs them all, with templates filled by minted tokens.

use patrol::kind::{ChecksumScheme, TokenKind};
use patrol::matcher::{Matcher, MatcherOptions};
use patrol::rules::{self, Validator};
use patrol::template::{Mint, fill};

#[test]
fn every_rule_has_examples_and_they_hold() {
    let rules = rules::builtin().expect("built-in rules parse");
    let matcher = Matcher::new(rules.clone(), MatcherOptions::default()).expect("rules compile");
    let mut mint = Mint::new();
    let mut failures = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if rule.examples.is_empty() || rule.counter_examples.is_empty() {
            failures.push(format!(
                "{}: needs both examples and counter_examples",
                rule.id
            ));
        }
        for ex in &rule.examples {
            let filled = fill(ex, &mut mint);
            let hits = matcher.scan(&filled.bytes);
            let want = filled.tokens.first().map(|t| t.as_bytes().to_vec());
            let ok = hits
                .iter()
                .any(|h| h.rule == index && want.as_ref().is_none_or(|w| &h.secret == w));
            if !ok {
                failures.push(format!(
                    "{}: example not found: {ex:?} (hits: {hits:?})",
                    rule.id
                ));
            }
        }
        for ex in &rule.counter_examples {
            let filled = fill(ex, &mut mint);
            let hits = matcher.scan(&filled.bytes);
            if !hits.is_empty() {
                failures.push(format!(
                    "{}: counter-example found: {ex:?} -> {hits:?}",
                    rule.id
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn rule_ids_are_unique_and_kinds_known() {
    let rules = rules::load(&[] as &[&str]).expect("built-in rules load");
    assert!(rules.len() >= 12);
    let mut ids = std::collections::HashSet::new();
    for rule in &rules {
        assert!(ids.insert(rule.id.as_str()), "duplicate id {}", rule.id);
        assert!(
            rule.kind == "auto" || rule.kind.parse::<TokenKind>().is_ok(),
            "{}: unknown kind {:?}",
            rule.id,
            rule.kind
        );
    }
    // A rule's checksum validator is the one its kind's registry entry names.
    for rule in rules.iter().filter(|r| r.kind != "auto") {
        let kind: TokenKind = rule.kind.parse().expect("known kind");
        let scheme = kind.info().checksum;
        match rule.validator {
            Some(Validator::Crc32) => assert_eq!(scheme, ChecksumScheme::Crc32, "{}", rule.id),
            Some(Validator::FineGrained) => {
                assert_eq!(scheme, ChecksumScheme::FineGrained, "{}", rule.id)
            }
            _ => {}
        }
    }
    // Every kind of token is found by some rule (generic and legacy-hex by `auto` ones).
    for kind in TokenKind::ALL {
        let by_rule = rules.iter().any(|r| r.kind == kind.as_str());
        let by_auto = matches!(kind, TokenKind::Generic | TokenKind::LegacyHex)
            && rules.iter().any(|r| r.kind == "auto");
        assert!(by_rule || by_auto, "no rule finds {kind}");
    }
}
