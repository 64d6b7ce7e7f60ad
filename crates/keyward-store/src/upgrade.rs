//! The one-time upgrade of a store written before secret heads and the audit head were
//! authenticated: trust what is there now (as any first use must), MAC it, and say so in
//! the audit log.
//!
//! A store is "legacy" when its key check value was sealed with the old associated data
//! (`keyward/v1/kcv`). The upgrade MACs every secret head and the audit head, appends an
//! `integrity.upgrade` entry, and replaces the key check value with a current one, all in
//! one transaction. Someone with write access cannot make an upgraded store look legacy
//! again without an old key check value of this store (they cannot seal one without the
//! master key), and even then the upgrade refuses while any trace of an earlier upgrade
//! remains (a MAC, a checkpoint, the upgrade entry).

use crate::audit;
use crate::backend::Tx;
use crate::crypto::{self, KcvFormat};
use crate::error::Result;
use crate::head;
use crate::integrity::integrity;
use crate::model::{AuditEvent, AuditFilter};
use crate::store::{raw_write_tx, rekeyed, Ctx, Store, FORMAT, META_FORMAT, META_KCV};

/// The audit action of the upgrade.
pub const UPGRADE_ACTION: &str = "integrity.upgrade";

/// Whether the database shows any sign of having been upgraded already.
fn upgraded_before(tx: &mut dyn Tx) -> Result<bool> {
    if tx.audit_head()?.mac.is_some() {
        return Ok(true);
    }
    if tx.secrets("")?.iter().any(|r| r.head_mac.is_some()) {
        return Ok(true);
    }
    Ok(tx
        .audit_entries(&AuditFilter::default())?
        .iter()
        .any(|e| e.checkpoint.is_some() || e.action == UPGRADE_ACTION))
}

fn upgrade_tx(tx: &mut dyn Tx, ctx: &Ctx, new_kcv: &[u8]) -> Result<bool> {
    let stored = tx.meta_get(META_KCV)?.unwrap_or_default();
    match crypto::kcv_format(&ctx.kek, &stored) {
        Some(KcvFormat::Current) => return Ok(false), // another process upgraded it
        Some(KcvFormat::Legacy) => {}
        None => return Err(rekeyed()),
    }
    if upgraded_before(tx)? {
        return Err(integrity(
            "integrity check failed: the store's key check value was replaced by one from before its upgrade to authenticated heads, but the store was upgraded already (nothing was changed; run `keyward audit verify`)",
        ));
    }
    let rows = head::under(tx, "")?;
    audit::bless_head(tx, &ctx.audit_mac_key)?;
    ctx.log(
        tx,
        AuditEvent {
            action: UPGRADE_ACTION.into(),
            outcome: "ok".into(),
            detail: Some(format!(
                "authenticated {} secret heads and the audit head (store written by an earlier keyward; their state as found was trusted)",
                rows.len()
            )),
            ..Default::default()
        },
    )?;
    for (mut row, _) in rows {
        head::seal(tx, ctx, &mut row)?;
    }
    tx.meta_put(META_KCV, new_kcv)?;
    tx.meta_put(META_FORMAT, FORMAT)?;
    Ok(true)
}

impl Store {
    /// Upgrade a legacy store (see the module docs). A no-op when another process did it.
    pub(crate) fn upgrade(&mut self) -> Result<()> {
        let Store { backend, ctx } = self;
        let kcv = crypto::key_check_value(&ctx.kek)?;
        ctx.legacy = false;
        ctx.tx_head.replace(None);
        let done = raw_write_tx(backend.as_mut(), |tx| upgrade_tx(tx, ctx, &kcv));
        match done {
            Ok(true) => {
                ctx.kcv = kcv;
                Ok(())
            }
            Ok(false) => {
                // Someone else upgraded: adopt the stored key check value.
                let stored = crate::store::read_tx(backend.as_mut(), |tx| tx.meta_get(META_KCV))?;
                ctx.kcv = stored.unwrap_or_default();
                Ok(())
            }
            Err(e) => {
                ctx.legacy = true;
                Err(e)
            }
        }
    }
}
