//! Commits read straight from the object database: each one's tree and parents parsed from its
//! raw object, the graph they form, and the order the attribution walk needs (parents before
//! children). Reading commits ourselves, rather than through a libgit2 revision walk, lets a walk
//! go around a missing or corrupt commit (reported as a problem) instead of stopping at it.

use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Odb, Oid, Repository};

use crate::scan::Scanner;

/// A commit's tree and parents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CommitNode {
    pub tree: Oid,
    pub parents: Vec<Oid>,
}

/// Parses the header of a raw commit object: its `tree` line and `parent` lines.
pub(super) fn parse_commit(raw: &[u8]) -> Option<CommitNode> {
    let mut tree = None;
    let mut parents = Vec::new();
    for line in raw.split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(hex) = line.strip_prefix(b"tree ") {
            tree = Some(oid_from_hex(hex)?);
        } else if let Some(hex) = line.strip_prefix(b"parent ") {
            parents.push(oid_from_hex(hex)?);
        } else if tree.is_some() {
            break;
        }
    }
    Some(CommitNode {
        tree: tree?,
        parents,
    })
}

fn oid_from_hex(hex: &[u8]) -> Option<Oid> {
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
}

/// Commits whose parents a shallow clone left out (`shallow` in the common git directory).
pub(super) fn shallow_boundary(repo: &Repository) -> HashSet<Oid> {
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .map(|text| {
            text.lines()
                .filter_map(|l| Oid::from_str(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads commit `id`; a missing, corrupt or malformed commit is reported as a problem.
/// Returns the node and the raw object (for its message).
pub(super) fn read_commit<'o>(
    scanner: &Scanner,
    odb: &'o Odb<'_>,
    id: Oid,
) -> Option<(CommitNode, git2::OdbObject<'o>)> {
    let problem = |message: String| scanner.diagnostics.problem(format!("commit {id}"), message);
    let obj = match odb.read(id) {
        Ok(o) => o,
        Err(e) => {
            problem(e.message().to_string());
            return None;
        }
    };
    if obj.kind() != ObjectType::Commit {
        problem(format!("expected a commit, found a {}", obj.kind().str()));
        return None;
    }
    let Some(node) = parse_commit(obj.data()) else {
        problem("malformed commit object".to_string());
        return None;
    };
    Some((node, obj))
}

/// The commits a walk has read, by id.
#[derive(Debug, Default)]
pub(super) struct CommitGraph {
    pub nodes: HashMap<Oid, CommitNode>,
}

impl CommitGraph {
    /// The commits reachable from `tips` within the graph, parents before children (so the
    /// first commit met that holds something is the one that introduced it).
    pub fn oldest_first(&self, tips: &[Oid]) -> Vec<Oid> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut done: HashSet<Oid> = HashSet::with_capacity(self.nodes.len());
        for &tip in tips {
            // Iterative post-order: (commit, index of the next parent to visit).
            let mut stack = vec![(tip, 0usize)];
            while let Some((id, next)) = stack.pop() {
                let Some(node) = self.nodes.get(&id) else {
                    continue;
                };
                if next == 0 && done.contains(&id) {
                    continue;
                }
                if let Some(&parent) = node.parents.get(next) {
                    stack.push((id, next + 1));
                    if !done.contains(&parent) {
                        stack.push((parent, 0));
                    }
                } else if done.insert(id) {
                    out.push(id);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    #[test]
    fn raw_commits_parse() {
        let raw = format!(
            "tree {}\nparent {}\nparent {}\nauthor A <a@x> 1 +0000\n\nmsg\nparent {}\n",
            id(1),
            id(2),
            id(3),
            id(4)
        );
        let node = parse_commit(raw.as_bytes()).unwrap();
        assert_eq!(node.tree, id(1));
        assert_eq!(node.parents, vec![id(2), id(3)]);
        assert!(parse_commit(b"author nobody\n\n").is_none());
        assert!(parse_commit(b"tree nothex\n").is_none());
    }

    #[test]
    fn parents_come_before_children_and_missing_commits_are_skipped() {
        // 1 <- 2 <- 4, 1 <- 3 <- 4 (merge), 2's parent 9 is missing.
        let mut g = CommitGraph::default();
        let node = |parents: Vec<Oid>| CommitNode {
            tree: id(0),
            parents,
        };
        g.nodes.insert(id(1), node(vec![]));
        g.nodes.insert(id(2), node(vec![id(1), id(9)]));
        g.nodes.insert(id(3), node(vec![id(1)]));
        g.nodes.insert(id(4), node(vec![id(2), id(3)]));
        let order = g.oldest_first(&[id(4), id(3)]);
        assert_eq!(order, vec![id(1), id(2), id(3), id(4)]);
    }
}
