//! `--shard K/N`: which repositories one of N cooperating jobs scans. A repository belongs to
//! shard `hash(owner/name) mod N`, where the hash is the first eight bytes of the SHA-256 of the
//! name in lower case: the same on every machine, in every run and in every release (a shard's
//! cache and datastore are only reused if its repositories stay in it), and independent of the
//! order or the number of repositories listed. Shards count from 0, as Kubernetes'
//! `JOB_COMPLETION_INDEX` does: `--shard 0/4` … `--shard 3/4` cover everything once.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 0 to `count - 1`.
    index: u32,
    count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("invalid shard {0:?}: expected K/N, e.g. 0/4 (shards count from 0 to N-1)")]
    Syntax(String),
    #[error("invalid shard {0:?}: N must be 1 or more")]
    NoShards(String),
    #[error("invalid shard {0:?}: K must be below N (shards count from 0 to N-1)")]
    OutOfRange(String),
}

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        let spec = format!("{index}/{count}");
        if count == 0 {
            return Err(ShardError::NoShards(spec));
        }
        if index >= count {
            return Err(ShardError::OutOfRange(spec));
        }
        Ok(Shard { index, count })
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether the repository `owner/name` (any case) is in this shard.
    pub fn contains(self, full_name: &str) -> bool {
        shard_of(full_name, self.count) == self.index
    }
}

/// The shard, from 0 to `count - 1`, that the repository `owner/name` belongs to among
/// `count` (at least 1). GitHub names are case-insensitive, so `Octo/Repo` and `octo/repo`
/// land together.
pub fn shard_of(full_name: &str, count: u32) -> u32 {
    let digest = Sha256::digest(full_name.trim().to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(s.to_string());
        let (k, n) = s.trim().split_once('/').ok_or_else(syntax)?;
        let index = k.trim().parse::<u32>().map_err(|_| syntax())?;
        let count = n.trim().parse::<u32>().map_err(|_| syntax())?;
        Shard::new(index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The value parser for `--shard K/N`.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("org-{}/repo-{i}", i % 7)).collect()
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!("0/4".parse(), Shard::new(0, 4));
        assert_eq!(
            " 3 / 4 ".parse::<Shard>().map(|s| (s.index(), s.count())),
            Ok((3, 4))
        );
        assert_eq!(
            "0/1".parse::<Shard>().map(|s| s.to_string()),
            Ok("0/1".into())
        );
        assert!(matches!(
            "4/4".parse::<Shard>(),
            Err(ShardError::OutOfRange(_))
        ));
        assert!(matches!(
            "0/0".parse::<Shard>(),
            Err(ShardError::NoShards(_))
        ));
        for bad in ["", "1", "1/", "/4", "a/4", "1/b", "-1/4", "1/4/2", "1.5/4"] {
            assert!(
                matches!(bad.parse::<Shard>(), Err(ShardError::Syntax(_))),
                "{bad:?} was accepted"
            );
        }
        assert!(parse_shard("5/4").unwrap_err().contains("count from 0"));
    }

    /// The assignment is part of the contract: caches and datastores of a shard are reused
    /// run after run only if its repositories stay in it. These values must never change.
    #[test]
    fn assignment_is_stable_across_releases() {
        let pinned = [
            ("octo-org/api", 4, 3),
            ("octo-org/web", 4, 3),
            ("octo-org/infra", 4, 1),
            ("rust-lang/rust", 16, 14),
            ("torvalds/linux", 16, 6),
            ("a/b", 3, 2),
        ];
        for (name, count, shard) in pinned {
            assert_eq!(shard_of(name, count), shard, "{name} in {count} shards");
        }
    }

    #[test]
    fn assignment_is_deterministic_and_case_insensitive() {
        for name in names(200) {
            let upper = name.to_ascii_uppercase();
            for count in [1, 2, 5, 64] {
                assert_eq!(shard_of(&name, count), shard_of(&name, count));
                assert_eq!(shard_of(&name, count), shard_of(&upper, count));
                assert_eq!(
                    shard_of(&name, count),
                    shard_of(&format!(" {name}\n"), count)
                );
            }
        }
    }

    #[test]
    fn every_repository_is_in_exactly_one_shard() {
        for count in [1, 2, 3, 7, 16] {
            let shards: Vec<Shard> = (0..count).map(|k| Shard::new(k, count).unwrap()).collect();
            for name in names(500) {
                let holders = shards.iter().filter(|s| s.contains(&name)).count();
                assert_eq!(holders, 1, "{name} is in {holders} of {count} shards");
            }
        }
    }

    #[test]
    fn shards_are_balanced() {
        let all = names(10_000);
        for count in [2u32, 4, 8, 10] {
            let mut sizes = vec![0usize; count as usize];
            for name in &all {
                sizes[shard_of(name, count) as usize] += 1;
            }
            let mean = all.len() / count as usize;
            for (k, size) in sizes.iter().enumerate() {
                // Binomial spread: well within 10% of the mean at these sizes.
                assert!(
                    size.abs_diff(mean) * 10 < mean,
                    "shard {k}/{count} holds {size}, mean {mean}"
                );
            }
        }
    }
}
