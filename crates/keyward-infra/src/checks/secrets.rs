//! `secret-manifest-literal`: a committed `kind: Secret` with values. Each decoded value
//! also goes through keyward's secret scanner, so a Stripe key in a Secret is reported as
//! a Stripe key too.

use super::{Check, Ctx};
use crate::finding::{InfraFinding, Site};
use crate::model::K8sObject;
use crate::yaml::Node;
use base64::Engine as _;
use keyward_core::SecretBytes;

/// A value that holds nothing to leak (empty, a reference, a placeholder).
fn is_empty_value(v: &[u8]) -> bool {
    let t = String::from_utf8_lossy(v);
    let t = t.trim();
    t.is_empty()
        || keyward_scan::filter::is_reference(t.as_bytes())
        || keyward_scan::filter::is_placeholder(t.as_bytes())
}

/// A literal value of a Secret.
struct Literal {
    key: String,
    /// Line and column of the key.
    at: (usize, usize),
    /// The decoded value (zeroized on drop).
    value: SecretBytes,
    /// `data` value that is valid base64 (or a `stringData` value).
    decoded: bool,
}

/// The literal values of a Secret's `data` (decoded) and `stringData`.
fn literals(obj: &K8sObject) -> Vec<Literal> {
    let mut out = Vec::new();
    for (field, encoded) in [("data", true), ("stringData", false)] {
        for e in obj.node.get(field).map(Node::entries).unwrap_or(&[]) {
            let Some(text) = e.value.as_str() else {
                continue;
            };
            let (value, ok) = if encoded {
                let compact: String = text.split_whitespace().collect();
                match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                    Ok(v) => (v, true),
                    Err(_) => (text.as_bytes().to_vec(), false),
                }
            } else {
                (text.as_bytes().to_vec(), true)
            };
            let value = SecretBytes::new(value);
            if !is_empty_value(value.expose()) {
                out.push(Literal {
                    key: e.key.clone(),
                    at: (e.line, e.column),
                    value,
                    decoded: ok,
                });
            }
        }
    }
    out
}

/// Report committed Secrets with literal values, and what the scanner recognises in them.
pub fn secret_manifest(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for obj in inv.objects.iter().filter(|o| o.kind == "Secret") {
        let values = literals(obj);
        if values.is_empty() {
            continue;
        }
        let field = if obj.node.get("data").is_some() {
            "data"
        } else {
            "stringData"
        };
        let entry = obj
            .node
            .entry(field)
            .or_else(|| obj.node.entry("stringData"));
        let at = entry.map_or((obj.node.line, 1), |e| (e.line, e.column));
        let keys: Vec<&str> = values.iter().map(|v| v.key.as_str()).collect();
        let mut f = InfraFinding::new(
            check,
            Site {
                path: obj.path.clone(),
                at,
                unit: Some(obj.unit),
                object: Some(obj.object_ref()),
            },
            format!(
                "a committed Secret holds {} literal value{} ({})",
                values.len(),
                if values.len() == 1 { "" } else { "s" },
                keys.join(", ")
            ),
            field,
        );
        if values.iter().any(|v| !v.decoded) {
            f.notes
                .push("some `data` values are not valid base64".into());
        }
        ctx.out.push(f);
        let Some(scanner) = ctx.scanner() else {
            continue;
        };
        let mut found = Vec::new();
        for Literal { key, at, value, .. } in &values {
            for hit in scanner.scan(&obj.path, value.expose()) {
                let mut g = InfraFinding::new(
                    check,
                    Site {
                        path: obj.path.clone(),
                        at: *at,
                        unit: Some(obj.unit),
                        object: Some(obj.object_ref()),
                    },
                    format!("`{key}` holds a {}", hit.title),
                    key,
                );
                g.rule = hit.rule_id.clone();
                g.fingerprint = Some(hit.fingerprint.clone());
                g.secret = Some(hit.secret.clone());
                g.notes.push(format!(
                    "found by the secret scanner in the decoded value of `{key}`"
                ));
                found.push(g);
            }
        }
        ctx.out.extend(found);
    }
}
