//! Kubernetes objects: metadata, pod templates, containers, and the settings and images
//! they hold.

use super::{config, ImageRef, Inventory, ObjectRef, Setting, Unit, ALLOW_KEY};
use crate::yaml::{Node, Value};
use std::sync::Arc;

/// Kinds without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "Node",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "PodSecurityPolicy",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "CSIDriver",
    "ClusterIssuer",
];

/// The container lists of a pod spec.
pub const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// One Kubernetes object.
#[derive(Clone, Debug)]
pub struct K8sObject {
    /// Its suppression scope.
    pub unit: usize,
    /// The file.
    pub path: Arc<str>,
    /// `kind`.
    pub kind: String,
    /// `metadata.name` (empty when missing).
    pub name: String,
    /// Explicit or default namespace; `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// The whole object.
    pub node: Node,
}

/// A pod spec and where it sits in its object.
#[derive(Clone, Copy, Debug)]
pub struct PodView<'a> {
    /// The pod spec mapping.
    pub spec: &'a Node,
    /// The pod's `metadata` (the template's for workloads), if any.
    pub metadata: Option<&'a Node>,
    /// 1-based line of the `spec:` key of the pod spec (where missing pod fields point).
    pub line: usize,
}

/// A container of a pod spec.
#[derive(Clone, Copy, Debug)]
pub struct Container<'a> {
    /// The container mapping.
    pub node: &'a Node,
    /// Its `name`.
    pub name: &'a str,
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub list: &'static str,
}

impl K8sObject {
    /// The finding subject for this object.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            container: None,
        }
    }

    /// `metadata.labels` as pairs.
    pub fn labels(&self) -> Vec<(&str, &str)> {
        label_pairs(self.node.path("metadata.labels"))
    }

    /// The pod spec of a Pod or of a workload's pod template.
    pub fn pod(&self) -> Option<PodView<'_>> {
        let (holder, metadata) = match self.kind.as_str() {
            "Pod" => (&self.node, self.node.get("metadata")),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job"
            | "Rollout" => {
                let t = self.node.path("spec.template")?;
                (t, t.get("metadata"))
            }
            "CronJob" => {
                let t = self.node.path("spec.jobTemplate.spec.template")?;
                (t, t.get("metadata"))
            }
            "PodTemplate" => {
                let t = self.node.get("template")?;
                (t, t.get("metadata"))
            }
            _ => return None,
        };
        let entry = holder.entry("spec")?;
        matches!(entry.value.value, Value::Map(_)).then_some(PodView {
            spec: &entry.value,
            metadata,
            line: entry.line,
        })
    }
}

impl<'a> PodView<'a> {
    /// Every container, init container and ephemeral container.
    pub fn containers(&self) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for list in CONTAINER_LISTS {
            for c in self.spec.get(list).map(Node::items).unwrap_or(&[]) {
                out.push(Container {
                    node: c,
                    name: c.get("name").and_then(Node::as_str).unwrap_or(""),
                    list,
                });
            }
        }
        out
    }

    /// The pod's labels.
    pub fn labels(&self) -> Vec<(&'a str, &'a str)> {
        label_pairs(self.metadata.and_then(|m| m.get("labels")))
    }
}

/// Label (or annotation) pairs of a mapping; non-scalar values are skipped.
pub fn label_pairs(node: Option<&Node>) -> Vec<(&str, &str)> {
    node.map(Node::entries)
        .unwrap_or(&[])
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_str().unwrap_or("")))
        .collect()
}

/// Is `root` a Kubernetes object (a mapping with `apiVersion` and `kind`)?
pub fn is_object(root: &Node) -> bool {
    root.get("apiVersion").and_then(Node::as_str).is_some()
        && root.get("kind").and_then(Node::as_str).is_some()
}

/// Add the object in `root` (or, for `List` kinds, its items) to the inventory.
pub fn read(inv: &mut Inventory, path: &Arc<str>, root: Node, default_ns: &str) {
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind.ends_with("List") && root.get("items").is_some() {
        if let Some(Value::Seq(items)) = root.get("items").map(|n| n.value.clone()) {
            for item in items.into_iter().filter(is_object) {
                read(inv, path, item, default_ns);
            }
        }
        return;
    }
    let kind = kind.to_string();
    let name = root
        .path("metadata.name")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = (!CLUSTER_SCOPED.contains(&kind.as_str())).then(|| {
        root.path("metadata.namespace")
            .and_then(Node::as_str)
            .unwrap_or(default_ns)
            .to_string()
    });
    let mut obj = K8sObject {
        unit: 0,
        path: path.clone(),
        kind,
        name,
        namespace,
        node: root,
    };
    let mut allow: Vec<&str> = Vec::new();
    allow.extend(
        obj.node
            .path("metadata.annotations")
            .and_then(|a| a.get(ALLOW_KEY)?.as_str()),
    );
    if let Some(pod) = obj.pod() {
        allow.extend(
            pod.metadata
                .and_then(|m| m.path("annotations")?.get(ALLOW_KEY)?.as_str()),
        );
    }
    let allow = allow.join("\n");
    obj.unit = inv.add_unit(Unit::new(
        path.clone(),
        Some(obj.object_ref()),
        Some(&allow),
    ));
    extract(inv, &obj);
    inv.objects.push(obj);
}

/// Settings (container env, ConfigMap data) and images of an object.
fn extract(inv: &mut Inventory, obj: &K8sObject) {
    let base = obj.object_ref();
    if let Some(pod) = obj.pod() {
        for c in pod.containers() {
            let object = Some(base.with_container(c.name));
            if let Some(img) = c.node.get("image") {
                if let Some(image) = img.as_str() {
                    inv.images.push(ImageRef {
                        unit: obj.unit,
                        object: object.clone(),
                        image: image.to_string(),
                        line: img.line,
                        column: img.column,
                        path: obj.path.clone(),
                    });
                }
            }
            for var in c.node.get("env").map(Node::items).unwrap_or(&[]) {
                let (Some(name), Some(value)) =
                    (var.get("name").and_then(Node::as_str), var.get("value"))
                else {
                    continue;
                };
                if let Some(text) = value.as_str() {
                    inv.settings.push(Setting {
                        unit: obj.unit,
                        object: object.clone(),
                        name: name.to_string(),
                        value: text.to_string(),
                        line: value.line,
                        column: value.column,
                        path: obj.path.clone(),
                    });
                }
            }
        }
    }
    if obj.kind == "ConfigMap" {
        for e in obj.node.get("data").map(Node::entries).unwrap_or(&[]) {
            let Some(text) = e.value.as_str() else {
                continue;
            };
            let object = Some(base.clone());
            if config::embedded_kind(&e.key).is_some() && text.contains('\n') {
                let offset = match &e.value.value {
                    Value::Scalar(s) if s.block => e.value.line,
                    _ => e.value.line - 1,
                };
                config::read_embedded(inv, obj, &e.key, text, offset);
                continue;
            }
            inv.settings.push(Setting {
                unit: obj.unit,
                object,
                name: e.key.clone(),
                value: text.to_string(),
                line: e.value.line,
                column: e.value.column,
                path: obj.path.clone(),
            });
        }
    }
}
