//! Policy documents: Vault's HCL (`path "…" { capabilities = […] }`), its JSON form, and the
//! TOML tables of `[server.policies]`.

use super::{Caps, PathRule, Policy};
use hcl::Expression;
use std::collections::BTreeMap;

/// Why a policy document was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("policy `{name}`: {message}")]
pub struct PolicyError {
    /// The policy.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

fn caps_from(name: &str, pattern: &str, list: &[String]) -> Result<Caps, PolicyError> {
    let err = |message: String| PolicyError {
        name: name.into(),
        message,
    };
    if pattern.is_empty() {
        return Err(err("empty path".into()));
    }
    if pattern.find('*').is_some_and(|i| i != pattern.len() - 1) {
        return Err(err(format!(
            "path `{pattern}`: `*` is only allowed at the end"
        )));
    }
    let mut caps = Caps::default();
    for c in list {
        caps = caps.union(Caps::from_name(c).ok_or_else(|| {
            err(format!(
                "path `{pattern}`: unknown capability `{c}` (create, read, update, patch, delete, list, sudo, deny)"
            ))
        })?);
    }
    Ok(caps)
}

/// Parse HCL or JSON policy text.
pub fn parse_policy(name: &str, text: &str) -> Result<Policy, PolicyError> {
    let rules = if text.trim_start().starts_with('{') {
        parse_json(name, text)?
    } else {
        parse_hcl(name, text)?
    };
    Ok(Policy {
        name: name.into(),
        raw: text.into(),
        rules,
    })
}

fn parse_hcl(name: &str, text: &str) -> Result<Vec<PathRule>, PolicyError> {
    let err = |message: String| PolicyError {
        name: name.into(),
        message,
    };
    let body = hcl::parse(text).map_err(|e| err(format!("invalid HCL: {e}")))?;
    if let Some(a) = body.attributes().next() {
        return Err(err(format!(
            "unexpected attribute `{}` at the top level",
            a.key()
        )));
    }
    let mut rules = Vec::new();
    for block in body.blocks() {
        let [label] = block.labels() else {
            return Err(err(format!(
                "`{}` needs exactly one label",
                block.identifier()
            )));
        };
        if block.identifier() != "path" {
            return Err(err(format!(
                "unexpected block `{}` (only `path`)",
                block.identifier()
            )));
        }
        let pattern = label.as_str();
        let mut list = Vec::new();
        for attr in block.body().attributes() {
            match (attr.key(), attr.expr()) {
                ("capabilities", Expression::Array(items)) => {
                    for item in items {
                        match item {
                            Expression::String(s) => list.push(s.clone()),
                            _ => {
                                return Err(err(format!(
                                    "path `{pattern}`: capabilities are strings"
                                )))
                            }
                        }
                    }
                }
                ("capabilities", _) => {
                    return Err(err(format!(
                        "path `{pattern}`: capabilities must be a list"
                    )))
                }
                (other, _) => {
                    return Err(err(format!(
                    "path `{pattern}`: `{other}` is not supported by keyward (only capabilities)"
                )))
                }
            }
        }
        rules.push(PathRule {
            pattern: pattern.into(),
            caps: caps_from(name, pattern, &list)?,
        });
    }
    Ok(rules)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDoc {
    #[serde(default)]
    path: BTreeMap<String, JsonRule>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRule {
    capabilities: Vec<String>,
}

fn parse_json(name: &str, text: &str) -> Result<Vec<PathRule>, PolicyError> {
    let doc: JsonDoc = serde_json::from_str(text).map_err(|e| PolicyError {
        name: name.into(),
        message: format!("invalid JSON policy: {e}"),
    })?;
    doc.path
        .iter()
        .map(|(p, r)| {
            Ok(PathRule {
                pattern: p.clone(),
                caps: caps_from(name, p, &r.capabilities)?,
            })
        })
        .collect()
}

/// A policy from a `[server.policies.NAME]` table (glob → capabilities); its `raw` text is
/// the equivalent HCL.
pub fn policy_from_toml(
    name: &str,
    table: &BTreeMap<String, Vec<String>>,
) -> Result<Policy, PolicyError> {
    let mut rules = Vec::new();
    let mut raw = String::new();
    for (pattern, caps) in table {
        rules.push(PathRule {
            pattern: pattern.clone(),
            caps: caps_from(name, pattern, caps)?,
        });
        raw.push_str(&format!(
            "path {} {{\n  capabilities = {}\n}}\n",
            serde_json::to_string(pattern).expect("string"),
            serde_json::to_string(caps).expect("strings")
        ));
    }
    Ok(Policy {
        name: name.into(),
        raw,
        rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HCL: &str = r#"
# app read access
path "secret/data/app/production/*" { capabilities = ["read"] }
path "secret/metadata/app/production/" {
  capabilities = ["list"]
}
path "secret/data/app/production/jwt"  { capabilities = ["create", "update", "read"] }
path "secret/+/app/staging/*" { capabilities = ["deny"] }
"#;

    #[test]
    fn vault_hcl_parses() {
        let p = parse_policy("app", HCL).unwrap();
        assert_eq!(p.rules.len(), 4);
        assert_eq!(p.rules[0].pattern, "secret/data/app/production/*");
        assert_eq!(p.rules[0].caps, Caps::READ);
        assert_eq!(
            p.rules[2].caps,
            Caps::CREATE.union(Caps::UPDATE).union(Caps::READ)
        );
        assert_eq!(p.rules[3].caps, Caps::DENY);
    }

    #[test]
    fn json_and_toml_forms_parse_to_the_same_rules() {
        let j = parse_policy(
            "j",
            r#"{"path": {"secret/data/x": {"capabilities": ["read", "list"]}}}"#,
        )
        .unwrap();
        let t = policy_from_toml(
            "t",
            &BTreeMap::from([(
                "secret/data/x".to_string(),
                vec!["read".to_string(), "list".to_string()],
            )]),
        )
        .unwrap();
        assert_eq!(j.rules, t.rules);
        assert_eq!(parse_policy("t", &t.raw).unwrap().rules, t.rules);
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        let e = parse_policy("p", r#"path "a/*" { capabilities = ["reed"] }"#).unwrap_err();
        assert!(e.to_string().contains("unknown capability `reed`"), "{e}");
        let e = parse_policy("p", r#"path "a/*/b" { capabilities = ["read"] }"#).unwrap_err();
        assert!(e.to_string().contains("only allowed at the end"), "{e}");
        let e = parse_policy("p", r#"path "a" { allowed_parameters = {} }"#).unwrap_err();
        assert!(e.to_string().contains("not supported"), "{e}");
        let e = parse_policy("p", "path \"a\" {").unwrap_err();
        assert!(e.to_string().contains("invalid HCL"), "{e}");
        let e = parse_policy("p", r#"{"path": {"a": {"capabilities": "read"}}}"#).unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
    }
}
