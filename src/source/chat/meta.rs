//! The names an export keeps beside its messages: Slack's `users.json` (user id → display
//! name) and `channels.json`, `groups.json`, `mpims.json`, `dms.json` (channel name → id, for
//! links), and the `channel.json` beside each of Discord's data-package channels. Read once per
//! export directory, on disk or in a zip, and shared by the scanning threads ([`Exports`]).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value;

use super::MAX_CHAT;

/// Side files read as metadata, by file name.
pub const SIDE_FILES: [&str; 6] = [
    "users.json",
    "channels.json",
    "groups.json",
    "mpims.json",
    "dms.json",
    "channel.json",
];

/// Names read from one export directory's side files.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Slack user id → display name.
    pub users: HashMap<String, String>,
    /// Slack channel folder name → channel id.
    pub channels: HashMap<String, String>,
    /// Discord data package: the channel's `channel.json`.
    pub discord_channel: Option<Value>,
}

#[derive(Deserialize)]
struct SlackUser {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    profile: Option<SlackProfile>,
}

#[derive(Deserialize)]
struct SlackProfile {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    real_name: Option<String>,
}

impl SlackUser {
    fn display(self) -> Option<(String, String)> {
        let profile = self.profile.unwrap_or(SlackProfile {
            display_name: None,
            real_name: None,
        });
        let name = [
            profile.display_name,
            profile.real_name,
            self.real_name,
            self.name,
        ]
        .into_iter()
        .flatten()
        .find(|n| !n.is_empty())?;
        Some((self.id, name))
    }
}

#[derive(Deserialize)]
struct SlackChannel {
    id: String,
    /// Absent for direct messages, whose folder is their id.
    #[serde(default)]
    name: Option<String>,
}

impl Meta {
    /// Adds what the side file `file_name` holds; a file that does not parse adds nothing (the
    /// names are a convenience: its bytes are scanned like any file's).
    pub fn add(&mut self, file_name: &str, input: impl Read) {
        let input = std::io::BufReader::new(input.take(MAX_CHAT));
        match file_name {
            "users.json" => {
                if let Ok(users) = serde_json::from_reader::<_, Vec<SlackUser>>(input) {
                    self.users
                        .extend(users.into_iter().filter_map(SlackUser::display));
                }
            }
            "channel.json" => {
                self.discord_channel = serde_json::from_reader(input).ok();
            }
            _ => {
                if let Ok(channels) = serde_json::from_reader::<_, Vec<SlackChannel>>(input) {
                    for c in channels {
                        self.channels
                            .insert(c.name.unwrap_or_else(|| c.id.clone()), c.id);
                    }
                }
            }
        }
    }
}

/// The export directory a shown path is in, as a key: everything up to its last `/` or `!`
/// (`a.zip!general/` for `a.zip!general/2024-01-02.json`, `` for `users.json`).
pub fn dir_key(shown: &str) -> &str {
    shown.rfind(['/', '!']).map_or("", |i| &shown[..=i])
}

/// The directory above: `a.zip!` for `a.zip!general/`, `exp/` for `exp/general/`.
pub fn parent_key(dir: &str) -> &str {
    dir_key(dir.strip_suffix('/').unwrap_or(dir))
}

/// The side files of every export directory met in one run, by [`dir_key`].
#[derive(Default)]
pub struct Exports {
    dirs: Mutex<HashMap<String, Arc<Meta>>>,
    /// Slack workspace domains learnt from links in the messages, by export key.
    domains: Mutex<HashMap<String, String>>,
}

impl Exports {
    /// The names of the export directory `key`, read from `disk` (its path) the first time
    /// when it is on disk.
    pub fn dir(&self, key: &str, disk: Option<&Path>) -> Arc<Meta> {
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = dirs.get(key) {
            return m.clone();
        }
        let mut meta = Meta::default();
        if let Some(dir) = disk {
            for name in SIDE_FILES {
                if let Ok(f) = std::fs::File::open(dir.join(name)) {
                    meta.add(name, f);
                }
            }
        }
        let meta = Arc::new(meta);
        dirs.insert(key.to_string(), meta.clone());
        meta
    }

    /// Adds a side file met inside an archive (`shown`: `a.zip!users.json`).
    pub fn add_member(&self, shown: &str, input: impl Read) {
        let file = &shown[dir_key(shown).len()..];
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        let entry = dirs.entry(dir_key(shown).to_string()).or_default();
        Arc::make_mut(entry).add(file, input);
    }

    /// Reads the side files of a zip on disk before its members are walked, so that members
    /// before them in the zip have their names too.
    pub fn preload_zip(&self, file: &std::fs::File, shown: &str) {
        let Ok(mut zip) = zip::ZipArchive::new(file) else {
            return;
        };
        let names: Vec<String> = zip
            .file_names()
            .filter(|n| is_side_file(n))
            .map(str::to_string)
            .collect();
        for name in names {
            if let Ok(entry) = zip.by_name(&name) {
                self.add_member(&format!("{shown}!{name}"), entry);
            }
        }
    }

    pub fn domain(&self, export: &str) -> Option<String> {
        let domains = self.domains.lock().unwrap_or_else(|e| e.into_inner());
        domains.get(export).cloned()
    }

    pub fn learn_domain(&self, export: &str, domain: &str) {
        let mut domains = self.domains.lock().unwrap_or_else(|e| e.into_inner());
        domains
            .entry(export.to_string())
            .or_insert_with(|| domain.to_string());
    }
}

/// True for a path whose file name is one of [`SIDE_FILES`].
pub fn is_side_file(path: &str) -> bool {
    let file = path.rsplit(['/', '!']).next().unwrap_or(path);
    SIDE_FILES.contains(&file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_side_files() {
        assert_eq!(dir_key("a.zip!general/2024-01-02.json"), "a.zip!general/");
        assert_eq!(parent_key("a.zip!general/"), "a.zip!");
        assert_eq!(parent_key("exp/general/"), "exp/");
        assert_eq!(dir_key("users.json"), "");
        let mut m = Meta::default();
        m.add(
            "users.json",
            &br#"[{"id":"U1","name":"al","profile":{"display_name":""},"real_name":"Al Li"}]"#[..],
        );
        m.add("channels.json", &br#"[{"id":"C1","name":"general"}]"#[..]);
        assert_eq!(m.users["U1"], "Al Li");
        assert_eq!(m.channels["general"], "C1");
        m.add("users.json", &b"not json"[..]);
        assert_eq!(m.users.len(), 1);
    }
}
