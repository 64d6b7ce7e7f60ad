//! Group commit and concurrent readers: `append_audit_batch`, `get_deferred`, `StorePool`.

mod support;

use keyward_core::SecretBytes;
use keyward_store::{
    Actor, AuditEvent, AuditFilter, ErrorKind, Expected, Key, MetaPatch, SecretPath, StorePool,
};
use std::time::Duration;

fn event(action: &str, path: &str) -> AuditEvent {
    AuditEvent {
        action: action.into(),
        path: Some(path.into()),
        outcome: "ok".into(),
        ..Default::default()
    }
}

fn actor(name: &str, remote: &str) -> Actor {
    Actor {
        name: name.into(),
        remote: Some(remote.into()),
    }
}

#[test]
fn a_batch_is_chained_in_order_with_each_entrys_actor() {
    support::each_backend(|db| {
        let (mut store, _) = db.init();
        let before = store.audit_log(&AuditFilter::default()).unwrap().len() as u64;
        let batch: Vec<(Actor, AuditEvent)> = (0..300)
            .map(|i| {
                (
                    actor(&format!("token:t{}", i % 3), &format!("10.0.0.{}", i % 7)),
                    event("read", &format!("kv/p{i}")),
                )
            })
            .collect();
        let seqs = store.append_audit_batch(&batch).unwrap();
        let want: Vec<u64> = (before + 1..=before + 300).collect();
        assert_eq!(seqs, want, "{}", db.kind());
        let log = store.audit_log(&AuditFilter::default()).unwrap();
        assert_eq!(log.len() as u64, before + 300);
        for (i, e) in log[before as usize..].iter().enumerate() {
            assert_eq!(e.path.as_deref(), Some(format!("kv/p{i}").as_str()));
            assert_eq!(e.actor, format!("token:t{}", i % 3));
            assert_eq!(
                e.remote.as_deref(),
                Some(format!("10.0.0.{}", i % 7).as_str())
            );
        }
        let report = store.verify().unwrap();
        assert!(report.ok(), "{}: {:?}", db.kind(), report.problems);
        // A single append after a batch continues the same chain.
        store.audit(event("note", "kv/after")).unwrap();
        assert!(store.verify().unwrap().ok());
        assert!(store.append_audit_batch(&[]).unwrap().is_empty());
        assert_eq!(
            store.audit_log(&AuditFilter::default()).unwrap().len() as u64,
            before + 301
        );
    });
}

#[test]
fn a_batch_over_a_tampered_head_writes_nothing() {
    support::each_backend(|db| {
        let (mut store, _) = db.init();
        let before = store.audit_log(&AuditFilter::default()).unwrap().len();
        db.exec("UPDATE audit_head SET mac = '00'");
        let err = store
            .append_audit_batch(&[(actor("a", "r"), event("read", "kv/x"))])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "{}: {err}", db.kind());
        assert_eq!(
            store.audit_log(&AuditFilter::default()).unwrap().len(),
            before
        );
    });
}

#[test]
fn deferred_reads_audit_nothing_until_the_batch() {
    support::each_backend(|db| {
        let (mut store, _) = db.init();
        let p: SecretPath = "production/API_KEY".parse().unwrap();
        store
            .set(
                &p,
                &SecretBytes::new("v1"),
                Expected::Absent,
                &MetaPatch::default(),
            )
            .unwrap();
        store
            .set(
                &p,
                &SecretBytes::new("v2"),
                Expected::Version(1),
                &MetaPatch::default(),
            )
            .unwrap();
        let before = store.audit_log(&AuditFilter::default()).unwrap().len();
        let (cur, ev) = store.get_deferred(&p, None).unwrap();
        assert_eq!((cur.version, cur.value.expose()), (2, b"v2".as_slice()));
        assert_eq!(ev.version, Some(2));
        assert_eq!(ev.value_hmac, Some(store.value_hmac(&p, b"v2")));
        let (old, _) = store.get_deferred(&p, Some(1)).unwrap();
        assert_eq!(old.value.expose(), b"v1");
        assert_eq!(
            store.audit_log(&AuditFilter::default()).unwrap().len(),
            before,
            "a deferred read logs nothing by itself"
        );
        // get_many: one batch for both reads; a missing one is an error in place, audited.
        let missing: SecretPath = "production/NOPE".parse().unwrap();
        let got = store
            .get_many(&[p.clone(), missing], &actor("token:web", "10.1.1.1"))
            .unwrap();
        assert_eq!(got[0].as_ref().unwrap().value.expose(), b"v2");
        assert_eq!(got[1].as_ref().unwrap_err().kind(), ErrorKind::NotFound);
        let log = store.audit_log(&AuditFilter::default()).unwrap();
        let new: Vec<_> = log[before..]
            .iter()
            .map(|e| (e.action.as_str(), e.outcome.as_str(), e.actor.as_str()))
            .collect();
        assert!(new.contains(&("read", "ok", "token:web")), "{new:?}");
        assert!(
            new.iter()
                .any(|(a, o, _)| *a == "read" && *o == "not_found"),
            "{new:?}"
        );
        // A version that does not exist, a deleted secret: refused like `get`.
        assert_eq!(
            store.get_deferred(&p, Some(9)).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        store.delete(&p, Expected::Any).unwrap();
        assert_eq!(
            store.get_deferred(&p, None).unwrap_err().kind(),
            ErrorKind::Deleted
        );
        assert!(store.verify().unwrap().ok());
    });
}

#[test]
fn pooled_handles_read_concurrently_and_the_pool_is_bounded() {
    support::each_backend(|db| {
        let (mut store, key) = db.init();
        let p: SecretPath = "production/DB_URL".parse().unwrap();
        store
            .set(
                &p,
                &SecretBytes::new("x"),
                Expected::Absent,
                &MetaPatch::default(),
            )
            .unwrap();
        drop(store);
        let pool = StorePool::open(db.location.clone(), Key::from_base64(&key).unwrap(), 3)
            .unwrap()
            .with_actor(actor("svc", "pool"));
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let mut h = pool.get().unwrap();
                        assert_eq!(h.get(&p).unwrap().value.expose(), b"x");
                    }
                });
            }
        });
        // All handles out: the next checkout waits, then fails with a one-line cause.
        let small = StorePool::open(db.location.clone(), Key::from_base64(&key).unwrap(), 2)
            .unwrap()
            .with_wait(Duration::from_millis(100));
        let held: Vec<_> = (0..2).map(|_| small.get().unwrap()).collect();
        let err = small.get().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Backend);
        assert!(
            err.to_string().contains("all 2 store connections are busy"),
            "{err}"
        );
        drop(held);
        assert!(small.get().is_ok(), "a returned handle is handed out again");
        let mut h = pool.get().unwrap();
        let log = h.audit_log(&AuditFilter::default()).unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "read").count(), 120);
        assert!(log
            .iter()
            .filter(|e| e.action == "read")
            .all(|e| e.actor == "svc"));
        assert!(h.verify().unwrap().ok(), "{}", db.kind());
    });
}

#[test]
fn a_pool_refuses_a_wrong_key() {
    support::each_backend(|db| {
        let (_store, _) = db.init();
        let err = StorePool::open(db.location.clone(), Key::random().unwrap(), 2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongKey, "{}", db.kind());
    });
}
