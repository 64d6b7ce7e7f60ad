//! [`StoreAudit`]: request records appended to the store's hash chain, a whole group
//! commit in one transaction.

use super::pool::StorePool;
use crate::backend::{AuditLine, AuditLog, AuditQuery, AuditRecord, AuditVerify, BackendError};
use keyward_store::{Actor, AuditEvent};
use std::sync::Arc;
use std::time::SystemTime;

/// The store's audit chain.
pub struct StoreAudit(pub Arc<StorePool>);

/// The store event for one request: action `api.<operation>`, the API path, the status,
/// request id and token accessor in the detail (never a token or a value).
fn event(r: &AuditRecord) -> (Actor, AuditEvent) {
    let actor = Actor {
        name: match &r.display_name {
            Some(d) => format!("token:{d}"),
            None => "anonymous".into(),
        },
        remote: r.remote.clone(),
    };
    let mut detail = format!("status={} request_id={}", r.status, r.request_id);
    if let Some(a) = &r.accessor {
        detail.push_str(&format!(" accessor={a}"));
    }
    if let Some(d) = &r.detail {
        detail.push_str(&format!(" detail={d}"));
    }
    let event = AuditEvent {
        action: format!("api.{}", r.operation),
        path: Some(r.path.clone()),
        version: r.version,
        outcome: r.outcome.clone(),
        detail: Some(detail),
        value_hmac: None,
    };
    (actor, event)
}

impl AuditLog for StoreAudit {
    fn append_batch(&self, batch: &[AuditRecord]) -> Result<(), BackendError> {
        let events: Vec<_> = batch.iter().map(event).collect();
        self.0.write(|s| s.append_audit_batch(&events)).map(|_| ())
    }

    fn verify(&self) -> Result<AuditVerify, BackendError> {
        let r = self.0.read(|s| s.verify_audit())?;
        Ok(AuditVerify {
            entries: r.entries,
            head: r.head_hash,
            broken_at: r.first_broken,
            detail: r.reason,
        })
    }

    fn tail(&self, query: &AuditQuery) -> Result<Vec<AuditLine>, BackendError> {
        let rows = self.0.read(|s| s.audit_tail(query))?;
        Ok(rows
            .into_iter()
            .map(|e| AuditLine {
                seq: e.seq,
                time: e.time,
                actor: e.actor,
                action: e.action,
                path: e.path,
                outcome: e.outcome,
                remote: e.remote,
                detail: e.detail,
            })
            .collect())
    }

    fn count_since(&self, outcomes: &[&str], since: SystemTime) -> Result<u64, BackendError> {
        let since = keyward_store::clock::format(since);
        self.0.read(|s| s.audit_count(outcomes, &since))
    }
}
