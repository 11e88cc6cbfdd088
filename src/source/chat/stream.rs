//! Reading an export one record at a time, with each record's byte offset, line and column:
//! a JSON document whose messages are its top-level array or the array under `messages`
//! (Slack, Discord) or `value` (Microsoft Graph), parsed by `serde_json` from a reader so that
//! only one message is held at a time; or JSON Lines (Mattermost), one record a line. Memory is
//! bounded by the largest record (a JSON Lines line by [`MAX_LINE`]).

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use serde::Deserializer as _;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The longest JSON Lines record read.
pub const MAX_LINE: u64 = super::MAX_CHAT;

/// One record of an export and where it is.
pub struct Record {
    pub value: Value,
    pub start: u64,
    pub end: u64,
    pub line: u64,
    pub column: u64,
}

/// The small top-level fields beside the messages (DiscordChatExporter's `guild` and `channel`).
#[derive(Debug, Default)]
pub struct Header(pub Map<String, Value>);

/// Keys of the top-level object kept in the [`Header`].
const HEADER_KEYS: [&str; 2] = ["guild", "channel"];

/// Keys of the top-level object whose array holds the messages.
const MESSAGE_KEYS: [&str; 2] = ["messages", "value"];

/// Where the bytes read so far end: offset, newlines, and where the current line starts.
#[derive(Default)]
struct Position {
    offset: Cell<u64>,
    lines: Cell<u64>,
    line_start: Cell<u64>,
}

impl Position {
    /// Line and column (1-based) of byte `at`, which must be the last byte read.
    fn line_column(&self, at: u64) -> (u64, u64) {
        (
            self.lines.get() + 1,
            at.saturating_sub(self.line_start.get()) + 1,
        )
    }
}

/// Counts the bytes `serde_json` takes (it reads one at a time from a reader).
struct Counting<'p, R> {
    inner: R,
    pos: &'p Position,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let p = self.pos;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                p.lines.set(p.lines.get() + 1);
                p.line_start.set(p.offset.get() + i as u64 + 1);
            }
        }
        p.offset.set(p.offset.get() + n as u64);
        Ok(n)
    }
}

type Each<'e> = dyn FnMut(&Header, Record) + 'e;

/// Reads one JSON document, handing over each message record.
pub fn read_document(input: impl Read, each: &mut Each) -> io::Result<()> {
    let pos = Position::default();
    let mut input = BufReader::new(input);
    // A UTF-8 byte order mark is not JSON: skip it, counted.
    if input.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
        pos.offset.set(3);
        pos.line_start.set(3);
    }
    let reader = Counting {
        inner: input,
        pos: &pos,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let top = Top {
        pos: &pos,
        each,
        header: Header::default(),
    };
    de.deserialize_any(top)?;
    de.end()?;
    Ok(())
}

/// Reads JSON Lines, handing over each line's object; blank lines are skipped.
pub fn read_lines(input: impl Read, each: &mut Each) -> io::Result<()> {
    let mut input = BufReader::new(input);
    let header = Header::default();
    let (mut offset, mut line) = (0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut input)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        if n as u64 > MAX_LINE {
            return Err(io::Error::other(format!(
                "line {} is over {} MiB",
                line + 1,
                MAX_LINE >> 20
            )));
        }
        let lead = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if lead < buf.len() {
            let value: Value = serde_json::from_slice(&buf)
                .map_err(|e| io::Error::other(format!("line {}: {e}", line + 1)))?;
            each(
                &header,
                Record {
                    value,
                    start: offset + lead as u64,
                    end: offset + n as u64,
                    line: line + 1,
                    column: lead as u64 + 1,
                },
            );
        }
        offset += n as u64;
        line += 1;
    }
}

/// The top-level value: an array of messages, or an object holding one.
struct Top<'a, 'e> {
    pos: &'a Position,
    each: &'a mut Each<'e>,
    header: Header,
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of messages or an object holding one")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let header = std::mem::take(&mut self.header);
        elements(&mut seq, self.pos, &header, self.each)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if MESSAGE_KEYS.contains(&key.as_str()) {
                map.next_value_seed(Messages {
                    pos: self.pos,
                    header: &self.header,
                    each: &mut *self.each,
                })?;
            } else if HEADER_KEYS.contains(&key.as_str()) {
                let value: Value = map.next_value()?;
                self.header.0.insert(key, value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The array under a message key (anything else there is skipped).
struct Messages<'a, 'e> {
    pos: &'a Position,
    header: &'a Header,
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for Messages<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of messages")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        elements(&mut seq, self.pos, self.header, self.each)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Hands over each element of an array as a record.
fn elements<'de, A: SeqAccess<'de>>(
    seq: &mut A,
    pos: &Position,
    header: &Header,
    each: &mut Each,
) -> Result<(), A::Error> {
    while seq
        .next_element_seed(One {
            pos,
            header,
            each: &mut *each,
        })?
        .is_some()
    {}
    Ok(())
}

/// One array element: `serde_json` has read (peeked) its first byte when this is called, and its
/// last byte when the value is parsed: that gives its offsets.
struct One<'a, 'e> {
    pos: &'a Position,
    header: &'a Header,
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for One<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let start = self.pos.offset.get().saturating_sub(1);
        let (line, column) = self.pos.line_column(start);
        let value = serde::Deserialize::deserialize(d)?;
        let end = self.pos.offset.get();
        (self.each)(
            self.header,
            Record {
                value,
                start,
                end,
                line,
                column,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(doc: &str) -> Vec<(u64, u64, u64, u64, String)> {
        let mut out = Vec::new();
        read_document(doc.as_bytes(), &mut |_, r| {
            out.push((
                r.start,
                r.end,
                r.line,
                r.column,
                r.value["text"].to_string(),
            ))
        })
        .unwrap();
        out
    }

    #[test]
    fn records_know_their_offsets_lines_and_columns() {
        let doc = "[\n    {\"text\": \"a\"},\n    {\"text\": \"b\"}\n]\n";
        let got = records(doc);
        assert_eq!(got.len(), 2);
        assert_eq!(
            &doc[got[0].0 as usize..got[0].1 as usize],
            "{\"text\": \"a\"}"
        );
        assert_eq!((got[0].2, got[0].3), (2, 5));
        assert_eq!(
            &doc[got[1].0 as usize..got[1].1 as usize],
            "{\"text\": \"b\"}"
        );
        assert_eq!((got[1].2, got[1].3), (3, 5));
        let wrapped = r#"{"guild":{"id":"1"},"messages":[{"text":"c"}],"messageCount":1}"#;
        let mut guild = None;
        read_document(wrapped.as_bytes(), &mut |h, r| {
            guild = h.0.get("guild").cloned();
            assert_eq!(
                &wrapped[r.start as usize..r.end as usize],
                r#"{"text":"c"}"#
            );
        })
        .unwrap();
        assert_eq!(guild.unwrap()["id"], "1");
    }

    #[test]
    fn broken_documents_are_errors_after_the_records_before() {
        let mut n = 0;
        let e = read_document(r#"[{"text":"a"},{"text":"#.as_bytes(), &mut |_, _| n += 1);
        assert!(e.is_err());
        assert_eq!(n, 1);
        assert!(read_document(&b"[] trailing"[..], &mut |_, _| {}).is_err());
    }

    #[test]
    fn json_lines() {
        let doc = "{\"a\":1}\n\n  {\"b\":2}\n";
        let mut got = Vec::new();
        read_lines(doc.as_bytes(), &mut |_, r| {
            got.push((r.start, r.line, r.column))
        })
        .unwrap();
        assert_eq!(got, vec![(0, 1, 1), (11, 3, 3)]);
        assert!(read_lines(&b"{\"a\":\n"[..], &mut |_, _| {}).is_err());
    }
}
