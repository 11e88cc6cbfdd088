//! `patrol completions SHELL` and `patrol man`: generated from the clap definition.

use std::io;

use anyhow::{Context, Result};

use crate::cli::{Cli, CompletionsArgs};

pub fn completions(args: CompletionsArgs) -> Result<i32> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(args.shell, &mut cmd, "patrol", &mut io::stdout());
    Ok(0)
}

pub fn man() -> Result<i32> {
    let cmd = <Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(cmd)
        .render(&mut io::stdout())
        .context("cannot write the manual page")?;
    Ok(0)
}
