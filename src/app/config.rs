//! `patrol config check [FILE]`: a configuration's syntax, keys, rules and disabled ids.

use anyhow::Result;

use crate::cli::{ConfigAction, ConfigArgs};
use crate::config::Config;
use crate::plan;

pub fn run(args: ConfigArgs) -> Result<i32> {
    match args.action {
        ConfigAction::Check { file } => {
            let config = Config::load(&file)?;
            let rules = plan::resolve_rules(&[], &config)?;
            plan::compile_all(&rules)?;
            println!(
                "{}: ok ({} rule(s), {} disabled, {} exclude(s), {} allowlisted fingerprint(s), {} placeholder word(s))",
                file.display(),
                config.rule.len(),
                config.disabled_rules.len(),
                config.exclude.len(),
                config.allow.len(),
                config.placeholders.len()
            );
            Ok(0)
        }
    }
}
