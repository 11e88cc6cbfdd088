//! The datastore of `patrol github`: an embedded SQLite database (rusqlite with its bundled
//! SQLite, nothing to install) that makes organisation scans incremental and resumable. It keeps
//! per repository the ref tips and `pushed_at` last scanned, listing ETags, and per secret — by
//! fingerprint, never the secret itself — where it was seen, when first and last, and its
//! verification and revocation state. Each repository is committed in one transaction as soon
//! as it is scanned, so a crash loses nothing already recorded; and the container package
//! versions already scanned ([`packages`]). Tables: [`schema`].

pub mod merge;
mod packages;
pub mod schema;

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::finding::{Finding, Location, Secret};

#[derive(Debug, thiserror::Error)]
pub enum DatastoreError {
    #[error("datastore {path}: {message}")]
    Open { path: String, message: String },
    #[error("datastore: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("datastore {path}: schema version {found}, but this patrol reads version {v}", v = schema::VERSION)]
    Version { path: String, found: String },
    #[error("{path}: not a patrol datastore ({message})")]
    NotDatastore { path: String, message: String },
    #[error("datastore: unreadable stored value: {0}")]
    Value(String),
}

/// What the datastore remembers of a repository's last complete scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoState {
    pub pushed_at: Option<String>,
    /// Ref name → commit id.
    pub tips: BTreeMap<String, String>,
}

/// A stored finding with its history.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The finding; its `secret` holds only the redacted form (the secret is never stored).
    pub finding: Finding,
    pub first_seen: String,
    pub last_seen: String,
    pub first_run: i64,
}

pub struct Datastore {
    conn: Connection,
}

/// A serde enum's name (`classic-pat`, `high`, …) as stored text.
fn name_of(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn parse_name<T: DeserializeOwned>(name: &str) -> Result<T, DatastoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|e| DatastoreError::Value(format!("{name:?}: {e}")))
}

fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, DatastoreError> {
    serde_json::from_str(text).map_err(|e| DatastoreError::Value(e.to_string()))
}

impl Datastore {
    /// Opens (creating it and its directory if needed) the datastore at `path`.
    pub fn open(path: &Path) -> Result<Datastore, DatastoreError> {
        let failed = |message: String| DatastoreError::Open {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
        }
        let conn = Connection::open(path).map_err(|e| failed(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        schema::prepare(&conn, path).map_err(|e| match e {
            DatastoreError::Sql(e) => failed(e.to_string()),
            other => other,
        })?;
        Ok(Datastore { conn })
    }

    /// Opens an existing datastore only (to report or merge it): a wrong path, a file that is
    /// no datastore and another schema version are errors naming it, and nothing is created
    /// in it. (Opened writable so that SQLite can roll back a transaction a crash left.)
    pub fn open_existing(path: &Path) -> Result<Datastore, DatastoreError> {
        let failed = |message: String| DatastoreError::Open {
            path: path.display().to_string(),
            message,
        };
        schema::check_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| failed(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        schema::check(&conn, path).map_err(|e| match e {
            DatastoreError::Sql(e) => failed(e.to_string()),
            other => other,
        })?;
        Ok(Datastore { conn })
    }

    /// Starts a run; returns its id.
    pub fn begin_run(&self) -> Result<i64, DatastoreError> {
        self.conn.execute(
            "INSERT INTO runs (started_at) VALUES (?1)",
            [crate::time::now_utc()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(&self, run: i64) -> Result<(), DatastoreError> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?1 WHERE id = ?2",
            params![crate::time::now_utc(), run],
        )?;
        Ok(())
    }

    /// The latest run's id.
    pub fn last_run(&self) -> Result<Option<i64>, DatastoreError> {
        Ok(self
            .conn
            .query_row("SELECT max(id) FROM runs", [], |r| r.get(0))?)
    }

    /// The state of `repository`'s last complete scan.
    pub fn repository(&self, repository: &str) -> Result<Option<RepoState>, DatastoreError> {
        let pushed_at: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT pushed_at FROM repositories WHERE full_name = ?1",
                [repository],
                |r| r.get(0),
            )
            .optional()?;
        let Some(pushed_at) = pushed_at else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT ref, oid FROM tips WHERE repository = ?1")?;
        let tips = stmt
            .query_map([repository], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Some(RepoState { pushed_at, tips }))
    }

    /// Records what scanning `repository` found, in one transaction. `state` (its new
    /// `pushed_at` and tips) is given only when the scan read everything: an incomplete scan
    /// keeps the old tips, so the next run reads again what this one could not.
    pub fn record_repository(
        &mut self,
        run: i64,
        repository: &str,
        state: Option<&RepoState>,
        findings: &[Finding],
    ) -> Result<(), DatastoreError> {
        let now = crate::time::now_utc();
        let tx = self.conn.transaction()?;
        for f in findings {
            tx.execute(
                "INSERT INTO secrets (fingerprint, rule, kind, confidence, checksum, redacted,
                     first_seen, last_seen, first_run, last_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8)
                 ON CONFLICT (fingerprint) DO UPDATE SET last_seen = ?7, last_run = ?8,
                     rule = ?2, kind = ?3, confidence = ?4, checksum = ?5",
                params![
                    f.fingerprint,
                    f.rule,
                    name_of(&f.kind),
                    name_of(&f.confidence),
                    name_of(&f.checksum),
                    f.secret.redacted(),
                    now,
                    run
                ],
            )?;
            for l in &f.locations {
                let location =
                    serde_json::to_string(l).map_err(|e| DatastoreError::Value(e.to_string()))?;
                tx.execute(
                    "INSERT INTO locations (fingerprint, repository, location, first_seen, last_seen)
                     VALUES (?1, ?2, ?3, ?4, ?4)
                     ON CONFLICT DO UPDATE SET last_seen = ?4",
                    params![f.fingerprint, repository, location, now],
                )?;
            }
        }
        if let Some(state) = state {
            tx.execute(
                "INSERT INTO repositories (full_name, pushed_at, scanned_at, run) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (full_name) DO UPDATE SET pushed_at = ?2, scanned_at = ?3, run = ?4",
                params![repository, state.pushed_at, now, run],
            )?;
            tx.execute("DELETE FROM tips WHERE repository = ?1", [repository])?;
            for (name, oid) in &state.tips {
                tx.execute(
                    "INSERT INTO tips (repository, ref, oid) VALUES (?1, ?2, ?3)",
                    params![repository, name, oid],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets a repository's scanned state (`--full`, or a repository whose mirror was lost):
    /// the next scan reads all of it. Its findings stay.
    pub fn forget_repository(&self, repository: &str) -> Result<(), DatastoreError> {
        self.conn
            .execute("DELETE FROM tips WHERE repository = ?1", [repository])?;
        self.conn.execute(
            "DELETE FROM repositories WHERE full_name = ?1",
            [repository],
        )?;
        Ok(())
    }

    /// The ETag and body of the last `200` for a listing URL.
    pub fn listing(&self, url: &str) -> Result<Option<(String, Vec<u8>)>, DatastoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT etag, body FROM listings WHERE url = ?1",
                [url],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn save_listing(&self, url: &str, etag: &str, body: &[u8]) -> Result<(), DatastoreError> {
        self.conn.execute(
            "INSERT INTO listings (url, etag, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (url) DO UPDATE SET etag = ?2, body = ?3",
            params![url, etag, body],
        )?;
        Ok(())
    }

    /// Stores the verification and revocation results of `findings` (after `--verify`,
    /// `--revoke`).
    pub fn record_responses(&mut self, findings: &[Finding]) -> Result<(), DatastoreError> {
        let now = crate::time::now_utc();
        let tx = self.conn.transaction()?;
        for f in findings {
            let json = |v: Option<String>| v.filter(|s| s != "null");
            if let Some(v) = json(
                f.verification
                    .as_ref()
                    .and_then(|v| serde_json::to_string(v).ok()),
            ) {
                tx.execute(
                    "UPDATE secrets SET verification = ?1, verified_at = ?2 WHERE fingerprint = ?3",
                    params![v, now, f.fingerprint],
                )?;
            }
            if let Some(r) = json(
                f.revocation
                    .as_ref()
                    .and_then(|r| serde_json::to_string(r).ok()),
            ) {
                tx.execute(
                    "UPDATE secrets SET revocation = ?1, revoked_at = ?2 WHERE fingerprint = ?3",
                    params![r, now, f.fingerprint],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every stored finding (of `repositories` only, when given), each with its first
    /// `max_locations` locations and the count of all, ordered by fingerprint.
    pub fn stored(
        &self,
        repositories: Option<&std::collections::HashSet<String>>,
        max_locations: usize,
    ) -> Result<Vec<Stored>, DatastoreError> {
        let mut secrets = self.conn.prepare(
            "SELECT fingerprint, rule, kind, confidence, checksum, redacted, first_seen, last_seen,
                    first_run, verification, revocation
             FROM secrets ORDER BY fingerprint",
        )?;
        let mut places = self.conn.prepare(
            "SELECT repository, location FROM locations WHERE fingerprint = ?1
             ORDER BY repository, location",
        )?;
        let rows = secrets.query_map([], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ),
                (
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ),
                (
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i64>(8)?,
                ),
                (
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                ),
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ((fingerprint, rule, kind), (confidence, checksum, redacted), seen, responses) =
                row?;
            let (first_seen, last_seen, first_run) = seen;
            let mut locations: Vec<Location> = Vec::new();
            let mut count = 0u64;
            for place in places.query_map([&fingerprint], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })? {
                let (repository, location) = place?;
                if repositories.is_some_and(|wanted| !wanted.contains(&repository)) {
                    continue;
                }
                count += 1;
                if locations.len() < max_locations.max(1) {
                    locations.push(parse_json(&location)?);
                }
            }
            if locations.is_empty() {
                continue;
            }
            locations.sort();
            out.push(Stored {
                finding: Finding {
                    secret: Secret::new(redacted.into_bytes()),
                    fingerprint,
                    rule,
                    kind: parse_name(&kind)?,
                    confidence: parse_name(&confidence)?,
                    checksum: parse_name(&checksum)?,
                    locations,
                    location_count: count,
                    verification: responses.0.as_deref().map(parse_json).transpose()?,
                    revocation: responses.1.as_deref().map(parse_json).transpose()?,
                    before: None,
                    blast_radius: None,
                },
                first_seen,
                last_seen,
                first_run,
            });
        }
        Ok(out)
    }
}

/// Listing pages' ETags kept in the datastore. A datastore that cannot be read or written
/// only costs the saving: the page is fetched whole.
impl crate::github::repos::ListingCache for std::sync::Mutex<Datastore> {
    fn get(&self, url: &str) -> Option<(String, Vec<u8>)> {
        let store = self.lock().unwrap_or_else(|e| e.into_inner());
        store.listing(url).ok().flatten()
    }

    fn put(&self, url: &str, etag: &str, body: &[u8]) {
        let store = self.lock().unwrap_or_else(|e| e.into_inner());
        let _ = store.save_listing(url, etag, body);
    }
}

#[cfg(test)]
mod tests;
