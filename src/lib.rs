//! patrol finds leaked GitHub credentials in files, git history and CI logs, and helps the
//! person who leaked one put it right.
//!
//! Data flows one way: a [`source`] yields bytes with a location; the [`matcher`] finds
//! candidates with one literal prefilter pass and confirms them with each [`rules`] regex and
//! validator; hits are gathered into [`finding`]s deduplicated by secret; a [`report`] writes them.

pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod console;
pub mod datastore;
pub mod diagnostics;
pub mod finding;
pub mod github;
pub mod hook;
pub mod kind;
pub mod matcher;
pub mod merge;
pub mod plan;
pub mod record;
pub mod registry;
pub mod remediate;
pub mod report;
pub mod respond;
pub mod rules;
pub mod scan;
pub mod shard;
pub mod source;
pub mod suppress;
/// Token minting for tests, benchmarks and fuzzing only: not part of the binary (the
/// `test-support` feature, which the crate's own dev-dependency turns on).
#[cfg(any(test, feature = "test-support"))]
pub mod template;
pub mod time;
