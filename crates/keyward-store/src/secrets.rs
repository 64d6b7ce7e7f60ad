//! Secret operations on [`Store`]: write, read, list, history, soft delete, restore, export.

use crate::backend::{SecretRow, Tx, VersionRow};
use crate::crypto::{self, Sealed};
use crate::error::{ErrorKind, Result, StoreError};
use crate::head;
use crate::model::{AuditEvent, Expected, MetaPatch, SecretMeta, Stage, VersionInfo};
use crate::path::SecretPath;
use crate::store::{read_tx, write_tx, Ctx, Store};
use keyward_core::SecretBytes;

/// A decrypted version. `Debug` shows `[REDACTED]` for the value.
#[derive(Clone, Debug)]
pub struct Revealed {
    /// Its version number.
    pub version: u64,
    /// Its stage.
    pub stage: Stage,
    /// The plaintext (memory only, zeroized on drop).
    pub value: SecretBytes,
}

/// One secret of an environment, decrypted for `export` or `run`.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The variable name.
    pub name: String,
    /// The current version exported.
    pub version: u64,
    /// The plaintext.
    pub value: SecretBytes,
}

/// What a deferred export ([`Store::export_env_deferred`]) decrypted, without the values:
/// the paths, versions and value HMACs that [`Store::finish_export`] logs. Holds no secret.
#[derive(Clone, Debug)]
pub struct ExportReceipt {
    action: String,
    detail: String,
    items: Vec<(SecretPath, u64, String)>,
}

impl ExportReceipt {
    /// How many secrets the export decrypted.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the export decrypted nothing.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Check the version a write expects to replace against the current one.
pub(crate) fn check_expected(path: &SecretPath, current: u64, expected: Expected) -> Result<()> {
    let ok = match expected {
        Expected::Any => true,
        Expected::Absent => current == 0,
        Expected::Version(n) => n == current,
    };
    if ok {
        return Ok(());
    }
    let want = match expected {
        Expected::Version(n) => format!("version {n}"),
        _ => "no current version".to_string(),
    };
    let have = if current == 0 {
        "has no current version".to_string()
    } else {
        format!("is at version {current}")
    };
    Err(StoreError::new(
        ErrorKind::Conflict,
        format!("conflict: {path} {have}, the write expected {want} (re-read and retry)"),
    ))
}

/// Apply a metadata patch; returns the names of the fields it changed.
pub(crate) fn apply_patch(meta: &mut SecretMeta, patch: &MetaPatch) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    if let Some(v) = &patch.kind {
        meta.kind = v.clone();
        changed.push("kind");
    }
    if let Some(v) = &patch.description {
        meta.description = v.clone();
        changed.push("description");
    }
    if let Some(v) = &patch.owner {
        meta.owner = v.clone();
        changed.push("owner");
    }
    if let Some(v) = patch.rotation_interval_days {
        meta.rotation_interval_days = v;
        changed.push("rotation_interval_days");
    }
    if let Some(v) = &patch.last_rotated {
        meta.last_rotated = v.clone();
        changed.push("last_rotated");
    }
    if let Some(v) = &patch.state {
        serde_json::from_str::<serde_json::Value>(v).map_err(|e| {
            StoreError::new(
                ErrorKind::InvalidInput,
                format!("secret state must be JSON text ({e})"),
            )
        })?;
        meta.state = v.clone();
        changed.push("state");
    }
    Ok(changed)
}

/// Find the version holding `stage` (newest first).
pub(crate) fn with_stage(versions: &[VersionInfo], stage: Stage) -> Option<&VersionInfo> {
    versions.iter().find(|v| v.stage == stage)
}

/// Decrypt version `v` among `versions` of `path`, with the `read` audit event that
/// records it (not yet logged).
pub(crate) fn reveal(
    ctx: &Ctx,
    path: &SecretPath,
    versions: &[VersionRow],
    v: u64,
) -> Result<(Revealed, AuditEvent)> {
    let vrow = versions
        .iter()
        .find(|r| r.info.version == v)
        .ok_or_else(|| {
            StoreError::new(ErrorKind::NotFound, format!("{path} has no version {v}"))
        })?;
    let value = unseal(ctx, path, vrow)?;
    let event = AuditEvent {
        action: "read".into(),
        path: Some(path.to_string()),
        version: Some(v),
        outcome: "ok".into(),
        detail: None,
        value_hmac: Some(ctx.hmac(path, value.expose())),
    };
    let revealed = Revealed {
        version: v,
        stage: vrow.info.stage,
        value,
    };
    Ok((revealed, event))
}

pub(crate) fn unseal(ctx: &Ctx, path: &SecretPath, row: &VersionRow) -> Result<SecretBytes> {
    if crate::destroy::is_destroyed(row) {
        return Err(crate::destroy::destroyed(path, row.info.version));
    }
    crypto::open_value(
        &ctx.kek,
        path,
        row.info.version,
        &Sealed {
            wrapped_key: row.wrapped_key.clone(),
            ciphertext: row.ciphertext.clone(),
        },
    )
}

/// Seal `value` as the next version of `row` in `stage`, bump the row's counters (and
/// `current_version` for a current write), audit the write and seal the head.
pub(crate) fn append_version(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    path: &SecretPath,
    row: &mut SecretRow,
    stage: Stage,
    value: &SecretBytes,
    now: String,
) -> Result<VersionInfo> {
    let version = row.meta.latest_version + 1;
    let info = insert_sealed(tx, ctx, row, version, stage, value, &now)?;
    if stage == Stage::Current {
        row.meta.current_version = version;
    }
    row.meta.latest_version = version;
    row.meta.updated_at = now;
    row.meta.revision += 1;
    ctx.log(
        tx,
        AuditEvent {
            action: "write".into(),
            path: Some(path.to_string()),
            version: Some(version),
            outcome: "ok".into(),
            detail: (stage != Stage::Current).then(|| format!("stage {stage}")),
            value_hmac: Some(ctx.hmac(path, value.expose())),
        },
    )?;
    head::seal(tx, ctx, row)?;
    Ok(info)
}

pub(crate) fn insert_sealed(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    row: &SecretRow,
    version: u64,
    stage: Stage,
    value: &SecretBytes,
    now: &str,
) -> Result<VersionInfo> {
    let sealed = crypto::seal_value(&ctx.kek, &row.meta.path, version, value.expose())?;
    let info = VersionInfo {
        version,
        stage,
        created_at: now.to_string(),
        created_by: ctx.actor.name.clone(),
    };
    tx.insert_version(&VersionRow {
        secret_id: row.id,
        info: info.clone(),
        wrapped_key: sealed.wrapped_key,
        ciphertext: sealed.ciphertext,
    })?;
    Ok(info)
}

/// The body of [`Store::set`] inside an open write transaction (also used by the KV
/// engine, which writes its own record in the same transaction).
pub(crate) fn set_in(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    path: &SecretPath,
    value: &SecretBytes,
    expected: Expected,
    patch: &MetaPatch,
) -> Result<VersionInfo> {
    let now = crate::clock::now();
    let row = match tx.secret(path.env(), path.name())? {
        Some(_) => {
            let (row, _) = head::load(tx, ctx, path, false)?;
            head::check_unlocked(&row.meta)?;
            (row, false)
        }
        None => {
            check_expected(path, 0, expected)?;
            let mut row = SecretRow {
                id: 0,
                meta: SecretMeta {
                    path: path.clone(),
                    kind: String::new(),
                    description: String::new(),
                    owner: String::new(),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    last_rotated: None,
                    rotation_interval_days: None,
                    state: "{}".into(),
                    deleted_at: None,
                    current_version: 0,
                    latest_version: 0,
                    revision: 0,
                },
                head_seq: 0,
                head_mac: None,
            };
            apply_patch(&mut row.meta, patch)?;
            row.id = tx.insert_secret(&row)?;
            (row, true)
        }
    };
    let (mut row, created) = row;
    check_expected(path, row.meta.current_version, expected)?;
    let versions = tx.version_infos(row.id)?;
    if let Some(prev) = with_stage(&versions, Stage::Previous) {
        tx.set_stage(row.id, prev.version, Stage::Retired)?;
    }
    if let Some(cur) = with_stage(&versions, Stage::Current) {
        tx.set_stage(row.id, cur.version, Stage::Previous)?;
    }
    if !created {
        apply_patch(&mut row.meta, patch)?;
    }
    append_version(tx, ctx, path, &mut row, Stage::Current, value, now)
}

impl Store {
    /// Write a new version of `path` and make it current (the old current becomes
    /// `previous`, the old previous `retired`). Creates the secret, with `patch` as its
    /// metadata, when it does not exist. `expected` names the version this write
    /// replaces; a mismatch is [`ErrorKind::Conflict`] and changes nothing.
    pub fn set(
        &mut self,
        path: &SecretPath,
        value: &SecretBytes,
        expected: Expected,
        patch: &MetaPatch,
    ) -> Result<VersionInfo> {
        let Store { backend, ctx } = self;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            set_in(tx, ctx, path, value, expected, patch)
        });
        result.inspect_err(|e| self.log_failure("write", Some(path), None, e))
    }

    /// The current version of `path`, decrypted (audited as a read).
    pub fn get(&mut self, path: &SecretPath) -> Result<Revealed> {
        self.read_where(path, "current", |row, _| match row.meta.current_version {
            0 => None,
            v => Some(v),
        })
    }

    /// The version of `path` holding `stage`, decrypted (audited as a read).
    pub fn get_stage(&mut self, path: &SecretPath, stage: Stage) -> Result<Revealed> {
        let label = stage.as_str();
        self.read_where(path, label, |_, versions| {
            versions
                .iter()
                .find(|v| v.info.stage == stage)
                .map(|v| v.info.version)
        })
    }

    /// A specific version of `path`, decrypted (audited as a read).
    pub fn get_version(&mut self, path: &SecretPath, version: u64) -> Result<Revealed> {
        self.read_where(path, "requested", |_, _| Some(version))
    }

    /// Like [`get`](Store::get) (or a `version`, or a `stage`), but a successful read logs
    /// nothing yet: the caller delivers the value (writes it to stdout) and then calls
    /// [`finish_export`](Store::finish_export) with the receipt and the outcome, so a read
    /// into a closed pipe is logged as failed, not as a successful read.
    pub fn read_deferred(
        &mut self,
        path: &SecretPath,
        version: Option<u64>,
        stage: Option<Stage>,
    ) -> Result<(Revealed, ExportReceipt)> {
        let revealed = match (version, stage) {
            (Some(v), _) => self.read_logged(path, "requested", false, |_, _| Some(v))?,
            (None, Some(stage)) => self.read_logged(path, stage.as_str(), false, |_, vs| {
                vs.iter()
                    .find(|v| v.info.stage == stage)
                    .map(|v| v.info.version)
            })?,
            (None, None) => self.read_logged(path, "current", false, |row, _| {
                match row.meta.current_version {
                    0 => None,
                    v => Some(v),
                }
            })?,
        };
        let receipt = ExportReceipt {
            action: "read".into(),
            detail: String::new(),
            items: vec![(
                path.clone(),
                revealed.version,
                self.ctx.hmac(path, revealed.value.expose()),
            )],
        };
        Ok((revealed, receipt))
    }

    fn read_where(
        &mut self,
        path: &SecretPath,
        what: &str,
        pick: impl FnOnce(&SecretRow, &[VersionRow]) -> Option<u64>,
    ) -> Result<Revealed> {
        self.read_logged(path, what, true, pick)
    }

    fn read_logged(
        &mut self,
        path: &SecretPath,
        what: &str,
        log_now: bool,
        pick: impl FnOnce(&SecretRow, &[VersionRow]) -> Option<u64>,
    ) -> Result<Revealed> {
        let Store { backend, ctx } = self;
        let mut tried = None;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let (row, versions) = head::load_sealed(tx, ctx, path)?;
            let v = pick(&row, &versions).ok_or_else(|| {
                StoreError::new(ErrorKind::NotFound, format!("{path} has no {what} version"))
            })?;
            tried = Some(v);
            let (revealed, event) = reveal(ctx, path, &versions, v)?;
            if log_now {
                ctx.log(tx, event)?;
            }
            Ok(revealed)
        });
        result.inspect_err(|e| self.log_failure("read", Some(path), tried, e))
    }

    /// Metadata of one secret (deleted ones included; not audited: no value is read). Its
    /// head MAC is checked ([`ErrorKind::Integrity`] when it was changed behind keyward).
    pub fn meta(&mut self, path: &SecretPath) -> Result<SecretMeta> {
        let Store { backend, ctx } = self;
        let r = read_tx(backend.as_mut(), |tx| {
            Ok(head::load(tx, ctx, path, true)?.0.meta)
        });
        r.inspect_err(|e| self.log_integrity("meta", Some(path), e))
    }

    /// Secrets whose `ENV/NAME` starts with `prefix` (`""` for all), sorted; deleted ones
    /// only with `include_deleted`. Not audited: no value is read. Every head MAC is
    /// checked: one secret changed behind keyward's back fails the whole listing.
    pub fn list(&mut self, prefix: &str, include_deleted: bool) -> Result<Vec<SecretMeta>> {
        let Store { backend, ctx } = self;
        let r = read_tx(backend.as_mut(), |tx| {
            let rows = head::under(tx, prefix)?;
            let mut out = Vec::with_capacity(rows.len());
            for (row, versions) in rows {
                head::check(tx, ctx, &row, &versions)?;
                if include_deleted || row.meta.deleted_at.is_none() {
                    out.push(row.meta);
                }
            }
            Ok(out)
        });
        r.inspect_err(|e| self.log_integrity("list", None, e))
    }

    /// The versions of `path`, newest first (no values).
    pub fn history(&mut self, path: &SecretPath) -> Result<Vec<VersionInfo>> {
        let Store { backend, ctx } = self;
        let r = read_tx(
            backend.as_mut(),
            |tx| Ok(head::load(tx, ctx, path, true)?.1),
        );
        r.inspect_err(|e| self.log_integrity("history", Some(path), e))
    }

    /// Soft-delete `path`: it disappears from `list`, `get`, `export` and `run` but keeps
    /// its versions until [`restore`](Store::restore)d.
    pub fn delete(&mut self, path: &SecretPath, expected: Expected) -> Result<()> {
        self.mark_deleted(path, expected, true)
    }

    /// Undo a soft delete.
    pub fn restore(&mut self, path: &SecretPath) -> Result<()> {
        self.mark_deleted(path, Expected::Any, false)
    }

    fn mark_deleted(&mut self, path: &SecretPath, expected: Expected, delete: bool) -> Result<()> {
        let action = if delete { "delete" } else { "restore" };
        let Store { backend, ctx } = self;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let (mut row, _) = head::load(tx, ctx, path, !delete)?;
            if delete {
                head::check_unlocked(&row.meta)?;
            }
            if !delete && row.meta.deleted_at.is_none() {
                return Err(StoreError::new(
                    ErrorKind::InvalidInput,
                    format!("{path} is not deleted"),
                ));
            }
            check_expected(path, row.meta.current_version, expected)?;
            let now = crate::clock::now();
            row.meta.deleted_at = delete.then(|| now.clone());
            row.meta.updated_at = now;
            row.meta.revision += 1;
            ctx.log(
                tx,
                AuditEvent {
                    action: action.into(),
                    path: Some(path.to_string()),
                    version: Some(row.meta.current_version),
                    outcome: "ok".into(),
                    ..Default::default()
                },
            )?;
            head::seal(tx, ctx, &mut row)
        });
        result.inspect_err(|e| self.log_failure(action, Some(path), None, e))
    }

    /// Decrypt the current version of every live secret in `env`, sorted by name, logging
    /// one audit entry per secret with `action` (`export`, `run`) and `detail` (e.g. the
    /// format or the command name; never a value) in the same transaction.
    ///
    /// The entries say `ok` as soon as the values are decrypted. A caller that then delivers
    /// the values somewhere that can fail (a file, a child process) should use
    /// [`export_env_deferred`](Store::export_env_deferred) and
    /// [`finish_export`](Store::finish_export) instead, so the log records the outcome of
    /// the delivery.
    ///
    /// `check` runs on each value inside the transaction; when it refuses one (e.g. a
    /// newline a docker env-file cannot carry) the whole export is rolled back, logged as
    /// failed, and fails with [`ErrorKind::InvalidInput`] carrying its message.
    pub fn export_env(
        &mut self,
        env: &str,
        action: &str,
        detail: &str,
        check: &dyn Fn(&Exported) -> std::result::Result<(), String>,
    ) -> Result<Vec<Exported>> {
        Ok(self.decrypt_env(env, action, detail, check, true)?.0)
    }

    /// Like [`export_env`](Store::export_env), but a successful decryption logs nothing
    /// yet: the caller delivers the values (writes the file, spawns the process) and then
    /// calls [`finish_export`](Store::finish_export) with the receipt and the outcome, so
    /// `ok` is logged only for an export that happened. A refused value (`check`) or a
    /// failed decryption is logged as failed here, as with `export_env`.
    pub fn export_env_deferred(
        &mut self,
        env: &str,
        action: &str,
        detail: &str,
        check: &dyn Fn(&Exported) -> std::result::Result<(), String>,
    ) -> Result<(Vec<Exported>, ExportReceipt)> {
        self.decrypt_env(env, action, detail, check, false)
    }

    /// Log the outcome of a deferred export: one entry per secret of `receipt` with outcome
    /// `ok` when `outcome` is `Ok`, else `failed` with the reason appended to the detail
    /// (the reason must not contain a value). A failure with no secrets still logs one
    /// entry. Fails, writing nothing, when the store was rekeyed meanwhile.
    pub fn finish_export(
        &mut self,
        receipt: &ExportReceipt,
        outcome: std::result::Result<(), &str>,
    ) -> Result<()> {
        let (result, detail) = match outcome {
            Ok(()) => ("ok", receipt.detail.clone()),
            Err(why) if receipt.detail.is_empty() => ("failed", why.to_string()),
            Err(why) => ("failed", format!("{}: {why}", receipt.detail)),
        };
        let event = |path: Option<String>, version: Option<u64>, hmac: Option<String>| AuditEvent {
            action: receipt.action.clone(),
            path,
            version,
            outcome: result.into(),
            detail: (!detail.is_empty()).then(|| detail.clone()),
            value_hmac: hmac,
        };
        let Store { backend, ctx } = self;
        write_tx(backend.as_mut(), ctx, |tx| {
            if receipt.items.is_empty() && result != "ok" {
                ctx.log(tx, event(None, None, None))?;
            }
            for (path, version, hmac) in &receipt.items {
                ctx.log(
                    tx,
                    event(Some(path.to_string()), Some(*version), Some(hmac.clone())),
                )?;
            }
            Ok(())
        })
    }

    fn decrypt_env(
        &mut self,
        env: &str,
        action: &str,
        detail: &str,
        check: &dyn Fn(&Exported) -> std::result::Result<(), String>,
        log_now: bool,
    ) -> Result<(Vec<Exported>, ExportReceipt)> {
        crate::path::validate_env(env)?;
        let Store { backend, ctx } = self;
        let mut failed_at: Option<(SecretPath, u64)> = None;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let mut out = Vec::new();
            let mut receipt = ExportReceipt {
                action: action.to_string(),
                detail: detail.to_string(),
                items: Vec::new(),
            };
            for (row, versions) in head::under(tx, &format!("{env}/"))? {
                let m = &row.meta;
                if m.path.env() != env {
                    continue;
                }
                failed_at = Some((m.path.clone(), m.current_version));
                head::check(tx, ctx, &row, &versions)?;
                if m.deleted_at.is_some() || m.current_version == 0 {
                    continue;
                }
                let vrow = tx.version(row.id, m.current_version)?.ok_or_else(|| {
                    StoreError::new(
                        ErrorKind::Corrupt,
                        format!("{} version {} is missing", m.path, m.current_version),
                    )
                })?;
                let value = unseal(ctx, &m.path, &vrow)?;
                let hmac = ctx.hmac(&m.path, value.expose());
                if log_now {
                    ctx.log(
                        tx,
                        AuditEvent {
                            action: action.into(),
                            path: Some(m.path.to_string()),
                            version: Some(m.current_version),
                            outcome: "ok".into(),
                            detail: (!detail.is_empty()).then(|| detail.to_string()),
                            value_hmac: Some(hmac.clone()),
                        },
                    )?;
                }
                let exported = Exported {
                    name: m.path.name().to_string(),
                    version: m.current_version,
                    value,
                };
                check(&exported).map_err(|msg| StoreError::new(ErrorKind::InvalidInput, msg))?;
                receipt
                    .items
                    .push((m.path.clone(), m.current_version, hmac));
                out.push(exported);
            }
            Ok((out, receipt))
        });
        result.inspect_err(|e| {
            let (p, v) = match &failed_at {
                Some((p, v)) => (Some(p), Some(*v)),
                None => (None, None),
            };
            self.log_failure(action, p, v, e)
        })
    }
}
