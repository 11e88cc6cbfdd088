//! What a layer does to the layers below it, for `deleted in a later layer`: the paths it
//! deletes (whiteouts `.wh.NAME`), the directories whose lower content it hides (opaque
//! markers `.wh..wh..opq`), and every path it puts something at — a file, a symbolic or hard
//! link, a directory — which replaces whatever a lower layer had at that path.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// What a layer does to the layers below it.
#[derive(Default)]
pub struct Changes {
    /// Paths a whiteout deletes (`dir/.wh.name` deletes `dir/name` and what is below it).
    whiteouts: HashSet<String>,
    /// Directories whose content below this layer an opaque marker (`.wh..wh..opq`) hides.
    opaque: HashSet<String>,
    /// Hashes of the paths the layer puts anything at: what a lower layer had there is gone.
    paths: HashSet<u64>,
}

fn path_hash(path: &str) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

/// A member name as a path in the image: no `./` or `/` in front, no `/` at the end.
pub fn normalise(name: &str) -> &str {
    let mut s = name;
    while let Some(rest) = s.strip_prefix("./").or_else(|| s.strip_prefix('/')) {
        s = rest;
    }
    s.trim_end_matches('/')
}

impl Changes {
    /// Notes an entry of the layer, of any type (file, link, directory, whiteout).
    pub fn note(&mut self, name: &str) {
        let path = normalise(name);
        let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
        if base == ".wh..wh..opq" {
            self.opaque.insert(dir.to_string());
        } else if let Some(target) = base.strip_prefix(".wh.") {
            let target = if dir.is_empty() {
                target.to_string()
            } else {
                format!("{dir}/{target}")
            };
            self.whiteouts.insert(target);
        } else {
            self.paths.insert(path_hash(path));
        }
    }

    /// True when this layer deletes or replaces `path` of a layer below.
    pub fn removes(&self, path: &str) -> bool {
        let path = normalise(path);
        if self.paths.contains(&path_hash(path)) {
            return true;
        }
        let mut p = path;
        loop {
            if self.whiteouts.contains(p) {
                return true;
            }
            let parent = p.rsplit_once('/').map_or("", |(parent, _)| parent);
            if self.opaque.contains(parent) {
                return true;
            }
            if parent.is_empty() {
                return false;
            }
            p = parent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_opaque_directories_and_replacements() {
        let mut c = Changes::default();
        c.note("./etc/.wh.npmrc");
        c.note("root/.wh.secrets");
        c.note("app/config/.wh..wh..opq");
        c.note("/srv/token.txt");
        assert!(c.removes("etc/npmrc"));
        assert!(c.removes("root/secrets/a/b"));
        assert!(!c.removes("root/secretsX"));
        assert!(c.removes("app/config/prod.env"));
        assert!(!c.removes("app/config"));
        assert!(c.removes("./srv/token.txt"));
        assert!(!c.removes("srv/other.txt"));
        let mut root = Changes::default();
        root.note(".wh..wh..opq");
        assert!(root.removes("anything/at/all"));
    }
}
