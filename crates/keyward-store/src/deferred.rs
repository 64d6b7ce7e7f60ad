//! Reads whose audit entry is written later, with others, in one transaction (group
//! commit): [`Store::get_deferred`] + [`Store::append_audit_batch`].
//!
//! An audited [`Store::get`] is a write transaction (the read and its audit entry commit
//! together), so reads serialize on the audit chain's head and each pays a commit. A
//! server instead reads in a read-only snapshot (concurrently, one pooled connection per
//! thread), queues the returned audit event, and releases the value only after the batch
//! holding it is durable: the same "no value without its audit entry" guarantee, one
//! commit for many reads.

use crate::error::{ErrorKind, Result, StoreError};
use crate::head;
use crate::model::{Actor, AuditEvent};
use crate::path::SecretPath;
use crate::secrets::{reveal, Revealed};
use crate::store::{read_tx, Store};

impl Store {
    /// Decrypt the current version of `path` (or `version`) in a read-only transaction
    /// **without** auditing it, and return the audit event that records the read. The
    /// caller must append that event (as this handle's actor, or its own, e.g. through
    /// [`Store::append_audit_batch`]) and must not use the value unless the append
    /// succeeded. Failures (not found, deleted, integrity, tampering) are audited here, as
    /// [`Store::get`] audits them.
    pub fn get_deferred(
        &mut self,
        path: &SecretPath,
        version: Option<u64>,
    ) -> Result<(Revealed, AuditEvent)> {
        let Store { backend, ctx } = self;
        let mut tried = version;
        let result = read_tx(backend.as_mut(), |tx| {
            let (row, versions) = head::load_sealed(tx, ctx, path)?;
            let v = match version {
                Some(v) => v,
                None => match row.meta.current_version {
                    0 => {
                        return Err(StoreError::new(
                            ErrorKind::NotFound,
                            format!("{path} has no current version"),
                        ))
                    }
                    v => v,
                },
            };
            tried = Some(v);
            reveal(ctx, path, &versions, v)
        });
        result.inspect_err(|e| self.log_failure("read", Some(path), tried, e))
    }

    /// [`Store::get_deferred`] for many paths, then one audit batch for all of them, as
    /// `actor`: the reads that succeeded are returned only if their entries are durable.
    /// Errors of single reads are returned in place (and audited).
    pub fn get_many(
        &mut self,
        paths: &[SecretPath],
        actor: &Actor,
    ) -> Result<Vec<Result<Revealed>>> {
        let mut out = Vec::with_capacity(paths.len());
        let mut events = Vec::new();
        for p in paths {
            let r = self.get_deferred(p, None).map(|(revealed, event)| {
                events.push((actor.clone(), event));
                revealed
            });
            out.push(r);
        }
        self.append_audit_batch(&events)?;
        Ok(out)
    }
}
