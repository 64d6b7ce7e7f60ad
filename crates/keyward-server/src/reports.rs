//! Reports CI posts to `POST /v1/keyward/reports` (scan, deps, infra and checklist JSON):
//! stored as documents (`DocKind::Report`, MACed store records) named
//! `<kind>/<time in ns, 20 digits>-<random>`, so names sort by kind, then time.

use crate::backend::{BackendError, DocKind, DocumentRepo, OpContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The kinds of report accepted.
pub const KINDS: &[&str] = &["scan", "deps", "infra", "checklist"];

/// Severity words counted, most severe first.
pub const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "info"];

/// A stored report.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Report {
    /// `<kind>/<time>-<random>`.
    pub id: String,
    /// `scan`, `deps`, `infra` or `checklist`.
    pub kind: String,
    /// When it was received (RFC 3339).
    pub time: String,
    /// Seconds since the epoch (for charts).
    pub unix: u64,
    /// Findings by severity (`critical` … `info`); for a checklist its item counts
    /// (`failed`, `unproven`, `proven`, …).
    pub counts: BTreeMap<String, u64>,
    /// The report as posted.
    #[schema(value_type = Object)]
    pub report: Value,
}

impl Report {
    /// Findings (or failed checklist items) counted as problems.
    pub fn problems(&self) -> u64 {
        if self.kind == "checklist" {
            return self.counts.get("failed").copied().unwrap_or(0);
        }
        SEVERITIES
            .iter()
            .filter(|s| **s != "info")
            .map(|s| self.counts.get(*s).copied().unwrap_or(0))
            .sum()
    }
}

/// Counts of a report: `summary.by_severity` (scan, deps), a checklist's `counts`, else
/// the `severity` of each entry of a top-level `findings` array (infra).
pub fn counts(kind: &str, report: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let as_counts = |v: &Value, out: &mut BTreeMap<String, u64>| {
        if let Some(m) = v.as_object() {
            for (k, n) in m {
                if let Some(n) = n.as_u64() {
                    out.insert(k.to_ascii_lowercase(), n);
                }
            }
        }
    };
    if kind == "checklist" {
        as_counts(&report["counts"], &mut out);
    } else if report["summary"]["by_severity"].is_object() {
        as_counts(&report["summary"]["by_severity"], &mut out);
    } else if let Some(list) = report["findings"].as_array() {
        for f in list {
            if let Some(s) = f["severity"].as_str() {
                *out.entry(s.to_ascii_lowercase()).or_insert(0) += 1;
            }
        }
    }
    out
}

/// Validate and store a report; returns it.
pub fn store(
    docs: &dyn DocumentRepo,
    kind: &str,
    report: Value,
    op: &OpContext,
) -> Result<Report, BackendError> {
    if !KINDS.contains(&kind) {
        return Err(BackendError::Invalid(format!(
            "unknown report kind {kind:?} (expected one of: {})",
            KINDS.join(", ")
        )));
    }
    if !report.is_object() {
        return Err(BackendError::Invalid(
            "\"report\" must be a JSON object".into(),
        ));
    }
    let ns = op
        .now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = format!(
        "{kind}/{ns:020}-{}",
        crate::token::random_base62(8).as_str()
    );
    let r = Report {
        counts: counts(kind, &report),
        id: id.clone(),
        kind: kind.to_string(),
        time: crate::clock::rfc3339(op.now),
        unix: (ns / 1_000_000_000) as u64,
        report,
    };
    let body = serde_json::to_string(&r).expect("serializable");
    docs.put(DocKind::Report, &id, &body, op)?;
    Ok(r)
}

/// The latest `limit` reports of each kind (or of `kind`), oldest first within a kind.
pub fn list(
    docs: &dyn DocumentRepo,
    kind: Option<&str>,
    limit: usize,
) -> Result<Vec<Report>, BackendError> {
    let names = docs.list(DocKind::Report)?;
    let mut out = Vec::new();
    for k in KINDS.iter().filter(|k| kind.is_none_or(|x| x == **k)) {
        let prefix = format!("{k}/");
        let mine: Vec<&String> = names.iter().filter(|n| n.starts_with(&prefix)).collect();
        for name in &mine[mine.len().saturating_sub(limit)..] {
            if let Some(body) = docs.get(DocKind::Report, name)? {
                let r: Report = serde_json::from_str(&body)
                    .map_err(|e| BackendError::Unavailable(format!("malformed report: {e}")))?;
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// Time of a report, for sorting.
pub fn when(r: &Report) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_secs(r.unix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::MemoryDocs;
    use serde_json::json;

    fn op(secs: u64) -> OpContext {
        OpContext {
            actor: "ci".into(),
            accessor: None,
            remote: None,
            now: UNIX_EPOCH + std::time::Duration::from_secs(secs),
        }
    }

    #[test]
    fn counts_come_from_each_kind_of_report() {
        let scan = json!({"summary": {"by_severity": {"critical": 1, "high": 2}}});
        assert_eq!(counts("scan", &scan).get("high"), Some(&2));
        let infra =
            json!({"findings": [{"severity": "HIGH"}, {"severity": "low"}, {"severity": "high"}]});
        assert_eq!(counts("infra", &infra).get("high"), Some(&2));
        let cl = json!({"counts": {"failed": 3, "proven": 10}});
        assert_eq!(counts("checklist", &cl).get("failed"), Some(&3));
    }

    #[test]
    fn reports_are_stored_listed_by_kind_and_limited() {
        let docs = MemoryDocs::default();
        for i in 0..5 {
            let r = json!({"summary": {"by_severity": {"high": i}}});
            store(&docs, "scan", r, &op(1000 + i)).unwrap();
        }
        store(&docs, "deps", json!({}), &op(2000)).unwrap();
        assert!(store(&docs, "bogus", json!({}), &op(1)).is_err());
        assert!(store(&docs, "scan", json!([1]), &op(1)).is_err());
        let all = list(&docs, None, 3).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].problems(), 2);
        assert_eq!(all[2].problems(), 4);
        assert_eq!(list(&docs, Some("deps"), 10).unwrap().len(), 1);
    }
}
