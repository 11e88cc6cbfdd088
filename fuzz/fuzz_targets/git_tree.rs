//! The raw git tree parser on arbitrary bytes.
//!
//! Properties: no panic; entry names hold no NUL; an accepted tree's entries (`MODE SP NAME NUL
//! 20-byte id`) account for every byte of it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::source::git::tree::parse_entries;

fuzz_target!(|data: &[u8]| {
    let mut names = 0usize;
    let mut entries = 0usize;
    let ok = parse_entries(data, |name, _id, _kind| {
        assert!(!name.contains(&0), "NUL in an entry name");
        names += name.len();
        entries += 1;
    })
    .is_ok();
    if ok {
        // Each entry: a mode of at least 0 bytes, a space, the name, a NUL and 20 id bytes.
        assert!(names + entries * 22 <= data.len());
    }
});
