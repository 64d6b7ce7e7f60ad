//! Library-level throughput of the store on each backend: writes/s and reads/s for
//! 10,000 secrets. Every operation is one transaction with its audit entry, as in real use.
//!
//! ```text
//! cargo bench -p keyward-store --bench store
//! KEYWARD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p keyward-store --bench store
//! KEYWARD_BENCH_N=2000 cargo bench -p keyward-store --bench store
//! ```
//!
//! Run by `cargo test --benches` (without `--bench`) it does a 100-secret smoke run.

use keyward_core::SecretBytes;
use keyward_store::{Expected, Key, Location, MetaPatch, SecretPath, Store};
use std::time::Instant;

fn bench(name: &str, store: &mut Store, n: usize) {
    let paths: Vec<SecretPath> = (0..n)
        .map(|i| SecretPath::new("bench", &format!("SECRET_{i:05}")).unwrap())
        .collect();
    let value = SecretBytes::new(vec![b'x'; 64]);
    let t = Instant::now();
    for p in &paths {
        store
            .set(p, &value, Expected::Absent, &MetaPatch::default())
            .unwrap();
    }
    let writes = t.elapsed();
    let t = Instant::now();
    for p in &paths {
        let got = store.get(p).unwrap();
        assert_eq!(got.value.len(), 64);
    }
    let reads = t.elapsed();
    let t = Instant::now();
    let exported = store
        .export_env("bench", "export", "bench", &|_| Ok(()))
        .unwrap();
    let export = t.elapsed();
    assert_eq!(exported.len(), n);
    let t = Instant::now();
    let report = store.verify_audit().unwrap();
    let verify = t.elapsed();
    assert!(report.ok());
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "{name:<9} {n} secrets: writes {:>8.0}/s ({:.2}s)  reads {:>8.0}/s ({:.2}s)  export-all {:.2}s  audit verify {} entries {:.2}s",
        rate(writes),
        writes.as_secs_f64(),
        rate(reads),
        reads.as_secs_f64(),
        export.as_secs_f64(),
        report.entries,
        verify.as_secs_f64()
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
