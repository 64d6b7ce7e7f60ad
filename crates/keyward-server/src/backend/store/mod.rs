//! The backends over keyward's store (`keyward-store`, SQLite or PostgreSQL): KV v2 keys
//! are store secrets (same envelope encryption, versions, CAS, integrity MACs and audit
//! chain as `keyward secret`), tokens, policies, JWT roles and KV metadata are MACed
//! store records, and request audit records go to the store's hash chain through its
//! group-commit append. See `docs/server.md` ("Store mapping").

mod audit;
mod kv;
mod pool;
mod prune;
mod tokens;

pub use kv::{secret_address, StoreKv};
pub use pool::StorePool;

use super::{BackendError, Backends, OpContext};
use crate::config::Mount;
use keyward_store::{Actor, ErrorKind, StoreError};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The four backends over one store pool; `mounts` say how KV paths map onto `ENV/NAME`.
pub fn backends(pool: Arc<StorePool>, mounts: &[Mount]) -> Backends {
    Backends {
        kv: Arc::new(StoreKv::new(pool.clone(), mounts)),
        tokens: Arc::new(tokens::StoreTokens(pool.clone())),
        docs: Arc::new(tokens::StoreDocs(pool.clone())),
        audit: Arc::new(audit::StoreAudit(pool)),
    }
}

/// A store error as the HTTP layer's error: conflicts are CAS mismatches, bad input and
/// locks are 400s, everything else (the database, integrity failures) is a 503 whose
/// message names no value.
pub(crate) fn backend_error(e: StoreError) -> BackendError {
    match e.kind() {
        ErrorKind::NotFound => BackendError::NotFound,
        ErrorKind::Conflict => BackendError::CasMismatch,
        ErrorKind::InvalidInput | ErrorKind::Locked | ErrorKind::Deleted => {
            BackendError::Invalid(e.to_string())
        }
        _ => BackendError::Unavailable(e.to_string()),
    }
}

/// The store's actor for a request.
pub(crate) fn actor(op: &OpContext) -> Actor {
    Actor::token(&op.actor, op.remote.clone())
}

/// Milliseconds since the epoch (how records keep times).
pub(crate) fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The time `ms` milliseconds after the epoch.
pub(crate) fn from_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// A malformed record (written by another version, or not by keyward).
pub(crate) fn malformed(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::new(ErrorKind::Corrupt, format!("malformed {what} record: {e}"))
}
