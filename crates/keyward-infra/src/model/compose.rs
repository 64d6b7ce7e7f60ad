//! docker-compose files: services, their environment, image and labels.

use super::{ImageRef, Inventory, ObjectRef, Setting, Unit, ALLOW_KEY};
use crate::yaml::{Node, Value};
use std::sync::Arc;

/// One service of a compose file.
#[derive(Clone, Debug)]
pub struct ComposeService {
    /// Its suppression scope.
    pub unit: usize,
    /// The file.
    pub path: Arc<str>,
    /// The service name.
    pub name: String,
    /// 1-based line of the service's key.
    pub line: usize,
    /// The service mapping.
    pub node: Node,
}

impl ComposeService {
    /// The finding subject.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            kind: "ComposeService".into(),
            namespace: None,
            name: self.name.clone(),
            container: None,
        }
    }
}

/// Is `root` a compose file (a `services` mapping and no `kind`)?
pub fn is_compose(root: &Node) -> bool {
    matches!(root.get("services").map(|s| &s.value), Some(Value::Map(_)))
        && root.get("kind").is_none()
}

/// `KEY=value` items of a list-form `environment` or `labels`, with the value's column.
fn list_pair(item: &Node) -> Option<(&str, &str, usize)> {
    let text = item.as_str()?;
    let (k, v) = text.split_once('=')?;
    Some((k.trim(), v, item.column + k.len() + 1))
}

/// Add a compose file's services to the inventory.
pub fn read(inv: &mut Inventory, path: &Arc<str>, root: &Node) {
    for e in root.get("services").map(Node::entries).unwrap_or(&[]) {
        let svc = ComposeService {
            unit: 0,
            path: path.clone(),
            name: e.key.clone(),
            line: e.line,
            node: e.value.clone(),
        };
        let labels = svc.node.get("labels");
        let allow = labels.and_then(|l| match &l.value {
            Value::Map(_) => l.get(ALLOW_KEY).and_then(Node::as_str).map(str::to_string),
            _ => l
                .items()
                .iter()
                .filter_map(list_pair)
                .find(|(k, _, _)| *k == ALLOW_KEY)
                .map(|(_, v, _)| v.to_string()),
        });
        let object = svc.object_ref();
        let unit = inv.add_unit(Unit::new(
            path.clone(),
            Some(object.clone()),
            allow.as_deref(),
        ));
        let svc = ComposeService { unit, ..svc };
        if let Some(img) = svc.node.get("image") {
            if let Some(image) = img.as_str() {
                inv.images.push(ImageRef {
                    unit,
                    object: Some(object.clone()),
                    image: image.to_string(),
                    line: img.line,
                    column: img.column,
                    path: path.clone(),
                });
            }
        }
        let push = |inv: &mut Inventory, name: &str, value: &str, line, column| {
            inv.settings.push(Setting {
                unit,
                object: Some(object.clone()),
                name: name.to_string(),
                value: value.to_string(),
                line,
                column,
                path: path.clone(),
            })
        };
        if let Some(env) = svc.node.get("environment") {
            match &env.value {
                Value::Map(entries) => {
                    for v in entries {
                        if let Some(value) = v.value.as_str() {
                            push(inv, &v.key, value, v.value.line, v.value.column);
                        }
                    }
                }
                _ => {
                    for item in env.items() {
                        if let Some((k, v, column)) = list_pair(item) {
                            push(inv, k, v, item.line, column);
                        }
                    }
                }
            }
        }
        inv.services.push(svc);
    }
}
