//! Datastores merged into one (`patrol merge --datastore OUT DB…`): the datastores of shards,
//! each kept by a `patrol github --shard K/N` over its own repositories, become the datastore
//! one run over all of them would have kept. `patrol report --datastore OUT` then prints what
//! that run would have recorded, and a run given OUT as its `--datastore` finds nothing new
//! that a shard had seen, and skips the repositories a shard scanned when they did not move.
//!
//! - **Runs** are numbered per datastore, so they are numbered again: every input's runs but
//!   its last in the order they started, then the inputs' last runs (tonight's run of each
//!   shard) as one run, the merged datastore's last, so that `--new` on OUT lists what `--new`
//!   on any input listed.
//! - **Secrets**, by fingerprint: first seen the earliest, last seen the latest, the rule and
//!   the redacted form of the latest sighting; the verification and the revocation each from
//!   the input that observed it last (`verified_at`, `revoked_at`).
//! - **Locations** are pooled (first and last seen likewise).
//! - **Repositories** (`pushed_at`, scan run, tips): shards hold disjoint ones; a repository in
//!   two inputs keeps the row and the tips of its latest scan. Listing pages: the ETag of the
//!   input whose last run started last.
//! - **Package versions** scanned (`patrol github --packages`) are pooled, each with its
//!   latest scan's run (an input older than the table has none).
//!
//! Each input is checked before anything is written (an SQLite file, a datastore, this schema
//! version, not damaged): an error names it. The merge is written to a temporary file beside
//! OUT and renamed over it once complete, so OUT is either as it was or the whole merge. Inputs
//! are only read. Nothing here handles a secret: the tables hold fingerprints and redacted forms.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use super::{Datastore, DatastoreError};

/// What a merge wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub runs: i64,
    pub secrets: i64,
    pub repositories: i64,
}

/// A run as a datastore records it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    id: i64,
    started_at: String,
    finished_at: Option<String>,
}

/// An input, checked, with its runs (by id: the last is its latest).
struct Input {
    name: String,
    /// Its absolute path, as `ATTACH` takes it.
    attach: String,
    runs: Vec<Run>,
}

impl Input {
    fn read(path: &Path) -> Result<Input, DatastoreError> {
        let name = path.display().to_string();
        let named = |e: rusqlite::Error| named(&name, e);
        let store = Datastore::open_existing(path)?;
        let check: String = store
            .conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(named)?;
        if check != "ok" {
            return Err(DatastoreError::Open {
                path: name,
                message: format!("damaged: {check}"),
            });
        }
        let mut stmt = store
            .conn
            .prepare("SELECT id, started_at, finished_at FROM runs ORDER BY id")
            .map_err(named)?;
        let runs = stmt
            .query_map([], |r| {
                Ok(Run {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(named)?;
        let attach = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.to_str().map(str::to_string))
            .ok_or_else(|| DatastoreError::Open {
                path: name.clone(),
                message: "its path is not UTF-8".into(),
            })?;
        Ok(Input { name, attach, runs })
    }

    /// When its last run started (an input without runs sorts first).
    fn latest(&self) -> Option<&str> {
        self.runs.last().map(|r| r.started_at.as_str())
    }
}

/// An SQL error while reading `name`, naming it.
fn named(name: &str, e: rusqlite::Error) -> DatastoreError {
    DatastoreError::Open {
        path: name.to_string(),
        message: e.to_string(),
    }
}

/// The merged runs, and for each input its old run ids → new ones.
struct Renumbered {
    runs: Vec<Run>,
    maps: Vec<Vec<(i64, i64)>>,
}

fn renumber(inputs: &[Input]) -> Renumbered {
    let mut earlier: Vec<(&Run, usize)> = inputs
        .iter()
        .enumerate()
        .flat_map(|(i, input)| {
            let n = input.runs.len().saturating_sub(1);
            input.runs[..n].iter().map(move |r| (r, i))
        })
        .collect();
    earlier.sort_by(|(a, i), (b, j)| (&a.started_at, i, a.id).cmp(&(&b.started_at, j, b.id)));
    let mut out = Renumbered {
        runs: Vec::new(),
        maps: vec![Vec::new(); inputs.len()],
    };
    for (run, i) in earlier {
        let id = out.runs.len() as i64 + 1;
        out.maps[i].push((run.id, id));
        out.runs.push(Run { id, ..run.clone() });
    }
    let lasts: Vec<(usize, &Run)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| input.runs.last().map(|r| (i, r)))
        .collect();
    let id = out.runs.len() as i64 + 1;
    let started = lasts.iter().map(|(_, r)| &r.started_at).min();
    if let Some(started_at) = started.cloned() {
        // Unfinished (running, or crashed) if any of them is.
        let finished: Option<Vec<&String>> =
            lasts.iter().map(|(_, r)| r.finished_at.as_ref()).collect();
        out.runs.push(Run {
            id,
            started_at,
            finished_at: finished.and_then(|f| f.into_iter().max().cloned()),
        });
        for (i, r) in lasts {
            out.maps[i].push((r.id, id));
        }
    }
    out
}

/// One attached input (`src`, its run ids in `temp.run_map`) added to the merge.
const ABSORB: &str = "
INSERT INTO main.secrets (fingerprint, rule, kind, confidence, checksum, redacted, first_seen,
        last_seen, first_run, last_run, verification, verified_at, revocation, revoked_at)
    SELECT s.fingerprint, s.rule, s.kind, s.confidence, s.checksum, s.redacted, s.first_seen,
        s.last_seen,
        (SELECT to_id FROM temp.run_map WHERE from_id = s.first_run),
        (SELECT to_id FROM temp.run_map WHERE from_id = s.last_run),
        s.verification, s.verified_at, s.revocation, s.revoked_at
    FROM src.secrets s WHERE true
    ON CONFLICT (fingerprint) DO UPDATE SET
        rule = CASE WHEN excluded.last_seen >= last_seen THEN excluded.rule ELSE rule END,
        kind = CASE WHEN excluded.last_seen >= last_seen THEN excluded.kind ELSE kind END,
        confidence = CASE WHEN excluded.last_seen >= last_seen
            THEN excluded.confidence ELSE confidence END,
        checksum = CASE WHEN excluded.last_seen >= last_seen
            THEN excluded.checksum ELSE checksum END,
        redacted = CASE WHEN excluded.last_seen >= last_seen
            THEN excluded.redacted ELSE redacted END,
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen),
        first_run = min(first_run, excluded.first_run),
        last_run = max(last_run, excluded.last_run),
        verification = CASE WHEN excluded.verified_at >= coalesce(verified_at, '')
            THEN excluded.verification ELSE verification END,
        verified_at = CASE WHEN excluded.verified_at >= coalesce(verified_at, '')
            THEN excluded.verified_at ELSE verified_at END,
        revocation = CASE WHEN excluded.revoked_at >= coalesce(revoked_at, '')
            THEN excluded.revocation ELSE revocation END,
        revoked_at = CASE WHEN excluded.revoked_at >= coalesce(revoked_at, '')
            THEN excluded.revoked_at ELSE revoked_at END;

INSERT INTO main.locations (fingerprint, repository, location, first_seen, last_seen)
    SELECT fingerprint, repository, location, first_seen, last_seen FROM src.locations WHERE true
    ON CONFLICT DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen);

CREATE TEMP TABLE newer AS
    SELECT r.full_name FROM src.repositories r
    LEFT JOIN main.repositories m ON m.full_name = r.full_name
    WHERE m.full_name IS NULL OR r.scanned_at >= m.scanned_at;
DELETE FROM main.tips WHERE repository IN (SELECT full_name FROM temp.newer);
INSERT INTO main.tips (repository, ref, oid)
    SELECT repository, ref, oid FROM src.tips
    WHERE repository IN (SELECT full_name FROM temp.newer);
INSERT OR REPLACE INTO main.repositories (full_name, pushed_at, scanned_at, run)
    SELECT r.full_name, r.pushed_at, r.scanned_at,
        (SELECT to_id FROM temp.run_map WHERE from_id = r.run)
    FROM src.repositories r WHERE r.full_name IN (SELECT full_name FROM temp.newer);
DROP TABLE temp.newer;

INSERT OR REPLACE INTO main.listings (url, etag, body) SELECT url, etag, body FROM src.listings;
";

/// An input's scanned package versions: the latest scan of each keeps its run.
const ABSORB_VERSIONS: &str = "
INSERT INTO main.package_versions (package, digest, scanned_at, run)
    SELECT v.package, v.digest, v.scanned_at,
        (SELECT to_id FROM temp.run_map WHERE from_id = v.run)
    FROM src.package_versions v WHERE true
    ON CONFLICT (package, digest) DO UPDATE SET
        run = CASE WHEN excluded.scanned_at >= scanned_at THEN excluded.run ELSE run END,
        scanned_at = max(scanned_at, excluded.scanned_at);
";

/// Adds `input` (its run ids renumbered by `map`) to the datastore being written.
fn absorb(conn: &mut Connection, input: &Input, map: &[(i64, i64)]) -> rusqlite::Result<()> {
    conn.execute("ATTACH DATABASE ?1 AS src", [&input.attach])?;
    let absorbed = (|| {
        let tx = conn.transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE run_map (from_id INTEGER PRIMARY KEY, to_id INTEGER NOT NULL)",
        )?;
        {
            let mut add =
                tx.prepare("INSERT INTO temp.run_map (from_id, to_id) VALUES (?1, ?2)")?;
            for (from, to) in map {
                add.execute([from, to])?;
            }
        }
        tx.execute_batch(ABSORB)?;
        // An input written before `package_versions` existed has none to add.
        let has_versions: bool = tx.query_row(
            "SELECT count(*) > 0 FROM src.sqlite_master WHERE name = 'package_versions'",
            [],
            |r| r.get(0),
        )?;
        if has_versions {
            tx.execute_batch(ABSORB_VERSIONS)?;
        }
        tx.execute_batch("DROP TABLE temp.run_map")?;
        tx.commit()
    })();
    let detached = conn.execute("DETACH DATABASE src", []);
    absorbed.and(detached.map(drop))
}

/// Merges the datastores `inputs` into a new datastore written at `out` (replacing it, at
/// once; `out` may be one of the inputs).
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<Summary, DatastoreError> {
    let mut inputs: Vec<Input> = inputs
        .iter()
        .map(|p| Input::read(p))
        .collect::<Result<_, _>>()?;
    // The most recent last: on equal times, and for listings, it wins.
    inputs.sort_by(|a, b| a.latest().cmp(&b.latest()));
    let renumbered = renumber(&inputs);
    let failed = |message: String| DatastoreError::Open {
        path: out.display().to_string(),
        message,
    };
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = std::fs::create_dir_all(dir)
        .and_then(|()| {
            tempfile::Builder::new()
                .prefix(".patrol-merge-")
                .suffix(".db")
                .tempfile_in(dir)
        })
        .map_err(|e| failed(e.to_string()))?;
    let summary = {
        let mut store = Datastore::open(temp.path())?;
        let writing = |e: rusqlite::Error| failed(e.to_string());
        for run in &renumbered.runs {
            store
                .conn
                .execute(
                    "INSERT INTO runs (id, started_at, finished_at) VALUES (?1, ?2, ?3)",
                    params![run.id, run.started_at, run.finished_at],
                )
                .map_err(writing)?;
        }
        for (input, map) in inputs.iter().zip(&renumbered.maps) {
            absorb(&mut store.conn, input, map).map_err(|e| named(&input.name, e))?;
        }
        let count = |table: &str| -> Result<i64, DatastoreError> {
            store
                .conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .map_err(writing)
        };
        Summary {
            runs: count("runs")?,
            secrets: count("secrets")?,
            repositories: count("repositories")?,
        }
    };
    temp.persist(out).map_err(|e| failed(e.error.to_string()))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: i64, started_at: &str, finished_at: Option<&str>) -> Run {
        Run {
            id,
            started_at: started_at.into(),
            finished_at: finished_at.map(str::to_string),
        }
    }

    fn input(runs: Vec<Run>) -> Input {
        Input {
            name: String::new(),
            attach: String::new(),
            runs,
        }
    }

    #[test]
    fn earlier_runs_are_numbered_by_start_and_the_last_runs_become_one() {
        let a = input(vec![
            run(
                1,
                "2026-01-01T01:00:00+00:00",
                Some("2026-01-01T01:10:00+00:00"),
            ),
            run(
                2,
                "2026-01-02T01:00:00+00:00",
                Some("2026-01-02T01:20:00+00:00"),
            ),
        ]);
        let b = input(vec![
            run(
                1,
                "2026-01-01T00:30:00+00:00",
                Some("2026-01-01T00:40:00+00:00"),
            ),
            run(2, "2026-01-01T02:00:00+00:00", None),
            run(
                3,
                "2026-01-02T00:59:00+00:00",
                Some("2026-01-02T01:30:00+00:00"),
            ),
        ]);
        let none = input(Vec::new());
        let r = renumber(&[a, b, none]);
        assert_eq!(
            r.runs,
            [
                run(
                    1,
                    "2026-01-01T00:30:00+00:00",
                    Some("2026-01-01T00:40:00+00:00")
                ),
                run(
                    2,
                    "2026-01-01T01:00:00+00:00",
                    Some("2026-01-01T01:10:00+00:00")
                ),
                run(3, "2026-01-01T02:00:00+00:00", None),
                run(
                    4,
                    "2026-01-02T00:59:00+00:00",
                    Some("2026-01-02T01:30:00+00:00")
                ),
            ]
        );
        assert_eq!(
            r.maps,
            [vec![(1, 2), (2, 4)], vec![(1, 1), (2, 3), (3, 4)], vec![]]
        );
        // A last run still going (or crashed) leaves the merged last run unfinished.
        let c = input(vec![run(1, "2026-01-02T00:00:00+00:00", None)]);
        let d = input(vec![run(7, "2026-01-02T00:10:00+00:00", Some("x"))]);
        let r = renumber(&[c, d]);
        assert_eq!(r.runs, [run(1, "2026-01-02T00:00:00+00:00", None)]);
        assert_eq!(r.maps, [vec![(1, 1)], vec![(7, 1)]]);
    }
}
