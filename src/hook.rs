//! The pre-commit hook: `patrol hook install` writes a hook that runs `patrol staged` into the
//! repository's hooks directory (`core.hooksPath` when set); it never replaces a hook it did
//! not write unless forced, and `uninstall` removes only a hook patrol wrote.

use std::path::{Path, PathBuf};

use crate::source::git::{GitError, open};

/// The line that marks a hook as patrol's.
const MARKER: &str = "# Installed by `patrol hook install`";

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0} exists and was not written by patrol; pass --force to replace it")]
    Foreign(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where git looks for hooks in the repository at or above `path`.
pub fn hooks_dir(path: &Path) -> Result<PathBuf, HookError> {
    let repo = open(path)?;
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

fn script(binary: &Path) -> String {
    let quoted = binary.display().to_string().replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n{MARKER}: blocks commits that add GitHub credentials.\n\
         # Remove it with `patrol hook uninstall`.\n\
         # Every non-zero exit blocks the commit: findings (1) and an incomplete scan (5) alike.\n\
         PATROL='{quoted}'\n\
         [ -x \"$PATROL\" ] || PATROL=patrol\n\
         exec \"$PATROL\" staged\n"
    )
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HookError + '_ {
    move |source| HookError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_ours(hook: &Path) -> bool {
    std::fs::read_to_string(hook).is_ok_and(|s| s.contains(MARKER))
}

/// Writes the pre-commit hook; returns its path.
pub fn install(repo: &Path, force: bool) -> Result<PathBuf, HookError> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join("pre-commit");
    if hook.exists() && !force && !is_ours(&hook) {
        return Err(HookError::Foreign(hook));
    }
    let binary = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("patrol"));
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    std::fs::write(&hook, script(&binary)).map_err(io(&hook))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .map_err(io(&hook))?;
    }
    Ok(hook)
}

/// Removes the pre-commit hook if patrol wrote it; `None` when there was none.
pub fn uninstall(repo: &Path) -> Result<Option<PathBuf>, HookError> {
    let hook = hooks_dir(repo)?.join("pre-commit");
    if !hook.exists() {
        return Ok(None);
    }
    if !is_ours(&hook) {
        return Err(HookError::Foreign(hook));
    }
    std::fs::remove_file(&hook).map_err(io(&hook))?;
    Ok(Some(hook))
}
