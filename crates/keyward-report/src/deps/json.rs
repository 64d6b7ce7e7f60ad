//! JSON output of `keyward deps`: its own document, `"kind": "deps"`, versioned
//! separately from the scan schema (see `docs/json-schema.md`). Written through borrowed
//! `Serialize` structs, not `serde_json::Value` trees: a report of thousands of packages
//! renders in milliseconds.

use super::{advisory_url, DepsReport};
use keyward_core::Severity;
use keyward_deps::osv::SeveritySource;
use keyward_deps::{AdvisoryKind, Ecosystem, VulnerablePackage};
use serde::Serialize;
use std::collections::BTreeMap;

/// Bumped on any incompatible change to the deps document.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    kind: &'static str,
    version: u32,
    tool: Tool,
    findings: Vec<Finding<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// One vulnerable package.
#[derive(Serialize)]
struct Finding<'a> {
    ecosystem: Ecosystem,
    package: &'a str,
    version: Option<&'a str>,
    path: &'a str,
    line: usize,
    dev: bool,
    severity: Severity,
    fixed_version: Option<&'a str>,
    advisories: Vec<Advisory<'a>>,
}

#[derive(Serialize)]
struct Advisory<'a> {
    id: &'a str,
    aliases: &'a [String],
    summary: &'a str,
    severity: Severity,
    score: Option<f64>,
    severity_source: SeveritySource,
    kind: &'a AdvisoryKind,
    fixed_version: Option<&'a str>,
    url: String,
}

#[derive(Serialize)]
struct Summary<'a> {
    lockfiles: usize,
    packages: usize,
    unpinned: usize,
    vulnerable: usize,
    by_severity: BTreeMap<&'static str, usize>,
    suppressed: usize,
    advisories: usize,
    database_updated: Option<&'a str>,
    duration_ms: u64,
    errors: &'a [String],
    notes: &'a [String],
}

fn finding(v: &VulnerablePackage) -> Finding<'_> {
    let p = &v.package;
    Finding {
        ecosystem: p.ecosystem,
        package: &p.name,
        version: p.version.as_deref(),
        path: &p.path,
        line: p.line,
        dev: p.dev,
        severity: v.severity,
        fixed_version: v.fixed_version.as_deref(),
        advisories: v
            .advisories
            .iter()
            .map(|a| Advisory {
                id: &a.id,
                aliases: &a.aliases,
                summary: &a.summary,
                severity: a.severity,
                score: a.score.map(|s| (f64::from(s) * 10.0).round() / 10.0),
                severity_source: a.severity_source,
                kind: &a.kind,
                fixed_version: a.fixed.as_deref(),
                url: advisory_url(&a.id),
            })
            .collect(),
    }
}

/// Render the report.
pub fn render(r: &DepsReport<'_>) -> String {
    let s = r.summary;
    let doc = Document {
        kind: "deps",
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "keyward",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: r.found.iter().map(finding).collect(),
        summary: Summary {
            lockfiles: s.lockfiles,
            packages: s.packages,
            unpinned: s.unpinned,
            vulnerable: r.found.len(),
            by_severity: r.by_severity(),
            suppressed: s.suppressed,
            advisories: s.advisories,
            database_updated: s.database_updated.as_deref(),
            duration_ms: s.duration_ms,
            errors: &s.errors,
            notes: &s.notes,
        },
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("the report serializes");
    out.push('\n');
    out
}
