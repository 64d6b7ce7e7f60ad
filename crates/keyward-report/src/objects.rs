//! The `object` of infrastructure findings (`keyward infra`): which Kubernetes object,
//! compose service or Dockerfile stage a finding is about. Kept apart from the base
//! formats: a JSON or SARIF report document is extended here before it is written, so the
//! shared schema stays owned by `json.rs` and `sarif.rs`.

use crate::Format;
use serde_json::{json, Value};

/// The object a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    /// `Deployment`, `ComposeService`, `Dockerfile`, …
    pub kind: String,
    /// Namespace of a namespaced Kubernetes object.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Container, when the finding is about one.
    pub container: Option<String>,
}

impl ObjectInfo {
    fn to_json(&self) -> Value {
        let mut v = json!({"kind": self.kind, "name": self.name});
        if let Some(ns) = &self.namespace {
            v["namespace"] = json!(ns);
        }
        if let Some(c) = &self.container {
            v["container"] = json!(c);
        }
        v
    }

    /// `Deployment/shop/web/app`, a SARIF logical location.
    fn qualified(&self) -> String {
        let mut parts = vec![self.kind.as_str()];
        parts.extend(self.namespace.as_deref());
        parts.push(&self.name);
        parts.extend(self.container.as_deref());
        parts.join("/")
    }
}

/// Add `object` to every finding of a report document (see [`crate::Report::render_extended`]);
/// `objects[i]` belongs to the i-th finding (JSON `findings`, SARIF `results`). JSON findings
/// get an `object` field; SARIF results get `properties.object` and a `logicalLocations`
/// entry. Human output needs nothing (its titles name the object).
pub fn attach(doc: &mut Value, format: Format, objects: &[Option<ObjectInfo>]) {
    let list = match format {
        Format::Human => return,
        Format::Json => "/findings",
        Format::Sarif => "/runs/0/results",
    };
    if let Some(Value::Array(items)) = doc.pointer_mut(list) {
        for (item, object) in items.iter_mut().zip(objects) {
            let value = object.as_ref().map_or(Value::Null, ObjectInfo::to_json);
            match format {
                Format::Json => item["object"] = value,
                _ => {
                    item["properties"]["object"] = value;
                    if let Some(o) = object {
                        item["locations"][0]["logicalLocations"] = json!([{
                            "name": o.container.as_deref().unwrap_or(&o.name),
                            "fullyQualifiedName": o.qualified(),
                            "kind": "object",
                        }]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web() -> ObjectInfo {
        ObjectInfo {
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "web".into(),
            container: Some("app".into()),
        }
    }

    #[test]
    fn json_findings_get_objects_in_order() {
        let mut v: Value =
            serde_json::from_str(r#"{"version": 1, "findings": [{"rule": "a"}, {"rule": "b"}]}"#)
                .unwrap();
        attach(&mut v, Format::Json, &[Some(web()), None]);
        assert_eq!(v["findings"][0]["object"]["container"], "app");
        assert_eq!(v["findings"][0]["object"]["namespace"], "shop");
        assert!(v["findings"][1]["object"].is_null());
        assert_eq!(v["version"], 1);
    }

    #[test]
    fn sarif_results_get_logical_locations() {
        let text = r#"{"runs": [{"results": [{"ruleId": "a", "locations": [{"physicalLocation": {}}], "properties": {}}]}]}"#;
        let mut v: Value = serde_json::from_str(text).unwrap();
        attach(&mut v, Format::Sarif, &[Some(web())]);
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["properties"]["object"]["kind"], "Deployment");
        assert_eq!(
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "Deployment/shop/web/app"
        );
        let mut plain = json!("plain text");
        attach(&mut plain, Format::Human, &[Some(web())]);
        assert_eq!(plain, json!("plain text"));
    }
}
