//! The PostgreSQL backend's transactions: row-level reads and writes ([`Tx`]).

use super::{AuditHead, RecordRow, SecretRow, Tx, VersionRow, WrappedKeyRow};
use crate::error::{ErrorKind, Result, StoreError};
use crate::model::{AuditEntry, AuditFilter, AuditQuery, SecretMeta, SqlParam, Stage, VersionInfo};
use postgres::{Row, Statement, Transaction};
use std::collections::HashMap;

/// One open PostgreSQL transaction, with the backend's prepared-statement cache.
pub(super) struct PgTx<'a, 'b> {
    pub(super) tx: &'a mut Transaction<'b>,
    pub(super) stmts: &'a mut HashMap<&'static str, Statement>,
}

impl PgTx<'_, '_> {
    fn stmt(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.stmts.insert(sql, s.clone());
        Ok(s)
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::new(ErrorKind::Corrupt, format!("malformed {what} in the store"))
}

/// A non-negative BIGINT column as `u64` (a negative one is corrupt, never wrapped).
fn unsigned(r: &Row, i: usize) -> Result<u64> {
    u64::try_from(r.get::<_, i64>(i)).map_err(|_| corrupt("negative number"))
}

fn secret_row(r: &Row) -> Result<SecretRow> {
    let env: String = r.get(1);
    let name: String = r.get(2);
    let path = crate::SecretPath::new(&env, &name).map_err(|_| corrupt("secret path"))?;
    let interval = r
        .get::<_, Option<i64>>(9)
        .map(|d| u32::try_from(d).map_err(|_| corrupt("rotation interval")))
        .transpose()?;
    Ok(SecretRow {
        id: r.get(0),
        meta: SecretMeta {
            path,
            kind: r.get(3),
            description: r.get(4),
            owner: r.get(5),
            created_at: r.get(6),
            updated_at: r.get(7),
            last_rotated: r.get(8),
            rotation_interval_days: interval,
            state: r.get(10),
            deleted_at: r.get(11),
            current_version: unsigned(r, 12)?,
            latest_version: unsigned(r, 13)?,
            revision: unsigned(r, 14)?,
        },
        head_seq: unsigned(r, 15)?,
        head_mac: r.get(16),
    })
}

fn version_info(r: &Row) -> Result<VersionInfo> {
    let stage: String = r.get(2);
    Ok(VersionInfo {
        version: unsigned(r, 1)?,
        stage: stage.parse().map_err(|_| corrupt("version stage"))?,
        created_at: r.get(3),
        created_by: r.get(4),
    })
}

fn version_row(r: &Row) -> Result<VersionRow> {
    Ok(VersionRow {
        secret_id: r.get(0),
        info: version_info(r)?,
        wrapped_key: r.get(5),
        ciphertext: r.get(6),
    })
}

fn audit_row(r: &Row) -> AuditEntry {
    AuditEntry {
        seq: r.get::<_, i64>(0) as u64,
        time: r.get(1),
        actor: r.get(2),
        action: r.get(3),
        path: r.get(4),
        version: r.get::<_, Option<i64>>(5).map(|v| v as u64),
        outcome: r.get(6),
        remote: r.get(7),
        detail: r.get(8),
        value_hmac: r.get(9),
        prev_hash: r.get(10),
        hash: r.get(11),
        checkpoint: r.get(12),
    }
}

const SECRET_BY_PATH: &str = "SELECT id, env, name, kind, description, owner, created_at, updated_at, \
     last_rotated, rotation_interval_days, state, deleted_at, current_version, latest_version, revision, \
     head_seq, head_mac FROM secrets WHERE env = $1 AND name = $2";
const SECRETS_BY_PREFIX: &str = "SELECT id, env, name, kind, description, owner, created_at, updated_at, \
     last_rotated, rotation_interval_days, state, deleted_at, current_version, latest_version, revision, \
     head_seq, head_mac FROM secrets WHERE starts_with(env || '/' || name, $1) ORDER BY env, name";
const VERSION_INFOS: &str = "SELECT secret_id, version, stage, created_at, created_by \
     FROM versions WHERE secret_id = $1 ORDER BY version DESC";
const VERSION_INFOS_UNDER: &str =
    "SELECT v.secret_id, v.version, v.stage, v.created_at, v.created_by \
     FROM versions v JOIN secrets s ON s.id = v.secret_id \
     WHERE starts_with(s.env || '/' || s.name, $1) ORDER BY v.secret_id, v.version DESC";
const VERSIONS: &str =
    "SELECT secret_id, version, stage, created_at, created_by, wrapped_key, ciphertext \
     FROM versions WHERE secret_id = $1 ORDER BY version DESC";
const VERSION: &str =
    "SELECT secret_id, version, stage, created_at, created_by, wrapped_key, ciphertext \
     FROM versions WHERE secret_id = $1 AND version = $2";
const AUDIT_SELECT: &str =
    "SELECT seq, time, actor, action, path, version, outcome, remote, detail, \
     value_hmac, prev_hash, hash, checkpoint FROM audit
     WHERE ($1::TEXT IS NULL OR path = $1)
       AND ($2::TEXT IS NULL OR starts_with(path, $2))
       AND ($3::TEXT IS NULL OR time >= $3)
     ORDER BY seq";

impl Tx for PgTx<'_, '_> {
    fn meta_get(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        let s = self.stmt("SELECT value FROM store_meta WHERE key = $1")?;
        Ok(self.tx.query_opt(&s, &[&key])?.map(|r| r.get(0)))
    }

    fn meta_put(&mut self, key: &str, value: &[u8]) -> Result<()> {
        let s = self.stmt(
            "INSERT INTO store_meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        self.tx.execute(&s, &[&key, &value])?;
        Ok(())
    }

    fn secret(&mut self, env: &str, name: &str) -> Result<Option<SecretRow>> {
        let s = self.stmt(SECRET_BY_PATH)?;
        self.tx
            .query_opt(&s, &[&env, &name])?
            .as_ref()
            .map(secret_row)
            .transpose()
    }

    fn secrets(&mut self, prefix: &str) -> Result<Vec<SecretRow>> {
        let s = self.stmt(SECRETS_BY_PREFIX)?;
        self.tx
            .query(&s, &[&prefix])?
            .iter()
            .map(secret_row)
            .collect()
    }

    fn insert_secret(&mut self, row: &SecretRow) -> Result<i64> {
        let s = self.stmt(
            "INSERT INTO secrets (env, name, kind, description, owner, created_at, updated_at,
                last_rotated, rotation_interval_days, state, deleted_at, current_version,
                latest_version, revision)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )?;
        let m = &row.meta;
        let r = self.tx.query_one(
            &s,
            &[
                &m.path.env(),
                &m.path.name(),
                &m.kind,
                &m.description,
                &m.owner,
                &m.created_at,
                &m.updated_at,
                &m.last_rotated,
                &m.rotation_interval_days.map(i64::from),
                &m.state,
                &m.deleted_at,
                &(m.current_version as i64),
                &(m.latest_version as i64),
                &(m.revision as i64),
            ],
        )?;
        Ok(r.get(0))
    }

    fn update_secret(&mut self, row: &SecretRow) -> Result<()> {
        let s = self.stmt(
            "UPDATE secrets SET kind = $2, description = $3, owner = $4, updated_at = $5,
                last_rotated = $6, rotation_interval_days = $7, state = $8, deleted_at = $9,
                current_version = $10, latest_version = $11, revision = $12, head_seq = $13,
                head_mac = $14
             WHERE id = $1",
        )?;
        let m = &row.meta;
        self.tx.execute(
            &s,
            &[
                &row.id,
                &m.kind,
                &m.description,
                &m.owner,
                &m.updated_at,
                &m.last_rotated,
                &m.rotation_interval_days.map(i64::from),
                &m.state,
                &m.deleted_at,
                &(m.current_version as i64),
                &(m.latest_version as i64),
                &(m.revision as i64),
                &(row.head_seq as i64),
                &row.head_mac,
            ],
        )?;
        Ok(())
    }

    fn versions(&mut self, secret_id: i64) -> Result<Vec<VersionRow>> {
        let s = self.stmt(VERSIONS)?;
        self.tx
            .query(&s, &[&secret_id])?
            .iter()
            .map(version_row)
            .collect()
    }

    fn version_infos(&mut self, secret_id: i64) -> Result<Vec<VersionInfo>> {
        let s = self.stmt(VERSION_INFOS)?;
        self.tx
            .query(&s, &[&secret_id])?
            .iter()
            .map(version_info)
            .collect()
    }

    fn version_infos_under(&mut self, prefix: &str) -> Result<Vec<(i64, VersionInfo)>> {
        let s = self.stmt(VERSION_INFOS_UNDER)?;
        self.tx
            .query(&s, &[&prefix])?
            .iter()
            .map(|r| Ok((r.get(0), version_info(r)?)))
            .collect()
    }

    fn version(&mut self, secret_id: i64, version: u64) -> Result<Option<VersionRow>> {
        let s = self.stmt(VERSION)?;
        self.tx
            .query_opt(&s, &[&secret_id, &(version as i64)])?
            .as_ref()
            .map(version_row)
            .transpose()
    }

    fn insert_version(&mut self, row: &VersionRow) -> Result<()> {
        let s = self.stmt(
            "INSERT INTO versions (secret_id, version, stage, created_at, created_by, wrapped_key, ciphertext)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )?;
        self.tx.execute(
            &s,
            &[
                &row.secret_id,
                &(row.info.version as i64),
                &row.info.stage.as_str(),
                &row.info.created_at,
                &row.info.created_by,
                &row.wrapped_key,
                &row.ciphertext,
            ],
        )?;
        Ok(())
    }

    fn set_stage(&mut self, secret_id: i64, version: u64, stage: Stage) -> Result<()> {
        let s =
            self.stmt("UPDATE versions SET stage = $3 WHERE secret_id = $1 AND version = $2")?;
        self.tx
            .execute(&s, &[&secret_id, &(version as i64), &stage.as_str()])?;
        Ok(())
    }

    fn wrapped_keys(&mut self) -> Result<Vec<WrappedKeyRow>> {
        let rows = self.tx.query(
            "SELECT v.secret_id, s.env || '/' || s.name, v.version, v.wrapped_key
             FROM versions v JOIN secrets s ON s.id = v.secret_id ORDER BY v.secret_id, v.version",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| WrappedKeyRow {
                secret_id: r.get(0),
                path: r.get(1),
                version: r.get::<_, i64>(2) as u64,
                wrapped_key: r.get(3),
            })
            .collect())
    }

    fn set_wrapped_key(&mut self, secret_id: i64, version: u64, wrapped: &[u8]) -> Result<()> {
        let s = self
            .stmt("UPDATE versions SET wrapped_key = $3 WHERE secret_id = $1 AND version = $2")?;
        self.tx
            .execute(&s, &[&secret_id, &(version as i64), &wrapped])?;
        Ok(())
    }

    fn wipe_version(&mut self, secret_id: i64, version: u64) -> Result<()> {
        let s = self.stmt(
            "UPDATE versions SET wrapped_key = ''::bytea, ciphertext = ''::bytea WHERE secret_id = $1 AND version = $2",
        )?;
        self.tx.execute(&s, &[&secret_id, &(version as i64)])?;
        Ok(())
    }

    fn audit_head(&mut self) -> Result<AuditHead> {
        let s = self.stmt("SELECT seq, hash, mac FROM audit_head WHERE id = 1")?;
        let r = self
            .tx
            .query_opt(&s, &[])?
            .ok_or_else(|| StoreError::new(ErrorKind::Corrupt, "audit chain head is missing"))?;
        Ok(AuditHead {
            seq: unsigned(&r, 0)?,
            hash: r.get(1),
            mac: r.get(2),
        })
    }

    fn audit_set_head_mac(&mut self, mac: &str) -> Result<()> {
        let s = self.stmt("UPDATE audit_head SET mac = $1 WHERE id = 1")?;
        self.tx.execute(&s, &[&mac])?;
        Ok(())
    }

    fn audit_append(&mut self, e: &AuditEntry, head_mac: &str) -> Result<()> {
        self.audit_append_many(std::slice::from_ref(e), head_mac)
    }

    fn audit_append_many(&mut self, entries: &[AuditEntry], head_mac: &str) -> Result<()> {
        let Some(last) = entries.last() else {
            return Ok(());
        };
        if entries.len() == 1 {
            let e = last;
            let s = self.stmt(
                "INSERT INTO audit (seq, time, actor, action, path, version, outcome, remote, detail,
                    value_hmac, prev_hash, hash, checkpoint)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )?;
            self.tx.execute(
                &s,
                &[
                    &(e.seq as i64),
                    &e.time,
                    &e.actor,
                    &e.action,
                    &e.path,
                    &e.version.map(|v| v as i64),
                    &e.outcome,
                    &e.remote,
                    &e.detail,
                    &e.value_hmac,
                    &e.prev_hash,
                    &e.hash,
                    &e.checkpoint,
                ],
            )?;
        } else {
            // One round trip for the whole batch: thirteen column arrays unnested into rows.
            let s = self.stmt(
                "INSERT INTO audit (seq, time, actor, action, path, version, outcome, remote, detail,
                    value_hmac, prev_hash, hash, checkpoint)
                 SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[],
                    $6::BIGINT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[],
                    $12::TEXT[], $13::TEXT[])",
            )?;
            let col = |f: fn(&AuditEntry) -> Option<String>| -> Vec<Option<String>> {
                entries.iter().map(f).collect()
            };
            let seqs: Vec<i64> = entries.iter().map(|e| e.seq as i64).collect();
            let versions: Vec<Option<i64>> = entries
                .iter()
                .map(|e| e.version.map(|v| v as i64))
                .collect();
            self.tx.execute(
                &s,
                &[
                    &seqs,
                    &col(|e| Some(e.time.clone())),
                    &col(|e| Some(e.actor.clone())),
                    &col(|e| Some(e.action.clone())),
                    &col(|e| e.path.clone()),
                    &versions,
                    &col(|e| Some(e.outcome.clone())),
                    &col(|e| e.remote.clone()),
                    &col(|e| e.detail.clone()),
                    &col(|e| e.value_hmac.clone()),
                    &col(|e| Some(e.prev_hash.clone())),
                    &col(|e| Some(e.hash.clone())),
                    &col(|e| e.checkpoint.clone()),
                ],
            )?;
        }
        let s = self.stmt("UPDATE audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1")?;
        self.tx
            .execute(&s, &[&(last.seq as i64), &last.hash, &head_mac])?;
        Ok(())
    }

    fn audit_entries(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let (path_eq, path_prefix) = match &filter.path {
            Some(p) if p.ends_with('/') => (None, Some(p.as_str())),
            Some(p) => (Some(p.as_str()), None),
            None => (None, None),
        };
        let s = self.stmt(AUDIT_SELECT)?;
        let rows = self
            .tx
            .query(&s, &[&path_eq, &path_prefix, &filter.since.as_deref()])?;
        Ok(rows.iter().map(audit_row).collect())
    }

    fn audit_tail(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let (tail, params) = query.sql(|i| format!("${i}"));
        let sql = format!(
            "SELECT seq, time, actor, action, path, version, outcome, remote, detail, \
             value_hmac, prev_hash, hash, checkpoint FROM audit {tail}"
        );
        let values: Vec<Box<dyn postgres::types::ToSql + Sync>> = params
            .into_iter()
            .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
                match p {
                    SqlParam::Text(t) => Box::new(t),
                    SqlParam::Int(i) => Box::new(i),
                }
            })
            .collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            values.iter().map(|v| v.as_ref()).collect();
        let rows = self.tx.query(sql.as_str(), &refs)?;
        Ok(rows.iter().map(audit_row).collect())
    }

    fn audit_count(&mut self, outcome: &str, since: &str) -> Result<u64> {
        let s = self.stmt("SELECT count(*) FROM audit WHERE outcome = $1 AND time >= $2")?;
        let n: i64 = self.tx.query_one(&s, &[&outcome, &since])?.get(0);
        Ok(n as u64)
    }

    fn record_get(&mut self, kind: &str, name: &str) -> Result<Option<RecordRow>> {
        let s =
            self.stmt("SELECT kind, name, body, mac FROM records WHERE kind = $1 AND name = $2")?;
        Ok(self
            .tx
            .query_opt(&s, &[&kind, &name])?
            .as_ref()
            .map(record_row))
    }

    fn record_put(&mut self, row: &RecordRow) -> Result<()> {
        let s = self.stmt(
            "INSERT INTO records (kind, name, body, mac) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body, mac = excluded.mac",
        )?;
        self.tx
            .execute(&s, &[&row.kind, &row.name, &row.body, &row.mac])?;
        Ok(())
    }

    fn record_delete(&mut self, kind: &str, name: &str) -> Result<bool> {
        let s = self.stmt("DELETE FROM records WHERE kind = $1 AND name = $2")?;
        Ok(self.tx.execute(&s, &[&kind, &name])? > 0)
    }

    fn record_list(&mut self, kind: &str, prefix: &str) -> Result<Vec<RecordRow>> {
        let s = self.stmt(
            "SELECT kind, name, body, mac FROM records
             WHERE kind = $1 AND left(name, length($2)) = $2 ORDER BY name COLLATE \"C\"",
        )?;
        let rows = self.tx.query(&s, &[&kind, &prefix])?;
        Ok(rows.iter().map(record_row).collect())
    }
}

fn record_row(r: &Row) -> RecordRow {
    RecordRow {
        kind: r.get(0),
        name: r.get(1),
        body: r.get(2),
        mac: r.get(3),
    }
}
