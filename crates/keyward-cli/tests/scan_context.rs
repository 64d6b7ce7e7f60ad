//! End-to-end tests of finding contexts (`source`, `test`, `example`, `vendored`,
//! `generated`), `--context`, `[scan] fail_contexts` and the exit code they decide.

#[path = "support/files.rs"]
mod files;

use files::{json_scan, keyward, tree};
use predicates::prelude::*;
use serde_json::Value;

const LIVE: &str = "sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya"; // keyward:allow (test value)
const PASSWORD_LINE: &str = "DB_PASSWORD=\"Kp9mX2vL7qR4tZ8w\"\n"; // keyward:allow (test value)

/// (path, context) of every finding, sorted by path.
fn contexts(v: &Value) -> Vec<(String, String, bool)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["context"].as_str().unwrap().to_string(),
                f["blocking"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn every_context_tree() -> tempfile::TempDir {
    tree(&[
        ("tests/fixtures/app.env", PASSWORD_LINE),
        ("docs/setup.env", PASSWORD_LINE),
        ("vendor/github.com/acme/db/.env", PASSWORD_LINE),
        ("static/app.min.js", PASSWORD_LINE),
    ])
}

#[test]
fn each_context_is_in_json_and_generic_findings_outside_source_do_not_fail() {
    let dir = every_context_tree();
    let (code, v) = json_scan(dir.path(), &[]);
    assert_eq!(code, 0, "nothing blocking: {v}");
    assert_eq!(v["version"], 2);
    assert_eq!(
        contexts(&v),
        vec![
            ("docs/setup.env".into(), "example".into(), false),
            ("static/app.min.js".into(), "generated".into(), false),
            ("tests/fixtures/app.env".into(), "test".into(), false),
            (
                "vendor/github.com/acme/db/.env".into(),
                "vendored".into(),
                false
            ),
        ]
    );
    assert_eq!(v["summary"]["findings"], 4);
    assert_eq!(v["summary"]["blocking"], 0);
}

#[test]
fn a_generic_finding_in_source_fails_the_run() {
    let dir = tree(&[("config/app.env", PASSWORD_LINE)]);
    let (code, v) = json_scan(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        contexts(&v),
        vec![("config/app.env".into(), "source".into(), true)]
    );
}

#[test]
fn a_provider_key_fails_the_run_in_any_context() {
    for path in ["tests/fixtures/.env", "vendor/x/.env", "docs/guide.md"] {
        let dir = tree(&[(path, &format!("STRIPE_SECRET_KEY={LIVE}\n"))]);
        let (code, v) = json_scan(dir.path(), &[]);
        assert_eq!(code, 1, "{path}");
        assert_eq!(v["findings"][0]["blocking"], true, "{path}");
    }
}

#[test]
fn context_flag_selects_what_is_reported() {
    let dir = every_context_tree();
    let (_, v) = json_scan(dir.path(), &["--context", "test,vendored"]);
    let got: Vec<String> = contexts(&v).into_iter().map(|c| c.1).collect();
    assert_eq!(got, vec!["test", "vendored"]);
    let (_, v) = json_scan(dir.path(), &["--context", "source"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn unknown_context_is_a_one_line_usage_error() {
    let dir = every_context_tree();
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--context", "source,tests"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown context `tests`"))
        .stderr(predicate::function(|s: &str| s.trim().lines().count() == 1));
    let bad = tree(&[("keyward.toml", "[scan]\nfail_contexts = [\"docs\"]\n")]);
    keyward()
        .current_dir(bad.path())
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("fail_contexts"))
        .stderr(predicate::str::contains("unknown context `docs`"));
}

#[test]
fn fail_contexts_in_keyward_toml_make_tests_fail_too() {
    let dir = every_context_tree();
    std::fs::write(
        dir.path().join("keyward.toml"),
        "[scan]\nfail_contexts = [\"source\", \"test\"]\n",
    )
    .unwrap();
    let (code, v) = json_scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let blocking: Vec<String> = contexts(&v)
        .into_iter()
        .filter(|c| c.2)
        .map(|c| c.1)
        .collect();
    assert_eq!(blocking, vec!["test"]);
}

#[test]
fn contexts_in_keyward_toml_and_the_flag_overrides_them() {
    let dir = every_context_tree();
    std::fs::write(
        dir.path().join("keyward.toml"),
        "[scan]\ncontexts = [\"example\"]\n",
    )
    .unwrap();
    let (_, v) = json_scan(dir.path(), &[]);
    let got: Vec<String> = contexts(&v).into_iter().map(|c| c.1).collect();
    assert_eq!(got, vec!["example"]);
    let (_, v) = json_scan(dir.path(), &["--context", "generated"]);
    let got: Vec<String> = contexts(&v).into_iter().map(|c| c.1).collect();
    assert_eq!(got, vec!["generated"]);
}

#[test]
fn human_output_tags_non_source_findings() {
    let dir = every_context_tree();
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--color", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("[test, not blocking]"))
        .stdout(predicate::str::contains("[vendored, not blocking]"))
        .stdout(predicate::str::contains("4 not blocking"));
}

#[test]
fn sarif_carries_context_and_blocking() {
    let dir = tree(&[(
        "spec/models/user_spec.rb",
        "  password = 'Kp9mX2vL7qR4tZ8w'\n",
    )]); // keyward:allow
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "-f", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let props = &v["runs"][0]["results"][0]["properties"];
    assert_eq!(props["context"], "test");
    assert_eq!(props["blocking"], false);
}
