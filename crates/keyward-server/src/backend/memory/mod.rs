//! In-memory backends: for tests, for trying the server out, and as the reference the
//! store-backed backends are checked against. Nothing survives a restart.

mod audit;
mod kv;
mod tokens;

pub use audit::MemoryAudit;
pub use kv::MemoryKv;
pub use tokens::{MemoryDocs, MemoryTokens};

use super::Backends;
use std::sync::{Arc, Mutex, MutexGuard};

/// All four backends in memory.
pub fn backends() -> (Backends, Arc<MemoryAudit>) {
    let audit = Arc::new(MemoryAudit::default());
    let b = Backends {
        kv: Arc::new(MemoryKv::default()),
        tokens: Arc::new(MemoryTokens::default()),
        docs: Arc::new(MemoryDocs::default()),
        audit: audit.clone(),
    };
    (b, audit)
}

/// Lock, recovering the data from a poisoned mutex (a panicking request must not take the
/// whole server down).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
