//! Library-level throughput of the store on each backend: writes/s and reads/s for
//! 10,000 secrets. Every operation is one transaction with its audit entry, as in real use.
//!
//! ```text
//! cargo bench -p keyward-store --bench store
//! KEYWARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p keyward-store --bench store
//! KEYWARD_BENCH_N=2000 cargo bench -p keyward-store --bench store
//! ```
//!
//! Each phase prints its wall time and this thread's CPU time: on a shared machine the CPU
//! time is what to compare between builds (SQLite's own work, and the system calls it
//! makes, run on this thread; PostgreSQL's server work does not).
//!
//! Run by `cargo test --benches` (without `--bench`) it does a 100-secret smoke run.

use keyward_core::SecretBytes;
use keyward_store::{Expected, Key, Location, MetaPatch, SecretPath, Store};
use std::time::{Duration, Instant};

/// This thread's CPU time (user and system).
fn cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (t, c) = (Instant::now(), cpu());
    let out = f();
    (out, t.elapsed(), cpu() - c)
}

fn bench(name: &str, store: &mut Store, n: usize) {
    let paths: Vec<SecretPath> = (0..n)
        .map(|i| SecretPath::new("bench", &format!("SECRET_{i:05}")).unwrap())
        .collect();
    let value = SecretBytes::new(vec![b'x'; 64]);
    let ((), writes, writes_cpu) = timed(|| {
        for p in &paths {
            store
                .set(p, &value, Expected::Absent, &MetaPatch::default())
                .unwrap();
        }
    });
    let ((), reads, reads_cpu) = timed(|| {
        for p in &paths {
            assert_eq!(store.get(p).unwrap().value.len(), 64);
        }
    });
    let (exported, export, export_cpu) = timed(|| {
        store
            .export_env("bench", "export", "bench", &|_| Ok(()))
            .unwrap()
    });
    assert_eq!(exported.len(), n);
    let (listed, list, list_cpu) = timed(|| store.list("bench/", false).unwrap());
    assert_eq!(listed.len(), n);
    let (report, verify, _) = timed(|| store.verify_audit().unwrap());
    assert!(report.ok());
    let (full, full_verify, _) = timed(|| store.verify().unwrap());
    assert!(full.ok(), "{full:?}");
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "{name:<9} {n} secrets: writes {:.0}/s (cpu {:.0}/s)  reads {:.0}/s (cpu {:.0}/s)  export-all {:.2}s (cpu {:.2}s)  list {:.2}s (cpu {:.2}s)  audit verify {} entries: chain {:.2}s, with MACs and heads {:.2}s",
        rate(writes),
        rate(writes_cpu),
        rate(reads),
        rate(reads_cpu),
        export.as_secs_f64(),
        export_cpu.as_secs_f64(),
        list.as_secs_f64(),
        list_cpu.as_secs_f64(),
        report.entries,
        verify.as_secs_f64(),
        full_verify.as_secs_f64()
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("KEYWARD_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 10_000 } else { 100 });

    let dir = tempfile::tempdir().unwrap();
    let location = Location::Sqlite(dir.path().join("store.db"));
    let mut store = Store::init(location.open(true).unwrap(), Key::random().unwrap()).unwrap();
    bench("sqlite", &mut store, n);

    match std::env::var("KEYWARD_TEST_POSTGRES_URL") {
        Ok(url) => {
            let schema = format!("kw_bench_{}", std::process::id());
            let sep = if url.contains('?') { '&' } else { '?' };
            let location = Location::parse(Some(&format!("{url}{sep}schema={schema}")));
            let mut store =
                Store::init(location.open(true).unwrap(), Key::random().unwrap()).unwrap();
            bench("postgres", &mut store, n);
            drop(store);
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .unwrap();
        }
        Err(_) => println!("postgres  skipped: KEYWARD_TEST_POSTGRES_URL not set"),
    }
}
