//! [`MemoryAudit`]: a SHA-256 hash chain in memory, with switches tests use to make appends
//! fail and to tamper with an entry.

use super::lock;
use crate::backend::{AuditLine, AuditLog, AuditQuery, AuditRecord, AuditVerify, BackendError};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The audit chain in memory.
#[derive(Default)]
pub struct MemoryAudit {
    entries: Mutex<Vec<(AuditRecord, [u8; 32])>>,
    fail: AtomicBool,
    batches: AtomicUsize,
}

fn entry_hash(prev: &[u8; 32], r: &AuditRecord) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    let time = r
        .time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    h.update(time.to_be_bytes());
    for field in [
        Some(r.request_id.as_str()),
        Some(r.operation.as_str()),
        Some(r.path.as_str()),
        Some(r.outcome.as_str()),
        r.accessor.as_deref(),
        r.display_name.as_deref(),
        r.remote.as_deref(),
        r.detail.as_deref(),
    ] {
        let f = field.unwrap_or("\u{0}none");
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.update(r.status.to_be_bytes());
    h.update(r.version.unwrap_or(u64::MAX).to_be_bytes());
    h.finalize().into()
}

impl MemoryAudit {
    /// Make every following append fail (`true`) or work again.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    /// The records appended so far.
    pub fn records(&self) -> Vec<AuditRecord> {
        lock(&self.entries).iter().map(|(r, _)| r.clone()).collect()
    }

    /// How many `append_batch` calls succeeded.
    pub fn batches(&self) -> usize {
        self.batches.load(Ordering::SeqCst)
    }

    /// Change the `outcome` of entry `index` without fixing the chain (a tampering test).
    pub fn tamper(&self, index: usize, outcome: &str) {
        if let Some((r, _)) = lock(&self.entries).get_mut(index) {
            r.outcome = outcome.to_string();
        }
    }
}

impl AuditLog for MemoryAudit {
    fn tail(&self, query: &AuditQuery) -> Result<Vec<AuditLine>, BackendError> {
        Ok(self.lines_tail(query))
    }

    fn count_since(&self, outcomes: &[&str], since: SystemTime) -> Result<u64, BackendError> {
        Ok(lock(&self.entries)
            .iter()
            .filter(|(r, _)| r.time >= since && outcomes.contains(&r.outcome.as_str()))
            .count() as u64)
    }

    fn append_batch(&self, batch: &[AuditRecord]) -> Result<(), BackendError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(BackendError::Unavailable("audit log write failed".into()));
        }
        let mut entries = lock(&self.entries);
        for r in batch {
            let prev = entries.last().map_or([0; 32], |(_, h)| *h);
            entries.push((r.clone(), entry_hash(&prev, r)));
        }
        self.batches.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn verify(&self) -> Result<AuditVerify, BackendError> {
        let entries = lock(&self.entries);
        let mut prev = [0u8; 32];
        for (i, (r, h)) in entries.iter().enumerate() {
            if entry_hash(&prev, r) != *h {
                return Ok(AuditVerify {
                    entries: entries.len() as u64,
                    head: hex::encode(entries.last().map_or([0; 32], |(_, h)| *h)),
                    broken_at: Some(i as u64 + 1),
                    detail: Some(format!("entry {} does not match its hash", i + 1)),
                });
            }
            prev = *h;
        }
        Ok(AuditVerify {
            entries: entries.len() as u64,
            head: hex::encode(prev),
            broken_at: None,
            detail: None,
        })
    }
}

/// A request record as the store would show it: `token:<name>` or `anonymous`, `api.<op>`.
fn line(seq: u64, r: &AuditRecord) -> AuditLine {
    AuditLine {
        seq,
        time: crate::clock::rfc3339(r.time),
        actor: r
            .display_name
            .as_ref()
            .map_or_else(|| "anonymous".to_string(), |d| format!("token:{d}")),
        action: format!("api.{}", r.operation),
        path: Some(r.path.clone()),
        outcome: r.outcome.clone(),
        remote: r.remote.clone(),
        detail: r.detail.clone(),
    }
}

impl MemoryAudit {
    fn lines_tail(&self, q: &AuditQuery) -> Vec<AuditLine> {
        let entries = lock(&self.entries);
        let end = q.before_seq.map_or(entries.len(), |b| {
            (b.saturating_sub(1) as usize).min(entries.len())
        });
        entries[..end]
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (r, _))| line(i as u64 + 1, r))
            .filter(|l| q.actor.as_ref().is_none_or(|a| &l.actor == a))
            .filter(|l| q.action.as_ref().is_none_or(|a| &l.action == a))
            .filter(|l| q.path.is_none() || l.path == q.path)
            .take(q.limit.max(1) as usize)
            .collect()
    }
}
