//! `Store::destroy_versions`: the sealed value is gone for every reader and key, the
//! version's row and the integrity checks are unchanged, rekey skips it, and versions a
//! rotation still needs are refused — on SQLite and PostgreSQL.

mod support;

use keyward_core::SecretBytes;
use keyward_store::{Actor, ErrorKind, Expected, Key, MetaPatch, Stage};
use support::{each_backend, p, set};

#[test]
fn destroyed_values_are_unreadable_and_the_store_still_verifies() {
    each_backend(|db| {
        let (mut s, _) = db.init();
        let path = p("production/API_KEY");
        for v in ["one-1", "two-2", "three-3"] {
            set(&mut s, "production/API_KEY", v);
        }
        let who = Actor {
            name: "token:ops".into(),
            remote: None,
        };
        assert_eq!(
            s.destroy_versions(&who, &path, &[1, 1, 9]).unwrap(),
            vec![1]
        );
        // Again: nothing left to destroy, nothing logged.
        assert!(s.destroy_versions(&who, &path, &[1]).unwrap().is_empty());
        let e = s.get_version(&path, 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.to_string().contains("version 1 was destroyed"), "{e}");
        assert_eq!(s.get(&path).unwrap().value.expose(), b"three-3");
        let h = s.history(&path).unwrap();
        assert_eq!(h.len(), 3, "the row stays");
        assert!(s.verify().unwrap().ok(), "{:?}", s.verify().unwrap());
        let log = s.audit_log(&Default::default()).unwrap();
        let d: Vec<_> = log.iter().filter(|e| e.action == "destroy").collect();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].version, d[0].actor.as_str()), (Some(1), "token:ops"));
        // rekey moves the remaining data keys and skips the destroyed one.
        let new = Key::random().unwrap();
        let new_b64 = new.to_base64().to_string();
        assert_eq!(s.rekey(new).unwrap(), 2);
        drop(s);
        let mut s = db.open(&new_b64).unwrap();
        assert_eq!(s.get_version(&path, 2).unwrap().value.expose(), b"two-2");
        assert!(s.get_version(&path, 1).is_err());
    });
}

#[test]
fn versions_a_rotation_needs_are_refused() {
    each_backend(|db| {
        let (mut s, _) = db.init();
        let path = p("production/JWT_SECRET");
        set(&mut s, "production/JWT_SECRET", "v1");
        set(&mut s, "production/JWT_SECRET", "v2");
        s.put_pending(&path, &SecretBytes::new("v3"), Expected::Version(2))
            .unwrap();
        let who = Actor::os_user();
        let e = s.destroy_versions(&who, &path, &[3]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        // Version 1 is the previous value…
        assert_eq!(s.history(&path).unwrap()[2].stage, Stage::Previous);
        s.update_meta(
            &path,
            &MetaPatch {
                state: Some(r#"{"step":"promoted"}"#.into()),
                ..MetaPatch::default()
            },
            None,
        )
        .unwrap();
        // …but not while a rotation's grace needs it; nothing changed.
        let e = s.destroy_versions(&who, &path, &[1, 2]).unwrap_err();
        assert!(e.to_string().contains("previous"), "{e}");
        assert_eq!(s.get_version(&path, 1).unwrap().value.expose(), b"v1");
    });
}
