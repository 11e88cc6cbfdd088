//! `patrol hook install|uninstall`.

use anyhow::Result;

use crate::cli::HookAction;

pub fn run(action: HookAction) -> Result<i32> {
    match action {
        HookAction::Install { repo, force } => {
            let path = crate::hook::install(&repo, force)?;
            println!(
                "installed {}: commits that add GitHub credentials are blocked",
                path.display()
            );
        }
        HookAction::Uninstall { repo } => match crate::hook::uninstall(&repo)? {
            Some(path) => println!("removed {}", path.display()),
            None => println!("no pre-commit hook installed"),
        },
    }
    Ok(0)
}
