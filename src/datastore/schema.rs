//! The datastore's tables, created (or checked) when a datastore is opened. One version number
//! in `meta`; a datastore written by a newer patrol is refused rather than misread. `patrol
//! merge` and `patrol report` read these tables as documented here:
//!
//! - `runs`: one row per `patrol github` run (`id` increases; `finished_at` is NULL while the
//!   run goes on or after a crash).
//! - `repositories`: per `OWNER/NAME`, `pushed_at` from the API and the run that last scanned it
//!   completely; `tips`: the ref tips (`ref`, `oid`) that run scanned. A repository is skipped
//!   when neither moved, and only objects not reachable from its tips are read otherwise.
//! - `listings`: per listing URL, the `ETag` and body of the last `200` (a `304` reuses it).
//! - `secrets`: per fingerprint (SHA-256 of the secret; never the secret), the rule, kind,
//!   confidence, checksum, the redacted form reports show, first/last seen (time and run) and
//!   the last verification and revocation (JSON, as in reports).
//! - `locations`: per fingerprint, repository and location (the report's JSON location object),
//!   first and last seen.
//! - `package_versions`: per container package (`REGISTRY/OWNER/NAME`, the name its locations
//!   carry as `repository`) the manifest digests of the versions scanned completely, and the
//!   run that scanned each (`patrol github --packages` skips them next time).
//!
//! A table added later is created in an existing datastore when it is opened (`CREATE TABLE IF
//! NOT EXISTS`) and older patrols ignore it, so adding one does not change the version.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::DatastoreError;

/// The schema this build writes and reads.
pub const VERSION: i64 = 1;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS repositories (
    full_name TEXT PRIMARY KEY,
    pushed_at TEXT,
    scanned_at TEXT NOT NULL,
    run INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tips (
    repository TEXT NOT NULL,
    ref TEXT NOT NULL,
    oid TEXT NOT NULL,
    PRIMARY KEY (repository, ref)
);
CREATE TABLE IF NOT EXISTS listings (
    url TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    fingerprint TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    confidence TEXT NOT NULL,
    checksum TEXT NOT NULL,
    redacted TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    first_run INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    verification TEXT,
    verified_at TEXT,
    revocation TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS locations (
    fingerprint TEXT NOT NULL,
    repository TEXT NOT NULL,
    location TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (fingerprint, repository, location)
);
CREATE TABLE IF NOT EXISTS package_versions (
    package TEXT NOT NULL,
    digest TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    run INTEGER NOT NULL,
    PRIMARY KEY (package, digest)
);
";

/// The first bytes of every SQLite database file.
const MAGIC: &[u8] = b"SQLite format 3\0";

/// The schema version a database records; `None` for one without it (new, or not a datastore).
fn recorded(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
        r.get(0)
    })
    .optional()
}

/// Creates the tables of a new datastore, or checks an existing one's version.
pub fn prepare(conn: &Connection, path: &Path) -> Result<(), DatastoreError> {
    conn.execute_batch(TABLES)?;
    match recorded(conn)? {
        None => {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
                [VERSION.to_string()],
            )?;
            Ok(())
        }
        Some(found) => same_version(path, found),
    }
}

fn same_version(path: &Path, found: String) -> Result<(), DatastoreError> {
    if found == VERSION.to_string() {
        return Ok(());
    }
    Err(DatastoreError::Version {
        path: path.display().to_string(),
        found,
    })
}

/// Checks, before SQLite opens it, that `path` is a file holding an SQLite database (by its
/// first bytes).
pub fn check_file(path: &Path) -> Result<(), DatastoreError> {
    let not = |message: &str| DatastoreError::NotDatastore {
        path: path.display().to_string(),
        message: message.into(),
    };
    let mut head = Vec::with_capacity(MAGIC.len());
    let read = std::fs::File::open(path).and_then(|f| {
        if !f.metadata()?.is_file() {
            return Err(std::io::Error::other("not a file"));
        }
        f.take(MAGIC.len() as u64).read_to_end(&mut head)
    });
    match read {
        Err(e) => Err(DatastoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
        Ok(0) => Err(not("an empty file")),
        Ok(_) if !head.starts_with(MAGIC) => Err(not("not an SQLite database")),
        Ok(_) => Ok(()),
    }
}

/// Checks that an existing database is a datastore of this schema version, creating nothing.
pub fn check(conn: &Connection, path: &Path) -> Result<(), DatastoreError> {
    match recorded(conn)? {
        None => Err(DatastoreError::NotDatastore {
            path: path.display().to_string(),
            message: "an SQLite database without patrol's tables".into(),
        }),
        Some(found) => same_version(path, found),
    }
}
