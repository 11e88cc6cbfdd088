//! Unit tests of `finding`.

use super::*;

#[test]
fn redaction_shows_at_most_prefix_and_four() {
    let p = TokenKind::ClassicPat.prefix();
    let s = Secret::new(format!("{p}ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij").into_bytes());
    assert_eq!(s.redacted(), format!("{p}ABCD…"));
    assert_eq!(format!("{s:?}"), format!("Secret({p}ABCD…)"));
    let short = Secret::new(b"abcdefgh".to_vec());
    assert_eq!(short.redacted(), "ab…");
    assert_eq!(s.fingerprint().len(), 64);
}

/// The documented contract (README, "Fingerprints of low-entropy values"): plain SHA-256
/// for every kind, so that baselines and allowlists match across machines; generic values'
/// fingerprints are therefore as sensitive as the values, which the README says.
#[test]
fn fingerprint_is_plain_sha256_for_every_kind() {
    let s = Secret::new(b"hunter2".to_vec());
    assert_eq!(
        s.fingerprint(),
        "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7"
    );
}

fn location(line: u64) -> Location {
    Location {
        source: SourceKind::Log,
        repository: None,
        path: "ci.log".into(),
        line,
        column: 1,
        offset: line * 50,
        decoded: Vec::new(),
        git: None,
        log: None,
        image: None,
        chat: None,
        inline_allow: false,
    }
}

#[test]
fn a_secret_repeated_without_end_keeps_its_count_and_first_locations() {
    let token = crate::template::Mint::new().token("ghp").unwrap();
    let hay = format!("token {token}\n");
    let hit = crate::matcher::Matcher::new(
        crate::rules::builtin().unwrap(),
        crate::matcher::MatcherOptions::default(),
    )
    .unwrap()
    .scan(hay.as_bytes())
    .remove(0);
    let mut c = Collector::new(100);
    // Arrival order is not location order (threads): the kept ones are still the first.
    for line in (1..=200_000u64).rev() {
        c.add(hit.clone(), "rule", location(line));
        assert!(c.by_secret.values().all(|f| f.locations.len() < 200));
    }
    c.add(hit, "rule", location(7));
    let f = c.finish().remove(0);
    assert_eq!(f.location_count, 200_000);
    assert_eq!(f.locations.len(), 100);
    assert_eq!(f.locations[0].line, 1);
    assert_eq!(f.locations[99].line, 100);
}
