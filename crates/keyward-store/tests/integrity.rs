//! Issue 13, items 6 and 7: what the store serves is authenticated. Every authenticated
//! column and state field, edited behind keyward's back in SQLite and in PostgreSQL, is
//! refused on read and reported by verification; a truncated audit log with a rewritten
//! head is caught without an external anchor; legacy stores are upgraded once.

mod support;

use keyward_core::SecretBytes;
use keyward_store::{
    audit, AuditFilter, ErrorKind, Expected, Key, Location, MetaPatch, Stage, Store,
};
use support::{each_backend, p, set, TestDb};

/// The secret every edit targets, with current, previous, pending versions and a
/// rotation state holding an incident.
const JWT: &str = "production/JWT_SECRET";
const SUBJ: &str = "(SELECT id FROM secrets WHERE name = 'JWT_SECRET')";

fn fixture(db: &TestDb) -> String {
    let (mut s, key) = db.init();
    let patch = MetaPatch {
        kind: Some("jwt-secret".into()),
        description: Some("signs sessions".into()),
        owner: Some("platform".into()),
        rotation_interval_days: Some(Some(90)),
        ..Default::default()
    };
    s.set(
        &p(JWT),
        &SecretBytes::new("v1-revoked-0123456789"),
        Expected::Absent,
        &patch,
    )
    .unwrap();
    set(&mut s, JWT, "v2-current-0123456789");
    s.put_pending(
        &p(JWT),
        &SecretBytes::new("v3-pending"),
        Expected::Version(2),
    )
    .unwrap();
    s.revoke(&p(JWT), 1).unwrap();
    let state = r#"{"step":"created","pending_version":3,"incidents":[{"id":"INC-production-JWT_SECRET-v1","path":"production/JWT_SECRET","version":1,"reason":"leaked in a commit","actor":"alice","opened_at":"2026-01-01T00:00:00.000Z"}]}"#;
    s.update_meta(
        &p(JWT),
        &MetaPatch {
            state: Some(state.into()),
            last_rotated: Some(Some("2026-01-02T00:00:00.000Z".into())),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    set(&mut s, "production/OTHER", "other-value");
    key
}

/// Each edit an attacker with write access to the database could make.
const EDITS: &[(&str, &str)] = &[
    ("kind", "UPDATE secrets SET kind = 'password' WHERE id = SUBJ"),
    ("description", "UPDATE secrets SET description = 'x' WHERE id = SUBJ"),
    ("owner", "UPDATE secrets SET owner = 'mallory' WHERE id = SUBJ"),
    ("created_at", "UPDATE secrets SET created_at = '2020-01-01T00:00:00.000Z' WHERE id = SUBJ"),
    ("updated_at", "UPDATE secrets SET updated_at = '2020-01-01T00:00:00.000Z' WHERE id = SUBJ"),
    ("last_rotated", "UPDATE secrets SET last_rotated = NULL WHERE id = SUBJ"),
    ("rotation_interval_days", "UPDATE secrets SET rotation_interval_days = 36500 WHERE id = SUBJ"),
    ("state: erased", "UPDATE secrets SET state = '{}' WHERE id = SUBJ"),
    ("state: corrupt JSON", "UPDATE secrets SET state = '{\"incidents\": [' WHERE id = SUBJ"),
    ("state: step", "UPDATE secrets SET state = replace(state, '\"created\"', '\"idle\"') WHERE id = SUBJ"),
    ("state: incident reason", "UPDATE secrets SET state = replace(state, 'leaked in a commit', 'test') WHERE id = SUBJ"),
    ("deleted_at", "UPDATE secrets SET deleted_at = '2026-01-03T00:00:00.000Z' WHERE id = SUBJ"),
    ("current_version", "UPDATE secrets SET current_version = 1 WHERE id = SUBJ"),
    ("latest_version", "UPDATE secrets SET latest_version = 2 WHERE id = SUBJ"),
    ("revision", "UPDATE secrets SET revision = revision - 1 WHERE id = SUBJ"),
    ("head_seq", "UPDATE secrets SET head_seq = head_seq - 1 WHERE id = SUBJ"),
    ("head_mac removed", "UPDATE secrets SET head_mac = NULL WHERE id = SUBJ"),
    ("head_mac of another secret", "UPDATE secrets SET head_mac = (SELECT head_mac FROM secrets WHERE name = 'OTHER') WHERE id = SUBJ"),
    ("stage: revoked served again", "UPDATE versions SET stage = 'current' WHERE version = 1 AND secret_id = SUBJ; UPDATE versions SET stage = 'retired' WHERE version = 2 AND secret_id = SUBJ; UPDATE secrets SET current_version = 1 WHERE id = SUBJ"),
    ("stage: pending promoted", "UPDATE versions SET stage = 'current' WHERE version = 3 AND secret_id = SUBJ"),
    ("stage: previous", "UPDATE versions SET stage = 'retired' WHERE version = 1 AND secret_id = SUBJ"),
    ("version created_at", "UPDATE versions SET created_at = '2020-01-01T00:00:00.000Z' WHERE version = 2 AND secret_id = SUBJ"),
    ("version created_by", "UPDATE versions SET created_by = 'mallory' WHERE version = 2 AND secret_id = SUBJ"),
    ("version deleted", "DELETE FROM versions WHERE version = 3 AND secret_id = SUBJ"),
    ("version renumbered", "UPDATE versions SET version = 9 WHERE version = 3 AND secret_id = SUBJ"),
];

fn assert_integrity<T: std::fmt::Debug>(what: &str, r: keyward_store::Result<T>) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::Integrity, "{what}: {e}");
    assert!(e.to_string().contains(JWT), "{what}: {e}");
    assert_eq!(e.to_string().lines().count(), 1);
}

#[test]
fn item_06_every_authenticated_column_edited_is_refused_and_reported() {
    for (what, sql) in EDITS {
        for db in [Some(support::sqlite()), support::postgres()]
            .into_iter()
            .flatten()
        {
            let key = fixture(&db);
            db.exec(&sql.replace("SUBJ", SUBJ));
            let mut s = db.open(&key).unwrap();
            let what = format!("{} {what}", db.kind());
            assert_integrity(&format!("{what}: get"), s.get(&p(JWT)));
            assert_integrity(
                &format!("{what}: get_stage"),
                s.get_stage(&p(JWT), Stage::Pending),
            );
            assert_integrity(&format!("{what}: meta"), s.meta(&p(JWT)));
            assert_integrity(&format!("{what}: history"), s.history(&p(JWT)));
            let e = s.list("", true).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Integrity, "{what}: list");
            let e = s
                .export_env("production", "export", "", &|_| Ok(()))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Integrity, "{what}: export");
            assert_integrity(
                &format!("{what}: write"),
                s.set(
                    &p(JWT),
                    &SecretBytes::new("x"),
                    Expected::Any,
                    &MetaPatch::default(),
                ),
            );
            assert_integrity(
                &format!("{what}: update_meta"),
                s.update_meta(&p(JWT), &MetaPatch::default(), None),
            );
            // The untouched secret is still served.
            assert_eq!(
                s.get(&p("production/OTHER")).unwrap().value.expose(),
                b"other-value"
            );
            let report = s.verify().unwrap();
            assert!(!report.ok(), "{what}: verify must fail");
            assert!(report.chain.ok(), "{what}: the hash chain itself is intact");
            assert_eq!(report.problems.len(), 1, "{what}: {:?}", report.problems);
            assert!(
                report.problems[0].contains(JWT),
                "{what}: {:?}",
                report.problems
            );
            // The refusals were audited.
            let failed = s
                .audit_log(&AuditFilter {
                    path: Some(JWT.into()),
                    since: None,
                })
                .unwrap()
                .into_iter()
                .filter(|e| e.outcome == "integrity")
                .count();
            assert!(failed >= 4, "{what}: {failed} integrity failures audited");
        }
    }
}

#[test]
fn item_06_renaming_a_secret_is_refused_under_its_new_name() {
    each_backend(|db| {
        let key = fixture(db);
        db.exec("UPDATE secrets SET name = 'JWT_SECRET2' WHERE name = 'JWT_SECRET'");
        let mut s = db.open(&key).unwrap();
        let e = s.get(&p("production/JWT_SECRET2")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        assert_eq!(s.get(&p(JWT)).unwrap_err().kind(), ErrorKind::NotFound);
        let report = s.verify().unwrap();
        assert!(
            report.problems.iter().any(|p| p.contains("JWT_SECRET2")),
            "{:?}",
            report.problems
        );
    });
}

#[test]
fn item_06_a_secret_removed_entirely_is_reported() {
    each_backend(|db| {
        let key = fixture(db);
        db.exec(&format!(
            "DELETE FROM versions WHERE secret_id = {SUBJ}; DELETE FROM secrets WHERE name = 'JWT_SECRET'"
        ));
        let mut s = db.open(&key).unwrap();
        assert_eq!(s.get(&p(JWT)).unwrap_err().kind(), ErrorKind::NotFound);
        let report = s.verify().unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains(JWT) && p.contains("not in the store")),
            "{:?}",
            report.problems
        );
    });
}

#[test]
fn item_06_an_old_head_copied_back_is_served_but_reported() {
    each_backend(|db| {
        let (mut s, key) = db.init();
        set(&mut s, "production/A", "first");
        let row = "(SELECT id FROM secrets WHERE name = 'A')";
        db.exec(&format!(
            "CREATE TABLE saved AS SELECT current_version, latest_version, revision, updated_at, head_seq, head_mac FROM secrets WHERE id = {row}"
        ));
        set(&mut s, "production/A", "second");
        drop(s);
        db.exec(&format!(
            "DELETE FROM versions WHERE version = 2 AND secret_id = {row};
             UPDATE versions SET stage = 'current' WHERE version = 1 AND secret_id = {row};
             UPDATE secrets SET current_version = (SELECT current_version FROM saved),
                latest_version = (SELECT latest_version FROM saved), revision = (SELECT revision FROM saved),
                updated_at = (SELECT updated_at FROM saved), head_seq = (SELECT head_seq FROM saved),
                head_mac = (SELECT head_mac FROM saved) WHERE id = {row};
             DROP TABLE saved"
        ));
        let mut s = db.open(&key).unwrap();
        // A complete earlier head verifies on its own: reads cannot tell (documented) …
        assert_eq!(s.get(&p("production/A")).unwrap().value.expose(), b"first");
        // … but the audit log records a later change, and verification says so.
        let report = s.verify().unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("production/A") && p.contains("copied back")),
            "{:?}",
            report.problems
        );
    });
}

fn three_reads(db: &TestDb) -> (Store, String) {
    let (mut s, key) = db.init();
    set(&mut s, "production/A", "alpha");
    for _ in 0..3 {
        s.get(&p("production/A")).unwrap();
    }
    (s, key)
}

#[test]
fn item_07_truncated_log_with_a_rewritten_head_is_detected_and_refused() {
    for head_mac in ["mac", "(SELECT checkpoint FROM audit WHERE seq = 3)"] {
        each_backend(|db| {
            let (s, key) = three_reads(db);
            drop(s);
            // Hide the last reads: drop them and point the head at entry 3.
            db.exec(&format!(
                "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit WHERE seq = 3), mac = {head_mac};
                 DELETE FROM audit WHERE seq > 3"
            ));
            let mut backend = db.location.open(false).unwrap();
            assert!(
                audit::verify(backend.as_mut()).unwrap().ok(),
                "without the key the chain alone cannot tell"
            );
            let mut s = db.open(&key).unwrap();
            let report = s.verify().unwrap();
            assert!(!report.ok());
            assert!(
                report.audit_macs.problems[0].contains("audit head"),
                "{:?}",
                report.audit_macs
            );
            // Nothing extends (and so blesses) the truncated log.
            let e = s.get(&p("production/A")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
            assert!(e.to_string().contains("audit log's head"), "{e}");
        });
    }
}

#[test]
fn item_07_a_rewritten_chain_fails_its_checkpoints() {
    each_backend(|db| {
        let (mut s, key) = three_reads(db);
        let mut entries = s.audit_log(&AuditFilter::default()).unwrap();
        drop(s);
        // Rewrite entry 3's actor and recompute every later hash: the chain verifies.
        entries[2].actor = "someone-else".into();
        let mut prev = entries[1].hash.clone();
        let mut sql = String::new();
        for e in entries.iter_mut().skip(2) {
            e.prev_hash = prev.clone();
            e.hash = audit::entry_hash(e);
            prev = e.hash.clone();
            sql.push_str(&format!(
                "UPDATE audit SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {};",
                e.actor, e.prev_hash, e.hash, e.seq
            ));
        }
        sql.push_str(&format!("UPDATE audit_head SET hash = '{prev}';"));
        db.exec(&sql);
        let mut backend = db.location.open(false).unwrap();
        assert!(audit::verify(backend.as_mut()).unwrap().ok());
        let report = db.open(&key).unwrap().verify().unwrap();
        let problems = report.audit_macs.problems.join("\n");
        assert!(
            problems.contains("entry 3 does not match its checkpoint"),
            "{problems}"
        );
        assert!(problems.contains("audit head"), "{problems}");
    });
}

#[test]
fn legacy_store_is_upgraded_once_and_cannot_be_rolled_back() {
    each_backend(|db| {
        let (mut s, key) = db.init();
        set(&mut s, "production/A", "alpha");
        set(&mut s, "staging/B", "beta");
        drop(s);
        // What an earlier keyward wrote: a v1 key check value, no MACs at all.
        let legacy =
            keyward_store::crypto::legacy_key_check_value(&Key::from_base64(&key).unwrap())
                .unwrap();
        let blob = match db.kind() {
            "sqlite" => format!("X'{}'", hex::encode(&legacy)),
            _ => format!("'\\x{}'::bytea", hex::encode(&legacy)),
        };
        db.exec(&format!(
            "UPDATE store_meta SET value = {blob} WHERE key = 'kcv';
             UPDATE secrets SET head_mac = NULL, head_seq = 0;
             UPDATE audit SET checkpoint = NULL; UPDATE audit_head SET mac = NULL;"
        ));
        // Read-only: nothing authenticated yet, nothing written.
        let mut ro = Store::open_read_only(
            db.location.open(false).unwrap(),
            Key::from_base64(&key).unwrap(),
        )
        .unwrap();
        let report = ro.verify().unwrap();
        assert!(!report.upgraded && report.ok(), "{report:?}");
        drop(ro);
        // Opened with the key: upgraded, logged, verified.
        let mut s = db.open(&key).unwrap();
        assert_eq!(s.get(&p("production/A")).unwrap().value.expose(), b"alpha");
        let log = s.audit_log(&AuditFilter::default()).unwrap();
        let up: Vec<_> = log
            .iter()
            .filter(|e| e.action == "integrity.upgrade")
            .collect();
        assert_eq!(up.len(), 1);
        assert!(
            up[0].detail.as_deref().unwrap().contains("2 secret heads"),
            "{:?}",
            up[0].detail
        );
        let report = s.verify().unwrap();
        assert!(
            report.ok() && report.upgraded && report.secrets == 2,
            "{report:?}"
        );
        drop(s);
        // Putting the old key check value back (to get edits blessed) is refused.
        db.exec(&format!(
            "UPDATE store_meta SET value = {blob} WHERE key = 'kcv'"
        ));
        let e = db.open(&key).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    });
}

#[test]
fn rekey_remacs_every_head_and_refuses_a_tampered_one() {
    each_backend(|db| {
        let (mut s, _) = db.init();
        set(&mut s, "production/A", "alpha");
        set(&mut s, "production/B", "beta");
        let new = Key::random().unwrap();
        let new_b64 = new.to_base64().to_string();
        s.rekey(new).unwrap();
        drop(s);
        let mut s = db.open(&new_b64).unwrap();
        assert!(s.verify().unwrap().ok());
        assert_eq!(s.get(&p("production/B")).unwrap().value.expose(), b"beta");
        drop(s);
        db.exec("UPDATE secrets SET owner = 'mallory' WHERE name = 'B'");
        let mut s = db.open(&new_b64).unwrap();
        let e = s.rekey(Key::random().unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        drop(s);
        // Nothing changed: the old key still opens it.
        assert!(db.open(&new_b64).is_ok());
    });
}

#[test]
fn item_08_postgres_tables_named_like_keywards_are_not_adopted() {
    let Some(db) = support::postgres() else {
        return;
    };
    // Another application's migration table in the same schema (Rails, golang-migrate).
    let Location::Postgres { url, schema } = &db.location else {
        unreachable!()
    };
    let schema = schema.clone().unwrap();
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.schema_migrations (version varchar PRIMARY KEY); INSERT INTO {schema}.schema_migrations VALUES ('20240101000000')"
        ))
        .unwrap();
    for create in [false, true] {
        let e = db.location.open(create).err().expect("refused");
        assert_eq!(e.kind(), ErrorKind::Foreign, "{e}");
        assert!(e.to_string().contains("schema_migrations"), "{e}");
    }
    let tables: i64 = admin
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
            &[&schema],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1, "nothing was added");
}
