//! Group commit of audit records: every request hands its record to one writer task and
//! waits; the writer takes everything queued (up to [`MAX_BATCH`]), appends it with one
//! [`AuditLog::append_batch`] call on the blocking pool, then releases every waiter with the
//! outcome. While one batch is being written the next one fills, so under load a single
//! durable write serves many requests, and the chain keeps the order the records arrived in.

use crate::backend::{AuditLog, AuditRecord};
use crate::metrics::Metrics;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most records written by one `append_batch`.
pub const MAX_BATCH: usize = 512;
/// Records waiting for the writer before senders wait for room.
const QUEUE: usize = 8192;

type Job = (AuditRecord, oneshot::Sender<bool>);

/// Why a record could not be made durable: the request must fail (closed).
#[derive(Debug, thiserror::Error)]
#[error("the audit log could not be written")]
pub struct AuditFailed;

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
}

impl AuditWriter {
    /// Start the writer over `log`. It stops when every handle is dropped, after writing
    /// what was queued.
    pub fn start(log: Arc<dyn AuditLog>, metrics: Arc<Metrics>) -> AuditWriter {
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
                let (records, waiters): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
                let log = log.clone();
                let n = records.len();
                let ok = tokio::task::spawn_blocking(move || log.append_batch(&records))
                    .await
                    .map(|r| {
                        if let Err(e) = &r {
                            tracing::error!(error = %e, entries = n, "audit append failed; refusing the requests");
                        }
                        r.is_ok()
                    })
                    .unwrap_or(false);
                metrics.audit_batch(n, ok);
                for w in waiters {
                    let _ = w.send(ok);
                }
            }
        });
        AuditWriter { tx }
    }

    /// Append `record`; returns once it is durable, or fails.
    pub async fn append(&self, record: AuditRecord) -> Result<(), AuditFailed> {
        let (tx, rx) = oneshot::channel();
        self.tx.send((record, tx)).await.map_err(|_| AuditFailed)?;
        match rx.await {
            Ok(true) => Ok(()),
            _ => Err(AuditFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::MemoryAudit;
    use crate::backend::AuditLog;
    use std::time::SystemTime;

    fn record(i: usize) -> AuditRecord {
        AuditRecord {
            time: SystemTime::now(),
            request_id: format!("r{i}"),
            operation: "read".into(),
            path: "secret/data/x".into(),
            status: 200,
            outcome: "ok".into(),
            accessor: None,
            display_name: None,
            remote: None,
            version: None,
            detail: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_share_batches_and_all_land_in_the_chain() {
        let log = Arc::new(MemoryAudit::default());
        let w = AuditWriter::start(log.clone(), Arc::new(Metrics::default()));
        let tasks: Vec<_> = (0..400)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move { w.append(record(i)).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(log.records().len(), 400);
        assert!(
            log.batches() < 400,
            "no batching: {} batches",
            log.batches()
        );
        assert_eq!(log.verify().unwrap().broken_at, None);
    }

    #[tokio::test]
    async fn a_failed_append_fails_every_waiter() {
        let log = Arc::new(MemoryAudit::default());
        log.set_failing(true);
        let w = AuditWriter::start(log.clone(), Arc::new(Metrics::default()));
        assert!(w.append(record(1)).await.is_err());
        log.set_failing(false);
        assert!(w.append(record(2)).await.is_ok());
        assert_eq!(log.records().len(), 1);
    }
}
