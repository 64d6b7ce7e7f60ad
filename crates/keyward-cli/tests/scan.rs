//! End-to-end tests of `keyward scan` and `keyward rules` on the built binary.

#[path = "support/files.rs"]
mod files;

use files::{json_scan, keyward, tree};
use predicates::prelude::*;
use serde_json::Value;
use std::fs;

const LIVE: &str = "sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";
const TEST: &str = "sk_test_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn clean_tree_exits_zero() {
    let dir = tree(&[("README.md", "nothing to see\n"), (".env", "PORT=3000\n")]);
    keyward()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 findings in 2 files"));
}

#[test]
fn secret_exits_one_and_is_redacted() {
    let dir = tree(&[(".env", &format!("STRIPE_SECRET_KEY={LIVE}\n"))]);
    keyward()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("stripe-live-secret-key"))
        .stdout(predicate::str::contains(".env"))
        .stdout(predicate::str::contains("sk_live_…"))
        .stdout(predicate::str::contains(LIVE).not())
        .stderr(predicate::str::contains(LIVE).not());
}

#[test]
fn show_secrets_reveals_values() {
    let dir = tree(&[("a.env", &format!("KEY={LIVE}\n"))]);
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--show-secrets"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(LIVE));
}

#[test]
fn json_output_has_versioned_schema() {
    let dir = tree(&[(
        "config/.env.production",
        &format!("\nSTRIPE_SECRET_KEY={LIVE}\n"),
    )]);
    let (code, v) = json_scan(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["version"], 2);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "stripe-live-secret-key");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["path"], "config/.env.production");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 19);
    assert_eq!(f["redacted"], true);
    assert!(f["fingerprint"].as_str().unwrap().starts_with("kw2"));
    assert!(!f["secret"].as_str().unwrap().contains("51NbQ8"));
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["findings"], 1);
    assert!(!v.to_string().contains(LIVE));
}

/// Without a fingerprint key a fingerprint names a place (stable across runs); with the
/// organisation's key it names the secret, wherever it is (docs/fingerprints.md).
#[test]
fn fingerprint_is_stable_across_runs_and_with_a_key_across_paths() {
    let a = tree(&[("x.env", &format!("K={LIVE}\n"))]);
    let b = tree(&[("deep/dir/y.py", &format!("key = '{LIVE}'\n"))]);
    let fp = |dir: &Path, key: Option<&str>| {
        let mut c = keyward();
        c.current_dir(dir).args(["scan", "-f", "json"]);
        match key {
            Some(k) => c.env("KEYWARD_FINGERPRINT_KEY", k),
            None => c.env_remove("KEYWARD_FINGERPRINT_KEY"),
        };
        let v: Value = serde_json::from_slice(&c.output().unwrap().stdout).unwrap();
        v["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fp(a.path(), None), fp(a.path(), None));
    assert_ne!(fp(a.path(), None), fp(b.path(), None));
    let key = Some("org-fingerprint-key-0123456789abcdef");
    assert_eq!(fp(a.path(), key), fp(b.path(), key));
    assert!(fp(a.path(), key).starts_with("kw2k:"));
}

#[test]
fn sarif_output_is_valid_2_1_0() {
    let dir = tree(&[("app.py", &format!("STRIPE = '{LIVE}'\n"))]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "-f", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "keyward");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 30, "rules table lists every rule");
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "stripe-live-secret-key");
    assert_eq!(r["level"], "error");
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "stripe-live-secret-key");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "app.py");
    assert_eq!(loc["region"]["startLine"], 1);
    assert!(r["partialFingerprints"]["keyward/v2"].is_string());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(LIVE));
}

#[test]
fn output_file_flag_writes_report() {
    let dir = tree(&[("a.env", &format!("K={LIVE}\n"))]);
    keyward()
        .current_dir(dir.path())
        .args(["scan", "a.env", "-f", "json", "-o", "report.json"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let v: Value =
        serde_json::from_slice(&fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(v["findings"][0]["rule"], "stripe-live-secret-key");
}

#[test]
fn stdin_is_scanned_as_dash() {
    keyward()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(format!("token: {TEST}\n"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"path\": \"-\""))
        .stdout(predicate::str::contains("stripe-test-secret-key"));
}

#[test]
fn test_keys_are_lower_severity_than_live_keys() {
    let dir = tree(&[("a.env", &format!("A={LIVE}\nB={TEST}\n"))]);
    let (_, v) = json_scan(dir.path(), &[]);
    assert_eq!(v["findings"][0]["severity"], "critical");
    assert_eq!(v["findings"][1]["severity"], "medium");
    // --fail-on high ignores the test key alone
    let dir = tree(&[("a.env", &format!("B={TEST}\n"))]);
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--fail-on", "high"])
        .assert()
        .code(0);
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--fail-on", "medium"])
        .assert()
        .code(1);
}

#[test]
fn missing_path_is_usage_error() {
    keyward()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/definitely/not/here: no such file or directory",
        ))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

#[test]
fn bad_fail_on_is_usage_error() {
    keyward()
        .args(["scan", ".", "--fail-on", "severe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown severity `severe`"));
}

#[test]
fn unreadable_files_and_broken_symlinks_warn_but_do_not_stop() {
    let dir = tree(&[("a.env", &format!("K={LIVE}\n"))]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/nonexistent/target", dir.path().join("dangling")).unwrap();
    // An unreadable file makes the scan incomplete (exit 2, issue 13 item 10) unless
    // --allow-skipped; a dangling symlink has no content to miss and is only noted.
    keyward()
        .current_dir(dir.path())
        .args(["scan", ".", "/proc/self/mem"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("warning: /proc/self/mem"));
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--allow-skipped", ".", "/proc/self/mem"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "dangling skipped: broken symbolic link",
        ))
        .stdout(predicate::str::contains("1 unreadable"));
}

#[test]
fn binary_and_large_files_are_skipped_and_counted() {
    let dir = tree(&[("small.env", "PORT=1\n")]);
    let mut bin = vec![0u8, 1, 2, 3];
    bin.extend_from_slice(format!("K={LIVE}").as_bytes());
    fs::write(dir.path().join("blob.bin"), bin).unwrap();
    fs::write(
        dir.path().join("big.env"),
        format!("K={LIVE}\n{}", "x".repeat(2000)),
    )
    .unwrap();
    let (code, v) = json_scan(dir.path(), &["--max-file-size", "1K", "--allow-skipped"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["skipped"]["binary"], 1);
    assert_eq!(v["summary"]["skipped"]["too_large"], 1);
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn huge_single_line_file_scans_linearly() {
    // 50 MB on one line with a secret in the middle: no quadratic blow-up.
    let dir = tempfile::tempdir().unwrap();
    // Keywords every few bytes exercise the window logic on one enormous line.
    let half = "id=1;token=2;".repeat(25 * 1024 * 1024 / 13);
    let body = format!("{half} STRIPE_KEY='{LIVE}' {half}");
    fs::write(dir.path().join("bundle.min.js"), body).unwrap();
    let (code, v) = json_scan(dir.path(), &["--max-file-size", "64M"]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&v), vec!["stripe-live-secret-key"]);
    assert_eq!(v["findings"][0]["line"], 1);
}

#[test]
fn non_utf8_bytes_are_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = b"caf\xe9 \xff\xfe latin-1 text\n".to_vec();
    body.extend_from_slice(format!("secret_key = \"{LIVE}\"\n").as_bytes());
    fs::write(dir.path().join("legacy.txt"), body).unwrap();
    let (code, v) = json_scan(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["line"], 2);
}

#[test]
fn gitignore_and_keywardignore_are_honoured_unless_no_ignore() {
    let dir = tree(&[
        (".gitignore", "ignored/\n"),
        (".keywardignore", "fixtures/\n"),
        ("ignored/a.env", &format!("K={LIVE}\n")),
        ("fixtures/b.env", &format!("K={LIVE}\n")),
        (".env.production", &format!("K={TEST}\n")),
        (
            ".npmrc",
            "//registry.npmjs.org/:_authToken=npm_Rk7Lq2Zx9Vm4Wt8Nb3Hd6Fj1Gc5Sy0Ua8Xe3U\n",
        ),
    ]);
    let (_, v) = json_scan(dir.path(), &[]);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&".env.production"),
        "hidden files are scanned: {paths:?}"
    );
    assert!(paths.contains(&".npmrc"), "{paths:?}");
    assert!(!paths
        .iter()
        .any(|p| p.starts_with("ignored") || p.starts_with("fixtures")));
    let (_, v) = json_scan(dir.path(), &["--no-ignore"]);
    let paths: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(paths.iter().any(|p| p.starts_with("ignored")), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("fixtures")), "{paths:?}");
}

#[test]
fn git_directory_is_never_scanned() {
    let dir = tree(&[(".git/config", &format!("token = {LIVE}\n"))]);
    keyward()
        .current_dir(dir.path())
        .args(["scan", "--no-ignore"])
        .assert()
        .code(0);
}

#[test]
fn inline_allow_comment_suppresses() {
    let dir = tree(&[(
        "a.py",
        &format!("KEY = '{LIVE}'  # keyward:allow test fixture\nOTHER = '{TEST}'\n"),
    )]);
    let (_, v) = json_scan(dir.path(), &[]);
    assert_eq!(rules_of(&v), vec!["stripe-test-secret-key"]);
}

#[test]
fn placeholders_references_and_publishable_keys_are_not_reported() {
    let dir = tree(&[(
        ".env.example",
        "POSTGRES_PASSWORD=changeme\nJWT_SECRET=${JWT_SECRET}\nSTRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n\
         STRIPE_PUBLISHABLE_KEY=pk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n\
         API_KEY=<your-api-key>\nDB_PASSWORD={{ .Values.db.password }}\nTOKEN=$(openssl rand -hex 32)\n\
         REQUEST_ID=550e8400-e29b-41d4-a716-446655440000\n",
    )]);
    keyward()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 findings"));
}

#[test]
fn malformed_policy_is_a_one_line_error() {
    let dir = tree(&[
        ("keyward.toml", "[scan]\nmax_file_sise = 10\n"),
        ("a.txt", "hi\n"),
    ]);
    keyward()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keyward.toml:2:1"))
        .stderr(predicate::str::contains("did you mean `max_file_size`"))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

#[test]
fn user_rules_from_policy_are_used_and_checked() {
    let policy = r#"
[[rules]]
id = "acme-internal-token"
title = "ACME internal token"
severity = "high"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
examples = ["t = acme_q8z3k9x2m7v4t1w6r5n0"]
negative_examples = ["t = acme_short"]
"#;
    let dir = tree(&[
        ("keyward.toml", policy),
        ("a.txt", "x acme_q8z3k9x2m7v4t1w6r5n0 y\n"),
    ]);
    keyward()
        .current_dir(dir.path())
        .args(["scan", "a.txt"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("acme-internal-token"));
    keyward()
        .current_dir(dir.path())
        .args(["rules", "check"])
        .assert()
        .code(0);
    keyward()
        .current_dir(dir.path())
        .args(["rules", "list", "-f", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"origin\": \"user\""));
    // A broken user rule: its example does not match.
    let broken = policy.replace("acme_q8z3k9x2m7v4t1w6r5n0\"]", "acme_NOPE\"]");
    fs::write(dir.path().join("keyward.toml"), broken).unwrap();
    keyward()
        .current_dir(dir.path())
        .args(["rules", "check"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rule `acme-internal-token`: example #1 was not detected",
        ));
}

#[test]
fn builtin_rules_all_pass_their_examples() {
    keyward()
        .args(["rules", "check"])
        .current_dir(std::env::temp_dir())
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("ok: "));
}

#[test]
fn rules_list_json_lists_sixty_or_more() {
    let out = keyward()
        .current_dir(std::env::temp_dir())
        .args(["rules", "list", "-f", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v.as_array().unwrap();
    assert!(rules.len() >= 60, "{} rules", rules.len());
    for r in rules {
        assert!(r["examples"].as_u64().unwrap() >= 2, "{}", r["id"]);
        assert!(r["negative_examples"].as_u64().unwrap() >= 2, "{}", r["id"]);
    }
}
