//! KV `destroy` and pruning past `max_versions` delete the sealed value from the store
//! (SQLite file and PostgreSQL table), as Vault deletes the data: the raw `versions` rows
//! are read before and after. The version's metadata stays (`destroyed: true`), and the
//! store's integrity check and audit chain still verify.

#[path = "support/server.rs"]
mod server;

use serde_json::json;
use server::{keyward, ok, serve};
use std::path::Path;

/// (version, stage, wrapped key length, ciphertext length) of every version of `name`.
type Rows = Vec<(i64, String, usize, usize)>;

fn write(s: &server::Server, root: &str, value: &str) {
    let r = s.req(
        "POST",
        "/v1/secret/data/production/API_KEY",
        Some(root),
        Some(&json!({"data": {"value": value}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
}

/// The flow on any store; `rows` reads the raw table, `sealed(v)` version v's ciphertext,
/// `files` the raw bytes of the database files (empty when they are not reachable).
fn check(
    d: &Path,
    store: &str,
    rows: impl Fn() -> Rows,
    sealed: impl Fn(i64) -> Vec<u8>,
    files: impl Fn() -> Vec<u8>,
) {
    let s = serve(d, store, &[], &[]);
    let out = ok(
        d,
        store,
        &["token", "create", "-f", "json", "--policy", "root"],
        "",
    );
    let root: serde_json::Value = serde_json::from_str(&out).unwrap();
    let root = root["token"].as_str().unwrap().to_string();
    for v in ["first-value-1", "second-value-2", "third-value-3"] {
        write(&s, &root, v);
    }
    let before = rows();
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(before.iter().all(|r| r.2 > 0 && r.3 > 0), "{before:?}");
    let old = sealed(1);
    let found = |hay: &[u8]| hay.windows(old.len()).any(|w| w == old.as_slice());

    // destroy version 1 → its sealed bytes are gone, its row (number, stage) stays.
    let r = s.req(
        "POST",
        "/v1/secret/destroy/production/API_KEY",
        Some(&root),
        Some(&json!({"versions": [1]})),
    );
    assert_eq!(r.status, 204, "{r:?}");
    let after = rows();
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!((after[0].0, after[0].2, after[0].3), (1, 0, 0), "{after:?}");
    assert_eq!(after[0].1, before[0].1, "the stage is kept");
    assert!(after[1].3 > 0 && after[2].3 > 0, "{after:?}");
    assert!(
        !found(&files()),
        "version 1's sealed bytes are still in the database files"
    );
    let r = s.req(
        "GET",
        "/v1/secret/data/production/API_KEY?version=1",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.json["data"]["metadata"]["destroyed"], true, "{r:?}");
    // Not even the CLI with the master key can read it any more.
    let o = keyward(d, store)
        .args(["secret", "get", "production/API_KEY", "--version", "1"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("destroyed") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(
        ok(d, store, &["secret", "get", "production/API_KEY"], "").trim(),
        "third-value-3"
    );

    // max_versions = 2: the next write pushes version 2 out of the store too.
    let r = s.req(
        "POST",
        "/v1/secret/metadata/production/API_KEY",
        Some(&root),
        Some(&json!({"max_versions": 2})),
    );
    assert!(r.status == 204 || r.status == 200, "{r:?}");
    write(&s, &root, "fourth-value-4");
    let pruned = rows();
    assert_eq!(pruned.len(), 4, "{pruned:?}");
    assert_eq!((pruned[1].0, pruned[1].3), (2, 0), "{pruned:?}");
    assert!(pruned[2].3 > 0 && pruned[3].3 > 0, "{pruned:?}");

    // Integrity MACs and the audit chain still verify; each destroy is audited.
    ok(d, store, &["audit", "verify"], "");
    let log = ok(d, store, &["audit", "log", "-f", "json"], "");
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let destroyed: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "destroy")
        .filter_map(|e| e["version"].as_u64())
        .collect();
    assert_eq!(destroyed, vec![1, 2], "{log}");
}

#[test]
fn sqlite_destroy_deletes_the_ciphertext() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("store.db");
    let store = db.display().to_string();
    ok(d, &store, &["store", "init"], "");
    let rows = || -> Rows {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut st = c
            .prepare(
                "SELECT v.version, v.stage, length(v.wrapped_key), length(v.ciphertext)
                 FROM versions v JOIN secrets s ON s.id = v.secret_id
                 WHERE s.env = 'production' AND s.name = 'API_KEY' ORDER BY v.version",
            )
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)? as usize,
                r.get::<_, i64>(3)? as usize,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let sealed = |v: i64| -> Vec<u8> {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.query_row(
            "SELECT v.ciphertext FROM versions v JOIN secrets s ON s.id = v.secret_id
             WHERE s.name = 'API_KEY' AND v.version = ?1",
            [v],
            |r| r.get(0),
        )
        .unwrap()
    };
    // The store file and its write-ahead log, byte for byte.
    let files = || -> Vec<u8> {
        let mut all = std::fs::read(&db).unwrap();
        all.extend(std::fs::read(d.join("store.db-wal")).unwrap_or_default());
        all
    };
    assert!(files().len() > 4096);
    check(d, &store, rows, sealed, files);
}

#[test]
fn postgres_destroy_deletes_the_ciphertext() {
    let Some(url) = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("kw_serve_destroy_{}", std::process::id());
    let store = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &store, &["store", "init"], "");
    let rows = || -> Rows {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query(
            &format!(
                "SELECT v.version, v.stage, length(v.wrapped_key), length(v.ciphertext)
                 FROM {schema}.versions v JOIN {schema}.secrets s ON s.id = v.secret_id
                 WHERE s.env = 'production' AND s.name = 'API_KEY' ORDER BY v.version"
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0),
                r.get(1),
                r.get::<_, i32>(2) as usize,
                r.get::<_, i32>(3) as usize,
            )
        })
        .collect()
    };
    let sealed = |v: i64| -> Vec<u8> {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query_one(
            &format!(
                "SELECT v.ciphertext FROM {schema}.versions v JOIN {schema}.secrets s ON s.id = v.secret_id
                 WHERE s.name = 'API_KEY' AND v.version = $1"
            ),
            &[&v],
        )
        .unwrap()
        .get(0)
    };
    // PostgreSQL's files belong to the server (old row versions stay until vacuum).
    check(d, &store, rows, sealed, Vec::new);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
}
