//! The SQLite backend's transactions: row-level reads and writes ([`Tx`]).

use super::{AuditHead, RecordRow, SecretRow, Tx, VersionRow, WrappedKeyRow};
use crate::error::{ErrorKind, Result, StoreError};
use crate::model::{AuditEntry, AuditFilter, AuditQuery, SecretMeta, SqlParam, Stage, VersionInfo};
use rusqlite::{params, OptionalExtension, Row};

/// One open SQLite transaction.
pub(super) struct SqliteTx<'a> {
    pub(super) tx: &'a rusqlite::Transaction<'a>,
}

const SECRET_COLS: &str = "id, env, name, kind, description, owner, created_at, updated_at, \
     last_rotated, rotation_interval_days, state, deleted_at, current_version, latest_version, \
     revision, head_seq, head_mac";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, what.to_string(), rusqlite::types::Type::Null)
}

/// A non-negative integer column as `u64` (a negative one is corrupt, never wrapped).
fn unsigned(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    u64::try_from(r.get::<_, i64>(i)?).map_err(|_| corrupt("negative number"))
}

fn secret_row(r: &Row<'_>) -> rusqlite::Result<SecretRow> {
    let env: String = r.get(1)?;
    let name: String = r.get(2)?;
    let path = crate::SecretPath::new(&env, &name).map_err(|_| corrupt("path"))?;
    let interval = r
        .get::<_, Option<i64>>(9)?
        .map(|d| u32::try_from(d).map_err(|_| corrupt("rotation interval")))
        .transpose()?;
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
            rotation_interval_days: interval,
            state: r.get(10)?,
            deleted_at: r.get(11)?,
            current_version: unsigned(r, 12)?,
            latest_version: unsigned(r, 13)?,
            revision: unsigned(r, 14)?,
        },
        head_seq: unsigned(r, 15)?,
        head_mac: r.get(16)?,
    })
}

fn version_info(r: &Row<'_>) -> rusqlite::Result<VersionInfo> {
    let stage: String = r.get(2)?;
    Ok(VersionInfo {
        version: unsigned(r, 1)?,
        stage: stage.parse().map_err(|_| corrupt("stage"))?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
    })
}

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        secret_id: r.get(0)?,
        info: version_info(r)?,
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
        checkpoint: r.get(12)?,
    })
}

const VERSION_COLS: &str =
    "secret_id, version, stage, created_at, created_by, wrapped_key, ciphertext";
const INFO_COLS: &str = "secret_id, version, stage, created_at, created_by";
const AUDIT_COLS: &str = "seq, time, actor, action, path, version, outcome, remote, detail, \
     value_hmac, prev_hash, hash, checkpoint";

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
                current_version = ?10, latest_version = ?11, revision = ?12, head_seq = ?13,
                head_mac = ?14
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
                m.revision as i64,
                row.head_seq as i64,
                row.head_mac
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

    fn version_infos(&mut self, secret_id: i64) -> Result<Vec<VersionInfo>> {
        let sql =
            format!("SELECT {INFO_COLS} FROM versions WHERE secret_id = ?1 ORDER BY version DESC");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([secret_id], version_info)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn version_infos_under(&mut self, prefix: &str) -> Result<Vec<(i64, VersionInfo)>> {
        let sql = "SELECT v.secret_id, v.version, v.stage, v.created_at, v.created_by
             FROM versions v JOIN secrets s ON s.id = v.secret_id
             WHERE substr(s.env || '/' || s.name, 1, ?1) = ?2
             ORDER BY v.secret_id, v.version DESC";
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map(params![prefix.len() as i64, prefix], |r| {
            Ok((r.get(0)?, version_info(r)?))
        })?;
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

    fn wipe_version(&mut self, secret_id: i64, version: u64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE versions SET wrapped_key = X'', ciphertext = X'' WHERE secret_id = ?1 AND version = ?2",
            )?
            .execute(params![secret_id, version as i64])?;
        Ok(())
    }

    fn audit_head(&mut self) -> Result<AuditHead> {
        self.tx
            .prepare_cached("SELECT seq, hash, mac FROM audit_head WHERE id = 1")?
            .query_row([], |r| {
                Ok(AuditHead {
                    seq: unsigned(r, 0)?,
                    hash: r.get(1)?,
                    mac: r.get(2)?,
                })
            })
            .optional()?
            .ok_or_else(|| StoreError::new(ErrorKind::Corrupt, "audit chain head is missing"))
    }

    fn audit_set_head_mac(&mut self, mac: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE audit_head SET mac = ?1 WHERE id = 1")?
            .execute([mac])?;
        Ok(())
    }

    fn audit_append(&mut self, e: &AuditEntry, head_mac: &str) -> Result<()> {
        self.audit_append_many(std::slice::from_ref(e), head_mac)
    }

    fn audit_append_many(&mut self, entries: &[AuditEntry], head_mac: &str) -> Result<()> {
        let Some(last) = entries.last() else {
            return Ok(());
        };
        let sql = format!(
            "INSERT INTO audit ({AUDIT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        );
        let mut stmt = self.tx.prepare_cached(&sql)?;
        for e in entries {
            stmt.execute(params![
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
                e.hash,
                e.checkpoint
            ])?;
        }
        self.tx
            .prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2, mac = ?3 WHERE id = 1")?
            .execute(params![last.seq as i64, last.hash, head_mac])?;
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

    fn audit_tail(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let (tail, params) = query.sql(|i| format!("?{i}"));
        let sql = format!("SELECT {AUDIT_COLS} FROM audit {tail}");
        let values: Vec<rusqlite::types::Value> = params
            .into_iter()
            .map(|p| match p {
                SqlParam::Text(t) => rusqlite::types::Value::Text(t),
                SqlParam::Int(i) => rusqlite::types::Value::Integer(i),
            })
            .collect();
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), audit_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn audit_count(&mut self, outcome: &str, since: &str) -> Result<u64> {
        let n: i64 = self
            .tx
            .prepare_cached("SELECT count(*) FROM audit WHERE outcome = ?1 AND time >= ?2")?
            .query_row(params![outcome, since], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn record_get(&mut self, kind: &str, name: &str) -> Result<Option<RecordRow>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT kind, name, body, mac FROM records WHERE kind = ?1 AND name = ?2",
            )?
            .query_row(params![kind, name], record_row)
            .optional()?)
    }

    fn record_put(&mut self, row: &RecordRow) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO records (kind, name, body, mac) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body, mac = excluded.mac",
            )?
            .execute(params![row.kind, row.name, row.body, row.mac])?;
        Ok(())
    }

    fn record_delete(&mut self, kind: &str, name: &str) -> Result<bool> {
        let n = self
            .tx
            .prepare_cached("DELETE FROM records WHERE kind = ?1 AND name = ?2")?
            .execute(params![kind, name])?;
        Ok(n > 0)
    }

    fn record_list(&mut self, kind: &str, prefix: &str) -> Result<Vec<RecordRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT kind, name, body, mac FROM records
             WHERE kind = ?1 AND substr(name, 1, length(?2)) = ?2 ORDER BY name",
        )?;
        let rows = stmt.query_map(params![kind, prefix], record_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

fn record_row(r: &Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        kind: r.get(0)?,
        name: r.get(1)?,
        body: r.get(2)?,
        mac: r.get(3)?,
    })
}
