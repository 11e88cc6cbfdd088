//! `patrol github`: every repository of organisations, users or a list, scanned incrementally
//! through a mirror cache and a datastore.

use anyhow::Result;

use crate::cli::GithubArgs;

pub fn run(args: GithubArgs) -> Result<i32> {
    let _ = args;
    anyhow::bail!("patrol github: not implemented yet")
}
