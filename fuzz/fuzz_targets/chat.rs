//! The chat export reader (JSON documents streamed a message at a time, JSON Lines, and each
//! platform's message fields) on arbitrary bytes. The first byte picks the platform; the rest is
//! the export.
//!
//! Properties: no panic, no hang, memory bounded (libFuzzer's `-rss_limit_mb`), and every
//! message's record lies inside the input, its line and column inside the input's lines.

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::source::chat::{self, Place, Platform};

const PLATFORMS: [Platform; 5] = [
    Platform::Slack,
    Platform::Teams,
    Platform::Discord,
    Platform::DiscordPackage,
    Platform::Mattermost,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, export)) = data.split_first() else {
        return;
    };
    let platform = PLATFORMS[usize::from(pick) % PLATFORMS.len()];
    let lines = export.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let _ = chat::recognise("x/2024-01-02.json", export);
    let mut place = Place::default();
    let _ = chat::parse(platform, export, &mut place, &mut |m| {
        assert!(m.start <= m.end, "record ends before it starts");
        assert!(m.end <= export.len() as u64, "record past the end");
        assert!((1..=lines).contains(&m.line), "line {} of {lines}", m.line);
        assert!(m.column >= 1);
        assert_eq!(m.context.platform, platform.name());
    });
});
