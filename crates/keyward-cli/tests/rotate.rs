//! End-to-end tests of rotation, revocation and incidents on the built binary: crash
//! recovery against the machine's Redis and PostgreSQL (`KEYWARD_TEST_REDIS_URL`,
//! `KEYWARD_TEST_POSTGRES_URL`; skipped with a note when unset), schedules with an
//! injected clock (`KEYWARD_NOW`), JWT grace in exports, command and manual targets, and
//! an incident report tied to a scan finding's commit.

#[path = "support/rotation.rs"]
mod rotation;

use rotation::*;
use serde_json::Value;
use std::fs;
use std::time::Duration;

#[test]
fn redis_rotation_survives_a_crash_after_every_step() {
    let Some(url) = url("KEYWARD_TEST_REDIS_URL") else {
        return;
    };
    for point in CRASH_POINTS {
        let old = "crash-old-password-0123456789abcdef";
        let user = RedisUser::new(&url, old);
        let mut env = Env::new(&format!(
            "[variables.REDIS_PASSWORD.rotation]\ngrace_days = 0\ntarget = {{ type = \"redis\", user = \"{}\", admin_url_env = \"KW_REDIS_ADMIN\" }}\n",
            user.name
        ));
        env.vars.push(("KW_REDIS_ADMIN".into(), url.clone()));
        env.set("production/REDIS_PASSWORD", old, "redis-password");
        let out = env.run_with(
            &["rotate", "production/REDIS_PASSWORD"],
            None,
            &[("KEYWARD_TEST_CRASH_AFTER", point)],
        );
        assert_eq!(
            out.status.code(),
            Some(137),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A direct write now would strand the rotation: refused, naming it (issue 13 #1).
        assert_direct_write_refused(&env, "production/REDIS_PASSWORD", point);
        // The credential the store serves works at the moment of the crash.
        let current = env.get("production/REDIS_PASSWORD", None).unwrap();
        assert!(
            user.works(&current),
            "{point}: the store's current password must work on Redis"
        );
        // A cron re-run completes the rotation.
        env.ok(&["rotate", "--due"], None);
        let current = env.get("production/REDIS_PASSWORD", None).unwrap();
        assert_ne!(current, old, "{point}: rotated");
        assert!(user.works(&current), "{point}: new password works");
        assert!(
            !user.works(old),
            "{point}: old password removed after finish (grace 0)"
        );
        assert!(
            env.get("production/REDIS_PASSWORD", Some("pending"))
                .is_none(),
            "{point}: no pending left"
        );
        assert!(
            env.get("production/REDIS_PASSWORD", Some("previous"))
                .is_none(),
            "{point}: previous retired"
        );
        let status = env.json(&["rotation", "status", "--format", "json"], &[]);
        assert_eq!(status["secrets"][0]["state"], "idle", "{point}");
        assert!(status["secrets"][0]["last_error"].is_null(), "{point}");
        let history = env.json(
            &[
                "secret",
                "history",
                "production/REDIS_PASSWORD",
                "-f",
                "json",
            ],
            &[],
        );
        assert_eq!(
            history.as_array().unwrap().len(),
            2,
            "{point}: exactly one rotation: {history}"
        );
        env.ok(&["audit", "verify"], None);
    }
}

#[test]
fn postgres_alternating_rotation_survives_a_crash_after_every_step() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let accepted = |admin: &mut postgres::Client, role: &str, pw: &str| {
        keyward_rotate::target::postgres::password_accepted(admin, role, pw.as_bytes()).unwrap()
    };
    for point in CRASH_POINTS {
        let role = unique("kw_crash");
        let clone = format!("{role}_clone");
        let old = "pg-crash-old-password-0123456789abc";
        admin
            .batch_execute(&format!(
                "CREATE ROLE \"{role}\" LOGIN PASSWORD '{old}'; CREATE ROLE \"{clone}\" LOGIN;"
            ))
            .unwrap();
        let mut env = Env::new(&format!(
            "[variables.DB_PASSWORD]\nkind = \"postgres-password\"\n[variables.DB_PASSWORD.rotation]\ngrace_days = 0\ntarget = {{ type = \"postgres\", role = \"{role}\", strategy = \"alternating\", admin_url_env = \"KW_PG_ADMIN\" }}\n"
        ));
        env.vars.push(("KW_PG_ADMIN".into(), url.clone()));
        env.set("production/DB_PASSWORD", old, "postgres-password");
        let out = env.run_with(
            &["rotate", "production/DB_PASSWORD"],
            None,
            &[("KEYWARD_TEST_CRASH_AFTER", point)],
        );
        assert_eq!(
            out.status.code(),
            Some(137),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_direct_write_refused(&env, "production/DB_PASSWORD", point);
        let current = env.get("production/DB_PASSWORD", None).unwrap();
        assert!(
            accepted(&mut admin, &role, &current) || accepted(&mut admin, &clone, &current),
            "{point}: the store's current password must be accepted by one of the roles"
        );
        env.ok(&["rotate", "--due"], None);
        let current = env.get("production/DB_PASSWORD", None).unwrap();
        assert!(
            accepted(&mut admin, &clone, &current),
            "{point}: new login works"
        );
        assert!(
            !accepted(&mut admin, &role, old),
            "{point}: old login stopped after finish"
        );
        let status = env.json(&["rotation", "status", "--format", "json"], &[]);
        assert_eq!(status["secrets"][0]["state"], "idle", "{point}");
        assert_eq!(status["secrets"][0]["login"], clone.as_str(), "{point}");
        admin
            .batch_execute(&format!("DROP ROLE \"{role}\"; DROP ROLE \"{clone}\";"))
            .unwrap();
    }
}

#[test]
fn status_and_due_on_overdue_due_soon_and_fresh_secrets() {
    let env = Env::new(
        "[variables.JWT_SECRET]\nkind = \"jwt-secret\"\n[variables.JWT_SECRET.rotation]\ninterval_days = 90\n\n\
         [variables.SESSION_SECRET]\nkind = \"secret\"\n[variables.SESSION_SECRET.rotation]\ninterval_days = 100\ntarget = { type = \"command\", set = \"cat > /dev/null\" }\n\n\
         [variables.API_KEY]\nkind = \"api-key\"\n[variables.API_KEY.rotation]\ninterval_days = 365\ntarget = { type = \"command\", set = \"cat > /dev/null\" }\n\n\
         [variables.WEBHOOK_TOKEN]\nkind = \"api-key\"\n[variables.WEBHOOK_TOKEN.rotation]\ninterval_days = 30\ntarget = { type = \"command\", set = \"cat > /dev/null\", test = \"exit 3\" }\n",
    );
    env.set(
        "production/JWT_SECRET",
        "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=",
        "jwt-secret",
    );
    env.set(
        "production/SESSION_SECRET",
        "session-secret-0123456789abcdefghijklmnopq",
        "secret",
    );
    env.set(
        "production/API_KEY",
        "api-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "api-key",
    );
    env.set(
        "staging/WEBHOOK_TOKEN",
        "webhook-token-0123456789abcdefghijklmnopqrs",
        "api-key",
    );
    let now = in_days(95);
    let s = env.json(
        &["rotation", "status", "--format", "json"],
        &[("KEYWARD_NOW", &now)],
    );
    let row = |name: &str| {
        s["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    assert_eq!(row("JWT_SECRET")["schedule"], "overdue");
    assert_eq!(row("JWT_SECRET")["overdue_days"], 5);
    assert_eq!(row("JWT_SECRET")["target"], "jwt");
    assert_eq!(row("SESSION_SECRET")["schedule"], "due-soon");
    assert_eq!(row("API_KEY")["schedule"], "ok");
    assert_eq!(row("WEBHOOK_TOKEN")["schedule"], "overdue");
    let human = env.ok_with(
        &["rotation", "status", "--env", "production"],
        None,
        &[("KEYWARD_NOW", &now)],
    );
    assert!(
        human.contains("production/JWT_SECRET")
            && human.contains("overdue")
            && !human.contains("staging/"),
        "{human}"
    );

    // --due rotates the overdue ones; the webhook's test command fails: exit 1, rolled back.
    let out = env.run_with(&["rotate", "--due"], None, &[("KEYWARD_NOW", &now)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("staging/WEBHOOK_TOKEN: rotation failed"),
        "{stderr}"
    );
    assert!(stderr.contains("1 done, 1 failed"), "{stderr}");
    assert_ne!(
        env.get("production/JWT_SECRET", None).unwrap(),
        "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="
    );
    assert_eq!(
        env.get("production/SESSION_SECRET", None).unwrap(),
        "session-secret-0123456789abcdefghijklmnopq"
    );
    assert_eq!(
        env.get("staging/WEBHOOK_TOKEN", None).unwrap(),
        "webhook-token-0123456789abcdefghijklmnopqrs"
    );
    let s = env.json(
        &["rotation", "status", "--format", "json"],
        &[("KEYWARD_NOW", &now)],
    );
    let w = s["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "staging/WEBHOOK_TOKEN")
        .unwrap();
    assert!(
        w["last_error"]
            .as_str()
            .unwrap()
            .contains("test command failed"),
        "{w}"
    );
    let j = s["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "production/JWT_SECRET")
        .unwrap();
    assert_eq!(j["state"], "grace");
}

#[test]
fn jwt_previous_is_exported_during_the_grace_only() {
    let env = Env::new("[variables.JWT_SECRET]\nkind = \"jwt-secret\"\n[variables.JWT_SECRET.rotation]\ngrace_days = 1\n");
    let old = "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";
    env.set("production/JWT_SECRET", old, "jwt-secret");
    env.ok(&["rotate", "production/JWT_SECRET"], None);
    let dotenv = env.ok(&["export", "--env", "production"], None);
    assert!(
        dotenv.contains(&format!("JWT_SECRET_PREVIOUS='{old}'"))
            || dotenv.contains(&format!("JWT_SECRET_PREVIOUS={old}")),
        "{dotenv}"
    );
    let ring = env.json(&["rotation", "keyring", "production/JWT_SECRET"], &[]);
    assert_eq!(ring["keys"][0]["kid"], "JWT_SECRET-v2");
    assert_eq!(ring["keys"][1]["kid"], "JWT_SECRET-v1");
    assert_eq!(ring["keys"][1]["secret"], old);
    // Two days later the grace is over: the previous key is gone even before finish runs…
    let later = in_days(2);
    let dotenv = env.ok_with(
        &["export", "--env", "production"],
        None,
        &[("KEYWARD_NOW", &later)],
    );
    assert!(!dotenv.contains("JWT_SECRET_PREVIOUS"), "{dotenv}");
    // …and `rotate --due` finishes it.
    env.ok_with(&["rotate", "--due"], None, &[("KEYWARD_NOW", &later)]);
    assert!(env.get("production/JWT_SECRET", Some("previous")).is_none());
    let ring = env.json(&["rotation", "keyring", "production/JWT_SECRET"], &[]);
    assert_eq!(ring["keys"].as_array().unwrap().len(), 1);
}

#[test]
fn command_target_gets_the_value_on_stdin_and_its_output_is_redacted() {
    let env = Env::new(
        "[variables.MINIO_SECRET_KEY]\nkind = \"minio-secret-key\"\n[variables.MINIO_SECRET_KEY.rotation]\ngrace_days = 0\n\
         target = { type = \"command\", set = \"cat > applied.txt; echo \\\"applied $(cat applied.txt) args=$#\\\" >&2\", test = \"grep -q . applied.txt\", finish = \"cat > removed.txt\", timeout_secs = 5 }\n",
    );
    let old = "minio-old-secret-0123456789abcdefghijklmnop";
    env.set("production/MINIO_SECRET_KEY", old, "minio-secret-key");
    env.ok(&["rotate", "production/MINIO_SECRET_KEY"], None);
    let new = env.get("production/MINIO_SECRET_KEY", None).unwrap();
    assert_eq!(
        fs::read_to_string(env.path().join("applied.txt")).unwrap(),
        new
    );
    assert_eq!(
        fs::read_to_string(env.path().join("removed.txt")).unwrap(),
        old
    );
    let log = env.ok(&["audit", "log", "--format", "json"], None);
    assert!(log.contains("applied [REDACTED] args=0"), "{log}");
    assert!(!log.contains(&new) && !log.contains(old));
}

#[test]
fn command_timeout_fails_the_rotation_and_keeps_current() {
    let env = Env::new(
        "[variables.API_KEY.rotation]\ntarget = { type = \"command\", set = \"sleep 5\", timeout_secs = 1 }\n",
    );
    env.set(
        "production/API_KEY",
        "api-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "api-key",
    );
    let out = env.run_with(&["rotate", "production/API_KEY"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("timed out") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(
        env.get("production/API_KEY", None).unwrap(),
        "api-key-0123456789abcdefghijklmnopqrstuvwxyz"
    );
}

#[test]
fn manual_stripe_rotation_checks_format_and_mode_on_confirm() {
    let env = Env::new("[variables.STRIPE_SECRET_KEY]\nkind = \"stripe-secret-key\"\n");
    let old = "sk_live_51OldKey0123456789abcdefghijklmnop";
    env.set("production/STRIPE_SECRET_KEY", old, "stripe-secret-key");
    let out = env.run_with(&["rotate", "production/STRIPE_SECRET_KEY"], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success()
            && stderr.contains("Stripe Dashboard")
            && stderr.contains("keyward rotate confirm production/STRIPE_SECRET_KEY"),
        "{stderr}"
    );
    let test_key = b"sk_test_51NewKey0123456789abcdefghijklmnop\n";
    let out = env.run_with(
        &["rotate", "confirm", "production/STRIPE_SECRET_KEY"],
        Some(test_key),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("live Stripe keys"));
    let live = "sk_live_51NewKey0123456789abcdefghijklmnop";
    env.ok(
        &["rotate", "confirm", "production/STRIPE_SECRET_KEY"],
        Some(format!("{live}\n").as_bytes()),
    );
    assert_eq!(env.get("production/STRIPE_SECRET_KEY", None).unwrap(), live);
    assert_eq!(
        env.get("production/STRIPE_SECRET_KEY", Some("previous"))
            .unwrap(),
        old
    );
}

#[test]
fn incident_report_ties_a_revocation_to_the_scan_findings_commit() {
    let mut env = Env::new(
        "[variables.DATABASE_PASSWORD]\nkind = \"password\"\n[variables.DATABASE_PASSWORD.rotation]\n\
         target = { type = \"command\", set = \"cat > current.txt\", finish = \"cat > revoked.txt\" }\n",
    );
    // The organisation's fingerprint key: only with it can a finding be tied to a value.
    env.vars.push((
        "KEYWARD_FINGERPRINT_KEY".into(),
        "org-fingerprint-key-0123456789abcdef".into(),
    ));
    let leaked = "Xk9mP2vQ7wR4tY8uI3oL6aS1dF5gH0jZ";
    env.set("production/DATABASE_PASSWORD", leaked, "password");
    env.get("production/DATABASE_PASSWORD", None).unwrap(); // a read before the revocation
    env.ok(&["export", "--env", "production"], None);
    // The leak: a commit in a repository, found by a history scan.
    let repo = env.path().join("app");
    fs::create_dir(&repo).unwrap();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("HOME", &repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Mallory Dev")
            .env("GIT_AUTHOR_EMAIL", "mallory@example.com")
            .env("GIT_COMMITTER_NAME", "Mallory Dev")
            .env("GIT_COMMITTER_EMAIL", "mallory@example.com")
            .env("GIT_AUTHOR_DATE", "2026-01-15T09:30:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-15T09:30:00Z")
            .status()
            .unwrap();
        assert!(st.success());
    };
    git(&["init", "-q", "-b", "main"]);
    fs::write(repo.join(".env"), format!("DATABASE_PASSWORD={leaked}\n")).unwrap();
    git(&["add", ".env"]);
    git(&["commit", "-q", "-m", "add config"]);
    let out = env.run_with(&["scan", "--git", "-f", "json", "app"], None, &[]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = &report["findings"][0];
    let fp = finding["fingerprint"].as_str().unwrap().to_string();
    let commit = finding["commit"].as_str().unwrap().to_string();
    fs::write(env.path().join("scan.json"), &out.stdout).unwrap();

    env.ok(
        &[
            "revoke",
            "production/DATABASE_PASSWORD",
            "--reason",
            "committed to git",
            "--finding",
            &fp,
            "--report",
            "scan.json",
        ],
        None,
    );
    assert_eq!(
        fs::read_to_string(env.path().join("revoked.txt")).unwrap(),
        leaked,
        "old credential removed at once"
    );
    assert!(env
        .get("production/DATABASE_PASSWORD", Some("previous"))
        .is_none());
    let list = env.ok(&["incident", "list"], None);
    assert!(
        list.contains("INC-production-DATABASE_PASSWORD-v1") && list.contains("closed"),
        "{list}"
    );
    let md = env.ok(
        &["incident", "show", "INC-production-DATABASE_PASSWORD-v1"],
        None,
    );
    assert!(md.contains(&commit), "{md}");
    assert!(md.contains("Exposure start**: 2026-01-15T09:30:00"), "{md}");
    assert!(md.contains("Mallory Dev"), "{md}");
    assert!(
        md.contains("Fingerprint matches the revoked value: yes"),
        "{md}"
    );
    assert!(!md.contains(leaked));
    let j = env.json(
        &[
            "incident",
            "show",
            "INC-production-DATABASE_PASSWORD-v1",
            "--format",
            "json",
        ],
        &[],
    );
    let reads: Vec<&str> = j["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(
        reads.contains(&"read") && reads.contains(&"export"),
        "{reads:?}"
    );
    let actions: Vec<&str> = j["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for a in [
        "incident.open",
        "rotate.create",
        "rotate.set",
        "rotate.promote",
        "rotate.finish",
        "revoke",
        "incident.close",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(j["closed_at"].is_string());
    let hist = env.json(
        &[
            "secret",
            "history",
            "production/DATABASE_PASSWORD",
            "-f",
            "json",
        ],
        &[],
    );
    assert_eq!(hist[1]["stage"], "revoked");
}

#[test]
fn concurrent_rotate_and_due_run_the_set_hook_once() {
    let env = Env::new(
        "[variables.API_KEY]\nkind = \"api-key\"\n[variables.API_KEY.rotation]\ngrace_days = 0\n\
         target = { type = \"command\", set = \"echo run >> set.log; sleep 3\", test = \"echo t >> test.log\", timeout_secs = 20 }\n",
    );
    let old = "api-key-0123456789abcdefghijklmnopqrstuvwxyz";
    env.set("production/API_KEY", old, "api-key");
    let first = spawn_cmd(&env, &["rotate", "production/API_KEY"])
        .spawn()
        .unwrap();
    wait_for_file(&env.path().join("set.log"));
    // A cron run while the first is inside its set hook: skipped, not failed, target untouched.
    let out = env.run_with(&["rotate", "--due"], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("production/API_KEY: skipped")
            && stderr.contains("another process")
            && stderr.contains("0 done, 0 failed, 1 skipped"),
        "{stderr}"
    );
    // A second explicit rotation: refused with one line, exit 2.
    let out = env.run_with(&["rotate", "production/API_KEY"], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("being rotated by another process"),
        "{stderr}"
    );
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let runs = |f: &str| {
        fs::read_to_string(env.path().join(f))
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!(runs("set.log"), 1, "set ran once");
    assert_eq!(runs("test.log"), 1, "test ran once");
    let status = env.json(&["rotation", "status", "--format", "json"], &[]);
    assert_eq!(status["secrets"][0]["state"], "idle");
    assert!(status["secrets"][0]["last_error"].is_null());
    let history = env.json(
        &["secret", "history", "production/API_KEY", "-f", "json"],
        &[],
    );
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_ne!(env.get("production/API_KEY", None).unwrap(), old);
    env.ok(&["audit", "verify"], None);
}

#[test]
fn command_timeout_kills_the_hooks_process_group() {
    // `sleep 30` as a grandchild holding the output pipe: killing `sh` alone used to leave
    // keyward reading until it exited.
    for set in ["sleep 30", "sleep 30 & echo $! > sleeper.pid; wait"] {
        let env = Env::new(&format!(
            "[variables.API_KEY.rotation]\ntarget = {{ type = \"command\", set = \"{set}\", timeout_secs = 2 }}\n"
        ));
        let value = "api-key-0123456789abcdefghijklmnopqrstuvwxyz";
        env.set("production/API_KEY", value, "api-key");
        let t = std::time::Instant::now();
        let out = env.run_with(&["rotate", "production/API_KEY"], None, &[]);
        let took = t.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {stderr}");
        assert!(took < Duration::from_secs(8), "{set}: took {took:?}");
        assert!(
            stderr.contains("timed out after 2s") && stderr.lines().count() == 1,
            "{stderr}"
        );
        assert_eq!(env.get("production/API_KEY", None).unwrap(), value);
        if let Ok(pid) = fs::read_to_string(env.path().join("sleeper.pid")) {
            let pid = pid.trim();
            let t = std::time::Instant::now();
            while !gone(pid) && t.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(gone(pid), "the hook's background sleep {pid} was killed");
        }
    }
}

#[test]
fn command_hooks_never_see_the_master_key_and_output_stays_out_of_status() {
    let mut env = Env::new(
        "[variables.API_KEY]\nkind = \"api-key\"\n[variables.API_KEY.rotation]\n\
         target = { type = \"command\", timeout_secs = 10, set = \"v=$(cat); env > hook-env.txt; printf %s \\\"$v\\\" | base64 -w0 > b64.txt; echo \\\"mk=$KEYWARD_MASTER_KEY nk=$KEYWARD_NEW_MASTER_KEY adm=$KW_REDIS_ADMIN\\\"; echo \\\"mk=$KEYWARD_MASTER_KEY raw=$v b64=$(cat b64.txt)\\\" >&2; exit 1\" }\n\
         [variables.REDIS_PASSWORD.rotation]\n\
         target = { type = \"redis\", user = \"app\", admin_url_env = \"KW_REDIS_ADMIN\" }\n",
    );
    let admin = "redis://:redis-admin-pw-0123456789@127.0.0.1:6379";
    env.vars.push(("KW_REDIS_ADMIN".into(), admin.into()));
    env.vars.push((
        "KEYWARD_NEW_MASTER_KEY".into(),
        "bmV3LW1hc3Rlci1rZXktMDEyMzQ1Njc4OWFiY2Q=".into(),
    ));
    env.set(
        "production/API_KEY",
        "api-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "api-key",
    );
    let out = env.run_with(&["rotate", "production/API_KEY"], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("set command failed (exit status: 1)"),
        "{stderr}"
    );
    let hook_env = fs::read_to_string(env.path().join("hook-env.txt")).unwrap();
    for var in [
        "KEYWARD_MASTER_KEY",
        "KEYWARD_NEW_MASTER_KEY",
        "KW_REDIS_ADMIN",
    ] {
        assert!(!hook_env.contains(var), "{var} reached the hook");
    }
    assert!(hook_env.contains("KEYWARD_SECRET_PATH=production/API_KEY"));
    let pending = env.get("production/API_KEY", Some("pending")).unwrap();
    let b64 = fs::read_to_string(env.path().join("b64.txt")).unwrap();
    assert!(b64.len() > 20, "{b64}");
    let status = env.ok(&["rotation", "status", "--format", "json"], None);
    let human = env.ok(&["rotation", "status"], None);
    let log = env.ok(&["audit", "log", "--format", "json"], None);
    assert!(
        log.contains("[REDACTED]"),
        "the stderr tail is audited, redacted: {log}"
    );
    assert!(
        status.contains("set: set command failed (exit status: 1)"),
        "{status}"
    );
    for (what, text) in [
        ("stderr", &stderr),
        ("status", &status),
        ("status (human)", &human),
        ("audit log", &log),
    ] {
        for (secret, v) in [
            ("master key", KEY),
            ("new master key", "bmV3LW1hc3Rlci1rZXktMDEyMzQ1Njc4OWFiY2Q="),
            ("admin url", admin),
            ("value", pending.as_str()),
            ("base64 of the value", b64.as_str()),
        ] {
            assert!(!text.contains(v), "{secret} leaked into {what}: {text}");
        }
    }
    // The hook's stdout is not kept anywhere.
    assert!(!log.contains("nk="), "{log}");
}
