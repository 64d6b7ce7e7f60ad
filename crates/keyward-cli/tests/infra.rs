//! End-to-end tests of `keyward infra` on the built binary: pod security (from the
//! policy's own securityContext), compose, Dockerfiles, stdin, malformed input, output
//! formats, suppressions.

#[path = "support/files.rs"]
mod files;
#[path = "support/infra.rs"]
mod infra_support;

use files::{keyward, tree};
use infra_support::infra_json;
use serde_json::Value;

/// (rule, line) of every finding.
fn hits(v: &Value) -> Vec<(String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The two securityContext blocks of the policy's "Kubernetes Security" example, read from
/// the seed policy itself: (pod block, container block), comments dropped.
fn seed_security_contexts() -> (String, String) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seeds");
    let seed = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the seed policies must be at {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("002_"))
        .expect("seed 002 (CostWatch SECURITY.md) present");
    let text = std::fs::read_to_string(seed).unwrap();
    let block = text
        .split("```yaml")
        .find(|b| b.contains("runAsNonRoot"))
        .and_then(|b| b.split("```").next())
        .expect("the policy's securityContext example");
    let mut parts: Vec<String> = Vec::new();
    for line in block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        if line.starts_with("securityContext:") {
            parts.push(String::new());
        }
        parts
            .last_mut()
            .expect("starts with securityContext")
            .push_str(&format!("{line}\n"));
    }
    assert_eq!(parts.len(), 2, "{block}");
    assert!(
        parts[0].contains("runAsUser: 1000") && parts[1].contains("readOnlyRootFilesystem: false")
    );
    (parts[0].clone(), parts[1].clone())
}

fn indent(block: &str, n: usize) -> String {
    block
        .lines()
        .map(|l| format!("{}{l}\n", " ".repeat(n)))
        .collect()
}

/// A Deployment using the policy's securityContext blocks verbatim, in a namespace with a
/// default deny and a policy selecting it: nothing left to report.
fn policy_deployment() -> String {
    let (pod, container) = seed_security_contexts();
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: costwatch\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: costwatch\nspec:\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n{}      containers:\n        - name: api\n          image: costwatch/api:1.4.2\n{}          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n---\n\
apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: costwatch\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n---\n\
apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api\n  namespace: costwatch\nspec:\n  podSelector: {{matchLabels: {{app: api}}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from: [{{podSelector: {{matchLabels: {{app: gateway}}}}}}]\n      ports: [{{port: 8080}}]\n",
        indent(&pod, 6),
        indent(&container, 10)
    )
}

#[test]
fn the_policys_own_security_context_passes_every_check() {
    let dir = tree(&[("deploy.yaml", &policy_deployment())]);
    let (code, v, stderr) = infra_json(dir.path(), &["--fail-on", "info", "deploy.yaml"]);
    assert_eq!(hits(&v), vec![], "{stderr}");
    assert_eq!(code, 0);
}

#[test]
fn a_deployment_missing_each_field_fails_with_the_right_check_and_line() {
    let full = policy_deployment();
    let line_of = |text: &str, needle: &str| {
        text.lines()
            .position(|l| l == needle)
            .unwrap_or_else(|| panic!("no line `{needle}`")) as u64
            + 1
    };
    // (field removed, check, the line the finding points at: the closest existing parent)
    let cases = [
        (
            "runAsNonRoot: true",
            "run-as-non-root",
            "          securityContext:",
        ),
        (
            "runAsUser: 1000",
            "run-as-user-and-fsgroup",
            "          securityContext:",
        ),
        (
            "fsGroup: 1000",
            "run-as-user-and-fsgroup",
            "      securityContext:",
        ),
        (
            "type: RuntimeDefault",
            "seccomp-runtime-default",
            "        seccompProfile:",
        ),
        (
            "allowPrivilegeEscalation: false",
            "no-privilege-escalation",
            "          securityContext:",
        ),
        ("- ALL", "drop-all-capabilities", "              drop:"),
        (
            "readOnlyRootFilesystem: false",
            "read-only-rootfs",
            "          securityContext:",
        ),
    ];
    for (field, check, at) in cases {
        let edited: String = full
            .lines()
            .filter(|l| !l.contains(field))
            .map(|l| format!("{l}\n"))
            .collect();
        let want = line_of(&edited, at);
        let dir = tree(&[("deploy.yaml", &edited)]);
        let (code, v, _) = infra_json(dir.path(), &["--fail-on", "info", "deploy.yaml"]);
        assert_eq!(
            hits(&v),
            vec![(check.to_string(), want)],
            "removing `{field}`"
        );
        assert_eq!(code, 1, "removing `{field}`");
        assert_eq!(v["findings"][0]["object"]["kind"], "Deployment");
        assert_eq!(v["findings"][0]["object"]["namespace"], "costwatch");
    }
}

#[test]
fn compose_literal_password_and_url_without_sslmode() {
    let compose = "services:\n  db:\n    image: postgres:16.3\n    environment:\n      POSTGRES_USER: costwatch\n      POSTGRES_PASSWORD: Zq8Lr3Vt9Wx2Kp7M\n  api:\n    image: costwatch/api:1.4.2\n    environment:\n      - DATABASE_URL=postgresql://costwatch:${POSTGRES_PASSWORD}@db:5432/costwatch\n";
    let dir = tree(&[("docker-compose.yml", compose)]);
    let (code, v, _) = infra_json(dir.path(), &[]);
    assert_eq!(
        hits(&v),
        vec![
            ("secret-literal-env".into(), 6),
            ("db-url-sslmode".into(), 10)
        ]
    );
    assert_eq!(code, 1);
    let text = v.to_string();
    assert!(
        !text.contains("Zq8Lr3Vt9Wx2Kp7M"),
        "the password is printed redacted"
    );
    assert_eq!(v["findings"][1]["object"]["kind"], "ComposeService");
    assert_eq!(v["findings"][1]["object"]["name"], "api");
    assert!(v["findings"][0]["object"].get("namespace").is_none());
}

#[test]
fn helm_template_stream_on_stdin() {
    let stream = "---\n# Source: shop/templates/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop\n---\n# Source: shop/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n  labels:\n    helm.sh/chart: shop-0.1.0\nspec:\n  template:\n    metadata:\n      labels: {app: shop}\n    spec:\n      containers:\n        - name: shop\n          image: \"nginx:latest\"\n          securityContext:\n            privileged: true\n";
    let out = keyward()
        .args(["infra", "-", "-f", "json", "--namespace", "shop"])
        .write_stdin(stream)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = hits(&v);
    assert!(h.contains(&("image-tag".into(), 22)), "{h:?}");
    assert!(h.contains(&("privileged".into(), 24)), "{h:?}");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["path"] == "-"));
    for f in v["findings"].as_array().unwrap() {
        match f["object"]["kind"].as_str().unwrap() {
            "Namespace" => assert_eq!(f["object"]["name"], "shop"),
            _ => assert_eq!(f["object"]["namespace"], "shop"),
        }
    }
}

#[test]
fn a_malformed_document_is_an_error_with_file_and_line_and_the_rest_is_checked() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  hostPID: true\n  containers: []\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [b\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: c\nspec:\n  hostIPC: true\n  containers: []\n";
    let dir = tree(&[("pods.yaml", text)]);
    let (code, v, stderr) = infra_json(dir.path(), &["pods.yaml"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("keyward: error: pods.yaml:1"),
        "{stderr}"
    );
    assert!(lines[0].contains("malformed YAML"), "{stderr}");
    let h = hits(&v);
    assert!(h.contains(&("host-namespaces".into(), 6)), "{h:?}");
    assert!(h.contains(&("host-namespaces".into(), 19)), "{h:?}");
}

#[test]
fn dockerfile_stages_and_arg_defaults() {
    let df = "ARG BASE=python:3.12-slim\nFROM ${BASE} AS build\nUSER 1000\nFROM build AS test\nUSER root\nFROM build\nENV API_TOKEN=Rk2Vq8Zt4Lw9Mx3P\n";
    let dir = tree(&[
        ("Dockerfile", df),
        ("app/Dockerfile.dev", "FROM node\nCMD node\n"),
    ]);
    let (code, v, _) = infra_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        hits(&v),
        vec![
            ("secret-literal-env".into(), 7),
            ("run-as-non-root".into(), 1),
            ("image-tag".into(), 1),
        ]
    );
    assert!(v["findings"][1]["path"]
        .as_str()
        .unwrap()
        .ends_with("Dockerfile.dev"));
}

#[test]
fn sarif_is_valid_with_an_empty_results_array() {
    let dir = tree(&[("deploy.yaml", &policy_deployment())]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "-f", "sarif", "-o", "out.sarif", "deploy.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"], Value::Array(vec![]));
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 21);
    assert!(rules
        .iter()
        .all(|r| r["help"]["text"].as_str().unwrap().contains("Fix:")));
    // With a finding: the object is a logical location.
    let dir = tree(&[("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: app\n")]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "-f", "sarif", "pod.yaml"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["runs"][0]["results"][0];
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "pod.yaml"
    );
    assert!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("Pod/default/p")
    );
}

const PRIV_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\n  annotations:\n    keyward.dev/allow: \"privileged: node agent needs the host devices (SEC-42)\"\nspec:\n  containers:\n    - name: agent\n      image: agent:1.0\n      securityContext:\n        privileged: true\n";

fn rules_of(v: &Value) -> Vec<String> {
    hits(v).into_iter().map(|h| h.0).collect()
}

#[test]
fn annotation_suppresses_unless_strict() {
    let dir = tree(&[("pod.yaml", PRIV_POD)]);
    let (_, v, _) = infra_json(dir.path(), &[]);
    assert!(!rules_of(&v).contains(&"privileged".to_string()));
    assert!(v["summary"]["notes"]
        .to_string()
        .contains("suppressed by keyward.dev/allow"));
    let (_, v, _) = infra_json(dir.path(), &["--strict"]);
    assert!(rules_of(&v).contains(&"privileged".to_string()));
    // An annotation without a reason suppresses nothing and is warned about.
    let bare = PRIV_POD.replace(
        "privileged: node agent needs the host devices (SEC-42)",
        "privileged",
    );
    let dir = tree(&[("pod.yaml", &bare)]);
    let (_, v, stderr) = infra_json(dir.path(), &[]);
    assert!(rules_of(&v).contains(&"privileged".to_string()));
    assert!(stderr.contains("needs `<check>: <reason>`"), "{stderr}");
}

#[test]
fn policy_allow_entries_suppress_until_they_expire() {
    let allow = |expires: &str| {
        format!("[[infra.allow]]\ncheck = \"privileged\"\nkind = \"Pod\"\nname = \"age*\"\nreason = \"node agent\"\nexpires = \"{expires}\"\n")
    };
    let bare = PRIV_POD.replace("  annotations:\n    keyward.dev/allow: \"privileged: node agent needs the host devices (SEC-42)\"\n", "");
    let dir = tree(&[("pod.yaml", &bare), ("keyward.toml", &allow("2999-01-01"))]);
    let (_, v, _) = infra_json(dir.path(), &["--strict", "pod.yaml"]);
    assert!(
        !rules_of(&v).contains(&"privileged".to_string()),
        "entries still apply under --strict"
    );
    let dir = tree(&[("pod.yaml", &bare), ("keyward.toml", &allow("2001-01-01"))]);
    let (_, v, stderr) = infra_json(dir.path(), &["pod.yaml"]);
    assert!(rules_of(&v).contains(&"privileged".to_string()));
    assert!(stderr.contains("expired on 2001-01-01"), "{stderr}");
    // A misspelt check is a usage error, not a silent no-op.
    let bad = allow("2999-01-01").replace("\"privileged\"", "\"privilegd\"");
    let dir = tree(&[("pod.yaml", &bare), ("keyward.toml", &bad)]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "pod.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean `privileged`"), "{stderr}");
    // A bad date is a parse error with its line.
    let dir = tree(&[("pod.yaml", &bare), ("keyward.toml", &allow("2030-02-31"))]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "pod.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keyward.toml:6:"));
}

#[test]
fn checks_check_and_list() {
    let out = keyward()
        .args(["infra", "checks", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: 21 checks"));
    let out = keyward()
        .args(["infra", "checks", "list", "-f", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 21);
    let ro = list.iter().find(|c| c["id"] == "read-only-rootfs").unwrap();
    assert_eq!(ro["severity"], "info");
    assert!(ro["policy"]
        .as_str()
        .unwrap()
        .contains("readOnlyRootFilesystem: false"));
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tree(&[]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing.yaml"), "{stderr}");
    let out = keyward()
        .current_dir(dir.path())
        .args(["infra", "-f", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn walks_skip_commented_json_and_templates_but_named_files_are_errors() {
    // Shapes that broke walks of real repositories: a comment before the JSON, Helm
    // control lines.
    let tsconfig = "/* see https://angular.io/config/tsconfig */\n{\n  \"compilerOptions\": {\n    \"strict\": true\n  }\n}\n";
    let chart = "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n{{- end }}\n";
    let dir = tree(&[
        ("web/tsconfig.json", tsconfig),
        ("chart/templates/cm.yaml", chart),
        ("app.properties", "db.password=Vq7Lr2Zx9Kw4Mt8P\n"),
    ]);
    let (code, v, stderr) = infra_json(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(hits(&v), vec![("secret-literal-env".into(), 1)]);
    let notes = v["summary"]["notes"].to_string();
    assert!(notes.contains("tsconfig.json: not plain JSON"), "{notes}");
    assert!(
        notes.contains("cm.yaml: an unrendered template, skipped"),
        "{notes}"
    );
    let (code, _, stderr) = infra_json(dir.path(), &["chart/templates/cm.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cm.yaml:1: malformed YAML") && stderr.contains("helm template"),
        "{stderr}"
    );
}
