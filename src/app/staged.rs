//! `patrol staged [REPO]`: the pre-commit check, and how to put a blocked commit right.

use anyhow::Result;

use super::pipeline::scan_and_report;
use crate::cli::StagedArgs;
use crate::console::Console;
use crate::finding::Finding;
use crate::plan::{self, RepoConfig, Request};
use crate::source::staged::Staged;

pub fn run(args: StagedArgs) -> Result<i32> {
    let plan = plan::lower(Request {
        repo: RepoConfig::of_repository(&args.repo)?,
        detect: &args.detect,
        output: &args.output,
        respond: &args.respond,
        content: None,
        archives: None,
    })?;
    let staged = Staged {
        repo: args.repo.clone(),
    };
    let reported = scan_and_report(&plan, &[&staged])?;
    if !reported.findings.is_empty() {
        print_staged_help(&reported.findings, &plan.console);
    }
    Ok(reported.exit_code)
}

/// How to put a blocked commit right, on stderr (the report itself went to stdout).
fn print_staged_help(findings: &[Finding], console: &Console) {
    let mut places: Vec<(&str, u64)> = findings
        .iter()
        .flat_map(|f| f.locations.iter().map(|l| (l.path.as_str(), l.line)))
        .collect();
    places.sort();
    places.dedup();
    let mut lines = vec![
        String::new(),
        format!(
            "patrol: commit blocked: {} GitHub credential{} in the staged changes.",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        ),
        "To fix it:".to_string(),
    ];
    for (path, line) in &places {
        lines.push(format!(
            "  - remove the token from {path}:{line} (read it from the environment or a secret store instead)"
        ));
    }
    let mut paths: Vec<&str> = places.iter().map(|(p, _)| *p).collect();
    paths.dedup();
    lines.push(format!(
        "  - then stage the fixed file, or unstage it: git restore --staged {}",
        paths.join(" ")
    ));
    lines.push(
        "  - if the token was ever pushed, shared or pasted anywhere, treat it as leaked: revoke it \
         (GitHub → Settings → Developer settings → Personal access tokens) and create a new one"
            .to_string(),
    );
    console.block(lines);
}
