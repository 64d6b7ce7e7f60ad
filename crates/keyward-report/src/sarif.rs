//! SARIF 2.1.0 output, shaped for GitHub code scanning.

use crate::Report;
use keyward_core::Severity;
use serde_json::{json, Value};
use std::collections::HashMap;

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (0–10) for a severity.
pub(crate) fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// Render a SARIF 2.1.0 log with one run.
pub fn render(r: &Report<'_>) -> String {
    crate::to_text(&document(r))
}

/// The SARIF log as a JSON document (what [`render`] writes).
pub fn document(r: &Report<'_>) -> Value {
    let mut index = HashMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut add_rule = |id: &str, title: &str, sev: Severity, desc: Option<&str>| {
        if index.contains_key(id) {
            return;
        }
        index.insert(id.to_string(), rules.len());
        rules.push(json!({
            "id": id,
            "name": id,
            "shortDescription": {"text": title},
            "fullDescription": {"text": desc.unwrap_or(title)},
            "help": {"text": desc.unwrap_or("Remove the secret from the file, move it to a secret store and rotate it.")},
            "defaultConfiguration": {"level": level(sev)},
            "properties": {"tags": ["security", "secret"], "security-severity": security_severity(sev)},
        }));
    };
    for m in r.rules {
        add_rule(&m.id, &m.title, m.severity, m.description.as_deref());
    }
    for f in r.findings {
        add_rule(&f.rule_id, &f.title, f.severity, None);
    }
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let mut props = json!({
                "severity": f.severity,
                "confidence": f.confidence,
                "verified": f.verified,
                "context": f.context,
                "blocking": f.blocking,
            });
            if let Some(g) = &f.location.git {
                props["commit"] = json!(g.commit);
                props["author"] = json!(g.author);
                props["date"] = json!(g.date);
            }
            json!({
                "ruleId": f.rule_id,
                "ruleIndex": index[&f.rule_id],
                "level": level(f.severity),
                "message": {"text": format!("{}: {}", f.title, r.shown_secret(f))},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.location.path)},
                        "region": {"startLine": f.location.line, "startColumn": f.location.column}
                    }
                }],
                "partialFingerprints": {"keyward/v2": f.fingerprint},
                "properties": props,
            })
        })
        .collect();
    log(rules, results)
}

/// A SARIF 2.1.0 log with one keyward run of `rules` and `results`.
pub(crate) fn log(rules: Vec<Value>, results: Vec<Value>) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keyward",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/keyward/keyward",
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

/// A relative URI for a path (forward slashes, spaces escaped).
fn uri(path: &str) -> String {
    path.replace('\\', "/").replace(' ', "%20")
}
