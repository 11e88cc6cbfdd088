//! Scanning an export as messages, after its raw scan: each message's strings are scanned
//! unescaped (top-level text first), and each hit takes the next raw hit of the same secret
//! inside the message's record, which then keeps its exact line and column and gains the
//! message's context. A secret found only unescaped (split by escapes in the file) is located at
//! the record's start, once per message. Raw hits left over (outside messages, or all of them
//! when the export does not parse) are recorded as plain file locations.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::path::Path;

use super::meta::{dir_key, is_side_file, parent_key};
use super::{Exports, MAX_CHAT, Message, Place, Platform, text};
use crate::matcher::Encoding;
use crate::scan::Scanner;
use crate::source::reader::{self, INLINE_MARKERS, Located, OnBinary, Origin};
use crate::source::{archive, document};

/// A chat export on disk (`platform`, recognised from its first bytes), after its raw scan
/// (`raw`: its hits, not yet recorded): parsed again, streamed, and every hit recorded.
pub fn scan_file(
    scanner: &Scanner,
    exports: &Exports,
    path: &Path,
    shown: &str,
    platform: Platform,
    raw: Vec<Located>,
) {
    let mut recorder = Recorder::new(scanner, shown, raw, &[]);
    match std::fs::File::open(path) {
        Ok(f) => {
            let disk = path.parent().map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            });
            recorder.parse(exports, platform, f, disk);
        }
        Err(e) => not_parsed(scanner, shown, platform, &e.to_string()),
    }
    recorder.finish();
}

/// An archive member (shown as `shown`, named `name` inside its archive, reached through
/// `chain`): scanned raw; and read as messages when it is a chat export, or as names when it is
/// an export's side file (`users.json`, …); any other member goes on to the document decoders.
/// Records its hits.
pub fn scan_member(
    scanner: &Scanner,
    exports: &Exports,
    limits: &archive::Limits,
    shown: &str,
    name: &str,
    input: &mut dyn Read,
    chain: &[Encoding],
) {
    let mut head = Vec::with_capacity(super::HEAD);
    if let Err(e) = input.take(super::HEAD as u64).read_to_end(&mut head) {
        scanner
            .diagnostics
            .problem(shown, format!("read error: {e}"));
    }
    let platform = super::recognise(name, &head);
    if platform.is_none() && !is_side_file(name) {
        // Anything else is scanned as before: raw, and decoded when it is a document.
        let mut rest = Cursor::new(head).chain(input);
        let origin = &Origin::File;
        return document::scan_member(scanner, limits, origin, shown, name, &mut rest, chain);
    }
    let mut bytes = head;
    if let Err(e) = input.take(MAX_CHAT + 1).read_to_end(&mut bytes) {
        scanner
            .diagnostics
            .problem(shown, format!("read error: {e}"));
    }
    if bytes.len() as u64 > MAX_CHAT {
        scanner.diagnostics.problem(
            shown,
            format!(
                "chat export member over {} MiB: scanned as plain text only, not as messages",
                MAX_CHAT >> 20
            ),
        );
        let rest = Cursor::new(bytes).chain(input);
        if let Some(hits) = scanner.hits_in(shown, rest) {
            scanner.record_all(&Origin::File, shown, archive::decoded(hits, chain));
        }
        return;
    }
    let raw = scanner.hits_in_bytes(&bytes).unwrap_or_default();
    let raw = archive::decoded(raw, chain);
    match platform {
        Some(platform) => {
            let mut recorder = Recorder::new(scanner, shown, raw, chain);
            recorder.parse(exports, platform, &bytes[..], None);
            recorder.finish();
        }
        None => {
            exports.add_member(shown, &bytes[..]);
            scanner.record_all(&Origin::File, shown, raw);
        }
    }
}

fn not_parsed(scanner: &Scanner, shown: &str, platform: Platform, why: &str) {
    scanner.diagnostics.problem(
        shown,
        format!(
            "looks like a {} export but could not be read as one ({why}): scanned as plain text only",
            platform.name()
        ),
    );
}

/// The last component of a directory key, without `.zip` (`general` for `a.zip!general/`).
fn dir_name(key: &str) -> Option<String> {
    let key = key.trim_end_matches(['/', '!']);
    let name = key.rsplit(['/', '!']).next().unwrap_or(key);
    let name = name.strip_suffix(".zip").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

struct Recorder<'s> {
    scanner: &'s Scanner<'s>,
    shown: &'s str,
    /// The raw hits, by offset.
    raw: Vec<Located>,
    /// Which raw hits were recorded with a message's context.
    taken: Vec<bool>,
    chain: &'s [Encoding],
}

impl<'s> Recorder<'s> {
    fn new(
        scanner: &'s Scanner<'s>,
        shown: &'s str,
        mut raw: Vec<Located>,
        chain: &'s [Encoding],
    ) -> Recorder<'s> {
        raw.sort_by_key(|l| l.offset);
        Recorder {
            scanner,
            shown,
            taken: vec![false; raw.len()],
            raw,
            chain,
        }
    }

    /// Parses `input` as `platform`, recording the hits of each message; a parse error is a
    /// problem (the raw hits stay). `disk`: the file's directory, when on disk.
    fn parse(
        &mut self,
        exports: &Exports,
        platform: Platform,
        input: impl Read,
        disk: Option<&Path>,
    ) {
        let dir = dir_key(self.shown);
        let mut place = Place::default();
        let export = match platform {
            Platform::Slack => parent_key(dir),
            _ => dir,
        };
        if matches!(platform, Platform::Slack | Platform::DiscordPackage) {
            let side = match platform {
                Platform::Slack => disk.map(|d| {
                    d.parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new("."))
                }),
                _ => disk,
            };
            place.meta = exports.dir(export, side);
            place.dir = dir_name(dir);
            place.export = dir_name(export);
            place.domain = exports.domain(export);
        }
        let result = super::parse(platform, input, &mut place, &mut |m| self.message(m));
        if let Some(domain) = &place.domain {
            exports.learn_domain(export, domain);
        }
        if let Err(e) = result {
            not_parsed(self.scanner, self.shown, platform, &e.to_string());
        }
    }

    fn message(&mut self, m: Message) {
        let matcher = self.scanner.matcher;
        // The message's strings, one a line, each with where it starts and its key path.
        let mut buf = Vec::new();
        let mut segments: Vec<(usize, String)> = Vec::new();
        text::strings(&m.value, &mut |path, s| {
            segments.push((buf.len(), path.to_string()));
            buf.extend_from_slice(s.as_bytes());
            buf.push(b'\n');
        });
        let mut hits = Vec::new();
        reader::scan_slice(matcher, &buf, OnBinary::ScanWith(matcher), |l| {
            let i = segments.partition_point(|(start, _)| *start <= l.offset as usize) - 1;
            hits.push((text::depth(&segments[i].1), i, l));
        });
        hits.sort_by_key(|(depth, _, l)| (*depth, l.offset));
        let lo = self.raw.partition_point(|r| r.offset < m.start);
        let hi = self.raw.partition_point(|r| r.offset < m.end);
        let mut recorded: HashSet<Vec<u8>> = HashSet::new();
        for (_, i, l) in hits {
            let (start, path) = &segments[i];
            let end = segments.get(i + 1).map_or(buf.len(), |s| s.0);
            let mut context = m.context.clone();
            context.field = Some(path.clone());
            context.previous_version = text::is_previous_version(path);
            let origin = Origin::Chat(&context);
            let same = (lo..hi).find(|&k| !self.taken[k] && self.raw[k].hit.secret == l.hit.secret);
            if let Some(k) = same {
                self.taken[k] = true;
                let raw = &self.raw[k];
                recorded.insert(raw.hit.secret.clone());
                let location = raw.location(self.shown, &origin);
                self.scanner.record(raw.hit.clone(), location);
            } else if recorded.insert(l.hit.secret.clone()) {
                let line = &buf[*start..end];
                let inline_allow = INLINE_MARKERS
                    .iter()
                    .any(|mk| memchr::memmem::find(line, mk).is_some());
                let mut hit = l.hit;
                let steps = [self.chain, &[Encoding::JsonEscape][..], &hit.decoded].concat();
                hit.decoded = steps;
                let located = Located {
                    hit,
                    line: m.line,
                    column: m.column,
                    offset: m.start,
                    line_head: Vec::new(),
                    inline_allow,
                };
                let location = located.location(self.shown, &origin);
                self.scanner.record(located.hit, location);
            }
        }
    }

    /// Records the raw hits no message took, as plain file locations.
    fn finish(self) {
        let rest: Vec<Located> = self
            .raw
            .into_iter()
            .zip(self.taken)
            .filter_map(|(l, taken)| (!taken).then_some(l))
            .collect();
        self.scanner.record_all(&Origin::File, self.shown, rest);
    }
}
