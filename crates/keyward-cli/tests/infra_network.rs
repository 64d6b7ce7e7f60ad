//! End-to-end tests of `keyward infra`'s cross-object analysis on the built binary:
//! NetworkPolicy coverage and default deny, RBAC reach and `who-can`.

#[path = "support/files.rs"]
mod files;
#[path = "support/infra.rs"]
mod infra_support;

use files::{keyward, tree};
use serde_json::Value;
use std::path::Path;

fn infra_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let (code, v, _) = infra_support::infra_json(dir, args);
    (code, v)
}

/// Findings of `rule`: (line, title, notes).
fn of(v: &Value, rule: &str) -> Vec<(u64, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["title"].as_str().unwrap().to_string(),
                f["notes"].to_string(),
            )
        })
        .collect()
}

fn workload(name: &str, labels: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      containers:\n        - name: {name}\n          image: shop/{name}:1.0\n")
}

#[test]
fn a_namespace_with_workloads_and_no_default_deny() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    let text = format!(
        "{ns}---\n{}---\n{}",
        workload("web", "{app: web}"),
        workload("api", "{app: api}")
    );
    let dir = tree(&[("shop.yaml", &text)]);
    let (code, v) = infra_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let f = of(&v, "networkpolicy-default-deny");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, 4, "points at the Namespace's name");
    assert!(
        f[0].1
            .contains("`shop` has no default-deny NetworkPolicy for ingress and egress"),
        "{f:?}"
    );
    assert!(f[0].2.contains("Deployment web, Deployment api"), "{f:?}");

    let deny_ingress = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-in\n  namespace: shop\nspec:\n  podSelector: {}\n";
    let dir = tree(&[("shop.yaml", &format!("{text}---\n{deny_ingress}"))]);
    let (_, v) = infra_json(dir.path(), &[]);
    let f = of(&v, "networkpolicy-default-deny");
    assert!(f[0].1.ends_with("for egress"), "{f:?}");
    // Both directions denied: nothing left for this check, but each workload still needs
    // its own egress policy.
    let deny_all = deny_ingress.replace(
        "podSelector: {}\n",
        "podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
    );
    let dir = tree(&[("shop.yaml", &format!("{text}---\n{deny_all}"))]);
    let (_, v) = infra_json(dir.path(), &[]);
    assert!(of(&v, "networkpolicy-default-deny").is_empty());
    assert_eq!(
        of(&v, "networkpolicy-coverage").len(),
        0,
        "a default deny selects every pod"
    );
}

#[test]
fn a_pod_selected_only_through_match_expressions() {
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: edge\n  namespace: shop\nspec:\n  podSelector:\n    matchExpressions:\n      - {key: tier, operator: In, values: [edge, front]}\n      - {key: canary, operator: DoesNotExist}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: lb}}}]\n      ports: [{port: 443}]\n";
    let text = format!(
        "{}---\n{}---\n{}---\n{policy}",
        workload("web", "{app: web, tier: edge}"),
        workload("canary", "{app: web, tier: edge, canary: \"1\"}"),
        workload("db", "{app: db, tier: data}")
    );
    let dir = tree(&[("shop.yaml", &text)]);
    let (_, v) = infra_json(dir.path(), &[]);
    let names: Vec<String> = of(&v, "networkpolicy-coverage")
        .into_iter()
        .map(|f| f.1)
        .collect();
    assert_eq!(
        names,
        vec![
            "Deployment shop/canary: no NetworkPolicy selects its pods for ingress or egress"
                .to_string(),
            "Deployment shop/db: no NetworkPolicy selects its pods for ingress or egress"
                .to_string(),
        ]
    );
    assert!(of(&v, "networkpolicy-allow-all").is_empty());
}

#[test]
fn a_cluster_role_whose_wildcard_is_in_its_fourth_rule() {
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: operator\nrules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    verbs: [get]\n  - apiGroups: [apps]\n    resources: [deployments]\n    verbs: [get, update]\n  - apiGroups: [\"\"]\n    resources: [events]\n    verbs: [create]\n  - apiGroups: [batch]\n    resources: [\"*\"]\n    verbs: [get]\n";
    let dir = tree(&[("rbac.yaml", role)]);
    let (code, v) = infra_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let f = of(&v, "rbac-wildcard");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, 16);
    assert!(f[0].1.contains("rule 4 grants `*` resources"), "{f:?}");
}

const AGGREGATED: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: app-reader\naggregationRule:\n  clusterRoleSelectors:\n    - matchExpressions: [{key: shop.io/aggregate-to-reader, operator: Exists}]\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: secret-lister\n  labels: {shop.io/aggregate-to-reader: \"true\"}\nrules:\n  - apiGroups: [\"\"]\n    resources: [configmaps]\n    verbs: [get]\n  - apiGroups: [\"\"]\n    resources: [secrets]\n    verbs: [list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: api-reader\n  namespace: shop\nroleRef: {kind: ClusterRole, name: app-reader}\nsubjects:\n  - kind: ServiceAccount\n    name: api\n  - kind: ServiceAccount\n    name: worker\n    namespace: jobs\n";

#[test]
fn a_service_account_reaches_list_secrets_through_an_aggregated_cluster_role() {
    let dir = tree(&[("rbac.yaml", AGGREGATED)]);
    let (code, v) = infra_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let f = of(&v, "rbac-secrets-read");
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].0, 30, "the line listing the subject");
    assert!(
        f[0].1
            .contains("ServiceAccount shop/api can list secrets in namespace shop"),
        "{f:?}"
    );
    assert!(
        f[0].2
            .contains("aggregated from ClusterRole secret-lister) rule 2"),
        "{f:?}"
    );
    assert!(
        f[1].1
            .contains("ServiceAccount jobs/worker can list secrets in namespace shop"),
        "{f:?}"
    );

    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "who-can", "list", "secrets"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ServiceAccount shop/api  in namespace shop"),
        "{text}"
    );
    assert!(text.contains("via RoleBinding shop/api-reader → ClusterRole app-reader (aggregated from ClusterRole secret-lister) rule 2"), "{text}");
    assert!(
        text.trim_end().ends_with("2 subject(s) can list secrets"),
        "{text}"
    );

    let out = keyward()
        .current_dir(dir.path())
        .args([
            "infra",
            "who-can",
            "delete",
            "secrets",
            "-f",
            "json",
            "rbac.yaml",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, Value::Array(vec![]));
}

#[test]
fn cluster_admin_bindings_and_builtin_roles() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ci\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects:\n  - {kind: ServiceAccount, name: ci, namespace: tools}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: devs\n  namespace: shop\nroleRef: {kind: ClusterRole, name: edit}\nsubjects:\n  - {kind: Group, name: developers}\n";
    let dir = tree(&[("rbac.yaml", text)]);
    let (_, v) = infra_json(dir.path(), &[]);
    let admin = of(&v, "rbac-cluster-admin");
    assert_eq!(admin.len(), 1);
    assert_eq!(admin[0].0, 5);
    let read: Vec<String> = of(&v, "rbac-secrets-read")
        .into_iter()
        .map(|f| f.1)
        .collect();
    assert!(
        read.iter().any(
            |t| t.contains("ServiceAccount tools/ci can get, list, watch secrets cluster-wide")
        ),
        "{read:?}"
    );
    assert!(
        read.iter()
            .any(|t| t.contains("Group developers can get, list, watch secrets in namespace shop")),
        "{read:?}"
    );
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "who-can", "create", "pods/exec", "-f", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let subjects: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec!["Group developers", "ServiceAccount tools/ci"]
    );
}

#[test]
fn allow_all_rules_are_reported_where_they_are() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: open\n  namespace: shop\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from: [{namespaceSelector: {}}]\n  egress:\n    - to: [{namespaceSelector: {matchLabels: {team: db}}}]\n";
    let dir = tree(&[("np.yaml", text)]);
    let (_, v) = infra_json(dir.path(), &[]);
    let f = of(&v, "networkpolicy-allow-all");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, 10);
    assert!(
        f[0].1
            .contains("ingress rule 1 allows traffic from everywhere"),
        "{f:?}"
    );
}
