//! Unit tests of `merge`.

use serde_json::json;

use super::*;

#[test]
fn counters_add_up_field_by_field() {
    let mut into = serde_json::Map::new();
    let a = json!({"files": 2, "bytes": 10, "incomplete": false, "notes": ["x"], "rate": 0.5,
        "repositories": {"selected": 2, "skipped": 1}});
    let b = json!({"files": 3, "bytes": 5, "incomplete": true, "notes": ["x", "y"], "rate": 1.0,
        "new_counter": 4, "repositories": {"selected": 3}});
    for v in [a, b] {
        let serde_json::Value::Object(m) = v else {
            unreachable!()
        };
        merge_counters(&mut into, m);
    }
    assert_eq!(
        Value::Object(into),
        json!({"files": 5, "bytes": 15, "incomplete": true, "notes": ["x", "y"], "rate": 1.5,
            "new_counter": 4, "repositories": {"selected": 5, "skipped": 1}})
    );
}

#[test]
fn a_redacted_secret_is_told_from_a_whole_one() {
    let whole = crate::template::Mint::new().token("ghp").unwrap();
    let redacted = Secret::new(whole.clone().into_bytes()).redacted();
    assert!(is_redacted(redacted.as_bytes()));
    assert!(!is_redacted(whole.as_bytes()));
    assert!(!is_redacted(format!("{whole}…").as_bytes()));
    assert_eq!(
        shown(&Secret::new(whole.clone().into()), false).expose(),
        redacted.as_bytes()
    );
    assert_eq!(
        shown(&Secret::new(redacted.clone().into()), false).expose(),
        redacted.as_bytes()
    );
    assert_eq!(
        shown(&Secret::new(whole.clone().into()), true).expose(),
        whole.as_bytes()
    );
}

#[test]
fn reports_are_told_by_their_content() {
    assert!(matches!(
        read("r", "{\"findings\": []}"),
        Ok(Input::Json(_))
    ));
    assert!(matches!(
        read(
            "r",
            "{\"fingerprint\": \"ab\"}\n{\"fingerprint\": \"cd\"}\n"
        ),
        Err(MergeError::Lines { .. })
    ));
    assert!(matches!(
        read("r", "{\"fingerprint\": \"ab\"}\n"),
        Err(MergeError::Lines { .. })
    ));
    assert!(matches!(
        read("r", "[1, 2]"),
        Err(MergeError::NotReport { .. })
    ));
    assert!(matches!(
        read("r", "{\"version\": \"2.1.0\", \"runs\": [{}]}"),
        Err(MergeError::Sarif { .. })
    ));
    assert!(matches!(
        read("r", "{\"findings\": [{\"rule\": 1}]}"),
        Err(MergeError::Json { .. })
    ));
    assert!(matches!(
        read("r", "\u{0}\u{ff}"),
        Err(MergeError::NotJson { .. })
    ));
}
