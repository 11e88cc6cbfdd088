//! The container package versions `patrol github --packages` scanned completely, by manifest
//! digest: a digest names immutable content, so a version scanned once is never pulled again.

use std::collections::HashSet;

use rusqlite::params;

use super::{Datastore, DatastoreError};

impl Datastore {
    /// The manifest digests of `package`'s versions scanned completely.
    pub fn scanned_versions(&self, package: &str) -> Result<HashSet<String>, DatastoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT digest FROM package_versions WHERE package = ?1")?;
        let digests = stmt
            .query_map([package], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(digests)
    }

    /// Records that `package`'s version `digest` was scanned completely in `run`.
    pub fn record_version(
        &self,
        run: i64,
        package: &str,
        digest: &str,
    ) -> Result<(), DatastoreError> {
        self.conn.execute(
            "INSERT INTO package_versions (package, digest, scanned_at, run) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (package, digest) DO UPDATE SET scanned_at = ?3, run = ?4",
            params![package, digest, crate::time::now_utc(), run],
        )?;
        Ok(())
    }
}
