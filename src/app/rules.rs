//! `patrol rules`: list the rules in use (built-in and `--rules` files), text or json.

use std::io::{self, BufWriter, Write};

use anyhow::Result;

use crate::cli::RulesArgs;
use crate::config::Config;
use crate::plan;
use crate::report::Format;

pub fn run(args: RulesArgs) -> Result<i32> {
    let rules = plan::resolve_rules(&args.rules, &Config::default())?;
    // Compiling checks the user's regexes too.
    plan::compile_all(&rules)?;
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Json | Format::Jsonl | Format::Sarif => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "kind": r.kind, "confidence": r.confidence,
                        "description": r.description, "literals": r.literals,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        Format::Text => {
            let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let k = rules.iter().map(|r| r.kind.len()).max().unwrap_or(0);
            for r in &rules {
                writeln!(
                    out,
                    "{:w$}  {:k$}  {:6}  {}",
                    r.id,
                    r.kind,
                    r.confidence.as_str(),
                    r.description
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
