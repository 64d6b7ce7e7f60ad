//! Stage operations for rotation and revocation: pending versions, promotion, revocation,
//! and the per-secret metadata/state that the rotation state machine keeps.

use crate::error::{ErrorKind, Result, StoreError};
use crate::head;
use crate::model::{AuditEvent, Expected, MetaPatch, SecretMeta, Stage, VersionInfo};
use crate::path::SecretPath;
use crate::secrets::{append_version, apply_patch, check_expected, with_stage};
use crate::store::{write_tx, Store};
use keyward_core::SecretBytes;

impl Store {
    /// Add `value` as the `pending` version of an existing secret (rotation step 1). The
    /// current version is untouched. `expected` names the current version the rotation
    /// started from. Fails with [`ErrorKind::Conflict`] when a pending version already
    /// exists (resume with [`get_stage`](Store::get_stage)`(Pending)` or
    /// [`discard_pending`](Store::discard_pending) it).
    pub fn put_pending(
        &mut self,
        path: &SecretPath,
        value: &SecretBytes,
        expected: Expected,
    ) -> Result<VersionInfo> {
        let Store { backend, ctx } = self;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let (mut row, versions) = head::load(tx, ctx, path, false)?;
            check_expected(path, row.meta.current_version, expected)?;
            if let Some(p) = with_stage(&versions, Stage::Pending) {
                return Err(StoreError::new(
                    ErrorKind::Conflict,
                    format!("conflict: {path} already has pending version {}", p.version),
                ));
            }
            let now = crate::clock::now();
            append_version(tx, ctx, path, &mut row, Stage::Pending, value, now)
        });
        result.inspect_err(|e| self.log_failure("write", Some(path), None, e))
    }

    /// Promote pending `version` to current (rotation's last step): current → previous,
    /// previous → retired, `last_rotated` = now. `expected` names the current version.
    pub fn promote(&mut self, path: &SecretPath, version: u64, expected: Expected) -> Result<()> {
        self.restage(path, version, "promote", expected, |stage| match stage {
            Stage::Pending => Ok(()),
            other => Err(format!("is {other}, not pending")),
        })
    }

    /// Mark `version` revoked (compromised): it is never served again. Revoking the current
    /// version leaves the secret without a current version until a new one is written.
    pub fn revoke(&mut self, path: &SecretPath, version: u64) -> Result<()> {
        self.restage(
            path,
            version,
            "revoke",
            Expected::Any,
            |stage| match stage {
                Stage::Revoked => Err("is already revoked".into()),
                _ => Ok(()),
            },
        )
    }

    /// Retire the `previous` version once its grace period is over (rotation's finish
    /// step): it stays in history but is no longer offered as the previous value.
    pub fn retire_previous(&mut self, path: &SecretPath, version: u64) -> Result<()> {
        self.restage(
            path,
            version,
            "retire",
            Expected::Any,
            |stage| match stage {
                Stage::Previous => Ok(()),
                other => Err(format!("is {other}, not previous")),
            },
        )
    }

    /// Abandon a pending version (it becomes retired).
    pub fn discard_pending(&mut self, path: &SecretPath, version: u64) -> Result<()> {
        self.restage(
            path,
            version,
            "discard",
            Expected::Any,
            |stage| match stage {
                Stage::Pending => Ok(()),
                other => Err(format!("is {other}, not pending")),
            },
        )
    }

    fn restage(
        &mut self,
        path: &SecretPath,
        version: u64,
        action: &str,
        expected: Expected,
        allowed: impl FnOnce(Stage) -> std::result::Result<(), String>,
    ) -> Result<()> {
        let Store { backend, ctx } = self;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let (mut row, versions) = head::load(tx, ctx, path, false)?;
            check_expected(path, row.meta.current_version, expected)?;
            let target = versions
                .iter()
                .find(|v| v.version == version)
                .ok_or_else(|| {
                    StoreError::new(
                        ErrorKind::NotFound,
                        format!("{path} has no version {version}"),
                    )
                })?;
            allowed(target.stage).map_err(|why| {
                StoreError::new(
                    ErrorKind::Conflict,
                    format!("cannot {action} {path} version {version}: it {why}"),
                )
            })?;
            let now = crate::clock::now();
            match action {
                "promote" => {
                    if let Some(prev) = with_stage(&versions, Stage::Previous) {
                        tx.set_stage(row.id, prev.version, Stage::Retired)?;
                    }
                    if let Some(cur) = with_stage(&versions, Stage::Current) {
                        tx.set_stage(row.id, cur.version, Stage::Previous)?;
                    }
                    tx.set_stage(row.id, version, Stage::Current)?;
                    row.meta.current_version = version;
                    row.meta.last_rotated = Some(now.clone());
                }
                "revoke" => {
                    tx.set_stage(row.id, version, Stage::Revoked)?;
                    if row.meta.current_version == version {
                        row.meta.current_version = 0;
                    }
                }
                _ => tx.set_stage(row.id, version, Stage::Retired)?,
            }
            row.meta.updated_at = now;
            row.meta.revision += 1;
            ctx.log(
                tx,
                AuditEvent {
                    action: action.into(),
                    path: Some(path.to_string()),
                    version: Some(version),
                    outcome: "ok".into(),
                    ..Default::default()
                },
            )?;
            head::seal(tx, ctx, &mut row)
        });
        result.inspect_err(|e| self.log_failure(action, Some(path), Some(version), e))
    }

    /// Change metadata or rotation state. With `expected_revision`, fails with
    /// [`ErrorKind::Conflict`] unless the secret's [`SecretMeta::revision`] matches
    /// (rotation uses this to advance its state machine safely). Returns the new metadata.
    pub fn update_meta(
        &mut self,
        path: &SecretPath,
        patch: &MetaPatch,
        expected_revision: Option<u64>,
    ) -> Result<SecretMeta> {
        let Store { backend, ctx } = self;
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let (mut row, _) = head::load(tx, ctx, path, false)?;
            if let Some(rev) = expected_revision.filter(|r| *r != row.meta.revision) {
                return Err(StoreError::new(
                    ErrorKind::Conflict,
                    format!(
                        "conflict: {path} is at revision {}, the update expected {rev}",
                        row.meta.revision
                    ),
                ));
            }
            let changed = apply_patch(&mut row.meta, patch)?;
            row.meta.updated_at = crate::clock::now();
            row.meta.revision += 1;
            ctx.log(
                tx,
                AuditEvent {
                    action: "update_meta".into(),
                    path: Some(path.to_string()),
                    version: None,
                    outcome: "ok".into(),
                    detail: Some(changed.join(",")),
                    value_hmac: None,
                },
            )?;
            head::seal(tx, ctx, &mut row)?;
            Ok(row.meta)
        });
        result.inspect_err(|e| self.log_failure("update_meta", Some(path), None, e))
    }
}
