//! SQLite backend: one file (default `.keyward/store.db`), WAL mode, writers serialized by
//! `BEGIN IMMEDIATE` with a busy timeout so several processes can share the file.

use super::sqlite_file;
use super::sqlite_tx::SqliteTx;
use super::{Backend, TxFn, GENESIS_HASH};
use crate::error::{ErrorKind, Result, StoreError};
use rusqlite::{params, Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Versioned migrations, applied in order at open. Never edit a released one; append.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE secrets (
        id INTEGER PRIMARY KEY,
        env TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        owner TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_rotated TEXT,
        rotation_interval_days INTEGER,
        state TEXT NOT NULL DEFAULT '{}',
        deleted_at TEXT,
        current_version INTEGER NOT NULL DEFAULT 0,
        latest_version INTEGER NOT NULL DEFAULT 0,
        revision INTEGER NOT NULL DEFAULT 0,
        UNIQUE (env, name)
     );
     CREATE TABLE versions (
        secret_id INTEGER NOT NULL REFERENCES secrets(id),
        version INTEGER NOT NULL,
        stage TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        wrapped_key BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (secret_id, version)
     );
     CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        path TEXT,
        version INTEGER,
        outcome TEXT NOT NULL,
        remote TEXT,
        detail TEXT,
        value_hmac TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
     );
     CREATE INDEX audit_by_path ON audit(path, seq);
     CREATE INDEX audit_by_time ON audit(time);
     CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
     );",
    ),
    (
        2,
        "ALTER TABLE secrets ADD COLUMN head_seq INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE secrets ADD COLUMN head_mac TEXT;
     ALTER TABLE audit ADD COLUMN checkpoint TEXT;
     ALTER TABLE audit_head ADD COLUMN mac TEXT;",
    ),
    (
        3,
        "CREATE TABLE records (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body BLOB NOT NULL,
        mac TEXT NOT NULL,
        PRIMARY KEY (kind, name)
     );",
    ),
    (
        4,
        "CREATE INDEX audit_by_actor ON audit(actor, seq);
     CREATE INDEX audit_by_action ON audit(action, seq);
     CREATE INDEX audit_by_outcome ON audit(outcome, time);",
    ),
];

/// A store in a SQLite file.
pub struct SqliteBackend {
    conn: Connection,
    path: PathBuf,
    /// Dropped after `conn` (field order): the file leaves the registry of open stores
    /// only once its connection is closed.
    _registration: sqlite_file::Registration,
}

impl SqliteBackend {
    /// Open the store file at `path`, applying migrations. With `create`, a missing file
    /// (mode 0600, and its directory, mode 0700) is created, and an empty file or an empty
    /// SQLite database is accepted; without it, either is [`ErrorKind::NotInitialized`].
    /// A symbolic link, a special file, or a database that is not a keyward store is
    /// refused ([`ErrorKind::Foreign`]) before anything is written or its mode changed.
    pub fn open(path: &Path, create: bool) -> Result<SqliteBackend> {
        let shown = path.display().to_string();
        let (conn, registration) = sqlite_file::open(path, create)?;
        let open_err = |e: rusqlite::Error| {
            StoreError::with_source(ErrorKind::Backend, format!("cannot open store {shown}"), e)
        };
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // Deleted content (a destroyed version's sealed value) is overwritten with zeros
        // instead of lingering in free pages.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(open_err)?;
        let mut backend = SqliteBackend {
            conn,
            path: path.to_path_buf(),
            _registration: registration,
        };
        backend.migrate().map_err(|e| {
            StoreError::with_source(e.kind(), format!("cannot open store {shown}"), e)
        })?;
        Ok(backend)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        let current: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
        if current > known {
            return Err(StoreError::new(
                ErrorKind::Corrupt,
                format!(
                    "schema version {current} is newer than this keyward understands ({known})"
                ),
            ));
        }
        let app_id: u32 = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        if app_id != sqlite_file::APPLICATION_ID {
            tx.pragma_update(None, "application_id", sqlite_file::APPLICATION_ID)?;
        }
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.execute_batch(sql)?;
            if *version == 1 {
                tx.execute(
                    "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?1)",
                    [GENESIS_HASH],
                )?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, crate::clock::now()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn scrub(&mut self) -> Result<bool> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn write(&mut self, f: &mut TxFn<'_>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        f(&mut SqliteTx { tx: &tx })?;
        tx.commit()?;
        Ok(())
    }

    fn read(&mut self, f: &mut TxFn<'_>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        f(&mut SqliteTx { tx: &tx })?;
        tx.commit()?;
        Ok(())
    }
}
