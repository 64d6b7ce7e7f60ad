//! The audit log: an append-only hash chain of [`AuditEntry`] rows in the store's database.
//!
//! Each entry's `hash` is SHA-256 over a length-prefixed encoding of all its fields and
//! the previous entry's hash (`prev_hash`); the `audit_head` row holds the last sequence
//! number and hash. [`verify`] recomputes the chain and reports the first entry that does
//! not fit: an edited entry fails its own hash, a deleted one leaves a gap in `seq` (or,
//! at the end, a head pointing past the last entry). Verifying the chain needs no key.
//!
//! With the store's audit key, more is checked ([`verify_macs`]): every entry carries a
//! checkpoint MAC and the head row a head MAC ([`crate::integrity`]), so removing entries
//! from the end and rewriting the head is detected without an external anchor. Every
//! append checks the head MAC before extending the chain, so a tampered head is never
//! blessed by the next write.

use crate::backend::{AuditHead, Backend, Tx, GENESIS_HASH};
use crate::crypto::MacKey;
use crate::error::Result;
use crate::integrity::{self, audit_head_mac, audit_head_matches, checkpoint_mac};
use crate::model::{Actor, AuditEntry, AuditEvent, AuditFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash of an entry (hex), over every field but `hash` itself.
pub fn entry_hash(e: &AuditEntry) -> String {
    fn field(h: &mut Sha256, v: Option<&[u8]>) {
        match v {
            None => h.update([0u8]),
            Some(b) => {
                h.update([1u8]);
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"keyward-audit-v1");
    let seq = e.seq.to_string();
    let version = e.version.map(|v| v.to_string());
    field(&mut h, Some(seq.as_bytes()));
    field(&mut h, Some(e.time.as_bytes()));
    field(&mut h, Some(e.actor.as_bytes()));
    field(&mut h, Some(e.action.as_bytes()));
    field(&mut h, e.path.as_deref().map(str::as_bytes));
    field(&mut h, version.as_deref().map(str::as_bytes));
    field(&mut h, Some(e.outcome.as_bytes()));
    field(&mut h, e.remote.as_deref().map(str::as_bytes));
    field(&mut h, e.detail.as_deref().map(str::as_bytes));
    field(&mut h, e.value_hmac.as_deref().map(str::as_bytes));
    field(&mut h, Some(e.prev_hash.as_bytes()));
    hex::encode(h.finalize())
}

/// Check the head's MAC under `key` (the audit MAC key).
pub(crate) fn check_head(key: &MacKey, head: &AuditHead) -> Result<()> {
    match &head.mac {
        Some(mac) if audit_head_matches(key, head.seq, &head.hash, mac) => Ok(()),
        _ => Err(integrity::integrity(
            "integrity check failed: the audit log's head does not match its MAC (entries removed or rewritten outside keyward); nothing was done (run `keyward audit verify`)",
        )),
    }
}

/// Append `event` by `actor` inside an open write transaction, after checking the head's
/// MAC under `key` (the audit MAC key); the entry gets a checkpoint MAC and the head a new
/// head MAC. Returns the entry's sequence number.
pub fn append(tx: &mut dyn Tx, key: &MacKey, actor: &Actor, event: &AuditEvent) -> Result<u64> {
    Ok(append_after(tx, key, actor, event, None)?.0)
}

/// [`append`], skipping the head MAC check when the head is `written`: the head this
/// transaction itself wrote last (nobody else can have changed it since). Returns the new
/// head's sequence number and hash.
pub(crate) fn append_after(
    tx: &mut dyn Tx,
    key: &MacKey,
    actor: &Actor,
    event: &AuditEvent,
    written: Option<&(u64, String)>,
) -> Result<(u64, String)> {
    let head = tx.audit_head()?;
    if written.is_none_or(|(s, h)| *s != head.seq || *h != head.hash) {
        check_head(key, &head)?;
    }
    let entry = chained(key, head.seq + 1, head.hash, actor, event);
    tx.audit_append(&entry, &audit_head_mac(key, entry.seq, &entry.hash))?;
    Ok((entry.seq, entry.hash))
}

/// Append `entries` (each with its own actor) in order inside an open write transaction,
/// as [`append_after`] would one by one, but with one head check, one insert batch and
/// one head update (group commit). Returns the sequence numbers and the new head.
pub(crate) fn append_batch_after(
    tx: &mut dyn Tx,
    key: &MacKey,
    entries: &[(Actor, AuditEvent)],
    written: Option<&(u64, String)>,
) -> Result<(Vec<u64>, (u64, String))> {
    let head = tx.audit_head()?;
    if written.is_none_or(|(s, h)| *s != head.seq || *h != head.hash) {
        check_head(key, &head)?;
    }
    let (mut seq, mut prev) = (head.seq, head.hash);
    let mut rows = Vec::with_capacity(entries.len());
    for (actor, event) in entries {
        let entry = chained(key, seq + 1, prev, actor, event);
        seq = entry.seq;
        prev = entry.hash.clone();
        rows.push(entry);
    }
    if !rows.is_empty() {
        tx.audit_append_many(&rows, &audit_head_mac(key, seq, &prev))?;
    }
    Ok((rows.iter().map(|e| e.seq).collect(), (seq, prev)))
}

/// The entry numbered `seq` after `prev_hash`: `event` by `actor`, now, hashed and with
/// its checkpoint MAC.
fn chained(
    key: &MacKey,
    seq: u64,
    prev_hash: String,
    actor: &Actor,
    event: &AuditEvent,
) -> AuditEntry {
    let mut entry = AuditEntry {
        seq,
        time: crate::clock::now(),
        actor: actor.name.clone(),
        action: event.action.clone(),
        path: event.path.clone(),
        version: event.version,
        outcome: if event.outcome.is_empty() {
            "ok".to_string()
        } else {
            event.outcome.clone()
        },
        remote: actor.remote.clone(),
        detail: event.detail.clone(),
        value_hmac: event.value_hmac.clone(),
        prev_hash,
        hash: String::new(),
        checkpoint: None,
    };
    entry.hash = entry_hash(&entry);
    entry.checkpoint = Some(checkpoint_mac(key, entry.seq, &entry.hash));
    entry
}

/// Write the MAC of the current head as it is (store creation, and the one-time upgrade
/// of a store written before heads were authenticated).
pub(crate) fn bless_head(tx: &mut dyn Tx, key: &MacKey) -> Result<()> {
    let head = tx.audit_head()?;
    tx.audit_set_head_mac(&audit_head_mac(key, head.seq, &head.hash))
}

/// Entries matching `filter`, oldest first. Needs no key.
pub fn entries(backend: &mut dyn Backend, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    backend.read(&mut |tx| {
        out = tx.audit_entries(filter)?;
        Ok(())
    })?;
    Ok(out)
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// The chain head's hash (record it elsewhere to anchor the log).
    pub head_hash: String,
    /// The first entry number that does not fit the chain, if any.
    pub first_broken: Option<u64>,
    /// Why, in one line.
    pub reason: Option<String>,
}

impl VerifyReport {
    /// True when the whole chain verified.
    pub fn ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Recompute the chain. Needs no key.
pub fn verify(backend: &mut dyn Backend) -> Result<VerifyReport> {
    let mut all = Vec::new();
    let mut head = None;
    backend.read(&mut |tx| {
        all = tx.audit_entries(&AuditFilter::default())?;
        head = Some(tx.audit_head()?);
        Ok(())
    })?;
    let head = head.expect("read ran");
    Ok(verify_entries(&all, (head.seq, head.hash)))
}

/// What the audit MACs say ([`verify_macs`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MacReport {
    /// Checkpoints checked (entries written before checkpoints existed have none).
    pub checkpoints: u64,
    /// Problems found, one line each (empty when the MACs verify).
    pub problems: Vec<String>,
}

/// Check the head MAC and every checkpoint under `key` (the audit MAC key). Entries
/// without a checkpoint (written before the store was upgraded) are skipped; the head MAC
/// must be present.
pub fn verify_macs(all: &[AuditEntry], head: &AuditHead, key: &MacKey) -> MacReport {
    let mut report = MacReport::default();
    match &head.mac {
        None => report.problems.push(format!(
            "the audit head (entry {}) has no MAC: the head row was rewritten, or the store was never opened by this keyward with its master key",
            head.seq
        )),
        Some(mac) if !audit_head_matches(key, head.seq, &head.hash, mac) => {
            report.problems.push(format!(
                "the audit head (entry {}) does not match its MAC: entries were removed from the end or the head was rewritten",
                head.seq
            ))
        }
        Some(_) => {}
    }
    for e in all {
        let Some(cp) = &e.checkpoint else { continue };
        report.checkpoints += 1;
        if !integrity::checkpoint_matches(key, e.seq, &e.hash, cp) {
            report.problems.push(format!(
                "entry {} does not match its checkpoint MAC (rewritten outside keyward)",
                e.seq
            ));
            break;
        }
    }
    report
}

/// Verify a list of entries (in `seq` order) against the chain head.
pub fn verify_entries(all: &[AuditEntry], head: (u64, String)) -> VerifyReport {
    let broken = |n: u64, why: String| (Some(n), Some(why));
    let mut prev = GENESIS_HASH.to_string();
    let mut expected = 1u64;
    let mut result = (None, None);
    for e in all {
        if e.seq != expected {
            result = broken(expected, format!("entry {expected} is missing (deleted)"));
            break;
        }
        if e.prev_hash != prev {
            result = broken(
                e.seq,
                format!(
                    "entry {} does not follow entry {} (previous hash differs)",
                    e.seq,
                    expected - 1
                ),
            );
            break;
        }
        if entry_hash(e) != e.hash {
            result = broken(
                e.seq,
                format!(
                    "entry {} was altered (its hash does not match its content)",
                    e.seq
                ),
            );
            break;
        }
        prev = e.hash.clone();
        expected += 1;
    }
    let last = expected - 1;
    if result.0.is_none() {
        if head.0 > last {
            result = broken(
                last + 1,
                format!(
                    "entries {}..{} are missing (log truncated)",
                    last + 1,
                    head.0
                ),
            );
        } else if head.0 < last || head.1 != prev {
            result = broken(
                head.0.max(1),
                "the chain head does not match the last entry".to_string(),
            );
        }
    }
    VerifyReport {
        entries: all.len() as u64,
        head_hash: head.1,
        first_broken: result.0,
        reason: result.1,
    }
}
