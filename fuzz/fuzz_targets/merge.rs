//! `patrol merge`'s report reader on arbitrary bytes: a report that parses is merged with
//! itself and finished without `--show-secrets`.
//!
//! Properties: no panic, and every secret the merged report holds is redacted (a report written
//! with `--show-secrets` never passes through a merge whole).

#![no_main]

use libfuzzer_sys::fuzz_target;
use patrol::merge::sarif::SarifMerger;
use patrol::merge::{self, Input, Merger};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match merge::read("fuzz", &text) {
        Ok(Input::Json(_)) => {
            let mut merger = Merger::new(2);
            for _ in 0..2 {
                if let Ok(Input::Json(report)) = merge::read("fuzz", &text) {
                    merger.add(*report);
                }
            }
            let merged = merger.finish(false);
            for f in merged
                .findings
                .iter()
                .chain(merged.suppressed.iter().map(|s| &s.finding))
            {
                assert!(
                    f.secret.expose().ends_with("…".as_bytes()),
                    "a secret shown whole"
                );
                assert!(f.locations.len() <= 2);
            }
        }
        Ok(Input::Sarif(doc)) => {
            let mut merger = SarifMerger::default();
            merger.add(doc.clone());
            merger.add(doc);
            let (out, _) = merger.finish(false, |_| false);
            for r in out["runs"][0]["results"].as_array().into_iter().flatten() {
                let secret = r["properties"]["secret"].as_str().unwrap_or("…");
                assert!(secret.ends_with('…'), "a secret shown whole");
            }
        }
        Err(_) => {}
    }
});
