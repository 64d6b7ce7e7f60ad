//! Test fixtures: one fresh store location per test on each backend.
//!
//! SQLite lives in a temporary directory. PostgreSQL runs only when
//! `KEYWARD_TEST_POSTGRES_URL` is set; each test gets its own schema, dropped at the end.
#![allow(dead_code)]

use keyward_store::{Key, Location, Store};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh, empty store location.
pub struct TestDb {
    /// Where it is.
    pub location: Location,
    /// The same, as a `--store` string.
    pub spec: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Initialize a store here with a random key; returns it with the key's base64.
    pub fn init(&self) -> (Store, String) {
        let kek = Key::random().unwrap();
        let b64 = kek.to_base64().to_string();
        let store = Store::init(self.location.open(true).unwrap(), kek).unwrap();
        (store, b64)
    }

    /// Open the store here with a key given as base64.
    pub fn open(&self, key_b64: &str) -> keyward_store::Result<Store> {
        Store::open(self.location.open(false)?, Key::from_base64(key_b64)?)
    }

    /// Run raw SQL against the database (to tamper with it as an attacker would).
    pub fn exec(&self, sql: &str) {
        match (&self.location, &self.pg) {
            (Location::Sqlite(path), _) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.execute_batch(sql).unwrap();
            }
            (_, Some((url, schema))) => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}; {sql}"))
                    .unwrap();
            }
            _ => unreachable!(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// A SQLite store file in a new temporary directory.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".keyward/store.db");
    TestDb {
        spec: path.display().to_string(),
        location: Location::Sqlite(path),
        _dir: Some(dir),
        pg: None,
    }
}

/// A fresh PostgreSQL schema, or `None` (after saying so) when no server is configured.
pub fn postgres() -> Option<TestDb> {
    static N: AtomicU32 = AtomicU32::new(0);
    let url = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL")?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "kw_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos
    );
    let sep = if url.contains('?') { '&' } else { '?' };
    let spec = format!("{url}{sep}schema={schema}");
    Some(TestDb {
        location: Location::parse(Some(&spec)),
        spec,
        _dir: None,
        pg: Some((url, schema)),
    })
}

/// Run `f` once per available backend.
pub fn each_backend(f: impl Fn(&TestDb)) {
    let db = sqlite();
    f(&db);
    if let Some(db) = postgres() {
        f(&db);
    }
}

/// `ENV/NAME` parsed.
pub fn p(s: &str) -> keyward_store::SecretPath {
    s.parse().unwrap()
}

/// Write `value` as the new current version of `path` (no CAS).
pub fn set(store: &mut Store, path: &str, value: &str) {
    store
        .set(
            &p(path),
            &keyward_core::SecretBytes::new(value),
            keyward_store::Expected::Any,
            &keyward_store::MetaPatch::default(),
        )
        .unwrap();
}
