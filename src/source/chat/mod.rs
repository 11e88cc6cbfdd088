//! Chat exports read as messages: Slack workspace exports (a zip or a directory of
//! `channels.json`, `users.json` and `CHANNEL/YYYY-MM-DD.json`, or one channel's JSON),
//! Microsoft Teams messages as Microsoft Graph returns them, Discord (DiscordChatExporter JSON,
//! and the `messages/*/messages.json` of Discord's data package) and Mattermost bulk exports
//! (JSONL). A file is recognised by its first bytes ([`recognise`]), whatever its name, on disk
//! or inside an archive.
//!
//! The export is always scanned as plain bytes first, as any file; then it is parsed, one message
//! at a time ([`stream`], memory bounded by the largest message), and each message's strings are
//! scanned JSON-unescaped ([`scan`]). A raw hit inside a message gets that message's context
//! (workspace, channel, author, time, thread, edit, link: [`crate::finding::ChatContext`]); a
//! secret found only in the unescaped text is located at the message's start; raw hits outside
//! any message, and all of them when the file does not parse (a problem), stay plain file
//! locations: no finding of the plain scan is ever lost. Names that live beside the messages
//! (Slack users and channels, Discord's `channel.json`) are read once per export ([`meta`]).

mod discord;
mod mattermost;
pub mod meta;
pub mod scan;
mod slack;
pub mod stream;
mod teams;
mod text;

use std::io::Read;

pub use meta::{Exports, Meta};
pub use scan::{scan_file, scan_member};

use crate::finding::ChatContext;

/// Bytes of a chat export member (or side file) read whole; a bigger member is scanned raw only
/// (a problem). Files on disk are streamed whatever their size.
pub const MAX_CHAT: u64 = 64 << 20;

/// Bytes of a file's start looked at to recognise an export.
pub const HEAD: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Slack,
    Teams,
    /// DiscordChatExporter's JSON: `guild`, `channel`, then `messages`.
    Discord,
    /// Discord's data package: `messages/cID/messages.json` beside its `channel.json`.
    DiscordPackage,
    /// A Mattermost bulk export: one JSON object a line, `{"type":"version",…}` first.
    Mattermost,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Slack => "slack",
            Platform::Teams => "teams",
            Platform::Discord | Platform::DiscordPackage => "discord",
            Platform::Mattermost => "mattermost",
        }
    }
}

/// The export a file's first bytes (and for Slack's day files, its name) say it is, if any.
pub fn recognise(name: &str, head: &[u8]) -> Option<Platform> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    // Keys and short values are matched with the blanks between tokens removed.
    let compact: Vec<u8> = head
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let has = |s: &str| memchr::memmem::find(&compact, s.as_bytes()).is_some();
    // A Mattermost bulk export's first line is its version record.
    let first_line: Vec<u8> = head
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or(head)
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let version_first = memchr::memmem::find(&first_line, br#""type":"version""#).is_some();
    match first {
        b'{' if version_first => Some(Platform::Mattermost),
        b'{' if has(r#""guild":{"#) && has(r#""channel":{"#) => Some(Platform::Discord),
        b'{' | b'['
            if has(r#""createdDateTime":"#) && (has(r#""body":{"#) || has(r#""messageType":"#)) =>
        {
            Some(Platform::Teams)
        }
        b'{' if has(r#""@odata.context":"#) && has("messages") => Some(Platform::Teams),
        b'[' if has(r#""ID":"#) && has(r#""Timestamp":"#) => Some(Platform::DiscordPackage),
        b'{' | b'[' if has(r#""type":"message""#) && (has(r#""ts":"#) || has(r#""text":"#)) => {
            Some(Platform::Slack)
        }
        b'[' if is_slack_day(name) && has(r#""ts":"#) => Some(Platform::Slack),
        _ => None,
    }
}

/// `…/YYYY-MM-DD.json`: the name of a Slack export's day file.
fn is_slack_day(name: &str) -> bool {
    let file = name.rsplit(['/', '!', '\\']).next().unwrap_or(name);
    let Some(date) = file.strip_suffix(".json") else {
        return false;
    };
    date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// One message of an export: where it is in the file, its context, and the JSON value whose
/// strings are its text (attachments, blocks, embeds, earlier versions included).
pub struct Message {
    pub context: ChatContext,
    pub value: serde_json::Value,
    /// Byte offsets of the record holding it: `start..end`.
    pub start: u64,
    pub end: u64,
    /// 1-based line and column of `start`.
    pub line: u64,
    pub column: u64,
}

/// What a message's file says about where it is: the export's side files and the path.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// Names read beside the messages (Slack users and channels, Discord's `channel.json`).
    pub meta: std::sync::Arc<Meta>,
    /// The export's name (a Slack export's directory or zip, without `.zip`).
    pub export: Option<String>,
    /// The directory holding the file (a Slack channel's name).
    pub dir: Option<String>,
    /// The Slack workspace's domain, when a link in the export showed it.
    pub domain: Option<String>,
}

/// Parses `input` as a `platform` export and hands over each message; an `Err` says where the
/// export stopped being readable (the messages before it were handed over).
pub fn parse(
    platform: Platform,
    input: impl Read,
    place: &mut Place,
    each: &mut dyn FnMut(Message),
) -> std::io::Result<()> {
    let mut mattermost = mattermost::State::default();
    let mut on_record = |header: &stream::Header, record: stream::Record| {
        let messages = match platform {
            Platform::Slack => slack::messages(record.value, place),
            Platform::Teams => teams::messages(record.value),
            Platform::Discord => discord::messages(record.value, header),
            Platform::DiscordPackage => discord::package_messages(record.value, place),
            Platform::Mattermost => mattermost.messages(record.value),
        };
        for (context, value) in messages {
            each(Message {
                context,
                value,
                start: record.start,
                end: record.end,
                line: record.line,
                column: record.column,
            });
        }
    };
    if platform == Platform::Mattermost {
        stream::read_lines(input, &mut on_record)
    } else {
        stream::read_document(input, &mut on_record)
    }
}

/// `secs` (and a fraction, its digits) since the epoch as ISO 8601 UTC:
/// `2024-05-01T12:34:56.000100Z`.
fn iso_utc(secs: i64, fraction: &str) -> String {
    let base = crate::time::rfc3339(secs, 0);
    let base = base.strip_suffix("+00:00").unwrap_or(&base);
    if fraction.is_empty() {
        format!("{base}Z")
    } else {
        format!("{base}.{fraction}Z")
    }
}

/// A string field of a JSON object, when present and not empty.
fn field<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str().filter(|s| !s.is_empty())
}

/// A string or number field as text (ids are either, by exporter).
fn id_field(v: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_recognised_by_content() {
        let slack = br#"[
    {
        "client_msg_id": "x",
        "type": "message",
        "text": "hi","#;
        assert_eq!(recognise("any.txt", slack), Some(Platform::Slack));
        assert_eq!(
            recognise("general/2024-01-02.json", br#"[{"user":"U1","ts":"1.2"}]"#),
            Some(Platform::Slack)
        );
        assert_eq!(recognise("x.json", br#"[{"user":"U1","ts":"1.2"}]"#), None);
        assert_eq!(
            recognise("e", br#"{"info":{},"type":"version","version":1}"#),
            Some(Platform::Mattermost)
        );
        assert_eq!(
            recognise("e", br#"{"guild": {"id": "1"}, "channel": {"id": "2"}}"#),
            Some(Platform::Discord)
        );
        assert_eq!(
            recognise(
                "e",
                br#"{"value":[{"id":"1","createdDateTime":"x","body":{"#
            ),
            Some(Platform::Teams)
        );
        assert_eq!(
            recognise("e", br#"[{"ID": 1, "Timestamp": "2020-01-01 00:00:00"}]"#),
            Some(Platform::DiscordPackage)
        );
        assert_eq!(
            recognise(
                "e",
                br#"[{"id":"1","messageType":"message","createdDateTime":"x""#
            ),
            Some(Platform::Teams)
        );
        assert_eq!(recognise("package.json", br#"{"name":"x"}"#), None);
        assert_eq!(recognise("e", b""), None);
    }

    #[test]
    fn times() {
        assert_eq!(
            iso_utc(1_700_000_000, "000100"),
            "2023-11-14T22:13:20.000100Z"
        );
        assert_eq!(iso_utc(0, ""), "1970-01-01T00:00:00Z");
    }
}
