//! End-to-end tests of `keyward init`, `keyward env check` and `keyward env generate` on
//! the built binary: every check with a failing and a passing case, output formats, exit
//! codes and error reporting.

#[path = "support/files.rs"]
mod files;

use files::{keyward, tree};
use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

const SEED_EXAMPLE: &str = include_str!("support/env_example_seed.txt");
const JWT: &str = "q3Zk2m9Yp0JbVh1xQe7Lr4Tn6Wc8Ua5Sd2Fg0Hj3Kl8=";
const PASSWORD: &str = "Xk9vR2mQ7tLp4wZs8bN1cF6hJ3yD5gA0eU";
const SK_TEST: &str = "sk_test_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";
const SK_LIVE: &str = "sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";
const PK_TEST: &str = "pk_test_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";
const PK_LIVE: &str = "pk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";
const WHSEC: &str = "whsec_Rk2Pq9Lm4Xv7Tz1Wb8Nc3Yd6Fh0Jg5Ks";

/// `keyward env check -f json --no-git ARGS` in `dir`: exit code and rule ids found.
fn check(dir: &Path, args: &[&str]) -> (i32, Vec<String>, Value) {
    check_with(dir, args, true)
}

fn check_with(dir: &Path, args: &[&str], no_git: bool) -> (i32, Vec<String>, Value) {
    let mut cmd = keyward();
    cmd.current_dir(dir).args(["env", "check", "-f", "json"]);
    if no_git {
        cmd.arg("--no-git");
    }
    let out = cmd.args(args).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "stdout is not JSON; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rules = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    (out.status.code().unwrap(), rules, v)
}

fn has(rules: &[String], id: &str) -> bool {
    rules.iter().any(|r| r == id)
}

const POLICY_JWT: &str = "[variables.JWT_SECRET]\nkind = \"jwt-secret\"\nrequired = true\n";

// ---- env-missing-required -------------------------------------------------------------

#[test]
fn missing_required_fails_and_passes() {
    let dir = tree(&[("keyward.toml", POLICY_JWT), (".env", "OTHER=1\n")]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(has(&rules, "env-missing-required"), "{rules:?}");
    let f = &v["findings"][0];
    assert!(f["title"].as_str().unwrap().contains("JWT_SECRET"));
    assert_eq!(f["path"], ".env");

    fs::write(dir.path().join(".env"), format!("JWT_SECRET={JWT}\n")).unwrap();
    let (code, rules, _) = check(dir.path(), &[]);
    assert_eq!((code, rules.len()), (0, 0), "{rules:?}");
}

#[test]
fn required_in_only_applies_to_its_environment() {
    let policy = "[environments.development]\n[environments.production]\n\
                  [variables.REDIS_PASSWORD]\nrequired_in = [\"production\"]\n";
    let dir = tree(&[("keyward.toml", policy), (".env", "")]);
    let (code, _, _) = check(dir.path(), &[]);
    assert_eq!(code, 0);
    let (code, rules, _) = check(dir.path(), &["--env", "production"]);
    assert_eq!(code, 1);
    assert!(has(&rules, "env-missing-required"));
}

// ---- env-placeholder-value ------------------------------------------------------------

#[test]
fn placeholder_and_empty_values_fail_real_values_pass() {
    let dir = tree(&[(".env", "JWT_SECRET=changeme\nPOSTGRES_PASSWORD=\n")]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-placeholder-value"; 2], "{v}");
    assert_eq!(v["findings"][0]["line"], 1);
    assert_eq!(v["findings"][1]["line"], 2);

    fs::write(
        dir.path().join(".env"),
        format!("JWT_SECRET={JWT}\nPOSTGRES_PASSWORD={PASSWORD}\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

// ---- env-weak-value -------------------------------------------------------------------

#[test]
fn weak_values_fail_strong_values_pass() {
    let weak_jwt = "my-app-jwt-signing-key-2024";
    let weak_hex = "9f86d081884c7d659a2feaa0c55ad015"; // 128 bits of hex
    let dir = tree(&[(
        ".env",
        &format!(
            "JWT_SECRET={weak_jwt}\nSESSION_JWT_KEY={weak_hex}\nPOSTGRES_PASSWORD=Tr0ub4dor3x\n\
             STRIPE_SECRET_KEY={PK_TEST}\n"
        ),
    )]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-weak-value"; 4], "{v}");
    let text = v.to_string();
    assert!(!text.contains(weak_jwt), "value printed: {text}");
    assert!(!text.contains("Tr0ub4dor3x"), "value printed: {text}");

    let hex256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    fs::write(
        dir.path().join(".env"),
        format!(
            "JWT_SECRET={JWT}\nSESSION_JWT_KEY={hex256}\nPOSTGRES_PASSWORD={PASSWORD}\n\
             STRIPE_SECRET_KEY={SK_TEST}\n"
        ),
    )
    .unwrap();
    let (code, rules, _) = check(dir.path(), &[]);
    assert_eq!((code, rules), (0, vec![]));
}

// ---- env-stripe-mode-mismatch ---------------------------------------------------------

#[test]
fn live_key_in_development_fails_test_key_passes() {
    let dir = tree(&[(".env", &format!("STRIPE_SECRET_KEY={SK_LIVE}\n"))]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-stripe-mode-mismatch"]);
    assert_eq!(v["findings"][0]["secret"], "sk_live_…s0Ya");

    fs::write(
        dir.path().join(".env"),
        format!("STRIPE_SECRET_KEY={SK_TEST}\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

#[test]
fn test_key_in_production_fails_live_key_passes() {
    let dir = tree(&[(".env", &format!("STRIPE_SECRET_KEY={SK_TEST}\n"))]);
    let (code, rules, _) = check(dir.path(), &["--env", "production"]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-stripe-mode-mismatch"]);

    fs::write(
        dir.path().join(".env"),
        format!("STRIPE_SECRET_KEY={SK_LIVE}\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &["--env", "production"]).0, 0);
}

// ---- env-stripe-mixed-modes -----------------------------------------------------------

#[test]
fn mixed_modes_fail_matching_modes_pass() {
    let policy = "[environments.development]\nstripe_mode = \"any\"\n";
    let dir = tree(&[
        ("keyward.toml", policy),
        (
            ".env",
            &format!("STRIPE_SECRET_KEY={SK_TEST}\nSTRIPE_PUBLISHABLE_KEY={PK_LIVE}\n"),
        ),
    ]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-stripe-mixed-modes"]);
    assert!(v["findings"][0]["title"]
        .as_str()
        .unwrap()
        .contains("STRIPE_PUBLISHABLE_KEY"));

    fs::write(
        dir.path().join(".env"),
        format!("STRIPE_SECRET_KEY={SK_TEST}\nSTRIPE_PUBLISHABLE_KEY={PK_TEST}\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

// ---- env-secret-frontend-prefix -------------------------------------------------------

#[test]
fn secret_under_frontend_prefix_fails_publishable_key_passes() {
    let dir = tree(&[(
        ".env",
        &format!("VITE_STRIPE_SECRET_KEY={SK_TEST}\nNEXT_PUBLIC_JWT_SECRET={JWT}\n"),
    )]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-secret-frontend-prefix"; 2], "{v}");
    assert_eq!(v["findings"][0]["severity"], "critical");

    fs::write(
        dir.path().join(".env"),
        format!("VITE_STRIPE_PUBLISHABLE_KEY={PK_TEST}\nVITE_API_URL=https://api.example.org\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

// ---- env-database-url-sslmode ---------------------------------------------------------

#[test]
fn database_url_without_sslmode_fails_outside_development() {
    let url = format!("postgresql://app:{PASSWORD}@db.internal:5432/app");
    let dir = tree(&[(".env", &format!("DATABASE_URL={url}\n"))]);
    assert_eq!(check(dir.path(), &[]).0, 0, "development needs no TLS");
    let (code, rules, v) = check(dir.path(), &["--env", "staging"]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-database-url-sslmode"]);
    assert!(!v.to_string().contains(PASSWORD), "password printed");

    fs::write(
        dir.path().join(".env"),
        format!("DATABASE_URL={url}?sslmode=disable\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &["--env", "staging"]).0, 1);
    fs::write(
        dir.path().join(".env"),
        format!("DATABASE_URL={url}?sslmode=verify-full\n"),
    )
    .unwrap();
    assert_eq!(check(dir.path(), &["--env", "production"]).0, 0);
}

// ---- env-file-tracked / env-file-not-ignored ------------------------------------------

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn env_file_tracked_by_git_fails() {
    let dir = tree(&[(".env", "PORT=8080\n")]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", ".env"]);
    git(dir.path(), &["commit", "-q", "-m", "oops"]);
    let (code, rules, v) = check_with(dir.path(), &[], false);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-file-tracked"]);
    assert_eq!(v["findings"][0]["severity"], "critical");

    git(dir.path(), &["rm", "-q", "--cached", ".env"]);
    fs::write(dir.path().join(".gitignore"), ".env\n").unwrap();
    let (code, rules, _) = check_with(dir.path(), &[], false);
    assert_eq!((code, rules), (0, vec![]));
}

#[test]
fn env_file_not_ignored_in_a_repository_fails() {
    let dir = tree(&[(".env", "PORT=8080\n"), ("sub/.env", "PORT=1\n")]);
    git(dir.path(), &["init", "-q"]);
    let (code, rules, _) = check_with(dir.path(), &[], false);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-file-not-ignored"]);

    fs::write(dir.path().join(".gitignore"), ".env\n").unwrap();
    let (code, _, _) = check_with(dir.path(), &[".env", "sub/.env"], false);
    assert_eq!(code, 0, "a bare `.env` pattern covers nested files too");
}

#[test]
fn env_file_outside_a_repository_uses_gitignore_files() {
    let dir = tree(&[("app/.env", "PORT=8080\n")]);
    let app = dir.path().join("app");
    let (code, rules, _) = check_with(&app, &[], false);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-file-not-ignored"]);

    fs::write(
        dir.path().join(".gitignore"),
        "*.log\n.env*\n!.env.example\n",
    )
    .unwrap();
    let (code, rules, _) = check_with(&app, &[], false);
    assert_eq!((code, rules), (0, vec![]));
}

// ---- env-example-real-secret ----------------------------------------------------------

#[test]
fn example_with_a_real_secret_fails_placeholders_pass() {
    let dir = tree(&[
        (".env", &format!("STRIPE_SECRET_KEY={SK_TEST}\n")),
        (".env.example", &format!("STRIPE_SECRET_KEY={SK_LIVE}\n")),
    ]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-example-real-secret"], "{v}");
    assert_eq!(v["findings"][0]["path"], ".env.example");
    assert_eq!(v["findings"][0]["severity"], "critical");

    fs::write(dir.path().join(".env.example"), SEED_EXAMPLE).unwrap();
    let (code, rules, _) = check(dir.path(), &[]);
    assert_eq!(
        (code, rules),
        (0, vec![]),
        "placeholders are expected in examples"
    );
}

// ---- env-duplicate-key ----------------------------------------------------------------

#[test]
fn duplicate_keys_fail_unique_keys_pass() {
    let dir = tree(&[(".env", "PORT=1\nHOST=x\nPORT=2\n")]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-duplicate-key"]);
    assert_eq!(v["findings"][0]["line"], 3);
    assert!(v["findings"][0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("line 1"));

    fs::write(dir.path().join(".env"), "PORT=1\nHOST=x\n").unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

// ---- env-undeclared-variable ----------------------------------------------------------

#[test]
fn undeclared_variables_are_low_and_declared_ones_pass() {
    let env = format!("JWT_SECRET={JWT}\nFEATURE_FLAG=on\n");
    let dir = tree(&[("keyward.toml", POLICY_JWT), (".env", &env)]);
    let (code, rules, v) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-undeclared-variable"]);
    assert_eq!(v["findings"][0]["severity"], "low");
    assert_eq!(check(dir.path(), &["--fail-on", "medium"]).0, 0);

    let policy = format!("{POLICY_JWT}[variables.FEATURE_FLAG]\nkind = \"plain\"\n");
    fs::write(dir.path().join("keyward.toml"), policy).unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

// ---- process environment, formats, redaction ------------------------------------------

#[test]
fn process_environment_is_checked_for_declared_variables() {
    let dir = tree(&[("keyward.toml", POLICY_JWT)]);
    let out = keyward()
        .current_dir(dir.path())
        .args(["env", "check", "--process", "-f", "json"])
        .env("JWT_SECRET", "short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["rule"], "env-weak-value");
    assert_eq!(v["findings"][0]["path"], "<process>");

    keyward()
        .current_dir(dir.path())
        .args(["env", "check", "--process"])
        .env("JWT_SECRET", JWT)
        .assert()
        .code(0);
    keyward()
        .current_dir(dir.path())
        .args(["env", "check", "--process"])
        .env_remove("JWT_SECRET")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("env-missing-required"));
}

#[test]
fn human_and_sarif_output_never_show_values() {
    let dir = tree(&[(
        ".env",
        &format!("STRIPE_SECRET_KEY={SK_LIVE}\nJWT_SECRET=tooshort-but-not-a-placeholder\n"),
    )]);
    let human = keyward()
        .current_dir(dir.path())
        .args(["env", "check", "--no-git"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let human = String::from_utf8(human).unwrap();
    assert!(human.contains("STRIPE_SECRET_KEY"), "{human}");
    assert!(human.contains(".env"), "{human}");
    assert!(
        !human.contains(SK_LIVE) && !human.contains("tooshort"),
        "{human}"
    );

    let sarif = keyward()
        .current_dir(dir.path())
        .args(["env", "check", "--no-git", "-f", "sarif"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"env-weak-value"), "{ids:?}");
    assert!(!String::from_utf8_lossy(&sarif).contains(SK_LIVE));
}

// ---- init -----------------------------------------------------------------------------

#[test]
fn init_declares_the_seed_variables_with_inferred_kinds() {
    let dir = tree(&[(".env.example", SEED_EXAMPLE)]);
    keyward()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("10 variable(s) from .env.example"));
    let text = fs::read_to_string(dir.path().join("keyward.toml")).unwrap();
    for (name, kind) in [
        ("POSTGRES_USER", "username"),
        ("POSTGRES_PASSWORD", "postgres-password"),
        ("POSTGRES_DB", "plain"),
        ("REDIS_PASSWORD", "redis-password"),
        ("MINIO_ROOT_USER", "minio-access-key"),
        ("MINIO_ROOT_PASSWORD", "minio-secret-key"),
        ("JWT_SECRET", "jwt-secret"),
        ("STRIPE_SECRET_KEY", "stripe-secret-key"),
        ("STRIPE_WEBHOOK_SECRET", "stripe-webhook-secret"),
        ("STRIPE_PUBLISHABLE_KEY", "stripe-publishable-key"),
    ] {
        let block = format!("[variables.{name}]\nkind = \"{kind}\"");
        assert!(text.contains(&block), "{block} missing from:\n{text}");
    }
    assert_eq!(text.matches("\nrequired = true\n").count(), 9);
    // "# optional, use for production" above REDIS_PASSWORD in the example:
    assert!(text.contains("[variables.REDIS_PASSWORD]\nkind = \"redis-password\"  # ≥ 32 characters, rotate every 60 days\nrequired_in = [\"production\"]"), "{text}");
    assert!(text.contains("[environments.production]"));

    // The written policy is accepted by the checker, and init refuses to overwrite it.
    keyward()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists (use --force"));
    keyward()
        .current_dir(dir.path())
        .args(["init", "--force"])
        .assert()
        .code(0);
}

#[test]
fn init_without_an_example_writes_a_valid_commented_policy() {
    let dir = tree(&[(".env", "PORT=1\n"), (".gitignore", ".env\n")]);
    keyward()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(0);
    let text = fs::read_to_string(dir.path().join("keyward.toml")).unwrap();
    assert!(text.starts_with("# keyward.toml"));
    keyward()
        .current_dir(dir.path())
        .args(["env", "check"])
        .assert()
        .code(0);
}

// ---- generate -------------------------------------------------------------------------

#[test]
fn generate_then_check_passes() {
    let example = "# App\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=changeme\nPOSTGRES_DB=app\n\
                   DATABASE_URL=postgresql://app:changeme@db:5432/app?sslmode=require\n\
                   REDIS_PASSWORD=\nMINIO_ROOT_USER=minioadmin\nMINIO_ROOT_PASSWORD=minioadmin\n\
                   JWT_SECRET=your-jwt-secret-here # 256 bits\nAPI_KEY=\nPORT=8080\n";
    let dir = tree(&[(".env.example", example), (".gitignore", ".env\n")]);
    keyward()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(0);
    let out = keyward()
        .current_dir(dir.path())
        .args(["env", "generate", "--from", ".env.example", "--out", ".env"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let said = String::from_utf8(out).unwrap();
    assert!(said.contains("6 value(s) generated"), "{said}");

    let text = fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(
        !said.contains(text.lines().nth(3).unwrap()),
        "value printed"
    );
    assert!(text.contains("# App\nPOSTGRES_USER=app\n"), "{text}");
    assert!(
        text.contains("PORT=8080\n") && text.contains("# 256 bits"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join(".env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for env in ["development", "production"] {
        let (code, rules, _) = check(dir.path(), &["--env", env]);
        assert_eq!((code, rules), (0, vec![]), "{env}:\n{text}");
    }
    keyward()
        .current_dir(dir.path())
        .args(["env", "generate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".env already exists (use --force"));
    keyward()
        .current_dir(dir.path())
        .args(["env", "generate", "--force"])
        .assert()
        .code(0);
    assert_ne!(fs::read_to_string(dir.path().join(".env")).unwrap(), text);
}

#[test]
fn generate_marks_stripe_keys_todo_and_check_passes_once_filled() {
    let dir = tree(&[(".env.example", SEED_EXAMPLE), (".gitignore", ".env\n")]);
    keyward()
        .current_dir(dir.path())
        .arg("init")
        .assert()
        .code(0);
    keyward()
        .current_dir(dir.path())
        .args(["env", "generate"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "STRIPE_SECRET_KEY (stripe-secret-key)",
        ));
    let text = fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(text.contains("STRIPE_SECRET_KEY=TODO # TODO(keyward): paste a Stripe test"));
    let (code, rules, _) = check(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, vec!["env-placeholder-value"; 3]);

    let filled = text
        .lines()
        .map(|l| match l.split_once('=') {
            Some(("STRIPE_SECRET_KEY", _)) => format!("STRIPE_SECRET_KEY={SK_TEST}"),
            Some(("STRIPE_WEBHOOK_SECRET", _)) => format!("STRIPE_WEBHOOK_SECRET={WHSEC}"),
            Some(("STRIPE_PUBLISHABLE_KEY", _)) => format!("STRIPE_PUBLISHABLE_KEY={PK_TEST}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(dir.path().join(".env"), filled).unwrap();
    let (code, rules, _) = check_with(dir.path(), &[], false);
    assert_eq!((code, rules), (0, vec![]));
}

// ---- errors ---------------------------------------------------------------------------

#[test]
fn malformed_dotenv_is_exit_2_naming_file_and_line() {
    let dir = tree(&[(".env", "A=1\nB='unterminated\nC=3\n")]);
    keyward()
        .current_dir(dir.path())
        .args(["env", "check"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            ".env:2:3: unterminated single quote",
        ));
    let dir = tree(&[(".env.example", "GOOD=1\nthis is not dotenv\n")]);
    keyward()
        .current_dir(dir.path())
        .args(["env", "generate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".env.example:2:"));
}

#[test]
fn malformed_dotenv_error_does_not_echo_the_value() {
    let token = "ghp_R8x2Lq9VwT4nB7mK3pZ5cY1hJ6dF0sA2eG8u"; // keyward:allow test fixture
    for (body, secret, at) in [
        (format!("A=1\n{token}\n"), token, ".env:2:41: "),
        (format!("A=1\n\"{SK_LIVE}\"=x\n"), SK_LIVE, ".env:2:1: "),
        (format!("DATABASE_URL {SK_LIVE}\n"), SK_LIVE, ".env:1:14: "),
    ] {
        let dir = tree(&[(".env", &body)]);
        for args in [&["env", "check"][..], &["env", "check", "-f", "json"][..]] {
            let out = keyward()
                .current_dir(dir.path())
                .args(args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2));
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(all.contains(at), "{all}");
            assert!(!all.contains(&secret[..10]), "{all}");
            assert!(!all.contains(&secret[secret.len() - 10..]), "{all}");
        }
    }
}

#[test]
fn malformed_policy_is_exit_2_with_line_and_column() {
    let dir = tree(&[
        (
            "keyward.toml",
            "[variables.JWT_SECRET]\nkind = \"jwt-secret\nrequired = true\n",
        ),
        (".env", "A=1\n"),
    ]);
    keyward()
        .current_dir(dir.path())
        .args(["env", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"keyward\.toml:2:\d+: ").unwrap());
}

#[test]
fn unknown_policy_keys_are_exit_2_with_did_you_mean() {
    let dir = tree(&[
        (
            "keyward.toml",
            "[environments.production]\nstripe_mod = \"live\"\n",
        ),
        (".env", "A=1\n"),
    ]);
    keyward()
        .current_dir(dir.path())
        .args(["env", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keyward.toml:2:1"))
        .stderr(predicate::str::contains("did you mean `stripe_mode`?"));

    fs::write(
        dir.path().join("keyward.toml"),
        "[variables.JWT_SECRET]\nkind = \"jwt-secrets\"\n",
    )
    .unwrap();
    keyward()
        .current_dir(dir.path())
        .args(["env", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keyward.toml:2:8"))
        .stderr(predicate::str::contains("did you mean `jwt-secret`?"));

    fs::write(
        dir.path().join("keyward.toml"),
        "[variables.JWT_SECRET.rotation]\ninterval_day = 90\n",
    )
    .unwrap();
    keyward()
        .current_dir(dir.path())
        .args(["env", "generate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `interval_days`?"));
}

#[test]
fn unreadable_files_are_exit_2() {
    let dir = tree(&[("dir/.keep", ""), ("latin1.env", "")]);
    fs::write(dir.path().join("latin1.env"), b"A=caf\xe9\n").unwrap();
    for (args, expect) in [
        (
            vec!["env", "check", "missing.env"],
            "cannot read missing.env",
        ),
        (vec!["env", "check", "dir"], "cannot read dir"),
        (vec!["env", "check", "latin1.env"], "not UTF-8"),
        (vec!["env", "check"], "no .env to check"),
        (
            vec!["env", "generate", "--from", "nope"],
            "cannot read nope",
        ),
        (vec!["init", "--from", "nope"], "cannot read nope"),
        (
            vec!["env", "check", "-c", "nope.toml"],
            "cannot read policy nope.toml",
        ),
    ] {
        keyward()
            .current_dir(dir.path())
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expect));
    }
}

#[test]
fn unknown_environment_is_exit_2() {
    let dir = tree(&[
        ("keyward.toml", "[environments.production]\n"),
        (".env", "A=1\n"),
    ]);
    keyward()
        .current_dir(dir.path())
        .args(["env", "check", "--env", "prod"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown environment `prod`"));
}
