//! Unit tests of `matcher`.

use super::confirm::strip_ansi;
use super::*;
use crate::kind::TokenKind;
use crate::template::Mint;

fn builtin() -> Matcher {
    Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap()
}

/// Found by the `matcher` fuzz target (`fuzz/`): a secret confirmed once by its rule's context
/// and repeated elsewhere without that context was printed whole.
#[test]
fn redact_text_hides_every_occurrence_of_a_secret_found() {
    let m = builtin();
    let crash = b"jp://\xb5\xff\x00\xa2ex10}}@github\xff\xff\x00\xa2ex10}}"; // patrol:allow (test input, not a secret)
    let readable =
        b"git clone https://bot:Qx7Lp2Vn9Rt4Ws8Y@github.com/acme/app; echo Qx7Lp2Vn9Rt4Ws8Y"; // patrol:allow (test input, not a secret)
    for input in [&crash[..], &readable[..]] {
        let text = String::from_utf8_lossy(input);
        let hits = m.scan(text.as_bytes());
        assert!(!hits.is_empty(), "{text:?}");
        let shown = m.redact_text(&text);
        for hit in hits {
            let secret = String::from_utf8_lossy(&hit.secret);
            assert!(!shown.contains(&*secret), "{shown:?}");
        }
    }
    // A longer secret starting where a shorter one was confirmed is hidden to its end.
    let text = "GH_TOKEN=Qx7Lp2Vn9Rt4Ws8Y;Zz9\nhttps://bot:Qx7Lp2Vn9Rt4Ws8Y;Zz9@github.com/x"; // patrol:allow (test input, not a secret)
    let shown = m.redact_text(text);
    assert!(
        !shown.contains("Ws8Y") && !shown.contains(";Zz9"),
        "{shown:?}"
    );
}

#[test]
fn redact_text_hides_every_secret_in_a_string() {
    let m = Matcher::new(crate::rules::builtin().unwrap(), MatcherOptions::default()).unwrap();
    let mut mint = Mint::new();
    let token = mint.classic(TokenKind::ClassicPat.prefix(), 30);
    let text = format!("rotate old token {token} now");
    let shown = m.redact_text(&text);
    assert!(!shown.contains(&token), "{shown}");
    let start = format!("rotate old token {}", TokenKind::ClassicPat.prefix());
    assert!(shown.starts_with(&start) && shown.ends_with(" now"));
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
    let mut mint = Mint::new();
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
            TokenKind::ClassicPat.prefix().as_bytes()
        );
    }
    let (s, map) = strip_ansi(b"a\x1b[1;2mb\x1bXc", 10);
    assert_eq!(s, b"abc");
    assert_eq!(map, vec![10, 17, 20]);
}

#[test]
fn invalid_utf8_and_huge_lines_are_ordinary_input() {
    let mut mint = Mint::new();
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

#[test]
fn hit_debug_does_not_print_the_secret() {
    let token = Mint::new().token("ghp").unwrap();
    let hits = builtin().scan(format!("token = {token}").as_bytes());
    assert_eq!(hits.len(), 1);
    let shown = format!("{:?} {hits:?}", hits[0]);
    assert!(!shown.contains(&token), "{shown}");
    assert!(shown.contains(TokenKind::ClassicPat.prefix()), "{shown}");
}

#[test]
fn placeholder_words_never_hide_a_checksum_valid_token() {
    let mut mint = Mint::new();
    let words = ["ghp", "gho", "github", "pat", "a"];
    let m = Matcher::new(
        crate::rules::builtin().unwrap(),
        MatcherOptions {
            extra_placeholders: words.iter().map(|w| w.as_bytes().to_vec()).collect(),
            ..MatcherOptions::default()
        },
    )
    .unwrap();
    for name in ["ghp", "gho", "github_pat"] {
        let token = mint.token(name).unwrap();
        let hits = m.scan(format!("TOKEN={token}\n").as_bytes());
        assert!(
            hits.iter().any(|h| h.secret == token.as_bytes()),
            "{name} hidden by a placeholder word"
        );
    }
    // Values without a validated checksum are still judged by the words.
    let hex = mint.token("hex40").unwrap();
    let line = format!("GITHUB_TOKEN=a{}\n", &hex[1..]);
    assert!(m.scan(line.as_bytes()).is_empty());
    assert_eq!(builtin().scan(line.as_bytes()).len(), 1);
}

#[test]
fn a_checksum_valid_token_that_looks_uniform_is_found() {
    // Random parts are never this regular, but a valid checksum says it is a real token.
    let token = Mint::new().classic_from(TokenKind::ClassicPat.prefix(), &"a".repeat(30));
    let hits = builtin().scan(format!("x {token} y").as_bytes());
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].checksum, Checksum::Valid);
    // With a broken checksum the same shape is a placeholder, even with --include-invalid.
    let broken = crate::template::break_checksum(&token);
    let m = Matcher::new(
        crate::rules::builtin().unwrap(),
        MatcherOptions {
            include_invalid: true,
            ..MatcherOptions::default()
        },
    )
    .unwrap();
    assert!(m.scan(format!("x {broken} y").as_bytes()).is_empty());
}

#[test]
fn every_builtin_regex_compiles() {
    let m = builtin();
    m.compile_all().unwrap();
    assert!(m.rules().all(|r| r.builtin));
}

fn user_rule(regex: &str) -> crate::rules::Rule {
    let text = format!(
        "[[rule]]\nid = \"user-rule\"\ndescription = \"d\"\nkind = \"generic\"\nconfidence = \"high\"\n\
         literals = [\"ACME-\"]\nregex = '{regex}'\n"
    );
    crate::rules::parse("user.toml", &text).unwrap().remove(0)
}

fn with_builtin(rule: crate::rules::Rule) -> Result<Matcher, RuleError> {
    let mut rules = crate::rules::builtin().unwrap();
    rules.push(rule);
    Matcher::new(rules, MatcherOptions::default())
}

#[test]
fn a_user_regex_that_does_not_compile_is_an_error_naming_the_rule() {
    let huge = user_rule("ACME-(?:[a-z0-9]{100}){1000}");
    let err = with_builtin(huge).err().expect("over the size limit");
    assert!(err.to_string().contains("user-rule"), "{err}");
    assert!(with_builtin(user_rule("ACME-[0-9a-f]{8}")).is_ok());
}

#[test]
fn rule_parameters_out_of_bounds_are_errors_naming_rule_and_key() {
    type Change = fn(&mut crate::rules::Rule);
    let cases: [(Change, &str); 4] = [
        (|r| r.window = [0, usize::MAX], "`window`"),
        (|r| r.window = [1 << 20, 0], "`window`"),
        (|r| r.literals = vec!["AC".into()], "`literals`"),
        (|r| r.literals = vec![], "`literals`"),
    ];
    for (change, key) in cases {
        let mut rule = user_rule("ACME-[0-9a-f]{8}");
        change(&mut rule);
        let err = with_builtin(rule).err().expect("refused");
        let msg = err.to_string();
        assert!(msg.contains("user-rule") && msg.contains(key), "{msg}");
    }
}

#[test]
fn user_examples_are_run_and_failures_do_not_echo_them() {
    let mut rule = user_rule("ACME-[0-9a-f]{8}");
    rule.examples = vec!["key ACME-0123abcd".into()];
    rule.counter_examples = vec!["ACME-short".into()];
    with_builtin(rule.clone())
        .unwrap()
        .check_user_examples()
        .unwrap();
    let mut bad = rule.clone();
    bad.examples
        .push("key ACME-9876fedc is not found? it is".into());
    bad.examples.push("ACME-zzzzzzzz".into());
    let err = with_builtin(bad)
        .unwrap()
        .check_user_examples()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("user-rule") && msg.contains("example 3"),
        "{msg}"
    );
    assert!(!msg.contains("zzzz"), "{msg}");
    let mut bad = rule;
    bad.counter_examples.push("ACME-aaaabbbb".into());
    let msg = with_builtin(bad)
        .unwrap()
        .check_user_examples()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("counter_examples") && msg.contains("example 2"),
        "{msg}"
    );
    assert!(!msg.contains("aaaabbbb"), "{msg}");
}

#[test]
fn dense_prefixes_are_cheap_and_change_nothing() {
    let token = Mint::new().token("ghp").unwrap();
    let prefix = TokenKind::ClassicPat.prefix();
    let mut hay = prefix.repeat(20_000);
    hay.push(' ');
    hay.push_str(&token);
    hay.push_str(&format!(" {token}9 {prefix}"));
    let hits = builtin().scan(hay.as_bytes());
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].secret, token.as_bytes());
    assert_eq!(hits[0].offset, prefix.len() * 20_000 + 1);
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian {
            &[0xFE, 0xFF]
        } else {
            &[0xFF, 0xFE]
        });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_text_in_either_byte_order_is_decoded_for_token_and_context_rules() {
    let mut mint = Mint::new();
    let m = builtin();
    let token = mint.token("ghp").unwrap();
    let hex = mint.token("hex40").unwrap();
    for big_endian in [false, true] {
        let want = if big_endian {
            Encoding::Utf16be
        } else {
            Encoding::Utf16le
        };
        for bom in [false, true] {
            let lead = if bom { 2 } else { 0 };
            // A token at the very start, then one after other text, then a context value.
            for (text, secret, at) in [
                (format!("{token}\r\n"), &token, 0),
                (format!("note: {token}\r\n"), &token, 6),
                (format!("x=1\r\nGH_TOKEN={hex}\r\n"), &hex, 14),
                (format!("GITHUB_TOKEN=\"{hex}\"\r\n"), &hex, 14),
                (format!("  github_token: {hex}\r\n"), &hex, 16),
            ] {
                let bytes = utf16(&text, big_endian, bom);
                let hits = m.scan(&bytes);
                let case = format!("{text:?} be={big_endian} bom={bom}");
                assert_eq!(hits.len(), 1, "{case}: {hits:?}");
                assert_eq!(hits[0].secret, secret.as_bytes(), "{case}");
                assert_eq!(hits[0].decoded, vec![want], "{case}");
                assert_eq!(hits[0].offset, lead + 2 * at, "{case}");
            }
        }
    }
}
