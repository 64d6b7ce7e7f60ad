//! RBAC as read from the manifests: roles with every rule, aggregated ClusterRoles,
//! bindings and their subjects, and the grants they add up to.

use crate::model::{K8sObject, ObjectRef};
use crate::selector::Selector;
use crate::yaml::{self, Node};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

/// One rule of a Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct RuleDef {
    /// 1-based position in its role.
    pub index: usize,
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `resourceNames` (empty = any name).
    pub resource_names: Vec<String>,
    /// 1-based line and column of the rule.
    pub at: (usize, usize),
    /// Where a `*` sits in `verbs` or `resources`, if one does.
    pub star: Option<(usize, usize, &'static str)>,
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect()
}

impl RuleDef {
    fn read(index: usize, n: &Node) -> RuleDef {
        let star = ["verbs", "resources"].into_iter().find_map(|field| {
            n.get(field)?
                .items()
                .iter()
                .find(|i| i.as_str() == Some("*"))
                .map(|i| (i.line, i.column, field))
        });
        RuleDef {
            index,
            api_groups: strings(n.get("apiGroups")),
            resources: strings(n.get("resources")),
            verbs: strings(n.get("verbs")),
            resource_names: strings(n.get("resourceNames")),
            at: (n.line, n.column),
            star,
        }
    }

    /// Does the rule allow `verb` on `resource` in API group `group` (`None`: any group)?
    pub fn allows(&self, verb: &str, group: Option<&str>, resource: &str) -> bool {
        let base = resource.split('/').next().unwrap_or(resource);
        // Resources first: they rule out most rules.
        self.resources.iter().any(|r| {
            r == "*" || r == resource || (resource.contains('/') && *r == format!("{base}/*"))
        }) && self.verbs.iter().any(|v| v == "*" || v == verb)
            && group.is_none_or(|g| self.api_groups.iter().any(|x| x == "*" || x == g))
    }

    /// `*` verbs, resources and API groups.
    pub fn is_everything(&self) -> bool {
        [&self.verbs, &self.resources, &self.api_groups]
            .iter()
            .all(|l| l.iter().any(|x| x == "*"))
    }
}

/// A Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct RoleDef {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// Namespace of a Role.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Labels (aggregation selects by them).
    pub labels: Vec<(String, String)>,
    /// Its own rules.
    pub rules: Vec<RuleDef>,
    /// `aggregationRule.clusterRoleSelectors`.
    pub aggregate: Vec<Selector>,
    /// The file, `(built-in)` for the default ClusterRoles.
    pub path: Arc<str>,
    /// Its suppression scope; `None` for built-in roles.
    pub unit: Option<usize>,
    /// The object reference.
    pub object: ObjectRef,
}

/// A subject of a binding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// `ServiceAccount`, `User` or `Group`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace of a service account.
    pub namespace: Option<String>,
}

impl Subject {
    /// `ServiceAccount shop/api`.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct BindingDef {
    /// The object.
    pub object: ObjectRef,
    /// The file.
    pub path: Arc<str>,
    /// Its suppression scope.
    pub unit: usize,
    /// Namespace of a RoleBinding (`None`: cluster-wide).
    pub namespace: Option<String>,
    /// `roleRef.kind`, `roleRef.name`.
    pub role_ref: (String, String),
    /// Where `roleRef.name` is.
    pub role_ref_at: (usize, usize),
    /// Subjects with their positions.
    pub subjects: Vec<(Subject, (usize, usize))>,
}

/// The RBAC objects of a run.
#[derive(Debug, Default)]
pub struct Rbac {
    /// Roles and ClusterRoles from the files, then the built-in ClusterRoles not defined there.
    pub roles: Vec<RoleDef>,
    /// Bindings.
    pub bindings: Vec<BindingDef>,
    /// (kind, namespace of a Role, name) → index in `roles`.
    index: HashMap<(String, Option<String>, String), usize>,
}

/// One permission a subject holds: through which binding, role and rule.
#[derive(Clone, Debug)]
pub struct Grant<'a> {
    /// Who.
    pub subject: &'a Subject,
    /// Where the subject is listed.
    pub subject_at: (usize, usize),
    /// The binding.
    pub binding: &'a BindingDef,
    /// The bound role.
    pub role: &'a RoleDef,
    /// The role the rule comes from (differs from `role` through aggregation).
    pub source: &'a RoleDef,
    /// The rule.
    pub rule: &'a RuleDef,
}

impl Grant<'_> {
    /// `in namespace shop` or `cluster-wide`.
    pub fn scope(&self) -> String {
        match &self.binding.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".into(),
        }
    }

    /// `RoleBinding shop/read → ClusterRole agg (aggregated from reader) rule 1`.
    pub fn chain(&self) -> String {
        let via = if std::ptr::eq(self.role, self.source) {
            String::new()
        } else {
            format!(" (aggregated from ClusterRole {})", self.source.name)
        };
        let builtin = if self.source.unit.is_none() {
            ", built-in"
        } else {
            ""
        };
        format!(
            "{} → {} {}{via} rule {}{builtin}",
            self.binding.object.describe(),
            self.role.kind,
            self.role.name,
            self.rule.index
        )
    }
}

fn builtin_roles() -> &'static [K8sObject] {
    static ROLES: OnceLock<Vec<K8sObject>> = OnceLock::new();
    ROLES.get_or_init(|| {
        let path: Arc<str> = Arc::from("(built-in)");
        yaml::parse_stream(include_str!("builtin-roles.yaml"))
            .into_iter()
            .filter_map(Result::ok)
            .map(|d| K8sObject {
                unit: usize::MAX,
                path: path.clone(),
                kind: "ClusterRole".into(),
                name: d
                    .root
                    .path("metadata.name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                namespace: None,
                node: d.root,
            })
            .collect()
    })
}

fn role(o: &K8sObject, builtin: bool) -> RoleDef {
    RoleDef {
        kind: o.kind.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        labels: o
            .labels()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        rules: o
            .node
            .get("rules")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(i, r)| RuleDef::read(i + 1, r))
            .collect(),
        aggregate: o
            .node
            .path("aggregationRule.clusterRoleSelectors")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .map(|s| Selector::parse(Some(s)))
            .collect(),
        path: o.path.clone(),
        unit: (!builtin).then_some(o.unit),
        object: o.object_ref(),
    }
}

fn binding(o: &K8sObject) -> Option<BindingDef> {
    let rr = o.node.get("roleRef")?;
    let name = rr.get("name")?;
    let namespace = (o.kind == "RoleBinding")
        .then(|| o.namespace.clone())
        .flatten();
    let subjects = o
        .node
        .get("subjects")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(|s| {
            let kind = s
                .get("kind")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            let ns = s
                .get("namespace")
                .and_then(Node::as_str)
                .map(str::to_string)
                .or_else(|| namespace.clone());
            let subject = Subject {
                namespace: (kind == "ServiceAccount").then_some(ns).flatten(),
                name: s
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
                kind,
            };
            (subject, (s.line, s.column))
        })
        .collect();
    Some(BindingDef {
        object: o.object_ref(),
        path: o.path.clone(),
        unit: o.unit,
        namespace,
        role_ref: (
            rr.get("kind")
                .and_then(Node::as_str)
                .unwrap_or("ClusterRole")
                .to_string(),
            name.as_str()?.to_string(),
        ),
        role_ref_at: (name.line, name.column),
        subjects,
    })
}

impl Rbac {
    /// Read the RBAC objects; built-in ClusterRoles fill in names the files do not define.
    pub fn read(objects: &[K8sObject]) -> Rbac {
        let mut r = Rbac::default();
        for o in objects {
            match o.kind.as_str() {
                "Role" | "ClusterRole" => r.roles.push(role(o, false)),
                "RoleBinding" | "ClusterRoleBinding" => r.bindings.extend(binding(o)),
                _ => {}
            }
        }
        for b in builtin_roles() {
            if !r
                .roles
                .iter()
                .any(|x| x.kind == "ClusterRole" && x.name == b.name)
            {
                r.roles.push(role(b, true));
            }
        }
        for (i, x) in r.roles.iter().enumerate() {
            let ns = (x.kind == "Role").then(|| x.namespace.clone()).flatten();
            r.index
                .entry((x.kind.clone(), ns, x.name.clone()))
                .or_insert(i);
        }
        r
    }

    /// The role a binding refers to.
    pub fn resolve(&self, b: &BindingDef) -> Option<&RoleDef> {
        let ns = (b.role_ref.0 == "Role")
            .then(|| b.namespace.clone())
            .flatten();
        let key = (b.role_ref.0.clone(), ns, b.role_ref.1.clone());
        self.index.get(&key).map(|&i| &self.roles[i])
    }

    /// Every rule a role grants: its own and, for aggregated ClusterRoles, those of every
    /// ClusterRole its selectors match (transitively), each with the role it comes from.
    pub fn effective<'a>(&'a self, role: &'a RoleDef) -> Vec<(&'a RoleDef, &'a RuleDef)> {
        let mut seen: HashSet<*const RoleDef> = HashSet::new();
        let mut out = Vec::new();
        self.collect(role, &mut seen, &mut out);
        out
    }

    fn collect<'a>(
        &'a self,
        role: &'a RoleDef,
        seen: &mut HashSet<*const RoleDef>,
        out: &mut Vec<(&'a RoleDef, &'a RuleDef)>,
    ) {
        if !seen.insert(role) {
            return;
        }
        out.extend(role.rules.iter().map(|r| (role, r)));
        for sel in role.aggregate.iter().filter(|s| !s.is_empty()) {
            for other in self.roles.iter().filter(|o| o.kind == "ClusterRole") {
                if sel.matches(&other.labels) {
                    self.collect(other, seen, out);
                }
            }
        }
    }

    /// Every grant of every binding in the files, subject by subject, rule by rule.
    pub fn grants(&self) -> Vec<Grant<'_>> {
        let mut out = Vec::new();
        for b in &self.bindings {
            let Some(role) = self.resolve(b) else {
                continue;
            };
            let rules = self.effective(role);
            for (subject, at) in &b.subjects {
                for (source, rule) in &rules {
                    out.push(Grant {
                        subject,
                        subject_at: *at,
                        binding: b,
                        role,
                        source,
                        rule,
                    });
                }
            }
        }
        out
    }

    /// For each role (by index in `roles`): is it bound by a binding of the files, directly
    /// or aggregated into a bound ClusterRole?
    pub fn bound(&self) -> Vec<bool> {
        let mut bound = vec![false; self.roles.len()];
        let mut done: HashSet<*const RoleDef> = HashSet::new();
        for r in self.bindings.iter().filter_map(|b| self.resolve(b)) {
            if !done.insert(r) {
                continue;
            }
            for (src, _) in self.effective(r) {
                if let Some(i) = self.roles.iter().position(|x| std::ptr::eq(x, src)) {
                    bound[i] = true;
                }
            }
            if let Some(i) = self.roles.iter().position(|x| std::ptr::eq(x, r)) {
                bound[i] = true;
            }
        }
        bound
    }
}
