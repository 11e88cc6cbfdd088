//! Ref selection: which commits the history scan starts from. Every ref (branches, tags,
//! remote-tracking refs, stash, notes) and `HEAD`, or only the branches named with `--branch`
//! (then not `HEAD`);
//! annotated tags' messages are scanned on the way.

use git2::{ErrorCode, ObjectType, Oid, Repository};

use super::attribution::record_message;
use super::{GitError, GitOptions};
use crate::scan::Scanner;

/// True when ref `name` is the branch the user named `wanted` (short name, full ref name, or the
/// remote-tracking branch of that name).
fn names_branch(name: &str, wanted: &str) -> bool {
    name == wanted
        || name == format!("refs/heads/{wanted}")
        || (name.starts_with("refs/remotes/") && name.ends_with(&format!("/{wanted}")))
}

/// The commits the selected refs point to (peeled), sorted and deduplicated.
pub(super) fn ref_tips(
    scanner: &Scanner,
    repo: &Repository,
    opts: &GitOptions,
) -> Result<Vec<Oid>, GitError> {
    let mut out = Vec::new();
    let mut matched = vec![false; opts.branches.len()];
    for reference in repo.references()? {
        let reference = match reference {
            Ok(r) => r,
            Err(e) => {
                scanner
                    .diagnostics
                    .problem("(refs)", e.message().to_string());
                continue;
            }
        };
        let name = reference.name().unwrap_or("").to_string();
        if !opts.branches.is_empty() {
            match opts.branches.iter().position(|b| names_branch(&name, b)) {
                Some(i) => matched[i] = true,
                None => continue,
            }
        }
        let Some(target) = reference.target() else {
            continue;
        };
        if let Ok(tag) = repo.find_tag(target) {
            record_message(
                scanner,
                repo,
                "tag-message",
                tag.id(),
                tag.message_bytes().unwrap_or(b""),
            );
        }
        match reference.peel(ObjectType::Commit) {
            Ok(obj) => out.push(obj.id()),
            Err(e) => scanner.diagnostics.problem(name, e.message().to_string()),
        }
    }
    if let Some(i) = matched.iter().position(|m| !m) {
        return Err(GitError::NoBranch(opts.branches[i].clone()));
    }
    // `--branch` limits the scan to those branches: HEAD only counts when no branch is named.
    if opts.branches.is_empty() {
        let head = match repo.head() {
            Ok(h) => h.peel(ObjectType::Commit).map(|c| Some(c.id())),
            // A repository without commits has no HEAD commit.
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(e),
        };
        match head {
            Ok(id) => out.extend(id),
            Err(e) => scanner.diagnostics.problem("HEAD", e.message().to_string()),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
