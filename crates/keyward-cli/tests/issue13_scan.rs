//! Regression tests for issue 13 (hardening) on the built binary: what `keyward scan`
//! does with hostile input. Each test is named after the item it proves.

#[path = "support/files.rs"]
mod files;

use files::{keyward, tree};
use serde_json::Value;
use std::process::{Command, Stdio};

const LIVE: &str = "sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya"; // keyward:allow

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn item_0_multibyte_values_are_redacted_without_a_crash() {
    let value = "OAuthクライアントシークレット";
    let dir = tree(&[
        (
            "locales/ja.json",
            &format!("{{\"Client secret\": \"{value}\"}}\n"),
        ),
        ("config.py", &format!("STRIPE_KEY = \"{LIVE}\"\n")),
    ]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("config.py"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("クライアント") && !stderr.contains("シークレット"));
}

#[test]
fn item_0_a_panic_on_one_input_loses_no_other_and_prints_no_value() {
    let dir = tree(&[
        ("a/boom.txt", "password = \"Zt5Hw9Lq3Vx8Kn2P\"\n"), // keyward:allow
        ("b/config.py", &format!("STRIPE_KEY = \"{LIVE}\"\n")),
    ]);
    let out = keyward()
        .current_dir(dir.path())
        .env("KEYWARD_TEST_SCAN_PANIC", "boom")
        .args(["scan", "-f", "json", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let v = json(&out);
    assert_eq!(v["summary"]["skipped"]["failed"], 1);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "b/config.py"));
    assert!(stderr.contains("a/boom.txt"), "{stderr}");
    assert!(stderr.contains("internal error"), "{stderr}");
    assert!(
        !stderr.contains("PANICVALUE"),
        "the panic message leaked: {stderr}"
    );
    assert!(!stderr.contains("Zt5Hw9"), "{stderr}");
}

#[test]
fn item_9_fingerprints_do_not_confirm_a_guessed_password() {
    let weak = "Zt5Hw9Lq3Vx8Kn2P"; // keyward:allow
    let scan = |dir: &std::path::Path, value: &str, key: Option<&str>| {
        std::fs::write(dir.join("app.py"), format!("password = \"{value}\"\n")).unwrap();
        let mut c = keyward();
        c.current_dir(dir).args(["scan", "-f", "json", "app.py"]);
        match key {
            Some(k) => c.env("KEYWARD_FINGERPRINT_KEY", k),
            None => c.env_remove("KEYWARD_FINGERPRINT_KEY"),
        };
        let v = json(&c.output().unwrap());
        assert_eq!(v["version"], 2);
        v["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let dir = tree(&[]);
    // Without a key the fingerprint depends on where the value is, never on the value.
    let real = scan(dir.path(), weak, None);
    assert!(real.starts_with("kw2l:"), "{real}");
    assert_eq!(real, scan(dir.path(), "Qm4Rt8Wz2Xc6Vb1N", None));
    // With the organisation's key it tracks the value, and only the key holder can
    // compute it.
    let keyed = scan(
        dir.path(),
        weak,
        Some("org-secret-fingerprint-key-0123456789"),
    );
    assert!(keyed.starts_with("kw2k:"), "{keyed}");
    assert_ne!(
        keyed,
        scan(
            dir.path(),
            "Qm4Rt8Wz2Xc6Vb1N",
            Some("org-secret-fingerprint-key-0123456789")
        )
    );
    assert_ne!(
        keyed,
        scan(dir.path(), weak, Some("another-key-abcdefabcdefabcdef"))
    );
}

#[test]
fn item_9_kw1_baselines_still_match_and_migrate() {
    let dir = tree(&[("config.py", &format!("STRIPE_KEY = \"{LIVE}\"\n"))]);
    // The scheme-v1 fingerprint of this finding: HMAC-SHA256("keyward fingerprint v1",
    // rule \0 value), first 128 bits — what a baseline written before v2 holds.
    let v1 = keyward_core_v1("stripe-live-secret-key", LIVE);
    let baseline = dir.path().join("base.json");
    std::fs::write(
        &baseline,
        format!(
            r#"{{"version": 1, "entries": [{{"fingerprint": "{v1}", "rule": "stripe-live-secret-key", "path": "config.py"}}]}}"#
        ),
    )
    .unwrap();
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "base.json", "-f", "json", "."])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    let notes = v["summary"]["notes"].to_string();
    assert!(notes.contains("--migrate"), "{notes}");
    let out = keyward()
        .current_dir(dir.path())
        .args(["baseline", "--migrate", "-o", "base.json", "."])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(!text.contains("kw1:") && text.contains("kw2"), "{text}");
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "base.json", "-f", "json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!json(&out)["summary"]["notes"]
        .to_string()
        .contains("--migrate"));
}

/// Scheme v1 (its vector is pinned in keyward-core's tests).
fn keyward_core_v1(rule: &str, value: &str) -> String {
    keyward_core::Fingerprint::legacy_v1(rule, value.as_bytes())
        .as_str()
        .to_string()
}

#[test]
fn item_10_stdin_is_streamed_and_never_silently_skipped() {
    // 20 MB of diff, far over the 8M file limit, with the leak at the very end.
    let mut input = Vec::with_capacity(21 << 20);
    while input.len() < 20 << 20 {
        input.extend_from_slice(b"+ some harmless line of a large diff, nothing to see\n");
    }
    input.extend_from_slice(format!("+STRIPE_KEY = \"{LIVE}\"\n").as_bytes());
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let out = keyward()
        .args(["scan", "-f", "json", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "stripe-live-secret-key");
    assert_eq!(f["line"].as_u64().unwrap() as usize, lines);
    assert_eq!(v["summary"]["skipped"]["too_large"], 0);
}

#[test]
fn item_10_a_skipped_input_fails_the_run_unless_allowed() {
    let dir = tree(&[("big.txt", &"x".repeat(4096))]);
    let run = |extra: &[&str]| {
        keyward()
            .current_dir(dir.path())
            .args(["scan", "--max-file-size", "1K"])
            .args(extra)
            .arg(".")
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-skipped"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("larger than 1K"));
    assert_eq!(run(&["--allow-skipped"]).status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn item_11_special_files_are_skipped_with_a_note() {
    let dir = tree(&[("ok.txt", "nothing here\n")]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
    std::os::unix::fs::symlink("loop-b", dir.path().join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", dir.path().join("loop-b")).unwrap();
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for args in [vec!["/dev/zero"], vec!["zero"], vec!["pipe"], vec!["."]] {
        let out = keyward()
            .current_dir(dir.path())
            .args(["scan", "-f", "json"])
            .args(&args)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let v = json(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {v}");
        assert!(
            v["summary"]["skipped"]["special"].as_u64().unwrap() >= 1,
            "{args:?}: {v}"
        );
        let notes = v["summary"]["notes"].to_string();
        assert!(
            notes.contains("not a regular file") || notes.contains("loop"),
            "{args:?}: {notes}"
        );
        if args == ["."] {
            assert!(notes.contains("symbolic link loop"), "{notes}");
        }
    }
}

#[test]
fn item_13_a_closed_stdout_ends_quietly_with_141() {
    let dir = tree(&[("config.py", &format!("STRIPE_KEY = \"{LIVE}\"\n"))]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("keyward"))
        .current_dir(dir.path())
        .args(["scan", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn item_14_control_characters_in_paths_are_escaped() {
    let name = "evil\n  1:1      critical Forged finding";
    let dir = tree(&[(name, &format!("KEY = \"{LIVE}\"\n"))]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("evil\\n  1:1"), "{stdout}");
    assert!(
        !stdout
            .lines()
            .any(|l| l.starts_with("  1:1      critical Forged")),
        "{stdout}"
    );
}

#[test]
fn item_15_show_secrets_reports_are_private_files() {
    let dir = tree(&[("config.py", &format!("STRIPE_KEY = \"{LIVE}\"\n"))]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "--show-secrets", "-o", "report.txt", "config.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = dir.path().join("report.txt");
    assert!(std::fs::read_to_string(&report).unwrap().contains(LIVE));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn item_19_inline_allow_is_counted_in_the_summary() {
    let dir = tree(&[(
        "config.py",
        &format!("STRIPE_KEY = \"{LIVE}\" # keyward:allow\n"),
    )]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "-f", "json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 suppressed by keyward:allow"));
}

#[test]
fn item_26_severities_are_ordered_and_sizes_match_the_flag() {
    let dir = tree(&[
        ("a.py", &format!("STRIPE_KEY = \"{LIVE}\"\n")),
        ("b.py", "password = \"Zt5Hw9Lq3Vx8Kn2P\"\n"), // keyward:allow
        (
            "c.py",
            "STRIPE_KEY = \"sk_test_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya\"\n",
        ), // keyward:allow
        ("big.txt", &"y".repeat(9 << 20)),
    ]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["scan", "--allow-skipped", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().find(|l| l.contains("findings (")).unwrap();
    let c = summary.find("critical").unwrap();
    let h = summary.find("high").unwrap();
    let m = summary.find("medium").unwrap();
    assert!(c < h && h < m, "{summary}");
    assert!(stdout.contains("larger than 8M"), "{stdout}");
}
