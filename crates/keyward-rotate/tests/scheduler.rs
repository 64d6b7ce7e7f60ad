//! The scheduler claim: with two schedulers on one store, exactly one runs a due
//! rotation; the other takes over once the first lets go. Rotation's clock is moved a
//! century ahead (`KEYWARD_NOW`, this test binary only) so every secret is overdue.

mod support;

use keyward_rotate::{tick, DueResult, Leader, Outcome};
use keyward_store::{Key, Location, Store};
use std::sync::{Arc, Barrier};
use support::*;

const POLICY: &str = "[variables.JWT_SECRET]\nkind = \"jwt-secret\"\n[variables.JWT_SECRET.rotation]\ngrace_days = 2\n";

fn overdue() {
    std::env::set_var(keyward_rotate::clock::NOW_VAR, "2126-01-01T00:00:00Z");
}

/// Two schedulers (threads, each with its own store handle and claim) tick at once.
/// Returns how many ran the due work and the secret's current version afterwards.
fn race(location: &Location, key: &str) -> (usize, Vec<Option<usize>>) {
    let barrier = Arc::new(Barrier::new(2));
    let results: Vec<Option<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    let mut store = Store::open(
                        location.open(false).unwrap(),
                        Key::from_base64(key).unwrap(),
                    )
                    .unwrap();
                    let mut leader = Leader::for_location(location);
                    let policy = policy(POLICY);
                    barrier.wait();
                    let report = tick(&mut leader, &mut store, &policy).unwrap();
                    // Hold the claim until both have tried.
                    barrier.wait();
                    report.map(|r| {
                        r.items
                            .iter()
                            .filter(|i| {
                                matches!(i.result, DueResult::Done(Outcome::InGrace { .. }))
                            })
                            .count()
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (results.iter().filter(|r| r.is_some()).count(), results)
}

/// `f` until it gives `Some`, for up to 5 s: PostgreSQL releases a closed session's
/// locks when its backend process exits, a moment after the client hung up.
fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..50 {
        if let Some(t) = f() {
            return Some(t);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

fn check(location: &Location) {
    overdue();
    let kek = Key::random().unwrap();
    let key = kek.to_base64().to_string();
    let mut store = Store::init(location.open(true).unwrap(), kek).unwrap();
    set(
        &mut store,
        "production/JWT_SECRET",
        "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=",
        "jwt-secret",
    );
    let (leaders, results) = race(location, &key);
    assert_eq!(leaders, 1, "exactly one scheduler runs: {results:?}");
    assert!(
        results.contains(&Some(1)),
        "the leader rotated the due secret: {results:?}"
    );
    let p = path("production/JWT_SECRET");
    assert_eq!(store.get(&p).unwrap().version, 2, "rotated once, not twice");
    // Nobody holds the claim any more (both handles dropped): the next tick runs.
    let mut leader = Leader::for_location(location);
    let report = eventually(|| tick(&mut leader, &mut store, &policy(POLICY)).unwrap());
    assert!(report.is_some(), "claim free again");
    // While it holds the claim, a second scheduler stays idle.
    let mut other = Leader::for_location(location);
    assert!(!other.try_lead().unwrap());
    leader.release();
    assert!(
        eventually(|| other.try_lead().unwrap().then_some(())).is_some(),
        "taken over after release"
    );
    assert!(other.try_lead().unwrap(), "kept while held");
}

#[test]
fn one_of_two_schedulers_runs_due_rotations_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    check(&Location::Sqlite(dir.path().join("store.db")));
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = unique("kw_sched");
    let sep = if url.contains('?') { '&' } else { '?' };
    let location = Location::parse(Some(&format!("{url}{sep}schema={schema}")));
    check(&location);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}
