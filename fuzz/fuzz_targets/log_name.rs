//! The Actions log-layout parser (job and step from a member path) and the line timestamp
//! parser on arbitrary input.
//!
//! Properties: no panic; job and step names are taken from the member path; a timestamp is
//! the text at the start of the line (after a BOM), shaped `YYYY-MM-DDTHH:MM:SS…Z`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::source::logs::{layout, timestamp};

fuzz_target!(|data: &[u8]| {
    let member = String::from_utf8_lossy(data);
    let (job, step) = layout(&member);
    if let Some(job) = &job {
        assert!(member.contains(job.as_str()));
    }
    if let Some(step) = &step {
        assert!(job.is_some());
        assert!(member.contains(step.as_str()));
    }
    if let Some(t) = timestamp(data) {
        let head = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
        assert!(head.starts_with(t.as_bytes()) || t.contains('\u{FFFD}'));
        assert!(t.len() >= 20 && t.ends_with('Z'));
    }
});
