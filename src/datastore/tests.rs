//! Unit tests of `datastore`.

use super::*;
use crate::finding::{GitContext, SourceKind};

fn finding(secret: &str, path: &str) -> Finding {
    let secret = Secret::new(secret.as_bytes().to_vec());
    Finding {
        fingerprint: secret.fingerprint(),
        secret,
        rule: "github-classic-pat".into(),
        kind: crate::rules::TokenKind::ClassicPat,
        confidence: crate::rules::Confidence::High,
        checksum: crate::matcher::Checksum::Valid,
        locations: vec![Location {
            source: SourceKind::Git,
            repository: Some("acme/app".into()),
            path: path.into(),
            line: 3,
            column: 7,
            offset: 40,
            decoded: vec![crate::matcher::Encoding::Base64],
            git: Some(GitContext {
                object: "blob",
                id: "ab".repeat(20),
                commit: None,
                in_head: true,
            }),
            log: None,
            image: None,
            chat: None,
            inline_allow: false,
        }],
        location_count: 1,
        verification: None,
        revocation: None,
        before: None,
        blast_radius: None,
    }
}

#[test]
fn a_repository_and_its_findings_survive_reopening_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/patrol.db");
    let secret = "s3cr3t-value-that-must-never-be-stored-0123456789";
    {
        let mut db = Datastore::open(&path).unwrap();
        let run = db.begin_run().unwrap();
        let state = RepoState {
            pushed_at: Some("2026-01-01T00:00:00Z".into()),
            tips: [("refs/heads/main".to_string(), "cd".repeat(20))].into(),
        };
        db.record_repository(run, "acme/app", Some(&state), &[finding(secret, "a.env")])
            .unwrap();
        db.record_repository(run, "acme/lib", None, &[finding(secret, "b.env")])
            .unwrap();
        db.finish_run(run).unwrap();
    }
    let db = Datastore::open_existing(&path).unwrap();
    let state = db.repository("acme/app").unwrap().unwrap();
    assert_eq!(state.tips.len(), 1);
    assert_eq!(state.pushed_at.as_deref(), Some("2026-01-01T00:00:00Z"));
    // Recorded without a state: findings kept, tips not advanced.
    assert_eq!(db.repository("acme/lib").unwrap(), None);
    let stored = db.stored(None, 100).unwrap();
    assert_eq!(stored.len(), 1);
    let f = &stored[0].finding;
    assert_eq!(f.location_count, 2);
    assert_eq!(f.locations[0].path, "a.env");
    assert_eq!(f.locations[0].git.as_ref().unwrap().object, "blob");
    assert_eq!(
        f.fingerprint,
        Secret::new(secret.as_bytes().to_vec()).fingerprint()
    );
    assert_eq!(stored[0].first_run, 1);
    let only_lib: std::collections::HashSet<String> = ["acme/lib".to_string()].into();
    assert_eq!(
        db.stored(Some(&only_lib), 100).unwrap()[0]
            .finding
            .location_count,
        1
    );
    drop(db);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patrol.db");
    drop(Datastore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'", [])
        .unwrap();
    drop(conn);
    assert!(matches!(
        Datastore::open(&path),
        Err(DatastoreError::Version { found, .. }) if found == "99"
    ));
}

#[test]
fn listings_keep_their_etag() {
    let dir = tempfile::tempdir().unwrap();
    let db = Datastore::open(&dir.path().join("p.db")).unwrap();
    assert_eq!(db.listing("/orgs/acme/repos").unwrap(), None);
    db.save_listing("/orgs/acme/repos", "\"e1\"", b"[]")
        .unwrap();
    db.save_listing("/orgs/acme/repos", "\"e2\"", b"[1]")
        .unwrap();
    assert_eq!(
        db.listing("/orgs/acme/repos").unwrap(),
        Some(("\"e2\"".to_string(), b"[1]".to_vec()))
    );
}

/// Sets the times of a datastore's rows (all of a table, or those matching `filter`).
fn at(db: &Datastore, sql: &str) {
    db.conn.execute_batch(sql).unwrap();
}

fn tips(oid: &str) -> RepoState {
    RepoState {
        pushed_at: Some("2026-01-01T00:00:00Z".into()),
        tips: [("refs/heads/main".to_string(), oid.repeat(40))].into(),
    }
}

#[test]
fn merged_datastores_keep_the_earliest_and_latest_sightings_and_the_latest_observations() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let secret = "another-value-that-must-never-be-stored-9876543210";
    {
        // a: one run; saw it live on the 1st, in acme/app (tips 1…) and acme/lib.
        let mut db = Datastore::open(&a).unwrap();
        let run = db.begin_run().unwrap();
        let mut f = finding(secret, "a.env");
        db.record_repository(run, "acme/app", Some(&tips("1")), &[f.clone()])
            .unwrap();
        db.record_repository(run, "acme/lib", Some(&tips("3")), &[])
            .unwrap();
        f.verification = Some(crate::github::Verification::Live {
            login: Some("octocat".into()),
            scopes: None,
            expires: None,
            not_authorized_for: None,
        });
        db.record_responses(&[f]).unwrap();
        at(
            &db,
            "UPDATE runs SET started_at = '2026-01-01T00:00:00+00:00';
             UPDATE secrets SET first_seen = '2026-01-01T00:00:01+00:00',
                 last_seen = '2026-01-01T00:00:01+00:00', verified_at = '2026-01-01T00:00:02+00:00';
             UPDATE repositories SET scanned_at = '2026-01-01T00:00:01+00:00';",
        );
    }
    {
        // b: two runs; saw it first in December, dead on the 2nd, and scanned acme/app again.
        let mut db = Datastore::open(&b).unwrap();
        let first = db.begin_run().unwrap();
        let mut f = finding(secret, "b.env");
        db.record_repository(first, "acme/web", Some(&tips("4")), &[f.clone()])
            .unwrap();
        let second = db.begin_run().unwrap();
        db.record_repository(second, "acme/app", Some(&tips("2")), &[])
            .unwrap();
        f.verification = Some(crate::github::Verification::Dead);
        db.record_responses(&[f]).unwrap();
        at(
            &db,
            "UPDATE runs SET started_at = '2025-12-01T00:00:00+00:00' WHERE id = 1;
             UPDATE runs SET started_at = '2026-01-02T00:00:00+00:00' WHERE id = 2;
             UPDATE secrets SET first_seen = '2025-12-01T00:00:01+00:00',
                 last_seen = '2026-01-02T00:00:01+00:00', verified_at = '2026-01-02T00:00:02+00:00';
             UPDATE repositories SET scanned_at = '2026-01-02T00:00:01+00:00';",
        );
    }
    // Written over one of its inputs.
    let summary = merge::merge(&[a.clone(), b.clone()], &a).unwrap();
    assert_eq!(
        summary,
        merge::Summary {
            runs: 2,
            secrets: 1,
            repositories: 3
        }
    );
    let db = Datastore::open_existing(&a).unwrap();
    let stored = db.stored(None, 100).unwrap();
    let s = &stored[0];
    assert_eq!(s.first_seen, "2025-12-01T00:00:01+00:00");
    assert_eq!(s.last_seen, "2026-01-02T00:00:01+00:00");
    assert_eq!(s.first_run, 1, "b's first run, the earliest");
    assert_eq!(s.finding.location_count, 2);
    assert_eq!(
        s.finding.verification,
        Some(crate::github::Verification::Dead),
        "the latest observation, not the most alarming"
    );
    assert_eq!(db.repository("acme/app").unwrap(), Some(tips("2")));
    assert_eq!(db.repository("acme/lib").unwrap(), Some(tips("3")));
    assert_eq!(db.last_run().unwrap(), Some(2));
    drop(db);
    let bytes = std::fs::read(&a).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    // Nothing left beside it but the inputs.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["a.db", "b.db"]);
}

#[test]
fn a_merge_refuses_what_is_no_datastore_of_this_version_naming_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.db");
    drop(Datastore::open(&good).unwrap());
    let newer = dir.path().join("newer.db");
    drop(Datastore::open(&newer).unwrap());
    let conn = Connection::open(&newer).unwrap();
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'", [])
        .unwrap();
    drop(conn);
    let foreign = dir.path().join("foreign.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let text = dir.path().join("report.json");
    std::fs::write(&text, "{\"findings\": []}").unwrap();
    let out = dir.path().join("out.db");
    for (bad, says) in [
        (&newer, "schema version 99"),
        (&foreign, "not a patrol datastore"),
        (&text, "not a patrol datastore (not an SQLite database)"),
        (&dir.path().join("missing.db"), "missing.db"),
    ] {
        let e = merge::merge(&[good.clone(), bad.clone()], &out).unwrap_err();
        let message = e.to_string();
        assert!(message.contains(&bad.display().to_string()), "{message}");
        assert!(message.contains(says), "{message}");
        assert!(!out.exists());
    }
    // The foreign database was not given patrol's tables.
    let conn = Connection::open(&foreign).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn package_versions_are_remembered_and_added_to_an_older_datastore() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    {
        // A datastore written before the table existed.
        let db = Datastore::open(&path).unwrap();
        db.conn
            .execute_batch("DROP TABLE package_versions")
            .unwrap();
    }
    let db = Datastore::open(&path).unwrap();
    let run = db.begin_run().unwrap();
    let package = "ghcr.io/acme/team/app";
    assert!(db.scanned_versions(package).unwrap().is_empty());
    db.record_version(run, package, "sha256:aa").unwrap();
    db.record_version(run, package, "sha256:aa").unwrap();
    db.record_version(run, "ghcr.io/acme/other", "sha256:bb")
        .unwrap();
    assert_eq!(
        db.scanned_versions(package).unwrap(),
        ["sha256:aa".to_string()].into()
    );
}

#[test]
fn merged_datastores_pool_the_package_versions_scanned_even_from_an_input_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, old) = (
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("old.db"),
    );
    for (path, digest) in [(&a, "sha256:aa"), (&b, "sha256:bb")] {
        let db = Datastore::open(path).unwrap();
        let run = db.begin_run().unwrap();
        db.record_version(run, "ghcr.io/acme/app", digest).unwrap();
        db.record_version(run, "ghcr.io/acme/app", "sha256:both")
            .unwrap();
        db.finish_run(run).unwrap();
    }
    {
        // Written before the table existed.
        let db = Datastore::open(&old).unwrap();
        db.finish_run(db.begin_run().unwrap()).unwrap();
        db.conn
            .execute_batch("DROP TABLE package_versions")
            .unwrap();
    }
    let out = dir.path().join("out.db");
    merge::merge(&[a, b, old], &out).unwrap();
    let db = Datastore::open_existing(&out).unwrap();
    let want: std::collections::HashSet<String> = ["sha256:aa", "sha256:bb", "sha256:both"]
        .map(String::from)
        .into();
    assert_eq!(db.scanned_versions("ghcr.io/acme/app").unwrap(), want);
}
