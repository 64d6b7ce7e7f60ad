//! Destroying versions (the KV engine's `destroy` and its `max_versions` pruning): the
//! sealed value and the wrapped data key of a version are deleted from the database, so no
//! key — not even the master key — can recover it. The version's row stays (number, stage,
//! creation time and author), so history, the head MAC and `keyward store verify` are
//! unchanged; each destroyed version gets a `destroy` audit entry. Reading a destroyed
//! version fails with `NotFound` ("… was destroyed").

use crate::backend::VersionRow;
use crate::error::{ErrorKind, Result, StoreError};
use crate::head;
use crate::model::{Actor, AuditEvent, Stage};
use crate::path::SecretPath;
use crate::store::{write_tx, Store};

/// Whether `row`'s sealed value was destroyed.
pub(crate) fn is_destroyed(row: &VersionRow) -> bool {
    row.ciphertext.is_empty() && row.wrapped_key.is_empty()
}

/// The error for reading a destroyed version.
pub(crate) fn destroyed(path: &SecretPath, version: u64) -> StoreError {
    StoreError::new(
        ErrorKind::NotFound,
        format!("{path} version {version} was destroyed; its value is gone"),
    )
}

/// Whether the rotation state (`state` JSON) is in a grace: the `previous` version is
/// still valid on the target and the rotation's finish step needs it.
fn in_grace(state: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(state)
        .ok()
        .and_then(|s| s.get("step")?.as_str().map(|s| s == "promoted"))
        .unwrap_or(false)
}

impl Store {
    /// Destroy `versions` of `path` as `actor` in one transaction; returns the versions
    /// destroyed now (unknown and already destroyed ones are skipped). Refuses a `pending`
    /// version, the `previous` one during a rotation's grace (the rotation still needs
    /// them) and any version while a rotation holds the secret's write lock; nothing is
    /// changed then.
    pub fn destroy_versions(
        &mut self,
        actor: &Actor,
        path: &SecretPath,
        versions: &[u64],
    ) -> Result<Vec<u64>> {
        let saved = std::mem::replace(&mut self.ctx.actor, actor.clone());
        let Store { backend, ctx } = self;
        let mut wanted = versions.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            let (row, infos) = head::load(tx, ctx, path, true)?;
            head::check_unlocked(&row.meta)?;
            let mut done = Vec::new();
            for &v in &wanted {
                let Some(info) = infos.iter().find(|i| i.version == v) else {
                    continue;
                };
                let needed = match info.stage {
                    Stage::Pending => true,
                    Stage::Previous => in_grace(&row.meta.state),
                    _ => false,
                };
                if needed {
                    return Err(StoreError::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "{path} version {v} is {} in a rotation and cannot be destroyed until it ends (nothing was changed)",
                            info.stage
                        ),
                    ));
                }
                match tx.version(row.id, v)? {
                    Some(vrow) if !is_destroyed(&vrow) => {}
                    _ => continue,
                }
                tx.wipe_version(row.id, v)?;
                ctx.log(
                    tx,
                    AuditEvent {
                        action: "destroy".into(),
                        path: Some(path.to_string()),
                        version: Some(v),
                        outcome: "ok".into(),
                        detail: Some("sealed value and data key deleted".into()),
                        value_hmac: None,
                    },
                )?;
                done.push(v);
            }
            Ok(done)
        });
        self.ctx.actor = saved;
        let done = result.inspect_err(|e| self.log_failure("destroy", Some(path), None, e))?;
        if !done.is_empty() {
            match self.backend.scrub() {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    "destroyed versions: the write-ahead log could not be truncated yet (a reader is active); the next checkpoint overwrites it"
                ),
                Err(e) => tracing::warn!(error = %e, "destroyed versions: checkpoint failed"),
            }
        }
        Ok(done)
    }
}
