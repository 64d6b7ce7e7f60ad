//! [`Store::verify`]: everything `keyward audit verify` checks with the master key — the
//! hash chain, the audit head MAC and checkpoints, every secret head's MAC, that no
//! secret's head is older than the last change the audit log records for it (a head copied
//! back from an earlier copy of the database verifies on its own, but not against the log),
//! and that every secret the log records a change of still exists.

use crate::audit::{self, MacReport, VerifyReport};
use crate::backend::AuditHead;
use crate::error::Result;
use crate::head;
use crate::integrity;
use crate::model::{AuditEntry, AuditFilter};
use crate::store::{read_tx, Store};
use crate::upgrade::UPGRADE_ACTION;
use serde::Serialize;
use std::collections::HashMap;

/// Audit actions that change a secret's head (each is logged in the same transaction).
const HEAD_ACTIONS: &[&str] = &[
    "write",
    "promote",
    "revoke",
    "retire",
    "discard",
    "update_meta",
    "delete",
    "restore",
];

/// The outcome of [`Store::verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// The hash chain, as `audit verify` without a key sees it.
    pub chain: VerifyReport,
    /// The audit head MAC and checkpoints.
    pub audit_macs: MacReport,
    /// Secret heads checked.
    pub secrets: u64,
    /// False for a store written before heads were authenticated that has not been opened
    /// with its master key since (nothing is authenticated yet; nothing was written).
    pub upgraded: bool,
    /// Every problem found with the MACs and secret heads, one line each.
    pub problems: Vec<String>,
}

impl IntegrityReport {
    /// True when the chain, the audit MACs and every secret head verified.
    pub fn ok(&self) -> bool {
        self.chain.ok() && self.audit_macs.problems.is_empty() && self.problems.is_empty()
    }
}

/// Problems with one secret's head: its MAC, and whether the log knows a later change.
fn check_secret(
    mac_ok: bool,
    path: &str,
    head_seq: u64,
    last_change: Option<u64>,
    entries: &HashMap<u64, &AuditEntry>,
    audit_head: &AuditHead,
) -> Vec<String> {
    let mut out = Vec::new();
    if !mac_ok {
        out.push(format!(
            "secret {path}: its stored state (versions, stages, metadata or rotation state) does not match its MAC: changed outside keyward"
        ));
        return out;
    }
    if head_seq > audit_head.seq {
        out.push(format!(
            "secret {path}: its last change was recorded at audit entry {head_seq}, past the end of the log ({}): entries were removed",
            audit_head.seq
        ));
        return out;
    }
    let recorded = entries.get(&head_seq).is_some_and(|e| {
        (e.path.as_deref() == Some(path) && HEAD_ACTIONS.contains(&e.action.as_str()))
            || e.action == UPGRADE_ACTION
    });
    if !recorded {
        out.push(format!(
            "secret {path}: audit entry {head_seq} does not record a change of it (its head or the log was rewritten)"
        ));
    }
    if let Some(later) = last_change.filter(|l| *l > head_seq) {
        out.push(format!(
            "secret {path}: its head is older than its last recorded change (audit entry {later}): an earlier state was copied back"
        ));
    }
    out
}

impl Store {
    /// Verify the audit chain, its MACs and every secret's head (see the module docs).
    /// Writes nothing. Problems are reported, not returned as errors.
    pub fn verify(&mut self) -> Result<IntegrityReport> {
        let Store { backend, ctx } = self;
        let (entries, head, secrets) = read_tx(backend.as_mut(), |tx| {
            Ok((
                tx.audit_entries(&AuditFilter::default())?,
                tx.audit_head()?,
                head::under(tx, "")?,
            ))
        })?;
        let chain = audit::verify_entries(&entries, (head.seq, head.hash.clone()));
        if ctx.legacy {
            return Ok(IntegrityReport {
                chain,
                audit_macs: MacReport::default(),
                secrets: 0,
                upgraded: false,
                problems: Vec::new(),
            });
        }
        let audit_macs = audit::verify_macs(&entries, &head, &ctx.audit_mac_key);
        let by_seq: HashMap<u64, &AuditEntry> = entries.iter().map(|e| (e.seq, e)).collect();
        let mut last_change: HashMap<&str, u64> = HashMap::new();
        for e in &entries {
            if let Some(p) = e.path.as_deref() {
                if e.outcome == "ok" && HEAD_ACTIONS.contains(&e.action.as_str()) {
                    last_change.insert(p, e.seq);
                }
            }
        }
        let mut problems = Vec::new();
        let present: std::collections::HashSet<String> = secrets
            .iter()
            .map(|(r, _)| r.meta.path.to_string())
            .collect();
        let mut gone: Vec<(&str, u64)> = last_change
            .iter()
            .filter(|(p, _)| !present.contains(**p))
            .map(|(p, s)| (*p, *s))
            .collect();
        gone.sort();
        for (path, seq) in gone {
            problems.push(format!(
                "secret {path}: the audit log records a change of it (entry {seq}) but it is not in the store: removed outside keyward"
            ));
        }
        for (row, versions) in &secrets {
            let path = row.meta.path.to_string();
            problems.extend(check_secret(
                integrity::check_head(&ctx.head_key, row, versions).is_ok(),
                &path,
                row.head_seq,
                last_change.get(path.as_str()).copied(),
                &by_seq,
                &head,
            ));
        }
        Ok(IntegrityReport {
            chain,
            audit_macs,
            secrets: secrets.len() as u64,
            upgraded: true,
            problems,
        })
    }
}
