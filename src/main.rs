//! The `patrol` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = patrol::cli::Cli::parse();
    match patrol::app::run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            patrol::console::fatal(&patrol::matcher::redact::with_builtin_rules(&format!(
                "{e:#}"
            )));
            ExitCode::from(patrol::app::EXIT_ERROR as u8)
        }
    }
}
