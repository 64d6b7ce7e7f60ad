//! Every check's examples pass and fail as declared.

use keyward_infra::checks::examples::check_examples;
use keyward_infra::checks::spec::Expect;
use keyward_infra::Registry;

#[test]
fn every_example_behaves_as_declared() {
    let registry = Registry::builtin().unwrap();
    let failures = check_examples(&registry);
    let shown: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(failures.is_empty(), "{}", shown.join("\n"));
}

#[test]
fn every_check_has_both_kinds_of_example_and_the_issue_ids_exist() {
    let registry = Registry::builtin().unwrap();
    for c in registry.checks() {
        let pass = c
            .spec
            .examples
            .iter()
            .filter(|e| e.expect == Expect::Pass)
            .count();
        let fail = c.spec.examples.len() - pass;
        assert!(pass > 0 && fail > 0, "{}", c.spec.id);
        assert!(c.spec.policy.trim().len() > 20, "{}", c.spec.id);
        assert!(c.spec.remediation.trim().len() > 20, "{}", c.spec.id);
    }
    for id in [
        "run-as-non-root",
        "run-as-user-and-fsgroup",
        "seccomp-runtime-default",
        "drop-all-capabilities",
        "no-privilege-escalation",
        "privileged",
        "host-namespaces",
        "host-path",
        "image-tag",
        "resources-limits",
        "networkpolicy-coverage",
        "networkpolicy-default-deny",
        "rbac-wildcard",
        "rbac-cluster-admin",
        "rbac-secrets-read",
        "secret-literal-env",
        "secret-manifest-literal",
        "db-url-sslmode",
        "cors-wildcard",
        "read-only-rootfs",
    ] {
        assert!(registry.get(id).is_some(), "missing check {id}");
    }
}

#[test]
fn docs_describe_every_check_as_the_check_files_do() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/infra.md");
    let docs = std::fs::read_to_string(path).unwrap();
    let flow = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let registry = Registry::builtin().unwrap();
    for c in registry.checks() {
        let s = &c.spec;
        assert!(
            docs.contains(&format!("### `{}` — {}", s.id, s.title)),
            "docs/infra.md lacks {}",
            s.id
        );
        for text in [&s.policy, &s.checks, &s.remediation] {
            assert!(
                docs.contains(&flow(text)),
                "docs/infra.md is stale for {} (run scripts/infra-docs.py)",
                s.id
            );
        }
    }
}
