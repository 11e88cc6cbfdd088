//! GitHub: the only module that touches the network, and only when the user asked (a flag such
//! as `--verify` or `--revoke`, or a command such as `patrol revoke`). `client` owns HTTP,
//! retries and rate limits; `verify` asks whether a token is live; `revoke` revokes;
//! `download` streams large bodies to temporary files; `actions` lists, downloads and deletes
//! Actions run logs.

pub mod actions;
pub mod client;
pub mod download;
pub mod revoke;
pub mod verify;

pub use client::{ApiError, Client, ClientConfig};
pub use download::Download;
pub use revoke::Revocation;
pub use verify::{Verification, Verifier};
