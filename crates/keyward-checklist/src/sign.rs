//! `keyward checklist sign --by NAME`: the evaluated checklist recorded as one entry of the
//! store's hash-chained audit log (action `checklist.sign`), so a sign-off cannot be edited
//! or removed afterwards without `audit verify` noticing.

use crate::error::ChecklistError;
use crate::evaluate::Checklist;
use keyward_store::{AuditEvent, Store};
use serde_json::{json, Map, Value};

/// The audit action of a sign-off.
pub const ACTION: &str = "checklist.sign";

/// The entry's detail: signer, environment, the checklist digest, every item's state and
/// every evidence source's digest (compact JSON; no values).
pub fn detail(c: &Checklist, by: &str) -> String {
    let items: Map<String, Value> = c
        .items
        .iter()
        .map(|i| (i.id.clone(), Value::from(i.state.as_str())))
        .collect();
    let evidence: Map<String, Value> = c
        .evidence
        .iter()
        .map(|e| {
            (
                e.source.clone(),
                e.digest.clone().map_or(Value::Null, Value::from),
            )
        })
        .collect();
    json!({
        "by": by,
        "environment": c.environment,
        "evaluated_at": c.evaluated_at,
        "digest": c.digest,
        "blocked": c.blocked,
        "items": items,
        "evidence": evidence,
    })
    .to_string()
}

/// Append the sign-off; returns the entry's sequence number. The outcome is `ok`, or
/// `blocked` when a pre-deployment item failed.
pub fn sign(store: &mut Store, c: &Checklist, by: &str) -> Result<u64, ChecklistError> {
    let by = by.trim();
    if by.is_empty() {
        return Err(ChecklistError::Policy(
            "--by must name the person signing".into(),
        ));
    }
    let event = AuditEvent {
        action: ACTION.into(),
        outcome: if c.blocked { "blocked" } else { "ok" }.into(),
        detail: Some(detail(c, by)),
        ..AuditEvent::default()
    };
    Ok(store.audit(event)?)
}
