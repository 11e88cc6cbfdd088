//! `patrol.toml` parsing and rule-file parsing on arbitrary text; user rules that parse and
//! validate beside the built-in ones are built into a matcher, which then scans the same text.
//!
//! Properties: no panic and no hang, whatever the text; every accepted configuration and rule
//! set builds a matcher or fails with an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::config::Config;
use patrol::matcher::{Matcher, MatcherOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // A `[[rule]]` table is valid in both files: take one file's rules.
    let config = Config::parse("patrol.toml", &text);
    let rule_file = patrol::rules::parse("rules.toml", &text);
    let user = match (config, rule_file) {
        (Ok(c), _) => c.rule,
        (Err(_), Ok(r)) => r,
        (Err(_), Err(_)) => return,
    };
    if user.is_empty() {
        return;
    }
    let mut all = patrol::rules::builtin().expect("built-in rules parse");
    all.extend(user.iter().cloned());
    if patrol::rules::validate(&all).is_err() {
        return;
    }
    // The built-in rules are compiled by the matcher target; here only the user's.
    let Ok(m) = Matcher::new(user, MatcherOptions::default()) else {
        return;
    };
    let _ = m.max_window();
    if m.compile_all().is_ok() {
        let _ = m.scan(text.as_bytes());
    }
});
