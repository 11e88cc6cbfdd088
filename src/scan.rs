//! Ties the pieces together for one run: every input a source opens goes through the chunked
//! reader and the matcher, and its hits into one shared [`Collector`].

use std::io::Read;
use std::sync::Mutex;

use crate::diagnostics::Diagnostics;
use crate::finding::{Collector, Finding, Location, SourceKind};
use crate::matcher::{Hit, Matcher};
use crate::source::reader::{self, Chunking, Located, Outcome};

pub struct Scanner<'a> {
    pub matcher: &'a Matcher,
    pub diagnostics: &'a Diagnostics,
    pub chunking: Chunking,
    /// Skip inputs that look binary.
    pub skip_binary: bool,
    collector: Mutex<Collector>,
}

impl<'a> Scanner<'a> {
    pub fn new(
        matcher: &'a Matcher,
        diagnostics: &'a Diagnostics,
        chunk_size: usize,
        skip_binary: bool,
    ) -> Self {
        Scanner {
            matcher,
            diagnostics,
            chunking: Chunking::new(matcher, chunk_size),
            skip_binary,
            collector: Mutex::new(Collector::default()),
        }
    }

    /// Scans one input and returns its hits without recording them, for sources that know
    /// their locations only later (git blobs are attributed to commits after the scan).
    /// `None` when the input looked binary and was skipped.
    pub fn scan_only(
        &self,
        path: &str,
        input: impl Read,
        size_hint: Option<u64>,
    ) -> Option<Vec<Located>> {
        let mut hits = Vec::new();
        let result = reader::scan_stream(
            self.matcher,
            input,
            size_hint,
            self.chunking,
            self.skip_binary,
            |l| hits.push(l),
        );
        match result {
            Ok(Outcome::Scanned(bytes)) => {
                self.diagnostics.scanned(bytes);
                Some(hits)
            }
            Ok(Outcome::Binary) => {
                self.diagnostics.skipped_binary();
                None
            }
            Err(e) => {
                self.diagnostics.problem(path, format!("read error: {e}"));
                Some(hits)
            }
        }
    }

    /// Records a hit at `location`.
    pub fn record(&self, hit: Hit, location: Location) {
        let rule = &self.matcher.rule(hit.rule).id;
        let mut c = self.collector.lock().unwrap_or_else(|e| e.into_inner());
        c.add(hit, rule, location);
    }

    /// Scans one input (`size_hint`: its length, when known). I/O errors are reported as problems with `path`; hits found before an
    /// error are kept.
    pub fn scan_input(
        &self,
        source: SourceKind,
        path: &str,
        input: impl Read,
        size_hint: Option<u64>,
    ) {
        let result = reader::scan_stream(
            self.matcher,
            input,
            size_hint,
            self.chunking,
            self.skip_binary,
            |l| {
                let location = Location {
                    source,
                    path: path.to_string(),
                    line: l.line,
                    column: l.column,
                    offset: l.offset,
                    decoded: l.hit.decoded.clone(),
                    git: None,
                };
                self.record(l.hit, location);
            },
        );
        match result {
            Ok(Outcome::Scanned(bytes)) => self.diagnostics.scanned(bytes),
            Ok(Outcome::Binary) => self.diagnostics.skipped_binary(),
            Err(e) => self.diagnostics.problem(path, format!("read error: {e}")),
        }
    }

    pub fn finish(self) -> Vec<Finding> {
        self.collector
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .finish()
    }
}
