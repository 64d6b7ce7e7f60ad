//! RBAC reach: the effective permissions of every subject through its bindings
//! (aggregated ClusterRoles included, every rule read), the three RBAC checks, and
//! `who-can VERB RESOURCE`.

pub mod model;

pub use model::{BindingDef, Grant, Rbac, RoleDef, RuleDef, Subject};

use crate::checks::{Check, Ctx};
use crate::finding::Site;
use crate::model::K8sObject;
use std::collections::BTreeMap;

/// Resources of the core API group (`""`), so `who-can get pods` needs no group.
const CORE: &[&str] = &[
    "secrets",
    "configmaps",
    "pods",
    "services",
    "serviceaccounts",
    "namespaces",
    "nodes",
    "persistentvolumeclaims",
    "persistentvolumes",
    "endpoints",
    "events",
    "replicationcontrollers",
];

/// Verbs that read secret values.
const READ_VERBS: [&str; 3] = ["get", "list", "watch"];

/// Bindings Kubernetes itself ships (`system:…`) are not the team's to fix.
fn is_system(b: &BindingDef) -> bool {
    b.object.name.starts_with("system:")
}

/// `rbac-wildcard`: a `*` in the verbs or resources of any rule of any role.
pub fn wildcard(ctx: &mut Ctx<'_>, check: &Check) {
    let rbac = Rbac::read(&ctx.inv.objects);
    for role in rbac.roles.iter().filter(|r| r.unit.is_some()) {
        for rule in &role.rules {
            let Some((line, column, field)) = rule.star else {
                continue;
            };
            let message = format!(
                "rule {} grants `*` {field} (verbs: {}; resources: {})",
                rule.index,
                rule.verbs.join(", "),
                if rule.resources.is_empty() {
                    "none".to_string()
                } else {
                    rule.resources.join(", ")
                }
            );
            let site = Site {
                path: role.path.clone(),
                at: (line, column),
                unit: role.unit,
                object: Some(role.object.clone()),
            };
            ctx.emit(check, site, message, &format!("rules[{}]", rule.index));
        }
    }
}

/// `rbac-cluster-admin`: a binding to `cluster-admin`, or to any role granting `*` on `*`
/// in every API group.
pub fn cluster_admin(ctx: &mut Ctx<'_>, check: &Check) {
    let rbac = Rbac::read(&ctx.inv.objects);
    for b in rbac.bindings.iter().filter(|b| !is_system(b)) {
        let Some(role) = rbac.resolve(b) else {
            continue;
        };
        let everything = rbac
            .effective(role)
            .iter()
            .find(|(_, r)| r.is_everything())
            .map(|(s, r)| (s.name.clone(), r.index));
        let Some((source, index)) = everything else {
            continue;
        };
        let who: Vec<String> = b.subjects.iter().map(|(s, _)| s.describe()).collect();
        let message = format!(
            "binds {} {} (all verbs on all resources) to {}",
            role.kind,
            role.name,
            if who.is_empty() {
                "no subject".into()
            } else {
                who.join(", ")
            }
        );
        let notes = vec![format!(
            "`*` on `*` comes from ClusterRole {source} rule {index}"
        )];
        let site = Site {
            path: b.path.clone(),
            at: b.role_ref_at,
            unit: Some(b.unit),
            object: Some(b.object.clone()),
        };
        ctx.emit(check, site, message, "roleRef").notes = notes;
    }
}

/// What one subject listed in one binding can do to secrets, and through which grants.
struct Reached<'g> {
    verbs: Vec<&'static str>,
    chains: Vec<String>,
    grant: &'g Grant<'g>,
}

/// Verbs of `rule` that read secrets (`get` limited by `resourceNames` does not count).
fn secret_verbs(rule: &RuleDef) -> Vec<&'static str> {
    READ_VERBS
        .into_iter()
        .filter(|v| rule.allows(v, Some(""), "secrets"))
        .filter(|v| *v != "get" || rule.resource_names.is_empty())
        .collect()
}

/// `rbac-secrets-read`: every subject that can get, list or watch secrets through its
/// bindings; roles granting it that no binding in the files uses are reported on the rule.
pub fn secrets_read(ctx: &mut Ctx<'_>, check: &Check) {
    let rbac = Rbac::read(&ctx.inv.objects);
    let mut per: BTreeMap<(String, (usize, usize)), Reached> = BTreeMap::new();
    let grants = rbac.grants();
    for g in grants.iter().filter(|g| !is_system(g.binding)) {
        let verbs = secret_verbs(g.rule);
        if verbs.is_empty() {
            continue;
        }
        let key = (g.binding.path.to_string(), g.subject_at);
        let e = per.entry(key).or_insert_with(|| Reached {
            verbs: Vec::new(),
            chains: Vec::new(),
            grant: g,
        });
        for v in verbs {
            if !e.verbs.contains(&v) {
                e.verbs.push(v);
            }
        }
        e.chains.push(g.chain());
    }
    for Reached {
        verbs,
        chains,
        grant: g,
    } in per.into_values()
    {
        let message = format!(
            "{} can {} secrets {}",
            g.subject.describe(),
            verbs.join(", "),
            g.scope()
        );
        let notes = chains.into_iter().map(|c| format!("via {c}")).collect();
        let site = Site {
            path: g.binding.path.clone(),
            at: g.subject_at,
            unit: Some(g.binding.unit),
            object: Some(g.binding.object.clone()),
        };
        ctx.emit(check, site, message, &g.subject.describe()).notes = notes;
    }
    let bound = rbac.bound();
    for role in rbac
        .roles
        .iter()
        .zip(&bound)
        .filter(|(r, b)| r.unit.is_some() && !**b)
        .map(|(r, _)| r)
    {
        for rule in &role.rules {
            let verbs = secret_verbs(rule);
            if verbs.is_empty() {
                continue;
            }
            let message = format!(
                "rule {} grants {} on secrets (not bound by any binding in the files checked)",
                rule.index,
                verbs.join(", ")
            );
            let site = Site {
                path: role.path.clone(),
                at: rule.at,
                unit: role.unit,
                object: Some(role.object.clone()),
            };
            ctx.emit(check, site, message, &format!("rules[{}]", rule.index));
        }
    }
}

/// One answer of `who-can`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    /// `ServiceAccount shop/api`.
    pub subject: String,
    /// `in namespace shop` or `cluster-wide`.
    pub scope: String,
    /// Binding → role (→ aggregated source) and rule.
    pub via: String,
    /// The binding's file.
    pub path: String,
    /// The line listing the subject.
    pub line: usize,
    /// Only these object names, when the rule lists `resourceNames`.
    pub only_names: Vec<String>,
}

/// Who can `verb` on `resource` (`secrets`, `pods/exec`, `deployments.apps`; without a
/// group any API group matches) according to the bindings in `objects`.
pub fn who_can(objects: &[K8sObject], verb: &str, resource: &str) -> Vec<Reach> {
    let (res, group) = match resource.split_once('.') {
        Some((r, g)) => (r, Some(g)),
        None if CORE.contains(&resource.split('/').next().unwrap_or(resource)) => {
            (resource, Some(""))
        }
        None => (resource, None),
    };
    let rbac = Rbac::read(objects);
    let mut out: Vec<Reach> = rbac
        .grants()
        .into_iter()
        .filter(|g| g.rule.allows(verb, group, res))
        .map(|g| Reach {
            subject: g.subject.describe(),
            scope: g.scope(),
            via: g.chain(),
            path: g.binding.path.to_string(),
            line: g.subject_at.0,
            only_names: g.rule.resource_names.clone(),
        })
        .collect();
    out.sort_by(|a, b| (&a.subject, &a.scope, &a.via).cmp(&(&b.subject, &b.scope, &b.via)));
    out.dedup();
    out
}
