//! Repository configuration as of a revision. A scan of a range (`--since REV`, `--range A..B`)
//! must not let the range switch itself off: its `patrol.toml`, `.patrolallow` and
//! `.patrolignore` are read from the base revision's tree, not from the work tree (which holds
//! the range's own versions), and a change to any of them inside the range is reported as a
//! notice.

use std::path::Path;

use git2::{ObjectType, Oid, Repository};

use super::{GitError, GitOptions, open};

/// The repository configuration files, at the top of a repository's tree.
pub const REPO_CONFIG_FILES: [&str; 3] = [
    crate::config::FILE_NAME,
    crate::suppress::ALLOW_FILE,
    crate::source::files::IGNORE_FILE,
];

/// The two ends of the range `opts` asks for (`REV` and `HEAD` for `--since REV`, `A` and `B`
/// for `--range A..B`), or `None` when the whole history is scanned.
pub fn range_ends(repo: &Repository, opts: &GitOptions) -> Result<Option<(Oid, Oid)>, GitError> {
    opts.range()
        .map(|range| resolve_range(repo, &range))
        .transpose()
}

/// The commits at the two ends of `A..B`.
pub(super) fn resolve_range(repo: &Repository, range: &str) -> Result<(Oid, Oid), GitError> {
    let bad = |message: String| GitError::Revision {
        rev: range.to_string(),
        message,
    };
    let spec = repo
        .revparse(range)
        .map_err(|e| bad(e.message().to_string()))?;
    let (Some(from), Some(to)) = (spec.from(), spec.to()) else {
        return Err(bad("expected a range A..B".to_string()));
    };
    let commit = |o: &git2::Object| {
        o.peel(ObjectType::Commit)
            .map(|c| c.id())
            .map_err(|e| bad(e.message().to_string()))
    };
    Ok((commit(from)?, commit(to)?))
}

/// The content of the blob at `path` (slash-separated, from the top) in `commit`'s tree, or
/// `None` when there is no file there.
pub fn file_at(repo: &Repository, commit: Oid, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    let tree = repo.find_commit(commit)?.tree()?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(None);
    }
    Ok(Some(repo.find_blob(entry.id())?.content().to_vec()))
}

/// The repository configuration files whose content differs between commits `base` and `tip`
/// (added, changed or removed).
pub fn config_files_changed(
    repo: &Repository,
    base: Oid,
    tip: Oid,
) -> Result<Vec<&'static str>, GitError> {
    let mut out = Vec::new();
    for name in REPO_CONFIG_FILES {
        if file_at(repo, base, name)? != file_at(repo, tip, name)? {
            out.push(name);
        }
    }
    Ok(out)
}

/// The repository configuration a range scan uses: each file as of the base revision.
#[derive(Debug, Clone)]
pub struct BaseConfig {
    /// The base revision the files were read from.
    pub base: Oid,
    /// `patrol.toml`, `.patrolallow` and `.patrolignore` as of `base` (absent: `None`).
    pub patrol_toml: Option<Vec<u8>>,
    pub allow: Option<Vec<u8>>,
    pub ignore: Option<Vec<u8>>,
}

/// For a range scan of the repository at or above `path`, its configuration as of the base
/// revision; `None` when `opts` asks for the whole history.
pub fn config_at_base(path: &Path, opts: &GitOptions) -> Result<Option<BaseConfig>, GitError> {
    let repo = open(path)?;
    let Some((base, _)) = range_ends(&repo, opts)? else {
        return Ok(None);
    };
    let [toml, allow, ignore] = REPO_CONFIG_FILES;
    Ok(Some(BaseConfig {
        base,
        patrol_toml: file_at(&repo, base, toml)?,
        allow: file_at(&repo, base, allow)?,
        ignore: file_at(&repo, base, ignore)?,
    }))
}

/// The notice for configuration files changed inside a range, if any changed.
pub fn config_change_notice(changed: &[&str]) -> Option<String> {
    (!changed.is_empty()).then(|| {
        format!(
            "repository configuration changed in the scanned range ({}): the range's own \
             configuration is not used",
            changed.join(", ")
        )
    })
}
