//! Ties the pieces together for one run: every input a source opens goes through the chunked
//! reader and the matcher, and its hits into one shared [`Collector`].

use std::io::Read;
use std::sync::Mutex;

use crate::diagnostics::Diagnostics;
use crate::finding::{Collector, Finding, Location};
use crate::matcher::{Hit, Matcher};
use crate::source::reader::{self, Chunking, Located, OnBinary, Origin, Outcome};

pub struct Scanner<'a> {
    pub matcher: &'a Matcher,
    pub diagnostics: &'a Diagnostics,
    pub chunking: Chunking,
    /// What becomes of inputs that look binary: skipped, or scanned with another matcher.
    pub on_binary: OnBinary<'a>,
    collector: Mutex<Collector>,
    max_locations: usize,
    /// Set on every location recorded: the repository being read, when a run reads many.
    repository: Option<String>,
    /// Told of every location as it is recorded (as a one-location finding), for streaming.
    live: Option<&'a (dyn Fn(&Finding) + Sync)>,
}

impl<'a> Scanner<'a> {
    pub fn new(
        matcher: &'a Matcher,
        diagnostics: &'a Diagnostics,
        chunk_size: usize,
        on_binary: OnBinary<'a>,
    ) -> Self {
        Scanner {
            matcher,
            diagnostics,
            chunking: Chunking::new(matcher, chunk_size),
            on_binary,
            collector: Mutex::new(Collector::default()),
            max_locations: crate::finding::DEFAULT_MAX_LOCATIONS,
            repository: None,
            live: None,
        }
    }

    /// A scanner for one repository of a run that reads many: the same matcher, diagnostics
    /// and streaming, its own findings (handed back with [`Scanner::absorb`] once the
    /// repository's are recorded), every location marked with `repository`.
    pub fn for_repository(&self, repository: &str) -> Scanner<'a> {
        Scanner {
            matcher: self.matcher,
            diagnostics: self.diagnostics,
            chunking: self.chunking,
            on_binary: self.on_binary,
            collector: Mutex::new(Collector::new(self.max_locations)),
            max_locations: self.max_locations,
            repository: Some(repository.to_string()),
            live: self.live,
        }
    }

    /// Adds findings gathered by another scanner (one repository's) to this one's.
    pub fn absorb(&self, findings: Vec<Finding>) {
        let mut c = self.collector.lock().unwrap_or_else(|e| e.into_inner());
        for f in findings {
            c.merge(f);
        }
    }

    /// Calls `live` with each location as it is recorded, as a finding with that one location
    /// (a streaming report writes it at once).
    pub fn streaming_to(self, live: &'a (dyn Fn(&Finding) + Sync)) -> Self {
        Scanner {
            live: Some(live),
            ..self
        }
    }

    /// Keeps at most `n` locations per secret (`--max-locations`); every one is still counted.
    pub fn with_max_locations(self, n: usize) -> Self {
        Scanner {
            collector: Mutex::new(Collector::new(n)),
            max_locations: n,
            ..self
        }
    }

    /// Scans one input and returns its hits without recording them, for sources that know
    /// their locations only later (git blobs are attributed to commits after the scan).
    /// `None` when the input looked binary and was skipped.
    pub fn hits_in(&self, path: &str, input: impl Read) -> Option<Vec<Located>> {
        let mut hits = Vec::new();
        let result = reader::scan_stream(self.matcher, input, self.chunking, self.on_binary, |l| {
            hits.push(l)
        });
        match result {
            Ok(outcome) => self.tally(outcome, hits),
            Err(e) => {
                self.diagnostics.problem(path, format!("read error: {e}"));
                Some(hits)
            }
        }
    }

    /// Like [`Scanner::hits_in`] for bytes already in memory: no copy.
    pub fn hits_in_bytes(&self, data: &[u8]) -> Option<Vec<Located>> {
        let mut hits = Vec::new();
        let outcome = reader::scan_slice(self.matcher, data, self.on_binary, |l| hits.push(l));
        self.tally(outcome, hits)
    }

    /// Counts a scanned or skipped input; the hits of a scanned one.
    fn tally(&self, outcome: Outcome, hits: Vec<Located>) -> Option<Vec<Located>> {
        match outcome {
            Outcome::Scanned(bytes) => {
                self.diagnostics.scanned(bytes);
                Some(hits)
            }
            Outcome::Binary => {
                self.diagnostics.skipped_binary();
                None
            }
        }
    }

    /// Records a hit at `location`. Every string in the location that came from scanned
    /// content (path, member, commit summary and author, log job and step) is redacted here,
    /// the one place, so no report can print a secret that hides in them.
    pub fn record(&self, hit: Hit, mut location: Location) {
        self.diagnostics.found();
        if location.repository.is_none() {
            location.repository.clone_from(&self.repository);
        }
        let location = redact_location(self.matcher, location);
        if let Some(live) = self.live {
            let secret = crate::finding::Secret::new(hit.secret.clone());
            live(&Finding {
                fingerprint: secret.fingerprint(),
                secret,
                rule: self.matcher.rule(hit.rule).id.clone(),
                kind: hit.kind,
                confidence: hit.confidence,
                checksum: hit.checksum,
                locations: vec![location.clone()],
                location_count: 1,
                verification: None,
                revocation: None,
                before: None,
                blast_radius: None,
            });
        }
        let rule = &self.matcher.rule(hit.rule).id;
        let mut c = self.collector.lock().unwrap_or_else(|e| e.into_inner());
        c.add(hit, rule, location);
    }

    /// Scans one input and records its hits at `path`. I/O errors are reported as problems
    /// with `path`; hits found before an error are kept.
    pub fn scan_input(&self, origin: &Origin, path: &str, input: impl Read) {
        if let Some(hits) = self.hits_in(path, input) {
            self.record_all(origin, path, hits);
        }
    }

    /// Scans input that arrives over time (standard input) and records each hit as soon as
    /// its line has arrived, through `record` (which turns it into a location).
    pub fn scan_arriving(&self, path: &str, input: impl Read, mut record: impl FnMut(Located)) {
        let result = crate::source::arriving::scan_arriving(
            self.matcher,
            input,
            self.chunking,
            self.on_binary,
            &mut record,
        );
        match result {
            Ok(outcome) => {
                let _ = self.tally(outcome, Vec::new());
            }
            Err(e) => self.diagnostics.problem(path, format!("read error: {e}")),
        }
    }

    /// Records hits at `path`, from `origin`.
    pub fn record_all(&self, origin: &Origin, path: &str, hits: Vec<Located>) {
        for l in hits {
            let location = l.location(path, origin);
            self.record(l.hit, location);
        }
    }

    pub fn finish(self) -> Vec<Finding> {
        self.collector
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .finish()
    }
}

/// `location` with every secret in its strings redacted.
pub fn redact_location(matcher: &Matcher, mut location: Location) -> Location {
    let redact = |s: &mut String| *s = matcher.redact_text(s);
    redact(&mut location.path);
    if let Some(commit) = location.git.as_mut().and_then(|g| g.commit.as_mut()) {
        redact(&mut commit.author);
        redact(&mut commit.email);
        redact(&mut commit.summary);
    }
    if let Some(log) = location.log.as_mut() {
        for s in [
            &mut log.archive,
            &mut log.member,
            &mut log.job,
            &mut log.step,
            &mut log.timestamp,
            &mut log.run_url,
        ]
        .into_iter()
        .flatten()
        {
            redact(s);
        }
    }
    if let Some(image) = location.image.as_mut() {
        redact(&mut image.image);
        for s in [
            &mut image.tag,
            &mut image.file,
            &mut image.instruction,
            &mut image.manifest,
            &mut image.platform,
        ]
        .into_iter()
        .flatten()
        {
            redact(s);
        }
    }
    if let Some(chat) = location.chat.as_mut() {
        for s in [
            &mut chat.workspace,
            &mut chat.channel,
            &mut chat.author,
            &mut chat.time,
            &mut chat.message,
            &mut chat.thread,
            &mut chat.field,
            &mut chat.link,
        ]
        .into_iter()
        .flatten()
        {
            redact(s);
        }
    }
    location
}
