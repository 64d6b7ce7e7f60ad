//! Audited reads per second, the way a server does them, against the serial reference in
//! the same run:
//!
//! - **serial**: `Store::get` in a loop (each read is a write transaction with its audit
//!   entry: today's library path);
//! - **pooled + group commit**: `threads` readers, each with its own pooled connection,
//!   decrypt in read-only snapshots (`get_deferred`) and hand the audit event to one
//!   committer thread, which appends everything queued in one transaction
//!   (`append_audit_batch`) and only then releases the readers. Every read is audited
//!   before it returns, as with `get`.
//!
//! ```text
//! scripts/bench-store.sh            # both backends, release build
//! KEYWARD_BENCH_READS=20000 KEYWARD_BENCH_THREADS=16 cargo bench -p keyward-store --bench reads
//! ```
//! Run by `cargo test --benches` it does a small smoke run.

use keyward_core::SecretBytes;
use keyward_store::{
    Actor, AuditEvent, AuditFilter, Expected, Key, Location, MetaPatch, SecretPath, Store,
    StorePool,
};
use std::sync::mpsc;
use std::time::Instant;

type Ack = mpsc::Sender<bool>;

fn env_num(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The committer: drain what is queued (up to 512), append it in one transaction, ack.
fn committer(pool: &StorePool, rx: mpsc::Receiver<(Actor, AuditEvent, Ack)>) -> usize {
    let mut store = pool.get().unwrap();
    let mut batches = 0;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let entries: Vec<(Actor, AuditEvent)> = batch
            .iter()
            .map(|(a, e, _)| (a.clone(), e.clone()))
            .collect();
        let ok = store.append_audit_batch(&entries).is_ok();
        batches += 1;
        for (_, _, ack) in batch {
            let _ = ack.send(ok);
        }
    }
    batches
}

fn run(name: &str, location: Location, reads: usize, threads: usize) {
    let kek = Key::random().unwrap();
    let key = kek.to_base64();
    let mut store = Store::init(location.open(true).unwrap(), kek).unwrap();
    let secrets = 1000.min(reads);
    let paths: Vec<SecretPath> = (0..secrets)
        .map(|i| SecretPath::new("bench", &format!("SECRET_{i:04}")).unwrap())
        .collect();
    let value = SecretBytes::new(vec![b'x'; 64]);
    for p in &paths {
        store
            .set(p, &value, Expected::Absent, &MetaPatch::default())
            .unwrap();
    }
    let before = store.audit_log(&AuditFilter::default()).unwrap().len();

    let serial_n = reads / 2;
    let t = Instant::now();
    for i in 0..serial_n {
        assert_eq!(store.get(&paths[i % secrets]).unwrap().value.len(), 64);
    }
    let serial = serial_n as f64 / t.elapsed().as_secs_f64();
    drop(store);

    let pool = StorePool::open(location, Key::from_base64(&key).unwrap(), threads + 1).unwrap();
    let (tx, rx) = mpsc::channel::<(Actor, AuditEvent, Ack)>();
    let t = Instant::now();
    let batches = std::thread::scope(|s| {
        let pool = &pool;
        let committed = s.spawn(move || committer(pool, rx));
        for w in 0..threads {
            let tx = tx.clone();
            let paths = &paths;
            s.spawn(move || {
                let mut store = pool.get().unwrap();
                let actor = Actor::token(&format!("bench-{w}"), Some("127.0.0.1".into()));
                let (ack_tx, ack_rx) = mpsc::channel();
                for i in (w..reads).step_by(threads) {
                    let (revealed, event) = store.get_deferred(&paths[i % secrets], None).unwrap();
                    tx.send((actor.clone(), event, ack_tx.clone())).unwrap();
                    assert!(ack_rx.recv().unwrap(), "audit append failed");
                    assert_eq!(revealed.value.len(), 64);
                }
            });
        }
        drop(tx);
        committed.join().unwrap()
    });
    let pooled = reads as f64 / t.elapsed().as_secs_f64();

    let mut check = pool.get().unwrap();
    let after = check.audit_log(&AuditFilter::default()).unwrap().len();
    assert_eq!(after - before, serial_n + reads, "every read audited");
    assert!(check.verify().unwrap().ok());
    println!(
        "{name:<9} audited reads/s: serial get {serial:>8.0}   {threads} threads, pooled + group commit {pooled:>8.0}   ratio {:.1}x   ({reads} reads in {batches} batches)",
        pooled / serial
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let reads = env_num("KEYWARD_BENCH_READS", if full { 20_000 } else { 200 });
    let threads = env_num("KEYWARD_BENCH_THREADS", 8);
    let dir = tempfile::tempdir().unwrap();
    run(
        "sqlite",
        Location::Sqlite(dir.path().join("store.db")),
        reads,
        threads,
    );
    match std::env::var("KEYWARD_TEST_POSTGRES_URL") {
        Ok(url) => {
            let schema = format!("kw_bench_reads_{}", std::process::id());
            let sep = if url.contains('?') { '&' } else { '?' };
            run(
                "postgres",
                Location::parse(Some(&format!("{url}{sep}schema={schema}"))),
                reads,
                threads,
            );
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .unwrap();
        }
        Err(_) => println!("postgres  skipped: KEYWARD_TEST_POSTGRES_URL not set"),
    }
}
