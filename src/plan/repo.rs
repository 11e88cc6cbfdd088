//! Repository configuration: the texts of `patrol.toml` and `.patrolallow` that apply to a run,
//! read in one place. A command names the directory they come from (the scanned directory, or a
//! repository's work tree); a source that knows better (git history read from a base revision)
//! supplies the texts itself with [`RepoConfig::from_texts`].

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, FILE_NAME};
use crate::source::git;
use crate::suppress::{ALLOW_FILE, SuppressError};

/// A configuration file's contents and the name its errors are reported under.
#[derive(Debug, Clone)]
pub struct NamedText {
    pub name: String,
    pub text: String,
}

/// The repository configuration for one run; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct RepoConfig {
    /// `patrol.toml` (`--config FILE` replaces it).
    pub patrol_toml: Option<NamedText>,
    /// `.patrolallow`: allowlisted fingerprints.
    pub allow: Option<NamedText>,
    /// `.patrolignore`, for sources that read one.
    pub ignore: Option<NamedText>,
}

/// Why repository configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RepoConfigError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Allow(#[from] SuppressError),
}

impl RepoConfig {
    /// No repository configuration at all.
    pub fn none() -> RepoConfig {
        RepoConfig::default()
    }

    /// Configuration given as texts (e.g. read from a git tree).
    pub fn from_texts(
        patrol_toml: Option<NamedText>,
        allow: Option<NamedText>,
        ignore: Option<NamedText>,
    ) -> RepoConfig {
        RepoConfig {
            patrol_toml,
            allow,
            ignore,
        }
    }

    /// The files in the tree of a range's base revision (see [`git::config`]).
    pub fn at_revision(base: &git::config::BaseConfig) -> RepoConfig {
        let short = &base.base.to_string()[..12];
        let [toml, allow, ignore] = git::config::REPO_CONFIG_FILES;
        let text = |name: &str, bytes: &Option<Vec<u8>>| {
            bytes.as_ref().map(|b| NamedText {
                name: format!("{name} (as of {short})"),
                text: String::from_utf8_lossy(b).into_owned(),
            })
        };
        RepoConfig {
            patrol_toml: text(toml, &base.patrol_toml),
            allow: text(allow, &base.allow),
            ignore: text(ignore, &base.ignore),
        }
    }

    /// The files at the top of directory `root`, when they exist.
    pub fn from_dir(root: &Path) -> Result<RepoConfig, RepoConfigError> {
        let toml = root.join(FILE_NAME);
        let patrol_toml = read_if_file(&toml).map_err(|source| ConfigError::Read {
            path: toml.display().to_string(),
            source,
        })?;
        let allow_path = root.join(ALLOW_FILE);
        let allow = read_if_file(&allow_path).map_err(|source| SuppressError::Read {
            path: allow_path.display().to_string(),
            source,
        })?;
        Ok(RepoConfig {
            patrol_toml,
            allow,
            ignore: None,
        })
    }

    /// The configuration of the repository at or above `path` (its work tree, or its git
    /// directory when bare); `path` itself when it is not in a repository.
    pub fn of_repository(path: &Path) -> Result<RepoConfig, RepoConfigError> {
        RepoConfig::from_dir(&repository_root(path))
    }

    /// The configuration of the first directory among the paths scanned (`.` when none is).
    pub fn of_scanned_paths(paths: &[PathBuf]) -> Result<RepoConfig, RepoConfigError> {
        let root = paths
            .iter()
            .find(|p| p.is_dir())
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        RepoConfig::from_dir(&root)
    }

    /// The configuration of the current directory.
    pub fn of_current_dir() -> Result<RepoConfig, RepoConfigError> {
        RepoConfig::from_dir(Path::new("."))
    }
}

fn read_if_file(path: &Path) -> Result<Option<NamedText>, std::io::Error> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)?;
    Ok(Some(NamedText {
        name: path.display().to_string(),
        text,
    }))
}

/// The work tree (or git directory) of the repository at `path`.
fn repository_root(path: &Path) -> PathBuf {
    git::open(path)
        .ok()
        .map(|r| r.workdir().unwrap_or_else(|| r.path()).to_path_buf())
        .unwrap_or_else(|| path.to_path_buf())
}
