//! JSON output. The schema is versioned; see `docs/json-schema.md`.

use crate::Report;
use serde_json::{json, Map, Value};

/// Bumped on any incompatible change to the JSON shape (2: value-free `kw2k:`/`kw2l:`
/// fingerprints, `context` and `blocking` on every finding; see docs/json-schema.md).
pub const SCHEMA_VERSION: u32 = 2;

/// One finding as a JSON object (redacted unless the report shows secrets).
pub fn finding(r: &Report<'_>, f: &keyward_core::Finding) -> Value {
    let mut o = Map::new();
    o.insert("rule".into(), json!(f.rule_id));
    o.insert("title".into(), json!(f.title));
    o.insert("severity".into(), json!(f.severity));
    o.insert("confidence".into(), json!(f.confidence));
    o.insert("path".into(), json!(f.location.path));
    o.insert("line".into(), json!(f.location.line));
    o.insert("column".into(), json!(f.location.column));
    o.insert("start".into(), json!(f.location.start));
    o.insert("end".into(), json!(f.location.end));
    o.insert("secret".into(), json!(r.shown_secret(f)));
    o.insert("redacted".into(), json!(!r.show_secrets));
    o.insert("fingerprint".into(), json!(f.fingerprint));
    o.insert("verified".into(), json!(f.verified));
    o.insert("notes".into(), json!(f.notes));
    o.insert("context".into(), json!(f.context));
    o.insert("blocking".into(), json!(f.blocking));
    if let Some(g) = &f.location.git {
        o.insert("commit".into(), json!(g.commit));
        o.insert("author".into(), json!(g.author));
        o.insert("date".into(), json!(g.date));
    }
    Value::Object(o)
}

/// Render the whole report.
pub fn render(r: &Report<'_>) -> String {
    crate::to_text(&document(r))
}

/// The whole report as a JSON document (what [`render`] writes).
pub fn document(r: &Report<'_>) -> Value {
    let s = r.summary;
    json!({
        "version": SCHEMA_VERSION,
        "tool": {"name": "keyward", "version": env!("CARGO_PKG_VERSION")},
        "findings": r.findings.iter().map(|f| finding(r, f)).collect::<Vec<_>>(),
        "summary": {
            "files": s.files,
            "bytes": s.bytes,
            "findings": r.findings.len(),
            "blocking": r.findings.iter().filter(|f| f.blocking).count(),
            "by_severity": r.by_severity(),
            "skipped": {
                "binary": s.skipped_binary,
                "too_large": s.skipped_large,
                "unreadable": s.unreadable,
                "special": s.skipped_special,
                "failed": s.failed,
            },
            "suppressed": s.suppressed,
            "duration_ms": s.duration_ms,
            "notes": s.notes,
        }
    })
}
