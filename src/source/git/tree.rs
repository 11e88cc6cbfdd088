//! Raw tree objects: the parser for git's binary tree format (`<mode> <name>\0<20-byte id>`
//! repeated), and the cache of trees read during the scan that the attribution walk reuses.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use git2::{ObjectType, Odb, Oid, Repository};

/// A tree object that does not follow git's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed tree object")]
pub struct MalformedTree;

/// Calls `f(name, id, kind)` for each entry of a raw tree object, in order: `kind` is
/// [`ObjectType::Tree`] for a subtree, [`ObjectType::Commit`] for a submodule (gitlink) and
/// [`ObjectType::Blob`] for anything else. Stops at the first malformed entry; the entries
/// before it have been handed to `f`. Public for the `git_tree` fuzz target (`fuzz/`).
pub fn parse_entries(
    raw: &[u8],
    mut f: impl FnMut(&[u8], Oid, ObjectType),
) -> Result<(), MalformedTree> {
    let mut i = 0;
    while i < raw.len() {
        let sp = memchr::memchr(b' ', &raw[i..]).ok_or(MalformedTree)?;
        let mode = &raw[i..i + sp];
        let name_start = i + sp + 1;
        let nul = memchr::memchr(0, &raw[name_start..]).ok_or(MalformedTree)?;
        let id_start = name_start + nul + 1;
        let id = raw
            .get(id_start..id_start + 20)
            .and_then(|b| Oid::from_bytes(b).ok())
            .ok_or(MalformedTree)?;
        let kind = match mode {
            b"40000" => ObjectType::Tree,
            b"160000" => ObjectType::Commit,
            _ => ObjectType::Blob,
        };
        f(&raw[name_start..name_start + nul], id, kind);
        i = id_start + 20;
    }
    Ok(())
}

/// Raw tree objects kept from the scan for the attribution walk, within a memory budget
/// (beyond it the walk reads trees again through libgit2).
pub(super) struct TreeCache {
    map: Mutex<HashMap<Oid, Box<[u8]>>>,
    left: AtomicUsize,
}

impl TreeCache {
    const BUDGET: usize = 192 << 20;

    pub(super) fn new() -> TreeCache {
        TreeCache {
            map: Mutex::new(HashMap::new()),
            left: AtomicUsize::new(Self::BUDGET),
        }
    }

    /// Keeps a copy of `raw` if the budget allows.
    pub(super) fn keep(&self, oid: Oid, raw: &[u8]) {
        let cost = raw.len() + 64;
        if self
            .left
            .fetch_update(Relaxed, Relaxed, |l| l.checked_sub(cost))
            .is_ok()
        {
            self.map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(oid, raw.into());
        }
    }

    pub(super) fn into_map(self) -> HashMap<Oid, Box<[u8]>> {
        self.map.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// Hands the entries of tree `oid` to `f`, from `cache` or else from the repository.
pub(super) fn read_entries(
    repo: &Repository,
    cache: &HashMap<Oid, Box<[u8]>>,
    oid: Oid,
    f: impl FnMut(&[u8], Oid, ObjectType),
) -> Result<(), git2::Error> {
    let parsed = match cache.get(&oid) {
        Some(raw) => parse_entries(raw, f),
        None => parse_entries(repo.odb()?.read(oid)?.data(), f),
    };
    parsed.map_err(|e| git2::Error::from_str(&e.to_string()))
}

/// One entry of a tree: name, id, kind (as [`parse_entries`] gives them).
type Entry = (Vec<u8>, Oid, ObjectType);

/// The entries of tree `id`; an unreadable or malformed tree is an error, with the entries read
/// before the damage.
fn read_tree(odb: &Odb, id: Oid) -> (Vec<Entry>, Option<String>) {
    let obj = match odb.read(id) {
        Ok(o) => o,
        Err(e) => return (Vec::new(), Some(e.message().to_string())),
    };
    if obj.kind() != ObjectType::Tree {
        return (
            Vec::new(),
            Some(format!("expected a tree, found a {}", obj.kind().str())),
        );
    }
    let mut entries = Vec::new();
    let parsed = parse_entries(obj.data(), |name, id, kind| {
        entries.push((name.to_vec(), id, kind))
    });
    (entries, parsed.err().map(|e| e.to_string()))
}

/// What tree `new` holds that tree `old` (a parent commit's, or none) does not: calls
/// `on_blob(id, path)` for each blob added or changed, `on_gitlink()` for each submodule entry
/// added or changed (submodules are not entered), and `on_problem(tree, message)` for each tree
/// that cannot be read — the walk goes on around it (an unreadable `old` counts as empty, so
/// everything under `new` is scanned).
pub(super) fn introduced_blobs(
    odb: &Odb,
    old: Option<Oid>,
    new: Oid,
    on_blob: &mut dyn FnMut(Oid, String),
    on_gitlink: &mut dyn FnMut(),
    on_problem: &mut dyn FnMut(Oid, String),
) {
    let mut stack = vec![(old, new, String::new())];
    while let Some((old, new, prefix)) = stack.pop() {
        if old == Some(new) {
            continue;
        }
        let (entries, damage) = read_tree(odb, new);
        if let Some(message) = damage {
            on_problem(new, message);
        }
        let mut before: HashMap<Vec<u8>, (Oid, ObjectType)> = HashMap::new();
        if let Some(old) = old {
            let (old_entries, damage) = read_tree(odb, old);
            if let Some(message) = damage {
                on_problem(old, message);
            }
            before.extend(old_entries.into_iter().map(|(n, i, k)| (n, (i, k))));
        }
        for (name, id, kind) in entries {
            let was = before.get(&name).copied();
            if was.is_some_and(|(i, _)| i == id) {
                continue;
            }
            let name = String::from_utf8_lossy(&name);
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            match kind {
                ObjectType::Tree => {
                    let old_subtree = was.filter(|(_, k)| *k == ObjectType::Tree).map(|(i, _)| i);
                    stack.push((old_subtree, id, path));
                }
                ObjectType::Blob => on_blob(id, path),
                _ => on_gitlink(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_trees_parse() {
        let id = [7u8; 20];
        let mut raw = b"100644 a.txt\0".to_vec();
        raw.extend_from_slice(&id);
        raw.extend_from_slice(b"40000 dir\0");
        raw.extend_from_slice(&id);
        raw.extend_from_slice(b"160000 sub\0");
        raw.extend_from_slice(&id);
        let mut got = Vec::new();
        assert!(parse_entries(&raw, |n, o, k| got.push((n.to_vec(), o, k))).is_ok());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, b"a.txt");
        assert_eq!(got[0].2, ObjectType::Blob);
        assert_eq!(got[1].2, ObjectType::Tree);
        assert_eq!(got[2].2, ObjectType::Commit);
        assert_eq!(
            parse_entries(&raw[..raw.len() - 3], |_, _, _| {}),
            Err(MalformedTree)
        );
        assert_eq!(
            parse_entries(b"100644 no-nul", |_, _, _| {}),
            Err(MalformedTree)
        );
        assert_eq!(parse_entries(b"", |_, _, _| {}), Ok(()));
    }
}
