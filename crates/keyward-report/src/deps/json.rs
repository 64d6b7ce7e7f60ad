//! JSON output of `keyward deps`: its own document, `"kind": "deps"`, versioned
//! separately from the scan schema (see `docs/json-schema.md`).

use super::{advisory_url, DepsReport};
use serde_json::{json, Value};

/// Bumped on any incompatible change to the deps document.
pub const SCHEMA_VERSION: u32 = 1;

/// One vulnerable package as a JSON object.
pub fn finding(v: &keyward_deps::VulnerablePackage) -> Value {
    let p = &v.package;
    json!({
        "ecosystem": p.ecosystem,
        "package": p.name,
        "version": p.version,
        "path": p.path,
        "line": p.line,
        "dev": p.dev,
        "severity": v.severity,
        "fixed_version": v.fixed_version,
        "advisories": v.advisories.iter().map(|a| json!({
            "id": a.id,
            "aliases": a.aliases,
            "summary": a.summary,
            "severity": a.severity,
            "score": a.score.map(|s| (f64::from(s) * 10.0).round() / 10.0),
            "severity_source": a.severity_source,
            "kind": a.kind,
            "fixed_version": a.fixed,
            "url": advisory_url(&a.id),
        })).collect::<Vec<_>>(),
    })
}

/// Render the report.
pub fn render(r: &DepsReport<'_>) -> String {
    let s = r.summary;
    let v = json!({
        "kind": "deps",
        "version": SCHEMA_VERSION,
        "tool": {"name": "keyward", "version": env!("CARGO_PKG_VERSION")},
        "findings": r.found.iter().map(finding).collect::<Vec<_>>(),
        "summary": {
            "lockfiles": s.lockfiles,
            "packages": s.packages,
            "unpinned": s.unpinned,
            "vulnerable": r.found.len(),
            "by_severity": r.by_severity(),
            "suppressed": s.suppressed,
            "advisories": s.advisories,
            "database_updated": s.database_updated,
            "duration_ms": s.duration_ms,
            "errors": s.errors,
            "notes": s.notes,
        }
    });
    let mut out = serde_json::to_string_pretty(&v).expect("JSON values serialize");
    out.push('\n');
    out
}
