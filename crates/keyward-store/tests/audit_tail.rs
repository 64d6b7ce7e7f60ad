//! The dashboard's audit queries: `audit_tail` (newest first, filtered by actor, action or
//! path, keyset pagination) and `audit_count` (an outcome since a time), on each backend.

mod support;

use keyward_store::{Actor, AuditEvent, AuditQuery};

#[test]
fn tail_pages_newest_first_with_each_filter_and_count_by_outcome() {
    support::each_backend(|db| {
        let (mut store, _) = db.init();
        let batch: Vec<(Actor, AuditEvent)> = (0..120)
            .map(|i| {
                (
                    Actor {
                        name: format!("token:t{}", i % 3),
                        remote: None,
                    },
                    AuditEvent {
                        action: if i % 2 == 0 { "api.read" } else { "api.update" }.into(),
                        path: Some(format!("secret/data/p{}", i % 10)),
                        outcome: if i % 20 == 0 { "invalid_token" } else { "ok" }.into(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let seqs = store.append_audit_batch(&batch).unwrap();
        let last = *seqs.last().unwrap();
        let q = |f: &dyn Fn(&mut AuditQuery)| {
            let mut q = AuditQuery {
                limit: 50,
                ..AuditQuery::default()
            };
            f(&mut q);
            q
        };
        let page = store.audit_tail(&q(&|_| {})).unwrap();
        assert_eq!(page.len(), 50, "{}", db.kind());
        assert_eq!(page[0].seq, last);
        assert!(page.windows(2).all(|w| w[0].seq > w[1].seq));
        let next = store
            .audit_tail(&q(&|q| q.before_seq = Some(page[49].seq)))
            .unwrap();
        assert_eq!(next[0].seq, page[49].seq - 1);
        let by_actor = store
            .audit_tail(&q(&|q| q.actor = Some("token:t1".into())))
            .unwrap();
        assert_eq!(by_actor.len(), 40);
        assert!(by_actor.iter().all(|e| e.actor == "token:t1"));
        let both = store
            .audit_tail(&q(&|q| {
                q.actor = Some("token:t0".into());
                q.action = Some("api.read".into());
            }))
            .unwrap();
        assert_eq!(both.len(), 20, "{}", db.kind());
        let by_path = store
            .audit_tail(&q(&|q| q.path = Some("secret/data/p3".into())))
            .unwrap();
        assert_eq!(by_path.len(), 12);
        let since = "2000-01-01T00:00:00.000Z";
        assert_eq!(store.audit_count(&["invalid_token"], since).unwrap(), 6);
        assert_eq!(
            store
                .audit_count(
                    &["invalid_token", "missing_token"],
                    "2999-01-01T00:00:00.000Z"
                )
                .unwrap(),
            0
        );
    });
}
