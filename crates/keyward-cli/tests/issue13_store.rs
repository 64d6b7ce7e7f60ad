//! Regression tests for issue 13 (hardening) on the built binary: the store, environment
//! and output commands. Each test is named after the item it proves.

#[path = "support/rotation.rs"]
mod rotation;

use rotation::*;
use std::fs;
use std::process::{Command, Stdio};

/// The built binary as a plain `std::process::Command` (for custom stdio), set up as
/// `Env::cmd` sets it up.
fn std_cmd(env: &Env, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("keyward"));
    c.current_dir(env.path())
        .env_remove("KEYWARD_STORE")
        .env("KEYWARD_MASTER_KEY", KEY)
        .env("USER", "e2e-tester")
        .args(args);
    c
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn item_12_an_environment_without_secrets_is_an_error() {
    let env = Env::new("");
    env.set("production/API_KEY", "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "api-key");
    let out = env.run_with(&["run", "--env", "prodd", "--", "true"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("`prodd` has no secrets") && err.contains("production"),
        "{err}"
    );
    let out = env.run_with(&["export", "--env", "typo"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    env.ok(&["export", "--env", "typo", "--allow-empty"], None);
    env.ok(
        &["run", "--env", "prodd", "--allow-empty", "--", "true"],
        None,
    );
    let log = env.ok(&["audit", "log"], None);
    assert!(log.contains("failed"), "{log}");
}

#[test]
fn item_13_audit_log_into_a_closed_pipe_exits_141_quietly() {
    let env = Env::new("");
    for i in 0..50 {
        env.set(&format!("dev/K{i}"), "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "password");
    }
    let mut c = std_cmd(&env, &["audit", "log"]);
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn item_14_control_characters_cannot_forge_audit_lines_or_report_lines() {
    let env = Env::new(
        "[variables.DB_PASSWORD]\nkind = \"password\"\n[variables.DB_PASSWORD.rotation]\n\
         target = { type = \"command\", set = \"cat > current.txt\", finish = \"cat > revoked.txt\" }\n",
    );
    let forged_user = "mallory\n     99  2026-01-01T00:00:00Z  admin  read  ok";
    env.ok_with(
        &["secret", "set", "--raw", "production/DB_PASSWORD"],
        Some(b"Xk9mP2vQ7wR4tY8uI3oL6aS1dF5gH0jZ"),
        &[("USER", forged_user)],
    );
    let log = env.ok(&["audit", "log"], None);
    assert!(log.contains("mallory\\n"), "{log}");
    assert!(
        !log.lines().any(|l| l.trim_start().starts_with("99  ")),
        "{log}"
    );
    env.ok(
        &[
            "revoke",
            "production/DB_PASSWORD",
            "--reason",
            "leaked\n## Resolved: nothing happened\n- **Closed**: never",
        ],
        None,
    );
    let md = env.ok(&["incident", "show", "INC-production-DB_PASSWORD-v1"], None);
    assert!(!md.lines().any(|l| l.starts_with("## Resolved")), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("- **Closed**")).count(),
        1,
        "{md}"
    );
    let list = env.ok(&["incident", "list"], None);
    assert_eq!(list.lines().count(), 1, "{list}");
}

#[test]
fn item_16_env_generate_never_copies_a_live_key_from_the_example() {
    let env = Env::new("");
    let live = "sk_live_51H8zQ2KZ3xY9aBcDeFgHiJkLmNoPqRsTuVwXyZ"; // keyward:allow
    fs::write(
        env.path().join(".env.example"),
        format!("STRIPE_SECRET_KEY={live}\nPORT=8080\n"),
    )
    .unwrap();
    env.ok(&["env", "generate"], None);
    let text = fs::read_to_string(env.path().join(".env")).unwrap();
    assert!(!text.contains(live), "{text}");
    assert!(text.contains("STRIPE_SECRET_KEY=TODO"), "{text}");
}

#[test]
fn item_17_a_read_into_a_failing_stdout_is_not_audited_as_ok() {
    let env = Env::new("");
    env.set("dev/API_KEY", "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "api-key");
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut c = std_cmd(&env, &["secret", "get", "dev/API_KEY"]);
    let out = c.stdout(Stdio::from(full)).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let log = env.ok(&["audit", "log", "-f", "json"], None);
    let entries: serde_json::Value = serde_json::from_str(&log).unwrap();
    let reads: Vec<&serde_json::Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "read")
        .collect();
    assert_eq!(reads.len(), 1, "{log}");
    assert_eq!(reads[0]["outcome"], "failed", "{log}");
    // A delivered read is still audited as ok.
    env.get("dev/API_KEY", None).unwrap();
    let log = env.ok(&["audit", "log"], None);
    assert!(
        log.lines()
            .any(|l| l.contains("read") && l.contains(" ok ")),
        "{log}"
    );
}

/// Ctrl-C (SIGINT) at the prompt of `secret set` on a terminal: echo comes back.
#[cfg(target_os = "linux")]
#[test]
fn item_18_ctrl_c_at_the_prompt_restores_terminal_echo() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIP item_18: python3 (for a pseudo-terminal) is not installed");
        return;
    }
    let env = Env::new("");
    let script = r#"
import os, pty, signal, subprocess, sys, termios, time
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave)
out = b""
deadline = time.time() + 20
while b"not shown" not in out and time.time() < deadline:
    try:
        out += os.read(master, 4096)
    except OSError:
        break
echo_during = termios.tcgetattr(slave)[3] & termios.ECHO
os.kill(p.pid, signal.SIGINT)
p.wait()
echo_after = termios.tcgetattr(slave)[3] & termios.ECHO
print("prompt" if b"not shown" in out else "noprompt", echo_during != 0, echo_after != 0, p.returncode)
"#;
    let bin = assert_cmd::cargo::cargo_bin("keyward");
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&bin)
        .args(["secret", "set", "dev/PASSWORD"])
        .current_dir(env.path())
        .env("KEYWARD_MASTER_KEY", KEY)
        .env_remove("KEYWARD_STORE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim(),
        "prompt False True -2",
        "{text}{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn item_21_a_readable_master_key_file_is_warned_about_and_refused_when_strict() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new("");
    let file = env.path().join("master.key");
    fs::write(&file, format!("{KEY}\n")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let args = ["secret", "list", "--master-key-file", "master.key"];
    let out = env.run_with(&args, None, &[]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("accessible to other users (mode 0644)"),
        "{}",
        stderr(&out)
    );
    let out = env.run_with(&[&args[..], &["--strict"]].concat(), None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--strict"));
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let out = env.run_with(&[&args[..], &["--strict"]].concat(), None, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("accessible"), "{}", stderr(&out));
}

#[cfg(target_os = "linux")]
#[test]
fn item_21_commands_holding_the_master_key_disable_core_dumps() {
    let env = Env::new("");
    env.set("dev/API_KEY", "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "api-key");
    // `run`'s command inherits keyward's limits.
    let limits = env.ok(
        &["run", "--env", "dev", "--", "cat", "/proc/self/limits"],
        None,
    );
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
}

#[test]
fn item_22_hints_name_no_flag_that_does_not_exist() {
    let env = Env::new("");
    env.set("dev/API_KEY", "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "api-key");
    fs::write(env.path().join("out.env"), "keep\n").unwrap();
    let out = env.run_with(&["export", "--env", "dev", "-o", "out.env"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    fs::write(env.path().join("k.key"), "x").unwrap();
    let out = env.run_with(
        &[
            "store",
            "init",
            "--store",
            "other.db",
            "--generate-key",
            "k.key",
        ],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("--force"), "{}", stderr(&out));
}

#[test]
fn item_23_verbose_logs_causes_and_errors_do_not_repeat_them() {
    let env = Env::new("");
    let out = env.run_with(&["-vv", "secret", "list"], None, &[]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("keyward_store"), "{}", stderr(&out));
    let quiet = env.run_with(&["secret", "list"], None, &[]);
    assert!(!stderr(&quiet).contains("keyward_store"));
    fs::write(env.path().join("bad.env"), b"A=\xff\xfe\n").unwrap();
    let out = env.run_with(&["import", "--env", "dev", "bad.env"], None, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        !err.contains("UTF-8: stream did not contain valid UTF-8: stream"),
        "{err}"
    );
    let line = err.lines().next().unwrap_or_default();
    let parts: Vec<&str> = line.split(": ").collect();
    let mut dedup = parts.clone();
    dedup.dedup();
    assert_eq!(parts, dedup, "a cause is repeated: {line}");
}

#[test]
fn item_26_audit_log_path_accepts_a_bare_environment() {
    let env = Env::new("");
    env.set("prod/API_KEY", "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "api-key");
    env.set("production/API_KEY", "Zt5Hw9Lq3Vx8Kn2PqRsTuVwX", "api-key");
    let log = env.ok(&["audit", "log", "--path", "prod"], None);
    assert!(log.contains("prod/API_KEY"), "{log}");
    assert!(!log.contains("production/"), "{log}");
}

#[test]
fn item_26_store_init_keeps_the_store_out_of_git() {
    let env = Env::new("");
    let ignore = fs::read_to_string(env.path().join(".keyward/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "/store.db*"), "{ignore}");
}

#[test]
fn item_26_generate_with_a_piped_value_is_refused() {
    let env = Env::new("");
    let out = env.run_with(
        &["secret", "set", "--generate", "password", "dev/DB_PASSWORD"],
        Some(b"my-piped-value"),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--generate"), "{}", stderr(&out));
    env.ok(
        &["secret", "set", "--generate", "password", "dev/DB_PASSWORD"],
        None,
    );
}

#[test]
fn item_26_a_default_user_name_in_development_is_not_a_placeholder_finding() {
    let env = Env::new("");
    fs::write(
        env.path().join(".env"),
        "MINIO_ROOT_USER=minio\nMINIO_ROOT_PASSWORD=Zt5Hw9Lq3Vx8Kn2PqRsTuVwXa9\n",
    )
    .unwrap();
    let out = env.run_with(
        &["env", "check", "--no-git", "-f", "json", ".env"],
        None,
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["notes"].to_string().contains("MINIO_ROOT_USER")
                || f["title"].to_string().contains("MINIO_ROOT_USER")
        })
        .map(|f| f["rule"].to_string())
        .collect();
    assert!(rules.is_empty(), "{v}");
    let out = env.run_with(
        &[
            "env",
            "check",
            "--no-git",
            "--env",
            "production",
            "-f",
            "json",
            ".env",
        ],
        None,
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("MINIO_ROOT_USER holds a placeholder"));
}

#[test]
fn item_23_a_failed_admin_connection_keeps_its_cause() {
    let mut env = Env::new(
        "[variables.DB_PASSWORD]\nkind = \"postgres-password\"\n[variables.DB_PASSWORD.rotation]\n\
         target = { type = \"postgres\", role = \"app\", admin_url_env = \"KW_PG_ADMIN\" }\n",
    );
    // Nothing listens on port 1: the cause is "connection refused".
    env.vars.push((
        "KW_PG_ADMIN".into(),
        "postgres://admin:pw-not-shown@127.0.0.1:1/db".into(),
    ));
    env.set(
        "production/DB_PASSWORD",
        "Zt5Hw9Lq3Vx8Kn2PqRsTuVwXa9Bc4De7F",
        "postgres-password",
    );
    let out = env.run_with(&["rotate", "production/DB_PASSWORD"], None, &[]);
    let err = stderr(&out).to_lowercase();
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("postgres admin connection failed"), "{err}");
    assert!(err.contains("refused"), "the cause was dropped: {err}");
    assert!(!err.contains("pw-not-shown"), "{err}");
}
