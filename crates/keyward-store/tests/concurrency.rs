//! Two OS processes writing the same secret at once: no lost update, no corrupted store.
//!
//! The test re-runs its own test binary as the writer processes (`worker` below does
//! nothing unless `KW_WORKER_STORE` is set). Each writer appends its own tokens to the
//! value with a read-modify-write loop guarded by `Expected::Version`, retrying on
//! conflict; at the end every token of both writers must be in the value exactly once.

mod support;

use keyward_core::SecretBytes;
use keyward_store::{ErrorKind, Expected, Key, Location, MetaPatch, SecretPath, Stage, Store};
use std::process::Command;

const PATH: &str = "production/COUNTER";
const PER_WORKER: usize = 60;

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[test]
fn worker() {
    let Ok(spec) = std::env::var("KW_WORKER_STORE") else {
        return;
    };
    let key = std::env::var("KW_WORKER_KEY").unwrap();
    let id = std::env::var("KW_WORKER_ID").unwrap();
    let location = Location::parse(Some(&spec));
    let mut store = Store::open(
        location.open(false).unwrap(),
        Key::from_base64(&key).unwrap(),
    )
    .unwrap();
    let path: SecretPath = PATH.parse().unwrap();
    let mut conflicts = 0;
    // Start together so the writers really overlap.
    let start: u128 = std::env::var("KW_WORKER_START").unwrap().parse().unwrap();
    while now_ms() < start {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    for i in 0..PER_WORKER {
        loop {
            let cur = store.get(&path).unwrap();
            let mut next = cur.value.expose().to_vec();
            next.extend_from_slice(format!(",{id}{i}").as_bytes());
            // Think time between read and write, so the other writer gets in between.
            std::thread::sleep(std::time::Duration::from_millis(2));
            match store.set(
                &path,
                &SecretBytes::new(next),
                Expected::Version(cur.version),
                &MetaPatch::default(),
            ) {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Conflict => conflicts += 1,
                Err(e) => panic!("writer {id}: {e}"),
            }
        }
    }
    eprintln!("writer {id}: {conflicts} conflicts retried");
}

fn run_two_writers(db: &support::TestDb) {
    let (mut store, key) = db.init();
    let path: SecretPath = PATH.parse().unwrap();
    store
        .set(
            &path,
            &SecretBytes::new("start"),
            Expected::Absent,
            &MetaPatch::default(),
        )
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let start = (now_ms() + 500).to_string();
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|id| {
            Command::new(&exe)
                .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
                .env("KW_WORKER_STORE", &db.spec)
                .env("KW_WORKER_KEY", &key)
                .env("KW_WORKER_ID", id)
                .env("KW_WORKER_START", &start)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(
            child.wait().unwrap().success(),
            "a writer failed ({})",
            db.kind()
        );
    }
    let value = store.get(&path).unwrap().value.to_lossy();
    let tokens: Vec<&str> = value.split(',').collect();
    assert_eq!(tokens[0], "start");
    for id in ["a", "b"] {
        for i in 0..PER_WORKER {
            let token = format!("{id}{i}");
            let n = tokens.iter().filter(|t| **t == token).count();
            assert_eq!(
                n,
                1,
                "{token} appears {n} times ({}): lost or doubled update",
                db.kind()
            );
        }
        // Each writer's tokens are in its own order.
        let mine: Vec<&&str> = tokens.iter().filter(|t| t.starts_with(id)).collect();
        let want: Vec<String> = (0..PER_WORKER).map(|i| format!("{id}{i}")).collect();
        assert_eq!(mine.iter().map(|s| s.to_string()).collect::<Vec<_>>(), want);
    }
    assert_eq!(tokens.len(), 1 + 2 * PER_WORKER);
    let history = store.history(&path).unwrap();
    assert_eq!(history.len(), 1 + 2 * PER_WORKER);
    assert_eq!(
        history.iter().filter(|v| v.stage == Stage::Current).count(),
        1
    );
    let report = store.verify_audit().unwrap();
    assert!(report.ok(), "{report:?}");
}

#[test]
fn two_processes_writing_one_secret_lose_no_update_sqlite() {
    run_two_writers(&support::sqlite());
}

#[test]
fn two_processes_writing_one_secret_lose_no_update_postgres() {
    if let Some(db) = support::postgres() {
        run_two_writers(&db);
    }
}
