//! A message's text: every string in its JSON value (already unescaped by the parser), each
//! with its key path, so that text in attachments, blocks, embeds, files and earlier versions is
//! scanned too, whatever the exporter calls its fields.

use serde_json::Value;

/// Keys under which exporters keep earlier versions of a message.
const PREVIOUS: [&str; 7] = [
    "previous_message",
    "previous_versions",
    "edit_history",
    "edits",
    "history",
    "messageHistory",
    "versions",
];

/// True when a key path leads into an earlier version of the message.
pub fn is_previous_version(path: &str) -> bool {
    path.split('.').any(|k| PREVIOUS.contains(&k))
}

/// Calls `each(path, text)` for every string in `v`, depth first, in the value's key order;
/// `path` is the keys from `v` to the string joined by `.` (array positions left out).
pub fn strings(v: &Value, each: &mut dyn FnMut(&str, &str)) {
    let mut path = String::new();
    walk(v, &mut path, each);
}

fn walk(v: &Value, path: &mut String, each: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::String(s) => each(path, s),
        Value::Array(items) => items.iter().for_each(|item| walk(item, path, each)),
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(item, path, each);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// How deep a key path is (`text` 0, `attachments.text` 1): top-level text is matched first.
pub fn depth(path: &str) -> usize {
    path.matches('.').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_with_its_path() {
        let v: Value = serde_json::from_str(
            r#"{"text":"a","blocks":[{"elements":[{"text":"b"}]}],"n":1,"edits":[{"text":"c"}]}"#,
        )
        .unwrap();
        let mut got = Vec::new();
        strings(&v, &mut |p, s| got.push(format!("{p}={s}")));
        got.sort();
        assert_eq!(got, ["blocks.elements.text=b", "edits.text=c", "text=a"]);
        assert!(is_previous_version("edits.text"));
        assert!(!is_previous_version("text"));
    }
}
