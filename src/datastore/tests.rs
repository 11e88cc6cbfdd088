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
        Err(DatastoreError::Version(v)) if v == "99"
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
