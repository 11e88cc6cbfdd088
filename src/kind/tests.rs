//! Unit tests of `kind`.

use super::*;

#[test]
fn every_kind_has_exactly_one_entry_named_as_serde_names_it() {
    for kind in TokenKind::ALL {
        let entries = KINDS.iter().filter(|k| k.kind == kind).count();
        assert_eq!(entries, 1, "{kind:?}");
        let serde_name = serde_json::to_value(kind).unwrap();
        assert_eq!(serde_name, kind.as_str(), "{kind:?}");
        assert_eq!(kind.as_str().parse::<TokenKind>(), Ok(kind));
    }
    assert_eq!(KINDS.len(), TokenKind::ALL.len());
}

#[test]
fn classify_names_kinds_by_prefix_and_body() {
    for k in KINDS.iter().filter(|k| !k.prefixes.is_empty()) {
        let body = match k.body {
            Body::Any => "Zq8LmN2pR7sT4vW9xY1bC3dF5gH6jK0aQeUi".to_string(),
            Body::Hex(n) => "0123456789abcdef".repeat(4)[..n].to_string(),
        };
        for p in k.prefixes {
            assert_eq!(classify(format!("{p}{body}").as_bytes()), k.kind, "{p}");
        }
    }
    assert_eq!(
        classify("3f2a9c01d4b7e8f6a5c3b2d1e0f9a8b7c6d5e4f3".as_bytes()),
        TokenKind::LegacyHex
    );
    assert_eq!(classify(b"hunter2hunter2"), TokenKind::Generic);
    let legacy = TokenKind::LegacyInstallation.prefix();
    assert_eq!(
        classify(format!("{legacy}not-hex").as_bytes()),
        TokenKind::Generic
    );
}

#[test]
fn prefix_of_picks_the_longest() {
    for p in prefixes() {
        assert_eq!(prefix_of(format!("{p}rest").as_bytes()), p);
    }
    assert_eq!(prefix_of(b"nothing"), "");
}

/// The registry is the one place a token prefix is written: every other file in `src/`
/// (tests included) reads it from here, so a new format is one entry, not a hunt.
#[test]
fn no_prefix_literal_outside_the_registry() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let registry = src.join("kind.rs");
    let mut stack = vec![src];
    let mut offenders = Vec::new();
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path == registry || path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                for p in prefixes() {
                    if line.contains(p) {
                        offenders.push(format!("{}:{}: {p}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(files > 20, "only {files} files under src/");
    assert!(
        offenders.is_empty(),
        "token prefixes belong in src/kind.rs only; read them from the registry \
         (TokenKind::prefix, kind::prefixes):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_kind_can_be_replaced_and_says_how_it_is_revoked() {
    for k in KINDS {
        assert!(k.replacement.len() > 80, "{}", k.name);
        match k.revoke {
            RevokeRoute::None(why) => assert!(why.len() > 40, "{}", k.name),
            route => assert!(route.request().is_some()),
        }
    }
}
