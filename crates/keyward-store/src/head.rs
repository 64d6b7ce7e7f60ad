//! Secret heads inside transactions: loading a secret with its head MAC checked, sealing
//! the head after a change, re-MACing every head on rekey, and the write lock that an
//! operation in progress (a rotation) puts on direct writes.

use crate::backend::{SecretRow, Tx, VersionRow};
use crate::crypto::MacKey;
use crate::error::{ErrorKind, Result, StoreError};
use crate::integrity::{check_head, secret_head};
use crate::model::{SecretMeta, VersionInfo};
use crate::path::SecretPath;
use crate::store::Ctx;

/// The reserved key of a secret's `state` JSON that locks it against direct writes:
/// `{"write_lock": {"by": "<why, one line>", "until": "<RFC 3339>"}}`. Without `until`
/// the lock holds until the owner removes it. Rotation sets it while it runs.
pub const WRITE_LOCK: &str = "write_lock";

pub(crate) fn not_found(path: &SecretPath) -> StoreError {
    StoreError::new(ErrorKind::NotFound, format!("no secret {path}"))
}

pub(crate) fn deleted(path: &SecretPath) -> StoreError {
    StoreError::new(
        ErrorKind::Deleted,
        format!("{path} is deleted (restore it with `keyward secret restore {path}`)"),
    )
}

/// Check `row`'s head against `versions`. A handle whose master key is no longer the
/// store's (another process rekeyed it, which re-MACs every head) gets
/// [`ErrorKind::Rekeyed`], not an integrity error.
pub(crate) fn check<'a>(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    row: &SecretRow,
    versions: impl IntoIterator<Item = &'a VersionInfo>,
) -> Result<()> {
    check_head(&ctx.head_key, row, versions).map_err(|e| match ctx.check_key(tx) {
        Err(stale) if stale.kind() == ErrorKind::Rekeyed => stale,
        _ => e,
    })
}

/// Load `path` with its versions (no sealed bytes), its head MAC checked; deleted secrets
/// are refused unless `deleted_ok`. Fails with `NotFound`, `Deleted` or `Integrity`.
pub(crate) fn load(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    path: &SecretPath,
    deleted_ok: bool,
) -> Result<(SecretRow, Vec<VersionInfo>)> {
    let row = tx
        .secret(path.env(), path.name())?
        .ok_or_else(|| not_found(path))?;
    let versions = tx.version_infos(row.id)?;
    check(tx, ctx, &row, &versions)?;
    if !deleted_ok && row.meta.deleted_at.is_some() {
        return Err(deleted(path));
    }
    Ok((row, versions))
}

/// [`load`] with every version's sealed bytes (one query, as a read needs one of them).
pub(crate) fn load_sealed(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    path: &SecretPath,
) -> Result<(SecretRow, Vec<VersionRow>)> {
    let row = tx
        .secret(path.env(), path.name())?
        .ok_or_else(|| not_found(path))?;
    let versions = tx.versions(row.id)?;
    check(tx, ctx, &row, versions.iter().map(|v| &v.info))?;
    if row.meta.deleted_at.is_some() {
        return Err(deleted(path));
    }
    Ok((row, versions))
}

/// Seal `row`'s head after a change: its `head_seq` becomes the audit entry just appended
/// (call after logging the change) and its MAC covers the versions as they now are.
pub(crate) fn seal(tx: &mut dyn Tx, ctx: &Ctx, row: &mut SecretRow) -> Result<()> {
    row.head_seq = tx.audit_head()?.seq;
    let versions = tx.version_infos(row.id)?;
    row.head_mac = Some(secret_head(row, &versions).mac_hex(&ctx.head_key));
    tx.update_secret(row)
}

/// Every secret under `prefix` with its versions (newest first).
pub(crate) fn under(tx: &mut dyn Tx, prefix: &str) -> Result<Vec<(SecretRow, Vec<VersionInfo>)>> {
    let rows = tx.secrets(prefix)?;
    let mut by_id: std::collections::HashMap<i64, Vec<VersionInfo>> =
        std::collections::HashMap::with_capacity(rows.len());
    // Newest first within each secret, as the backend returns them.
    for (id, v) in tx.version_infos_under(prefix)? {
        by_id.entry(id).or_default().push(v);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let versions = by_id.remove(&row.id).unwrap_or_default();
            (row, versions)
        })
        .collect())
}

/// Re-MAC every head from `old` to `new` (rekey), failing on the first head that does not
/// verify under `old`.
pub(crate) fn remac_all(tx: &mut dyn Tx, old: &MacKey, new: &MacKey) -> Result<()> {
    for (mut row, versions) in under(tx, "")? {
        check_head(old, &row, &versions)?;
        row.head_mac = Some(secret_head(&row, &versions).mac_hex(new));
        tx.update_secret(&row)?;
    }
    Ok(())
}

/// Refuse a direct write to a secret whose state carries a live [`WRITE_LOCK`].
pub(crate) fn check_unlocked(meta: &SecretMeta) -> Result<()> {
    let Ok(state) = serde_json::from_str::<serde_json::Value>(&meta.state) else {
        return Ok(());
    };
    let Some(lock) = state.get(WRITE_LOCK).filter(|l| !l.is_null()) else {
        return Ok(());
    };
    let live = match lock.get("until").and_then(|u| u.as_str()) {
        None => true,
        Some(until) => {
            humantime::parse_rfc3339_weak(until).map_or(true, |t| std::time::SystemTime::now() < t)
        }
    };
    if !live {
        return Ok(());
    }
    let by = lock
        .get("by")
        .and_then(|b| b.as_str())
        .unwrap_or("an operation in progress");
    Err(StoreError::new(
        ErrorKind::Locked,
        format!(
            "{}: direct writes are refused while {by} (nothing was changed)",
            meta.path
        ),
    ))
}
