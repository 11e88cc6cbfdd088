//! GitHub: the only module that touches the network, and only when the user asked (a flag such
//! as `--verify` or `--revoke`, or a command such as `patrol revoke`). `client` owns HTTP,
//! retries and rate limits; `verify` asks whether a token is live; `blast` measures what a live
//! one opens; `revoke` revokes; `state` names each token's state before and after;
//! `download` streams large bodies to temporary files; `actions` lists, downloads and deletes
//! Actions run logs; `repos` lists repositories (ETags) and `packages` container packages and
//! their versions, `mirror` keeps bare mirrors fetched
//! with the token given through git's credential callback, `budget` is the rate limit shared
//! by every worker of a client; `transport` speaks git's smart HTTP over rustls for `https`;
//! `tls` says what both trust (`SSL_CERT_FILE`) and why a connection failed.

pub mod actions;
pub mod blast;
pub mod budget;
pub mod client;
pub mod download;
pub mod mirror;
pub mod packages;
pub mod repos;
pub mod revoke;
pub mod state;
pub mod tls;
pub mod transport;
pub mod verify;

pub use client::{ApiError, Client, ClientConfig};
pub use download::Download;
pub use revoke::Revocation;
pub use verify::{Verification, Verifier};
