//! What the server's KV version 2 engine needs from the store: a secret and its KV record
//! read in one consistent snapshot without an audit entry of their own (the server audits
//! every request through [`Store::append_audit_batch`]), and a write of a new version
//! together with its KV record in one transaction.

use crate::error::Result;
use crate::head;
use crate::model::{Actor, AuditEvent, Expected, MetaPatch, SecretMeta, VersionInfo};
use crate::path::SecretPath;
use crate::records::{get_in, put_in, record_key};
use crate::secrets::{set_in, unseal, Revealed};
use crate::store::{read_tx, write_tx, Store};
use keyward_core::SecretBytes;

/// A secret as the KV engine sees it, read in one snapshot.
#[derive(Debug)]
pub struct KvSnapshot {
    /// The secret's metadata (`None`: no such secret; soft-deleted ones are included).
    pub meta: Option<SecretMeta>,
    /// Its versions, newest first.
    pub versions: Vec<VersionInfo>,
    /// The version asked for, decrypted, when it exists and was asked for.
    pub value: Option<Revealed>,
    /// The KV record, when there is one.
    pub record: Option<Vec<u8>>,
}

/// Which version [`Store::kv_snapshot`] decrypts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvPick {
    /// None: metadata only.
    Nothing,
    /// The current version.
    Current,
    /// This version.
    Version(u64),
}

impl Store {
    /// Read `path` (its head MAC checked) and the record `kind`/`name` in one read
    /// transaction, decrypting the version `pick` names. Not audited: the caller audits.
    pub fn kv_snapshot(
        &mut self,
        path: &SecretPath,
        pick: KvPick,
        kind: &str,
        name: &str,
    ) -> Result<KvSnapshot> {
        let Store { backend, ctx } = self;
        let key = record_key(ctx);
        read_tx(backend.as_mut(), |tx| {
            let record = get_in(tx, &key, kind, name)?;
            let Some(row) = tx.secret(path.env(), path.name())? else {
                return Ok(KvSnapshot {
                    meta: None,
                    versions: Vec::new(),
                    value: None,
                    record,
                });
            };
            let want = match pick {
                KvPick::Nothing => None,
                KvPick::Current => Some(row.meta.current_version).filter(|&v| v > 0),
                KvPick::Version(v) => Some(v),
            };
            let (versions, value) = if want.is_some() {
                let rows = tx.versions(row.id)?;
                head::check(tx, ctx, &row, rows.iter().map(|v| &v.info))?;
                let value = match rows.iter().find(|r| Some(r.info.version) == want) {
                    Some(r) if !crate::destroy::is_destroyed(r) => Some(Revealed {
                        version: r.info.version,
                        stage: r.info.stage,
                        value: unseal(ctx, path, r)?,
                    }),
                    _ => None,
                };
                (rows.into_iter().map(|r| r.info).collect(), value)
            } else {
                let infos = tx.version_infos(row.id)?;
                head::check(tx, ctx, &row, &infos)?;
                (infos, None)
            };
            Ok(KvSnapshot {
                meta: Some(row.meta),
                versions,
                value,
                record,
            })
        })
    }

    /// Write `value` as the new current version of `path` (a soft-deleted secret is
    /// restored first) and, in the same transaction, replace the record `kind`/`name` with
    /// what `record` returns from the old record and the new version. Audited as a write
    /// by `actor`; `expected` as in [`Store::set`]; `patch` applies when the secret is
    /// created.
    #[allow(clippy::too_many_arguments)]
    pub fn kv_write(
        &mut self,
        actor: &Actor,
        path: &SecretPath,
        value: &SecretBytes,
        expected: Expected,
        patch: &MetaPatch,
        (kind, name): (&str, &str),
        record: impl FnOnce(Option<Vec<u8>>, &VersionInfo) -> Result<Vec<u8>>,
    ) -> Result<VersionInfo> {
        let saved = std::mem::replace(&mut self.ctx.actor, actor.clone());
        let Store { backend, ctx } = self;
        let key = record_key(ctx);
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            if let Some(row) = tx.secret(path.env(), path.name())? {
                if row.meta.deleted_at.is_some() {
                    let (mut row, _) = head::load(tx, ctx, path, true)?;
                    row.meta.deleted_at = None;
                    row.meta.updated_at = crate::clock::now();
                    row.meta.revision += 1;
                    ctx.log(
                        tx,
                        AuditEvent {
                            action: "restore".into(),
                            path: Some(path.to_string()),
                            version: Some(row.meta.current_version),
                            outcome: "ok".into(),
                            detail: Some("restored by a KV write".into()),
                            value_hmac: None,
                        },
                    )?;
                    head::seal(tx, ctx, &mut row)?;
                }
            }
            let info = set_in(tx, ctx, path, value, expected, patch)?;
            let old = get_in(tx, &key, kind, name)?;
            put_in(tx, &key, kind, name, &record(old, &info)?)?;
            Ok(info)
        });
        self.ctx.actor = saved;
        result
    }

    /// Soft-delete `path` (as [`Store::delete`]) and remove the record `kind`/`name`, in one
    /// transaction, audited by `actor`. A missing secret only loses its record.
    pub fn kv_delete(
        &mut self,
        actor: &Actor,
        path: &SecretPath,
        (kind, name): (&str, &str),
    ) -> Result<()> {
        let saved = std::mem::replace(&mut self.ctx.actor, actor.clone());
        let Store { backend, ctx } = self;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            tx.record_delete(kind, name)?;
            let Some(row) = tx.secret(path.env(), path.name())? else {
                return Ok(());
            };
            if row.meta.deleted_at.is_some() {
                return Ok(());
            }
            let (mut row, _) = head::load(tx, ctx, path, false)?;
            head::check_unlocked(&row.meta)?;
            let now = crate::clock::now();
            row.meta.deleted_at = Some(now.clone());
            row.meta.updated_at = now;
            row.meta.revision += 1;
            ctx.log(
                tx,
                AuditEvent {
                    action: "delete".into(),
                    path: Some(path.to_string()),
                    version: Some(row.meta.current_version),
                    outcome: "ok".into(),
                    detail: Some("KV metadata delete".into()),
                    value_hmac: None,
                },
            )?;
            head::seal(tx, ctx, &mut row)
        });
        self.ctx.actor = saved;
        result
    }
}
