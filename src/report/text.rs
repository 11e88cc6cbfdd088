//! `text`: for people. Grouped by secret, colour on a terminal (never with `NO_COLOR`), and a
//! one-line summary.

use std::io::{self, Write};

use super::Report;
use crate::console::escape;
use crate::diagnostics::human_bytes;
use crate::github::blast::{self, Severity};
use crate::github::state;
use crate::matcher::Checksum;

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let st = Style { on: r.color };
    for f in r.findings {
        let checksum = match f.checksum {
            Checksum::Invalid => st.paint("33", "checksum INVALID (not a live credential)"),
            other => format!("checksum {}", other.as_str()),
        };
        writeln!(
            out,
            "{}  {}  [{}, confidence {}, {}]",
            st.paint("1;31", &escape(&r.secrets.text(&f.secret))),
            st.paint("1", f.kind.describe()),
            escape(&f.rule),
            f.confidence.as_str(),
            checksum
        )?;
        writeln!(out, "    fingerprint {}", &f.fingerprint[..16])?;
        if let Some(v) = &f.verification {
            let text = escape(&v.describe()).into_owned();
            let painted = if v.is_live() {
                st.paint("1;31", &text)
            } else {
                text
            };
            writeln!(out, "    verified: {painted}")?;
        }
        if let Some(b) = &f.blast_radius {
            let text = escape(&blast::describe(b)).into_owned();
            let painted = if b.severity <= Severity::High {
                st.paint("1;31", &text)
            } else {
                text
            };
            writeln!(out, "    blast radius: {painted}")?;
        }
        if let Some(r) = &f.revocation {
            writeln!(out, "    revocation: {}", escape(&r.describe()))?;
        }
        if let Some(s) = state::of(f).filter(|_| f.revocation.is_some()) {
            writeln!(out, "    state: {}", escape(&s.text))?;
        }
        for l in &f.locations {
            let via = if l.decoded.is_empty() {
                String::new()
            } else {
                let chain: Vec<_> = l.decoded.iter().map(|e| e.as_str()).collect();
                format!(" (decoded: {})", chain.join(" → "))
            };
            writeln!(
                out,
                "    {}:{}:{}{}",
                st.paint("36", &escape(&l.path)),
                l.line,
                l.column,
                via
            )?;
            if let Some(image) = &l.image {
                writeln!(out, "      {}", escape(&image_line(image)))?;
            }
            if let Some(chat) = &l.chat {
                writeln!(out, "      {}", escape(&super::chat_line(chat)))?;
            }
        }
        let unlisted = f.location_count.saturating_sub(f.locations.len() as u64);
        if unlisted > 0 {
            writeln!(
                out,
                "    … and {unlisted} more location{} ({} in all; --max-locations lists more)",
                plural(unlisted),
                f.location_count
            )?;
        }
        writeln!(out)?;
    }
    for s in r.suppressed {
        let f = &s.finding;
        let first = &f.locations[0];
        writeln!(
            out,
            "suppressed ({}): {}  {}  {}:{}:{}",
            s.reason.as_str(),
            escape(&r.secrets.text(&f.secret)),
            f.kind.describe(),
            escape(&first.path),
            first.line,
            first.column
        )?;
    }
    if !r.suppressed.is_empty() {
        writeln!(out)?;
    }
    if r.list_problems && !r.problems.is_empty() {
        writeln!(out, "not scanned completely:")?;
        for p in r.problems {
            writeln!(out, "    {}: {}", escape(&p.path), escape(&p.message))?;
        }
        writeln!(out)?;
    }
    if r.quiet {
        return Ok(());
    }
    let s = r.stats;
    let locations: usize = r.findings.iter().map(|f| f.location_count as usize).sum();
    let mut line = if r.findings.is_empty() {
        "no GitHub credentials found".to_string()
    } else {
        format!(
            "{} secret{} at {} location{}",
            r.findings.len(),
            plural(r.findings.len() as u64),
            locations,
            plural(locations as u64)
        )
    };
    line.push_str(&format!(
        "; scanned {} file{}, {} in {:.2}s",
        s.files,
        plural(s.files),
        human_bytes(s.bytes),
        s.elapsed_ms as f64 / 1000.0
    ));
    if s.skipped_binary > 0 {
        line.push_str(&format!("; {} binary skipped", s.skipped_binary));
    }
    if s.skipped_large > 0 {
        line.push_str(&format!(
            "; {} over --max-file-size skipped",
            s.skipped_large
        ));
    }
    if s.skipped_special > 0 {
        line.push_str(&format!(
            "; {} FIFO/socket/device skipped",
            s.skipped_special
        ));
    }
    if s.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", s.suppressed));
        if s.baseline > 0 {
            line.push_str(&format!(" ({} in the baseline)", s.baseline));
        }
    }
    if s.errors > 0 {
        let place = if r.list_problems {
            "listed above"
        } else {
            "see above"
        };
        line.push_str(&format!(
            "; {} error{} ({place}): INCOMPLETE, {} input{} not scanned completely",
            s.errors,
            plural(s.errors),
            s.errors,
            plural(s.errors)
        ));
    }
    writeln!(out, "{line}")
}

/// An image location's context: image, platform, layer or config part, deletion, instruction.
fn image_line(i: &crate::finding::ImageContext) -> String {
    let mut parts = vec![match &i.tag {
        Some(tag) => format!("image {} ({tag})", i.image),
        None => format!("image {}", i.image),
    }];
    parts.extend(i.platform.clone());
    parts.push(format!("{} {}", i.part, i.digest));
    if let Some(deleted) = i.deleted_later {
        let yes = if deleted { "yes" } else { "no" };
        parts.push(format!("deleted in a later layer: {yes}"));
    }
    if let Some(instruction) = &i.instruction {
        parts.push(format!("added by: {instruction}"));
    }
    parts.join(", ")
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
