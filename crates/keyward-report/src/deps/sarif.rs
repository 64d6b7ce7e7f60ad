//! SARIF 2.1.0 output of `keyward deps`: one rule per advisory, one result per vulnerable
//! package and advisory, located at the line that declares the package.

use super::{advisory_url, DepsReport};
use crate::sarif::{level, log, security_severity};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Render a SARIF log with one run.
pub fn render(r: &DepsReport<'_>) -> String {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for v in r.found {
        let p = &v.package;
        let version = p.version.as_deref().unwrap_or("");
        for a in &v.advisories {
            let rule_index = *index.entry(a.id.as_str()).or_insert_with(|| {
                let sec = a
                    .score
                    .map(|s| format!("{s:.1}"))
                    .unwrap_or_else(|| security_severity(a.severity).to_string());
                rules.push(json!({
                    "id": a.id,
                    "name": a.id,
                    "shortDescription": {"text": if a.summary.is_empty() { a.id.as_str() } else { a.summary.as_str() }},
                    "helpUri": advisory_url(&a.id),
                    "help": {"text": format!("Upgrade the package to a version without this advisory ({}).", advisory_url(&a.id))},
                    "defaultConfiguration": {"level": level(a.severity)},
                    "properties": {"tags": ["security", "dependency", a.kind.as_str()], "security-severity": sec},
                }));
                rules.len() - 1
            });
            let fix = match &v.fixed_version {
                Some(f) => format!(" Upgrade to {f}."),
                None => " No fixed version is known.".to_string(),
            };
            let print = Sha256::digest(format!("{}\0{}\0{version}\0{}", p.ecosystem, p.name, a.id));
            results.push(json!({
                "ruleId": a.id,
                "ruleIndex": rule_index,
                "level": level(a.severity),
                "message": {"text": format!("{} {version} ({}) is affected by {}: {}.{fix}", p.name, p.ecosystem, a.id, a.summary)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": p.path.replace('\\', "/").replace(' ', "%20")},
                        "region": {"startLine": p.line}
                    }
                }],
                "partialFingerprints": {"keyward/deps/v1": hex::encode(&print[..16])},
                "properties": {
                    "ecosystem": p.ecosystem, "package": p.name, "version": version,
                    "severity": a.severity, "kind": a.kind, "aliases": a.aliases,
                    "fixed_version": v.fixed_version,
                },
            }));
        }
    }
    crate::to_text(&log(rules, results))
}
