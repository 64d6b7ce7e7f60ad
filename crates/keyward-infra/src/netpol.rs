//! NetworkPolicy analysis over everything read in one run: which workloads no policy
//! selects for ingress and for egress, which namespaces lack a default deny, and which
//! policy rules allow everything.

use crate::checks::{Check, Ctx};
use crate::finding::Site;
use crate::model::{K8sObject, ObjectRef};
use crate::selector::Selector;
use crate::yaml::Node;
use std::collections::{BTreeMap, HashMap};

/// A NetworkPolicy, read.
pub struct Policy<'a> {
    /// The object.
    pub obj: &'a K8sObject,
    /// `spec.podSelector`.
    pub selector: Selector,
    /// Effective policy types: Ingress unless `policyTypes` says otherwise.
    pub ingress: bool,
    /// Egress when listed, or when `egress` rules exist and `policyTypes` is absent.
    pub egress: bool,
}

impl<'a> Policy<'a> {
    fn read(obj: &'a K8sObject) -> Policy<'a> {
        let spec = obj.node.get("spec");
        let types: Option<Vec<&str>> = spec
            .and_then(|s| s.get("policyTypes"))
            .map(|t| t.items().iter().filter_map(Node::as_str).collect());
        let (ingress, egress) = match types {
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
            None => (true, spec.and_then(|s| s.get("egress")).is_some()),
        };
        Policy {
            obj,
            selector: Selector::parse(spec.and_then(|s| s.get("podSelector"))),
            ingress,
            egress,
        }
    }

    fn rules(&self, direction: &str) -> &'a [Node] {
        self.obj
            .node
            .path(&format!("spec.{direction}"))
            .map(Node::items)
            .unwrap_or(&[])
    }

    /// Selects every pod of its namespace and allows nothing in `direction`.
    fn denies_all(&self, direction: &str) -> bool {
        let typed = if direction == "ingress" {
            self.ingress
        } else {
            self.egress
        };
        typed && self.selector.is_empty() && self.rules(direction).is_empty()
    }
}

/// Every NetworkPolicy of the inventory.
pub fn policies(objects: &[K8sObject]) -> Vec<Policy<'_>> {
    objects
        .iter()
        .filter(|o| o.kind == "NetworkPolicy")
        .map(Policy::read)
        .collect()
}

/// Workloads NetworkPolicies apply to (host-network pods are outside their reach).
fn workloads(objects: &[K8sObject]) -> impl Iterator<Item = &K8sObject> {
    objects.iter().filter(|o| {
        o.pod()
            .is_some_and(|p| p.spec.get("hostNetwork").and_then(Node::as_bool) != Some(true))
            && !(o.kind == "Pod" && o.node.path("metadata.ownerReferences").is_some())
    })
}

/// Where a finding about an object points: its `metadata.name`.
fn name_at(o: &K8sObject) -> (usize, usize) {
    o.node
        .path("metadata.name")
        .map_or((o.node.line, 1), |n| (n.line, n.column))
}

/// The site of a finding about `o` at `at`.
fn site(o: &K8sObject, at: (usize, usize), unit: Option<usize>, object: ObjectRef) -> Site {
    Site {
        path: o.path.clone(),
        at,
        unit,
        object: Some(object),
    }
}

/// `networkpolicy-coverage`: each workload must be selected by some policy of its
/// namespace for ingress and for egress.
pub fn coverage(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    let pols = policies(&inv.objects);
    let mut by_ns: HashMap<Option<&str>, Vec<&Policy>> = HashMap::new();
    for p in &pols {
        by_ns.entry(p.obj.namespace.as_deref()).or_default().push(p);
    }
    for w in workloads(&inv.objects) {
        let pod = w.pod().expect("workloads have pods");
        let labels = pod.labels();
        let selecting: Vec<&Policy> = by_ns
            .get(&w.namespace.as_deref())
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|p| p.selector.matches(&labels))
            .collect();
        let names = |dir: bool| -> Vec<&str> {
            selecting
                .iter()
                .filter(|p| if dir { p.ingress } else { p.egress })
                .map(|p| p.obj.name.as_str())
                .collect()
        };
        let (ing, eg) = (names(true), names(false));
        let missing: Vec<&str> = [("ingress", ing.is_empty()), ("egress", eg.is_empty())]
            .into_iter()
            .filter_map(|(d, m)| m.then_some(d))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut notes = Vec::new();
        for (d, n) in [("ingress", &ing), ("egress", &eg)] {
            if !n.is_empty() {
                notes.push(format!("selected for {d} by: {}", n.join(", ")));
            }
        }
        let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        notes.push(format!(
            "pod labels: {}",
            if shown.is_empty() {
                "(none)".into()
            } else {
                shown.join(", ")
            }
        ));
        let message = format!(
            "no NetworkPolicy selects its pods for {}",
            missing.join(" or ")
        );
        let site = site(w, name_at(w), Some(w.unit), w.object_ref());
        ctx.emit(check, site, message, &missing.join("+")).notes = notes;
    }
}

/// `networkpolicy-default-deny`: every namespace with workloads (or declared with a
/// `Namespace` object) has policies selecting all pods that deny ingress and egress.
pub fn default_deny(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    let pols = policies(&inv.objects);
    let mut namespaces: BTreeMap<String, (Option<&K8sObject>, Vec<&K8sObject>)> = BTreeMap::new();
    for o in inv.objects.iter().filter(|o| o.kind == "Namespace") {
        namespaces.entry(o.name.clone()).or_default().0 = Some(o);
    }
    for w in workloads(&inv.objects) {
        if let Some(ns) = &w.namespace {
            namespaces.entry(ns.clone()).or_default().1.push(w);
        }
    }
    for (ns, (decl, loads)) in namespaces {
        let denies = |dir: &str| {
            pols.iter()
                .any(|p| p.obj.namespace.as_deref() == Some(&ns) && p.denies_all(dir))
        };
        let missing: Vec<&str> = ["ingress", "egress"]
            .into_iter()
            .filter(|d| !denies(d))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let (at_obj, unit, at) = match (decl, loads.first()) {
            (Some(d), _) => (d, Some(d.unit), name_at(d)),
            (None, Some(w)) => {
                let at = w
                    .node
                    .path("metadata.namespace")
                    .map_or(name_at(w), |n| (n.line, n.column));
                (*w, None, at)
            }
            (None, None) => continue,
        };
        let mut notes = Vec::new();
        if !loads.is_empty() {
            let names: Vec<String> = loads
                .iter()
                .map(|w| format!("{} {}", w.kind, w.name))
                .collect();
            notes.push(format!("workloads: {}", names.join(", ")));
        }
        if decl.is_none() {
            notes.push(
                "no Namespace object in the files checked; reported at its first workload".into(),
            );
        }
        let object = ObjectRef {
            kind: "Namespace".into(),
            namespace: None,
            name: ns.clone(),
            container: None,
        };
        let message = format!(
            "namespace `{ns}` has no default-deny NetworkPolicy for {}",
            missing.join(" and ")
        );
        let site = site(at_obj, at, unit, object);
        ctx.emit(check, site, message, &missing.join("+")).notes = notes;
    }
}

/// A peer that matches everything: `{}`, `namespaceSelector: {}` without a pod selector
/// (or with an empty one), or `ipBlock` 0.0.0.0/0 or ::/0 without exceptions.
fn is_everything(peer: &Node) -> bool {
    if peer.is_empty() {
        return true;
    }
    if let Some(ip) = peer.get("ipBlock") {
        let cidr = ip.get("cidr").and_then(Node::as_str).unwrap_or("");
        return matches!(cidr, "0.0.0.0/0" | "::/0") && ip.get("except").is_none_or(Node::is_empty);
    }
    let ns = peer.get("namespaceSelector");
    ns.is_some()
        && Selector::parse(ns).is_empty()
        && Selector::parse(peer.get("podSelector")).is_empty()
}

/// `networkpolicy-allow-all`: a rule with no port restriction whose peers are everything.
pub fn allow_all(ctx: &mut Ctx<'_>, check: &Check) {
    let inv = ctx.inv;
    for p in policies(&inv.objects) {
        for (dir, peers_key, typed) in [("ingress", "from", p.ingress), ("egress", "to", p.egress)]
        {
            if !typed {
                continue;
            }
            for (i, rule) in p.rules(dir).iter().enumerate() {
                let ports_open = rule.get("ports").is_none_or(Node::is_empty);
                let peers = rule.get(peers_key).map(Node::items).unwrap_or(&[]);
                if ports_open && (peers.is_empty() || peers.iter().any(is_everything)) {
                    let to = if dir == "ingress" { "from" } else { "to" };
                    let message = format!(
                        "{dir} rule {} allows traffic {to} everywhere on every port (pods selected: {})",
                        i + 1,
                        p.selector.describe()
                    );
                    let at = (rule.line, rule.column);
                    let site = site(p.obj, at, Some(p.obj.unit), p.obj.object_ref());
                    ctx.emit(check, site, message, &format!("{dir}[{i}]"));
                }
            }
        }
    }
}
