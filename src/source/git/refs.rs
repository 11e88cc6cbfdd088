//! Ref selection: which commits the history scan starts from. Every ref (branches, tags,
//! remote-tracking refs, stash, notes) and `HEAD`, or only the branches named with `--branch`
//! (then not `HEAD`);
//! annotated tags' messages are scanned on the way (not again by an incremental scan that
//! recorded the tag as a tip). A ref that names a blob or a tree instead
//! of a commit (a lightweight tag on a file version: `git tag t $(git hash-object -w f)`) is
//! kept aside: the object it names is scanned and located with the ref's name.

use std::collections::HashSet;

use git2::{ErrorCode, ObjectType, Oid, Reference, Repository};

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

/// A blob or tree a ref names (through annotated tags, if any) instead of a commit.
pub(super) struct RefObject {
    /// The ref's full name (`refs/tags/t`).
    pub name: String,
    pub id: Oid,
    pub kind: ObjectType,
}

/// What ref `reference` names once its tags are peeled: a commit (`Ok(Ok(id))`), a blob or
/// tree (`Ok(Err(object))`), or an error to report.
fn peeled(reference: &Reference, name: &str) -> Result<Result<Oid, RefObject>, String> {
    let obj = reference
        .peel(ObjectType::Any)
        .map_err(|e| e.message().to_string())?;
    match obj.kind() {
        Some(ObjectType::Commit) => Ok(Ok(obj.id())),
        Some(kind @ (ObjectType::Blob | ObjectType::Tree)) => Ok(Err(RefObject {
            name: name.to_string(),
            id: obj.id(),
            kind,
        })),
        other => Err(format!(
            "points to an object that is no commit, tree or blob ({})",
            other.map_or("unknown", |k| k.str())
        )),
    }
}

/// Every ref that names a blob or a tree (for `--all-objects`, which reads commits from the
/// object database itself). A ref that cannot be read is left to the object walk, which
/// reports what it points to if that is missing.
pub(super) fn ref_objects(repo: &Repository) -> Result<Vec<RefObject>, GitError> {
    let mut out = Vec::new();
    for reference in repo.references()?.flatten() {
        let name = reference.name().unwrap_or("").to_string();
        if let Ok(Err(object)) = peeled(&reference, &name) {
            out.push(object);
        }
    }
    Ok(out)
}

/// The commits the selected refs point to (peeled), sorted and deduplicated; the blobs and
/// trees that refs name instead of a commit go to `objects`.
pub(super) fn ref_tips(
    scanner: &Scanner,
    repo: &Repository,
    opts: &GitOptions,
    objects: &mut Vec<RefObject>,
) -> Result<Vec<Oid>, GitError> {
    let mut out = Vec::new();
    let mut matched = vec![false; opts.branches.len()];
    // Tags recorded as tips (an incremental scan's) had their messages scanned then.
    let scanned: HashSet<Oid> = opts.scanned_tips.iter().copied().collect();
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
        if let Some(tag) = (!scanned.contains(&target))
            .then(|| repo.find_tag(target).ok())
            .flatten()
        {
            record_message(
                scanner,
                repo,
                "tag-message",
                tag.id(),
                tag.message_bytes().unwrap_or(b""),
            );
        }
        match peeled(&reference, &name) {
            Ok(Ok(commit)) => out.push(commit),
            Ok(Err(object)) => objects.push(object),
            Err(message) => scanner.diagnostics.problem(name, message),
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
