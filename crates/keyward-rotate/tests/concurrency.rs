//! Two rotators on one secret: only the holder of the rotation's lease touches the target.
//! Each rotator opens its own store on the same SQLite file, as two processes would.

mod support;

use keyward_rotate::lease;
use keyward_rotate::{Lease, Outcome, RotateErrorKind, RotationState, Rotator, Step};
use keyward_store::{Key, Location, MetaPatch, SecretPath, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

const KEY: [u8; 32] = [7; 32];

fn open(db: &Path) -> Store {
    let backend = Location::parse(Some(db.to_str().unwrap()))
        .open(false)
        .unwrap();
    Store::open(backend, Key::from_bytes(&KEY)).unwrap()
}

/// A store with `production/API_TOKEN` under a command target whose hooks are `hooks`
/// (TOML fields); returns the directory (hooks run there via `cd`), the db and the policy text.
fn setup(hooks: &str) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let backend = Location::parse(Some(db.to_str().unwrap()))
        .open(true)
        .unwrap();
    let mut store = Store::init(backend, Key::from_bytes(&KEY)).unwrap();
    set(
        &mut store,
        "production/API_TOKEN",
        "api-token-old-0123456789abcdefghijkl",
        "api-key",
    );
    let policy = format!(
        "[variables.API_TOKEN]\nkind = \"api-key\"\n[variables.API_TOKEN.rotation]\ngrace_days = 0\ntarget = {{ type = \"command\", timeout_secs = 20, {} }}\n",
        hooks.replace("DIR", dir.path().to_str().unwrap())
    );
    (dir, db, policy)
}

fn state(store: &mut Store, p: &SecretPath) -> RotationState {
    RotationState::parse(&store.meta(p).unwrap().state).unwrap()
}

fn lines(path: PathBuf) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// Wait until `cond` holds on the secret's state (at most 10 s).
fn wait_for(db: &Path, p: &SecretPath, cond: impl Fn(&RotationState) -> bool) {
    let mut store = open(db);
    let t = Instant::now();
    while !cond(&state(&mut store, p)) {
        assert!(t.elapsed() < Duration::from_secs(10), "timed out waiting");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Put `lease` into the stored state (as another process would have).
fn plant(db: &Path, p: &SecretPath, lease: Option<Lease>) {
    let mut store = open(db);
    let mut st = state(&mut store, p);
    st.lease = lease;
    let patch = MetaPatch {
        state: Some(st.to_text()),
        ..Default::default()
    };
    store.update_meta(p, &patch, None).unwrap();
}

#[test]
fn concurrent_rotations_of_the_same_secret_run_set_once() {
    let (dir, db, text) = setup("set = \"echo run >> DIR/set.log; sleep 2\"");
    let policy = policy(&text);
    let p = path("production/API_TOKEN");
    let first = {
        let (db, policy, p) = (db.clone(), policy.clone(), p.clone());
        std::thread::spawn(move || {
            let mut store = open(&db);
            Rotator::new(&mut store, &policy).rotate(&p)
        })
    };
    // The first rotator is inside its set hook: a second one (and a cron resume, and an
    // early finish) must stop without touching the target.
    wait_for(&db, &p, |st| {
        st.step == Step::Created && st.pending_version.is_some()
    });
    let mut store = open(&db);
    for (what, r) in [
        ("rotate", Rotator::new(&mut store, &policy).rotate(&p)),
        ("resume", Rotator::new(&mut store, &policy).resume(&p)),
        (
            "revoke",
            Rotator::new(&mut store, &policy)
                .revoke(&p, None, "test", None)
                .map(|(_, o)| o),
        ),
    ] {
        let e = r.expect_err(what);
        assert_eq!(e.kind(), RotateErrorKind::Busy, "{what}: {e}");
        assert!(e.to_string().contains("another process"), "{what}: {e}");
    }
    let out = first.join().unwrap().unwrap();
    assert_eq!(out, Outcome::Finished { version: 2 });
    assert_eq!(lines(dir.path().join("set.log")), 1, "set ran exactly once");
    let st = state(&mut store, &p);
    assert_eq!(st.step, Step::Idle);
    assert!(st.lease.is_none(), "released");
    assert!(st.last_error.is_none());
    assert!(st.incidents.is_empty(), "the busy revoke opened nothing");
    assert_eq!(store.history(&p).unwrap().len(), 2, "one rotation");
    // Free again: the next rotation goes ahead.
    Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    assert_eq!(lines(dir.path().join("set.log")), 2);
}

#[test]
fn stale_failed_test_never_rolls_back_after_a_takeover() {
    // The reported outage: a slow test that fails after another process has taken the
    // rotation over must not roll the target back (the new value may be current by then).
    let (dir, db, text) = setup(
        "set = \"cat > DIR/applied\", test = \"sleep 2; exit 1\", rollback = \"echo rb >> DIR/rollback.log\"",
    );
    let policy = policy(&text);
    let p = path("production/API_TOKEN");
    let first = {
        let (db, policy, p) = (db.clone(), policy.clone(), p.clone());
        std::thread::spawn(move || {
            let mut store = open(&db);
            Rotator::new(&mut store, &policy).rotate(&p)
        })
    };
    wait_for(&db, &p, |st| st.step == Step::Set);
    std::thread::sleep(Duration::from_millis(300)); // inside the test hook
    let other = lease::fresh("another-rotator");
    plant(&db, &p, Some(other.clone()));
    let e = first.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), RotateErrorKind::Busy, "{e}");
    assert!(e.to_string().contains("lost the rotation's lease"), "{e}");
    assert_eq!(lines(dir.path().join("rollback.log")), 0, "no rollback");
    let mut store = open(&db);
    let st = state(&mut store, &p);
    assert_eq!(st.step, Step::Set, "state left to the new owner");
    assert_eq!(st.lease, Some(other), "the new owner's lease untouched");
    assert!(st.last_error.is_none(), "the loser records nothing");
    assert!(store
        .history(&p)
        .unwrap()
        .iter()
        .any(|v| v.stage == keyward_store::Stage::Pending));
}

#[test]
fn set_that_outlives_its_lease_does_not_record_or_go_on() {
    let (dir, db, text) =
        setup("set = \"sleep 1; cat > DIR/applied\", test = \"echo t >> DIR/test.log\"");
    let policy = policy(&text);
    let p = path("production/API_TOKEN");
    let first = {
        let (db, policy, p) = (db.clone(), policy.clone(), p.clone());
        std::thread::spawn(move || {
            let mut store = open(&db);
            Rotator::new(&mut store, &policy).rotate(&p)
        })
    };
    wait_for(&db, &p, |st| {
        st.step == Step::Created && st.pending_version.is_some()
    });
    plant(&db, &p, Some(lease::fresh("another-rotator")));
    let e = first.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), RotateErrorKind::Busy, "{e}");
    assert_eq!(
        lines(dir.path().join("test.log")),
        0,
        "did not go on to test"
    );
    let mut store = open(&db);
    assert_eq!(
        state(&mut store, &p).step,
        Step::Created,
        "set not recorded"
    );
}

#[test]
fn leases_of_dead_or_expired_holders_are_taken_over() {
    let (dir, db, text) = setup("set = \"echo run >> DIR/set.log\"");
    let policy = policy(&text);
    let p = path("production/API_TOKEN");
    let mine = lease::fresh("x");
    // A live holder (this process, another rotator): busy, target untouched.
    plant(&db, &p, Some(lease::fresh("live-holder")));
    let mut store = open(&db);
    let e = Rotator::new(&mut store, &policy).rotate(&p).unwrap_err();
    assert_eq!(e.kind(), RotateErrorKind::Busy);
    assert_eq!(lines(dir.path().join("set.log")), 0);
    // Expired, from a process we cannot see: taken over.
    plant(
        &db,
        &p,
        Some(Lease {
            owner: "elsewhere".into(),
            until: "2001-01-01T00:00:00Z".into(),
            pid_ns: Some("other-machine/pid:[1]".into()),
            ..mine.clone()
        }),
    );
    Rotator::new(&mut store, &policy).rotate(&p).unwrap();
    assert_eq!(lines(dir.path().join("set.log")), 1);
    // Unexpired, but its process (same namespace) is gone: taken over at once.
    if mine.pid_ns.is_some() {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        plant(
            &db,
            &p,
            Some(Lease {
                owner: "crashed".into(),
                pid,
                ..mine
            }),
        );
        Rotator::new(&mut store, &policy).rotate(&p).unwrap();
        assert_eq!(lines(dir.path().join("set.log")), 2);
        let log = store.audit_log(&Default::default()).unwrap();
        assert!(log.iter().any(|e| e.action == "rotate.lease"
            && e.detail.as_deref().is_some_and(|d| d.contains("took over"))));
    }
    assert!(state(&mut store, &p).lease.is_none());
}

#[test]
fn item_02_a_hook_left_on_another_machine_is_waited_for_until_its_deadline() {
    let (dir, db, text) = setup("set = \"echo run >> DIR/set.log\"");
    let policy = policy(&text);
    let p = path("production/API_TOKEN");
    // A rotator elsewhere died inside its set hook; the hook may run for 2 s more.
    let elsewhere = Some("another-boot/pid:[4026531836]".to_string());
    let mut store = open(&db);
    let mut st = state(&mut store, &p);
    st.step = Step::Created;
    st.from_version = Some(1);
    st.lease = Some(Lease {
        owner: "ghost".into(),
        until: "2000-01-01T00:00:00Z".into(),
        host: "elsewhere".into(),
        pid: 1,
        pid_ns: elsewhere.clone(),
    });
    let deadline = std::time::SystemTime::now() + Duration::from_secs(2);
    st.hook = Some(keyward_rotate::HookFence {
        owner: "ghost".into(),
        step: "set".into(),
        deadline: keyward_rotate::clock::format(deadline),
        host: "elsewhere".into(),
        pid_ns: elsewhere,
    });
    let patch = MetaPatch {
        state: Some(st.to_text()),
        ..Default::default()
    };
    store.update_meta(&p, &patch, None).unwrap();
    let t = Instant::now();
    let out = Rotator::new(&mut store, &policy).resume(&p).unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(1800),
        "the resumed step waited for the hook's deadline ({:?})",
        t.elapsed()
    );
    assert_eq!(out, Outcome::Finished { version: 2 });
    assert_eq!(lines(dir.path().join("set.log")), 1);
    let st = state(&mut store, &p);
    assert!(st.hook.is_none() && st.lease.is_none(), "{st:?}");
    let log = store.audit_log(&Default::default()).unwrap();
    assert!(
        log.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("waited until") && d.contains("elsewhere"))),
        "the wait is audited"
    );
}
