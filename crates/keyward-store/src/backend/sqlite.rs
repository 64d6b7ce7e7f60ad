//! SQLite backend: one file (default `.keyward/store.db`), WAL mode, writers serialized by
//! `BEGIN IMMEDIATE` with a busy timeout so several processes can share the file.

use super::{Backend, SecretRow, Tx, TxFn, VersionRow, WrappedKeyRow, GENESIS_HASH};
use crate::error::{ErrorKind, Result, StoreError};
use crate::model::{AuditEntry, AuditFilter, SecretMeta, Stage, VersionInfo};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Versioned migrations, applied in order at open. Never edit a released one; append.
const MIGRATIONS: &[(i64, &str)] = &[(
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
)];

/// A store in a SQLite file.
pub struct SqliteBackend {
    conn: Connection,
    path: PathBuf,
}

impl SqliteBackend {
    /// Open the store file at `path`, applying migrations. With `create`, a missing file
    /// (and its directory, mode 0700) is created; without it, a missing file is
    /// [`ErrorKind::NotInitialized`].
    pub fn open(path: &Path, create: bool) -> Result<SqliteBackend> {
        let shown = path.display().to_string();
        if !create && !path.exists() {
            return Err(StoreError::new(
                ErrorKind::NotInitialized,
                format!("no store at {shown} (run `keyward store init`, or set --store / KEYWARD_STORE)"),
            ));
        }
        if create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if !dir.exists() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::with_source(
                            ErrorKind::Backend,
                            format!("cannot create {}", dir.display()),
                            e,
                        )
                    })?;
                    restrict(dir, 0o700);
                }
            }
        }
        let flags = if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open_err = |e: rusqlite::Error| {
            StoreError::with_source(ErrorKind::Backend, format!("cannot open store {shown}"), e)
        };
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        restrict(path, 0o600);
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let mut backend = SqliteBackend {
            conn,
            path: path.to_path_buf(),
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

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) {}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
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

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

const SECRET_COLS: &str = "id, env, name, kind, description, owner, created_at, updated_at, \
     last_rotated, rotation_interval_days, state, deleted_at, current_version, latest_version, revision";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, what.to_string(), rusqlite::types::Type::Null)
}

fn secret_row(r: &Row<'_>) -> rusqlite::Result<SecretRow> {
    let env: String = r.get(1)?;
    let name: String = r.get(2)?;
    let path = crate::SecretPath::new(&env, &name).map_err(|_| corrupt("path"))?;
    let interval: Option<i64> = r.get(9)?;
    Ok(SecretRow {
        id: r.get(0)?,
        meta: SecretMeta {
            path,
            kind: r.get(3)?,
            description: r.get(4)?,
            owner: r.get(5)?,
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
            last_rotated: r.get(8)?,
            rotation_interval_days: interval.map(|d| d as u32),
            state: r.get(10)?,
            deleted_at: r.get(11)?,
            current_version: r.get::<_, i64>(12)? as u64,
            latest_version: r.get::<_, i64>(13)? as u64,
            revision: r.get::<_, i64>(14)? as u64,
        },
    })
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
    let stage: String = r.get(2)?;
    Ok(VersionRow {
        secret_id: r.get(0)?,
        info: VersionInfo {
            version: r.get::<_, i64>(1)? as u64,
            stage: stage.parse().map_err(|_| corrupt("stage"))?,
            created_at: r.get(3)?,
            created_by: r.get(4)?,
        },
        wrapped_key: r.get(5)?,
        ciphertext: r.get(6)?,
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get::<_, i64>(0)? as u64,
        time: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        path: r.get(4)?,
        version: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
        outcome: r.get(6)?,
        remote: r.get(7)?,
        detail: r.get(8)?,
        value_hmac: r.get(9)?,
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    })
}

const VERSION_COLS: &str =
    "secret_id, version, stage, created_at, created_by, wrapped_key, ciphertext";
const AUDIT_COLS: &str =
    "seq, time, actor, action, path, version, outcome, remote, detail, value_hmac, prev_hash, hash";

impl Tx for SqliteTx<'_> {
    fn meta_get(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tx
            .query_row("SELECT value FROM store_meta WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn meta_put(&mut self, key: &str, value: &[u8]) -> Result<()> {
        self.tx.execute(
            "INSERT INTO store_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn secret(&mut self, env: &str, name: &str) -> Result<Option<SecretRow>> {
        let sql = format!("SELECT {SECRET_COLS} FROM secrets WHERE env = ?1 AND name = ?2");
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![env, name], secret_row)
            .optional()?)
    }

    fn secrets(&mut self, prefix: &str) -> Result<Vec<SecretRow>> {
        let sql = format!(
            "SELECT {SECRET_COLS} FROM secrets
             WHERE substr(env || '/' || name, 1, ?1) = ?2 ORDER BY env, name"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![prefix.len() as i64, prefix], secret_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn insert_secret(&mut self, row: &SecretRow) -> Result<i64> {
        let m = &row.meta;
        self.tx
            .prepare_cached(
                "INSERT INTO secrets (env, name, kind, description, owner, created_at, updated_at,
                last_rotated, rotation_interval_days, state, deleted_at, current_version,
                latest_version, revision)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                m.path.env(),
                m.path.name(),
                m.kind,
                m.description,
                m.owner,
                m.created_at,
                m.updated_at,
                m.last_rotated,
                m.rotation_interval_days.map(i64::from),
                m.state,
                m.deleted_at,
                m.current_version as i64,
                m.latest_version as i64,
                m.revision as i64
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn update_secret(&mut self, row: &SecretRow) -> Result<()> {
        let m = &row.meta;
        self.tx
            .prepare_cached(
                "UPDATE secrets SET kind = ?2, description = ?3, owner = ?4, updated_at = ?5,
                last_rotated = ?6, rotation_interval_days = ?7, state = ?8, deleted_at = ?9,
                current_version = ?10, latest_version = ?11, revision = ?12
             WHERE id = ?1",
            )?
            .execute(params![
                row.id,
                m.kind,
                m.description,
                m.owner,
                m.updated_at,
                m.last_rotated,
                m.rotation_interval_days.map(i64::from),
                m.state,
                m.deleted_at,
                m.current_version as i64,
                m.latest_version as i64,
                m.revision as i64
            ])?;
        Ok(())
    }

    fn versions(&mut self, secret_id: i64) -> Result<Vec<VersionRow>> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM versions WHERE secret_id = ?1 ORDER BY version DESC"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([secret_id], version_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn version(&mut self, secret_id: i64, version: u64) -> Result<Option<VersionRow>> {
        let sql =
            format!("SELECT {VERSION_COLS} FROM versions WHERE secret_id = ?1 AND version = ?2");
        Ok(self
            .tx
            .prepare_cached(&sql)?
            .query_row(params![secret_id, version as i64], version_row)
            .optional()?)
    }

    fn insert_version(&mut self, row: &VersionRow) -> Result<()> {
        self.tx.prepare_cached(
            "INSERT INTO versions (secret_id, version, stage, created_at, created_by, wrapped_key, ciphertext)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            row.secret_id,
            row.info.version as i64,
            row.info.stage.as_str(),
            row.info.created_at,
            row.info.created_by,
            row.wrapped_key,
            row.ciphertext
        ])?;
        Ok(())
    }

    fn set_stage(&mut self, secret_id: i64, version: u64, stage: Stage) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE versions SET stage = ?3 WHERE secret_id = ?1 AND version = ?2")?
            .execute(params![secret_id, version as i64, stage.as_str()])?;
        Ok(())
    }

    fn wrapped_keys(&mut self) -> Result<Vec<WrappedKeyRow>> {
        let mut stmt = self.tx.prepare(
            "SELECT v.secret_id, s.env || '/' || s.name, v.version, v.wrapped_key
             FROM versions v JOIN secrets s ON s.id = v.secret_id ORDER BY v.secret_id, v.version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(WrappedKeyRow {
                secret_id: r.get(0)?,
                path: r.get(1)?,
                version: r.get::<_, i64>(2)? as u64,
                wrapped_key: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn set_wrapped_key(&mut self, secret_id: i64, version: u64, wrapped: &[u8]) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE versions SET wrapped_key = ?3 WHERE secret_id = ?1 AND version = ?2",
            )?
            .execute(params![secret_id, version as i64, wrapped])?;
        Ok(())
    }

    fn audit_head(&mut self) -> Result<(u64, String)> {
        let (seq, hash): (i64, String) = self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| StoreError::new(ErrorKind::Corrupt, "audit chain head is missing"))?;
        Ok((seq as u64, hash))
    }

    fn audit_append(&mut self, e: &AuditEntry) -> Result<()> {
        let sql = format!(
            "INSERT INTO audit ({AUDIT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        );
        self.tx.prepare_cached(&sql)?.execute(params![
            e.seq as i64,
            e.time,
            e.actor,
            e.action,
            e.path,
            e.version.map(|v| v as i64),
            e.outcome,
            e.remote,
            e.detail,
            e.value_hmac,
            e.prev_hash,
            e.hash
        ])?;
        self.tx
            .prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")?
            .execute(params![e.seq as i64, e.hash])?;
        Ok(())
    }

    fn audit_entries(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let (path_eq, path_prefix) = match &filter.path {
            Some(p) if p.ends_with('/') => (None, Some(p.clone())),
            Some(p) => (Some(p.clone()), None),
            None => (None, None),
        };
        let sql = format!(
            "SELECT {AUDIT_COLS} FROM audit
             WHERE (?1 IS NULL OR path = ?1)
               AND (?2 IS NULL OR substr(path, 1, length(?2)) = ?2)
               AND (?3 IS NULL OR time >= ?3)
             ORDER BY seq"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![path_eq, path_prefix, filter.since], audit_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
