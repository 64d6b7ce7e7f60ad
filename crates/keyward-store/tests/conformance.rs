//! The backend conformance suite: every test runs on SQLite and, when
//! `KEYWARD_TEST_POSTGRES_URL` is set, on PostgreSQL (a fresh schema per test).

mod support;

use keyward_core::SecretBytes;
use keyward_store::{
    AuditEvent, AuditFilter, ErrorKind, Expected, Key, MetaPatch, SecretPath, Stage, Store,
};
use support::{each_backend, TestDb};

fn p(s: &str) -> SecretPath {
    s.parse().unwrap()
}

fn v(s: &[u8]) -> SecretBytes {
    SecretBytes::new(s.to_vec())
}

fn set(store: &mut Store, path: &str, value: &[u8]) -> u64 {
    store
        .set(&p(path), &v(value), Expected::Any, &MetaPatch::default())
        .unwrap()
        .version
}

/// Everything observable without a key: audit entries, metadata and history.
fn snapshot(db: &TestDb) -> String {
    let mut backend = db.location.open(false).unwrap();
    let entries = keyward_store::audit::entries(backend.as_mut(), &AuditFilter::default()).unwrap();
    format!("{entries:?}")
}

#[test]
fn round_trip_values_and_metadata() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        let values: [&[u8]; 4] = [
            b"sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
            b"quote\"s 'and' $dollar `tick` \\ back",
            &[0, 1, 2, 255, b'\n'],
        ];
        for (i, value) in values.iter().enumerate() {
            let path = p(&format!("production/VAR_{i}"));
            let info = store
                .set(
                    &path,
                    &v(value),
                    Expected::Absent,
                    &MetaPatch {
                        kind: Some("password".into()),
                        owner: Some("platform".into()),
                        rotation_interval_days: Some(Some(90)),
                        ..Default::default()
                    },
                )
                .unwrap();
            assert_eq!(info.version, 1);
            assert_eq!(info.stage, Stage::Current);
            let got = store.get(&path).unwrap();
            assert_eq!(got.value.expose(), *value, "{}", db.kind());
            assert_eq!(got.version, 1);
        }
        set(&mut store, "staging/VAR_0", b"other");
        let listed: Vec<String> = store
            .list("production/", false)
            .unwrap()
            .iter()
            .map(|m| m.path.to_string())
            .collect();
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[0], "production/VAR_0");
        assert_eq!(store.list("", false).unwrap().len(), 5);
        assert_eq!(store.list("staging/VAR", false).unwrap().len(), 1);
        let meta = store.meta(&p("production/VAR_1")).unwrap();
        assert_eq!(meta.kind, "password");
        assert_eq!(meta.owner, "platform");
        assert_eq!(meta.rotation_interval_days, Some(90));
        assert_eq!(meta.state, "{}");
        // A value never shows in Debug output.
        let shown = format!("{:?}", store.get(&p("production/VAR_0")).unwrap());
        assert!(!shown.contains("sk_live"), "{shown}");
        assert_eq!(
            store.get(&p("production/NOPE")).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    });
}

#[test]
fn versions_and_stages() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        let path = p("production/JWT_SECRET");
        for value in [b"one".as_slice(), b"two", b"three"] {
            store
                .set(&path, &v(value), Expected::Any, &MetaPatch::default())
                .unwrap();
        }
        let stages: Vec<(u64, Stage)> = store
            .history(&path)
            .unwrap()
            .iter()
            .map(|i| (i.version, i.stage))
            .collect();
        assert_eq!(
            stages,
            [
                (3, Stage::Current),
                (2, Stage::Previous),
                (1, Stage::Retired)
            ]
        );
        assert_eq!(
            store
                .get_stage(&path, Stage::Previous)
                .unwrap()
                .value
                .expose(),
            b"two"
        );
        assert_eq!(store.get_version(&path, 1).unwrap().value.expose(), b"one");

        // Rotation: pending, then promote.
        let pending = store
            .put_pending(&path, &v(b"four"), Expected::Version(3))
            .unwrap();
        assert_eq!((pending.version, pending.stage), (4, Stage::Pending));
        assert_eq!(store.get(&path).unwrap().value.expose(), b"three");
        assert_eq!(
            store
                .get_stage(&path, Stage::Pending)
                .unwrap()
                .value
                .expose(),
            b"four"
        );
        let again = store.put_pending(&path, &v(b"x"), Expected::Version(3));
        assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);
        assert!(store.meta(&path).unwrap().last_rotated.is_none());
        store.promote(&path, 4, Expected::Version(3)).unwrap();
        assert_eq!(store.get(&path).unwrap().value.expose(), b"four");
        assert_eq!(
            store
                .get_stage(&path, Stage::Previous)
                .unwrap()
                .value
                .expose(),
            b"three"
        );
        let meta = store.meta(&path).unwrap();
        assert_eq!(meta.current_version, 4);
        assert!(meta.last_rotated.is_some());
        assert_eq!(
            store.promote(&path, 4, Expected::Any).unwrap_err().kind(),
            ErrorKind::Conflict
        );

        // Discard a pending version.
        store
            .put_pending(&path, &v(b"five"), Expected::Version(4))
            .unwrap();
        store.discard_pending(&path, 5).unwrap();
        assert_eq!(
            store.get_stage(&path, Stage::Pending).unwrap_err().kind(),
            ErrorKind::NotFound
        );

        // Revoke the previous (compromised) version, then the current one.
        store.revoke(&path, 3).unwrap();
        assert_eq!(
            store.get_stage(&path, Stage::Previous).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        store.revoke(&path, 4).unwrap();
        assert_eq!(store.get(&path).unwrap_err().kind(), ErrorKind::NotFound);
        let info = store
            .set(&path, &v(b"six"), Expected::Absent, &MetaPatch::default())
            .unwrap();
        assert_eq!(info.version, 6);
        let stages: Vec<Stage> = store
            .history(&path)
            .unwrap()
            .iter()
            .map(|i| i.stage)
            .collect();
        assert_eq!(
            stages,
            [
                Stage::Current,
                Stage::Retired,
                Stage::Revoked,
                Stage::Revoked,
                Stage::Retired,
                Stage::Retired
            ]
        );

        // Rotation state with revision CAS.
        let rev = store.meta(&path).unwrap().revision;
        let meta = store
            .update_meta(
                &path,
                &MetaPatch {
                    state: Some(r#"{"step":"set_on_target"}"#.into()),
                    ..Default::default()
                },
                Some(rev),
            )
            .unwrap();
        assert_eq!(meta.state, r#"{"step":"set_on_target"}"#);
        let stale = store.update_meta(
            &path,
            &MetaPatch {
                state: Some("{}".into()),
                ..Default::default()
            },
            Some(rev),
        );
        assert_eq!(stale.unwrap_err().kind(), ErrorKind::Conflict);
        let bad = store.update_meta(
            &path,
            &MetaPatch {
                state: Some("not json".into()),
                ..Default::default()
            },
            None,
        );
        assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn cas_conflicts_change_nothing() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        let path = p("staging/DATABASE_URL");
        store
            .set(&path, &v(b"a"), Expected::Absent, &MetaPatch::default())
            .unwrap();
        let before = store.history(&path).unwrap();
        let err = store
            .set(&path, &v(b"b"), Expected::Absent, &MetaPatch::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(err.to_string().contains("version 1"), "{err}");
        let err = store
            .set(&path, &v(b"b"), Expected::Version(7), &MetaPatch::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(store.history(&path).unwrap(), before);
        assert_eq!(store.get(&path).unwrap().value.expose(), b"a");
        store
            .set(&path, &v(b"b"), Expected::Version(1), &MetaPatch::default())
            .unwrap();
        let err = store
            .set(&path, &v(b"c"), Expected::Version(1), &MetaPatch::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(store.get(&path).unwrap().value.expose(), b"b");
        let err = store
            .set(
                &p("staging/NEW"),
                &v(b"x"),
                Expected::Version(1),
                &MetaPatch::default(),
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(store.list("staging/NEW", true).unwrap().is_empty());
        // The conflicts are audited.
        let conflicts = store
            .audit_log(&AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.outcome == "conflict")
            .count();
        assert_eq!(conflicts, 4);
    });
}

#[test]
fn soft_delete_and_restore() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        let path = p("dev/REDIS_PASSWORD");
        set(&mut store, "dev/REDIS_PASSWORD", b"pw");
        set(&mut store, "dev/OTHER", b"o");
        assert_eq!(
            store
                .delete(&path, Expected::Version(9))
                .unwrap_err()
                .kind(),
            ErrorKind::Conflict
        );
        store.delete(&path, Expected::Version(1)).unwrap();
        assert_eq!(store.get(&path).unwrap_err().kind(), ErrorKind::Deleted);
        assert_eq!(store.list("dev/", false).unwrap().len(), 1);
        assert_eq!(store.list("dev/", true).unwrap().len(), 2);
        assert!(store.meta(&path).unwrap().deleted_at.is_some());
        assert_eq!(
            store
                .set(&path, &v(b"x"), Expected::Any, &MetaPatch::default())
                .unwrap_err()
                .kind(),
            ErrorKind::Deleted
        );
        assert_eq!(
            store.delete(&path, Expected::Any).unwrap_err().kind(),
            ErrorKind::Deleted
        );
        let names: Vec<String> = store
            .export_env("dev", "export", "test", &|_| Ok(()))
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["OTHER"]);
        let refused = store.export_env("dev", "export", "docker", &|e| {
            Err(format!("{} refused", e.name))
        });
        let err = refused.unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string()),
            (ErrorKind::InvalidInput, "OTHER refused".to_string())
        );
        let exports: Vec<String> = store
            .audit_log(&AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "export")
            .map(|e| e.outcome)
            .collect();
        assert_eq!(exports, ["ok", "invalid_input"]);
        store.restore(&path).unwrap();
        assert_eq!(store.get(&path).unwrap().value.expose(), b"pw");
        assert_eq!(
            store.restore(&path).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(store.history(&path).unwrap().len(), 1);
    });
}

#[test]
fn rekey_moves_every_data_key() {
    each_backend(|db| {
        let (mut store, old) = db.init();
        set(&mut store, "production/A", b"alpha");
        set(&mut store, "production/A", b"alpha2");
        set(&mut store, "staging/B", b"beta");
        store.delete(&p("staging/B"), Expected::Any).unwrap();
        let new = Key::random().unwrap();
        let new_b64 = new.to_base64().to_string();
        assert_eq!(store.rekey(new).unwrap(), 3);
        // The same handle keeps working under the new key.
        assert_eq!(
            store.get(&p("production/A")).unwrap().value.expose(),
            b"alpha2"
        );
        drop(store);
        assert_eq!(db.open(&old).unwrap_err().kind(), ErrorKind::WrongKey);
        let mut store = db.open(&new_b64).unwrap();
        assert_eq!(
            store
                .get_version(&p("production/A"), 1)
                .unwrap()
                .value
                .expose(),
            b"alpha"
        );
        store.restore(&p("staging/B")).unwrap();
        assert_eq!(store.get(&p("staging/B")).unwrap().value.expose(), b"beta");
        let log = store.audit_log(&AuditFilter::default()).unwrap();
        assert!(log.iter().any(|e| e.action == "rekey" && e.outcome == "ok"));
        assert!(store.verify_audit().unwrap().ok());
    });
}

#[test]
fn stale_handle_after_concurrent_rekey_writes_nothing() {
    each_backend(|db| {
        let (mut a, old) = db.init();
        set(&mut a, "production/A", b"alpha");
        set(&mut a, "production/P", b"base");
        // Another process rekeys while `a` is open.
        let mut other = db.open(&old).unwrap();
        let new = Key::random().unwrap();
        let new_b64 = new.to_base64().to_string();
        other.rekey(new).unwrap();
        drop(other);
        let before = snapshot(db);
        let pa = p("production/A");
        let pp = p("production/P");
        let results = [
            a.set(
                &pa,
                &v(b"sealed-under-old"),
                Expected::Any,
                &MetaPatch::default(),
            )
            .map(drop),
            a.set(
                &p("production/NEW"),
                &v(b"x"),
                Expected::Absent,
                &MetaPatch::default(),
            )
            .map(drop),
            a.put_pending(&pp, &v(b"pending"), Expected::Any).map(drop),
            a.revoke(&pp, 1),
            a.update_meta(
                &pa,
                &MetaPatch {
                    owner: Some("x".into()),
                    ..Default::default()
                },
                None,
            )
            .map(drop),
            a.delete(&pa, Expected::Any),
            a.get(&pa).map(drop),
            a.export_env("production", "export", "", &|_| Ok(()))
                .map(drop),
            a.export_env_deferred("production", "run", "", &|_| Ok(()))
                .map(drop),
            a.audit(AuditEvent {
                action: "rotate".into(),
                outcome: "ok".into(),
                ..Default::default()
            })
            .map(drop),
            a.rekey(Key::random().unwrap()).map(drop),
        ];
        for (i, result) in results.into_iter().enumerate() {
            let err = result.expect_err("a stale handle must not write");
            assert_eq!(err.kind(), ErrorKind::Rekeyed, "#{i}: {err}");
            let msg = err.to_string();
            assert!(
                msg.contains("the store was rekeyed by another process; run the command again"),
                "{msg}"
            );
            assert_eq!(msg.lines().count(), 1);
        }
        // Nothing was written: not a version, not a failure entry.
        assert_eq!(snapshot(db), before, "{}", db.kind());
        // Metadata reads need the current key too (heads are MACed under a key derived
        // from it): the stale handle is told to start again, not shown an integrity error.
        assert_eq!(a.history(&pa).unwrap_err().kind(), ErrorKind::Rekeyed);
        assert_eq!(a.list("", true).unwrap_err().kind(), ErrorKind::Rekeyed);
        drop(a);
        // Existing values read fine under the new key; the chain is intact.
        let mut fresh = db.open(&new_b64).unwrap();
        assert_eq!(fresh.history(&pa).unwrap().len(), 1);
        assert!(fresh.list("production/NEW", true).unwrap().is_empty());
        assert_eq!(fresh.get(&pa).unwrap().value.expose(), b"alpha");
        assert_eq!(fresh.get(&pp).unwrap().value.expose(), b"base");
        assert_eq!(fresh.meta(&pa).unwrap().owner, "");
        assert!(fresh.verify_audit().unwrap().ok());
        // And a write through a handle opened with the new key works.
        set(&mut fresh, "production/A", b"alpha2");
        assert_eq!(fresh.get(&pa).unwrap().value.expose(), b"alpha2");
    });
}

#[test]
fn rekey_to_the_same_key_elsewhere_does_not_block_an_open_handle() {
    each_backend(|db| {
        let (mut a, old) = db.init();
        set(&mut a, "production/A", b"alpha");
        let mut other = db.open(&old).unwrap();
        other.rekey(Key::from_base64(&old).unwrap()).unwrap();
        drop(other);
        // The key check value changed, but it still matches `a`'s key.
        set(&mut a, "production/A", b"alpha2");
        drop(a);
        let mut fresh = db.open(&old).unwrap();
        assert_eq!(
            fresh.get(&p("production/A")).unwrap().value.expose(),
            b"alpha2"
        );
    });
}

#[test]
fn deferred_export_logs_ok_only_after_finish() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        set(&mut store, "dev/A", b"a-value");
        set(&mut store, "dev/B", b"b-value");
        let outcomes = |store: &mut Store| -> Vec<(String, Option<String>)> {
            store
                .audit_log(&AuditFilter::default())
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "run")
                .map(|e| (e.outcome, e.detail))
                .collect()
        };
        let (values, receipt) = store
            .export_env_deferred("dev", "run", "command x", &|_| Ok(()))
            .unwrap();
        assert_eq!(values.len(), 2);
        assert_eq!(receipt.len(), 2);
        assert!(
            outcomes(&mut store).is_empty(),
            "nothing logged before delivery"
        );
        store
            .finish_export(&receipt, Err("cannot start the command"))
            .unwrap();
        assert_eq!(
            outcomes(&mut store),
            vec![
                (
                    "failed".to_string(),
                    Some("command x: cannot start the command".to_string())
                );
                2
            ]
        );
        let (_, receipt) = store
            .export_env_deferred("dev", "run", "command x", &|_| Ok(()))
            .unwrap();
        store.finish_export(&receipt, Ok(())).unwrap();
        let log = outcomes(&mut store);
        assert_eq!(log.len(), 4);
        assert!(log[2..].iter().all(|(o, _)| o == "ok"));
        let entries = store.audit_log(&AuditFilter::default()).unwrap();
        let hmac = store.value_hmac(&p("dev/A"), b"a-value");
        assert!(entries
            .iter()
            .any(|e| e.action == "run" && e.value_hmac.as_deref() == Some(hmac.as_str())));
        // A failure with nothing exported still leaves one entry.
        let (_, receipt) = store
            .export_env_deferred("empty", "export", "format dotenv", &|_| Ok(()))
            .unwrap();
        assert!(receipt.is_empty());
        store.finish_export(&receipt, Err("output exists")).unwrap();
        let failed: Vec<_> = store
            .audit_log(&AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "export")
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].outcome, "failed");
        assert!(store.verify_audit().unwrap().ok());
    });
}

#[test]
fn wrong_key_is_refused_and_nothing_changes() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        set(&mut store, "production/STRIPE_SECRET_KEY", b"sk_live_x");
        drop(store);
        let before = snapshot(db);
        let wrong = Key::random().unwrap().to_base64().to_string();
        let err = db.open(&wrong).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongKey);
        assert!(err.to_string().contains("wrong master key"), "{err}");
        assert!(!err.to_string().contains('\n'));
        assert_eq!(snapshot(db), before);
        // Opening an uninitialized location is a clear error too.
        let fresh = support::sqlite();
        let e = fresh.open(&wrong).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotInitialized);
        // Init twice is refused.
        let e = Store::init(db.location.open(true).unwrap(), Key::random().unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyInitialized);
        assert_eq!(snapshot(db), before);
    });
}

#[test]
fn ciphertext_moved_between_rows_is_refused() {
    each_backend(|db| {
        let (mut store, key) = db.init();
        set(&mut store, "production/A", b"value-of-a");
        set(&mut store, "production/B", b"value-of-b");
        set(&mut store, "production/B", b"value-of-b-2");
        drop(store);
        // Copy A v1's sealed bytes (data key and ciphertext) over B v2.
        db.exec(
            "UPDATE versions SET
                wrapped_key = (SELECT v.wrapped_key FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'A' AND v.version = 1),
                ciphertext = (SELECT v.ciphertext FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'A' AND v.version = 1)
             WHERE version = 2 AND secret_id = (SELECT id FROM secrets WHERE name = 'B')",
        );
        let mut store = db.open(&key).unwrap();
        let err = store.get(&p("production/B")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
        assert!(!err.to_string().contains("value-of"));
        // Moving a row to another version of the same secret fails too.
        db.exec(
            "UPDATE versions SET
                wrapped_key = (SELECT v.wrapped_key FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'B' AND v.version = 1),
                ciphertext = (SELECT v.ciphertext FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'B' AND v.version = 1)
             WHERE version = 2 AND secret_id = (SELECT id FROM secrets WHERE name = 'B')",
        );
        assert_eq!(
            store.get(&p("production/B")).unwrap_err().kind(),
            ErrorKind::Tampered
        );
        assert_eq!(
            store.get(&p("production/A")).unwrap().value.expose(),
            b"value-of-a"
        );
        // Export fails whole rather than exporting a wrong value.
        assert_eq!(
            store
                .export_env("production", "export", "", &|_| Ok(()))
                .unwrap_err()
                .kind(),
            ErrorKind::Tampered
        );
        let log = store
            .audit_log(&AuditFilter {
                path: Some("production/B".into()),
                since: None,
            })
            .unwrap();
        let failed = log.iter().filter(|e| e.action == "unseal_failed").count();
        assert_eq!(failed, 3, "{log:?}");
        // Rekey refuses to run over a tampered key and changes nothing.
        assert_eq!(
            store.rekey(Key::random().unwrap()).unwrap_err().kind(),
            ErrorKind::Tampered
        );
        drop(store);
        assert!(db.open(&key).is_ok());
    });
}

#[test]
fn audit_chain_verifies_and_detects_edits_and_deletions() {
    each_backend(|db| {
        let (mut store, key) = db.init();
        set(&mut store, "production/A", b"hunter2-the-value");
        store.get(&p("production/A")).unwrap();
        store.delete(&p("production/A"), Expected::Any).unwrap();
        store.restore(&p("production/A")).unwrap();
        store
            .export_env("production", "export", "dotenv", &|_| Ok(()))
            .unwrap();
        store
            .audit(AuditEvent {
                action: "rotate".into(),
                path: Some("production/A".into()),
                outcome: "ok".into(),
                detail: Some("from another crate".into()),
                ..Default::default()
            })
            .unwrap();
        let log = store.audit_log(&AuditFilter::default()).unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["init", "write", "read", "delete", "restore", "export", "rotate"]
        );
        assert!(log
            .iter()
            .all(|e| e.time.ends_with('Z') && !e.actor.is_empty()));
        // Values appear only as their HMAC.
        let text = format!("{log:?}");
        assert!(!text.contains("hunter2"));
        let hmac = store.value_hmac(&p("production/A"), b"hunter2-the-value");
        assert_eq!(log[1].value_hmac.as_deref(), Some(hmac.as_str()));
        assert_eq!(log[2].value_hmac.as_deref(), Some(hmac.as_str()));
        let report = store.verify_audit().unwrap();
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.entries, 7);
        // Filters.
        let since = keyward_store::clock::parse_since("1h").unwrap();
        assert_eq!(
            store
                .audit_log(&AuditFilter {
                    path: Some("production/".into()),
                    since: Some(since)
                })
                .unwrap()
                .len(),
            6
        );
        assert_eq!(
            store
                .audit_log(&AuditFilter {
                    path: None,
                    since: Some("2999-01-01T00:00:00.000Z".into())
                })
                .unwrap()
                .len(),
            0
        );
        drop(store);

        // An edited entry.
        db.exec("UPDATE audit SET outcome = 'denied' WHERE seq = 3");
        let mut backend = db.location.open(false).unwrap();
        let report = keyward_store::audit::verify(backend.as_mut()).unwrap();
        assert_eq!(report.first_broken, Some(3), "{report:?}");
        db.exec("UPDATE audit SET outcome = 'ok' WHERE seq = 3");
        assert!(keyward_store::audit::verify(backend.as_mut()).unwrap().ok());
        // An edit with the entry's own hash recomputed still breaks the next link.
        db.exec("UPDATE audit SET hash = 'ff' || substr(hash, 3) WHERE seq = 4");
        assert_eq!(
            keyward_store::audit::verify(backend.as_mut())
                .unwrap()
                .first_broken,
            Some(4)
        );
        db.exec(
            "UPDATE audit SET hash = (SELECT prev_hash FROM audit WHERE seq = 5) WHERE seq = 4",
        );
        // A deleted entry in the middle.
        db.exec("DELETE FROM audit WHERE seq = 5");
        let report = keyward_store::audit::verify(backend.as_mut()).unwrap();
        assert_eq!(report.first_broken, Some(5), "{report:?}");
        assert!(report.reason.unwrap().contains("missing"));
        drop(backend);
        // The store keeps working (and appending) with a broken chain; verify still fails.
        let mut store = db.open(&key).unwrap();
        store.get(&p("production/A")).unwrap();
        assert_eq!(store.verify_audit().unwrap().first_broken, Some(5));
    });
}

#[test]
fn deleting_the_last_audit_entry_is_detected() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        set(&mut store, "dev/A", b"a");
        set(&mut store, "dev/B", b"b");
        drop(store);
        db.exec("DELETE FROM audit WHERE seq = 3");
        let mut backend = db.location.open(false).unwrap();
        let report = keyward_store::audit::verify(backend.as_mut()).unwrap();
        assert_eq!(report.first_broken, Some(3), "{report:?}");
    });
}

#[test]
fn retire_previous_after_grace() {
    each_backend(|db| {
        let (mut store, _) = db.init();
        let path = p("production/REDIS_PASSWORD");
        set(&mut store, "production/REDIS_PASSWORD", b"one");
        store
            .put_pending(&path, &v(b"two"), Expected::Version(1))
            .unwrap();
        store.promote(&path, 2, Expected::Version(1)).unwrap();
        let err = store.retire_previous(&path, 2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        store.retire_previous(&path, 1).unwrap();
        assert_eq!(
            store.get_stage(&path, Stage::Previous).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(store.get(&path).unwrap().value.expose(), b"two");
        let stages: Vec<Stage> = store
            .history(&path)
            .unwrap()
            .iter()
            .map(|i| i.stage)
            .collect();
        assert_eq!(stages, [Stage::Current, Stage::Retired]);
        let log = store.audit_log(&AuditFilter::default()).unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == "retire" && e.version == Some(1) && e.outcome == "ok"));
    });
}
