//! Issue 13, rotation items on the built binary: direct writes during a rotation (1) and
//! `rotate --abort`, a SIGKILL during a command hook (2), `last_error` after a successful
//! resume (4), PostgreSQL with a CREATEROLE-only admin (5), and the fault hook kept out of
//! release builds (20). Every run ends with the target and the store agreeing.

#[path = "support/rotation.rs"]
mod rotation;

use rotation::*;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const OLD: &str = "api-key-old-0123456789abcdefghijklmnopqrstuvwxyz";
const P: &str = "production/API_KEY";
/// The test hook: the value on stdin is what `target.txt` holds.
const TEST_HOOK: &str = "[ \\\"$(cat)\\\" = \\\"$(cat target.txt)\\\" ]";

/// A command target whose hooks apply the value to `target.txt` (and `rollback` puts the
/// old one back); `hooks` replaces some of them (TOML-escaped shell).
fn command_env(grace: u32, hooks: &[(&str, &str)]) -> Env {
    let mut all = [
        ("set", "cat > target.txt".to_string()),
        ("test", TEST_HOOK.to_string()),
        ("rollback", "cat > target.txt".to_string()),
        ("finish", "cat > removed.txt".to_string()),
    ];
    for (k, v) in hooks {
        all.iter_mut().find(|(n, _)| n == k).unwrap().1 = v.to_string();
    }
    let fields: Vec<String> = all.iter().map(|(k, v)| format!("{k} = \"{v}\"")).collect();
    let env = Env::new(&format!(
        "[variables.API_KEY]\nkind = \"api-key\"\n[variables.API_KEY.rotation]\ngrace_days = {grace}\n\
         target = {{ type = \"command\", timeout_secs = 30, {} }}\n",
        fields.join(", ")
    ));
    env.set(P, OLD, "api-key");
    fs::write(env.path().join("target.txt"), OLD).unwrap();
    env
}

fn target(env: &Env) -> String {
    fs::read_to_string(env.path().join("target.txt")).unwrap()
}

fn status(env: &Env) -> serde_json::Value {
    env.json(&["rotation", "status", "--format", "json"], &[])["secrets"][0].clone()
}

/// The rotation is over: idle, no error, no pending version, the target holds the value
/// the store serves.
fn assert_settled(env: &Env, when: &str) {
    let st = status(env);
    assert_eq!(st["state"], "idle", "{when}: {st}");
    assert!(st["last_error"].is_null(), "{when}: {st}");
    assert!(
        env.get(P, Some("pending")).is_none(),
        "{when}: no pending left"
    );
    assert_eq!(
        target(env),
        env.get(P, None).unwrap(),
        "{when}: target == store"
    );
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn item_01_direct_writes_are_refused_during_every_live_rotation_step() {
    // Each hook signals it started, then waits for the test's go-ahead.
    let gate = |step: &str, action: &str| {
        format!("touch at-{step}; while [ ! -f go-{step} ]; do sleep 0.05; done; {action}")
    };
    let (set, test, finish) = (
        gate("set", "cat > target.txt"),
        gate("test", TEST_HOOK),
        gate("finish", "cat > removed.txt"),
    );
    let env = command_env(0, &[("set", &set), ("test", &test), ("finish", &finish)]);
    let rotation = spawn_cmd(&env, &["rotate", P]).spawn().unwrap();
    for step in ["set", "test", "finish"] {
        wait_for_file(&env.path().join(format!("at-{step}")));
        assert_direct_write_refused(&env, P, step);
        fs::write(env.path().join(format!("go-{step}")), "").unwrap();
    }
    let out = rotation.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_settled(&env, "after the rotation");
    assert_eq!(
        fs::read_to_string(env.path().join("removed.txt")).unwrap(),
        OLD
    );
    // The lock is gone with the rotation.
    env.ok(
        &["secret", "set", "--raw", P],
        Some(b"a-direct-write-now-allowed"),
    );
    env.ok(&["audit", "verify"], None);
}

#[test]
fn item_01_a_crash_at_any_step_refuses_direct_writes_until_resumed() {
    for point in CRASH_POINTS {
        let env = command_env(0, &[]);
        let out = env.run_with(&["rotate", P], None, &[("KEYWARD_TEST_CRASH_AFTER", point)]);
        assert_eq!(out.status.code(), Some(137), "{point}: {}", stderr_of(&out));
        assert_direct_write_refused(&env, P, point);
        env.ok(&["rotate", "--due"], None);
        assert_settled(&env, point);
        assert_ne!(env.get(P, None).unwrap(), OLD, "{point}: rotated");
        env.ok(
            &["secret", "set", "--raw", P],
            Some(b"a-direct-write-now-allowed"),
        );
    }
}

#[test]
fn item_01_rotate_abort_rolls_back_and_lifts_the_lock() {
    let env = command_env(1, &[]);
    let out = env.run_with(
        &["rotate", P],
        None,
        &[("KEYWARD_TEST_CRASH_AFTER", "set+recorded")],
    );
    assert_eq!(out.status.code(), Some(137), "{}", stderr_of(&out));
    assert_ne!(target(&env), OLD, "the target got the new value");
    assert_direct_write_refused(&env, P, "after the crash");
    let out = env.run_with(
        &["rotate", "--abort", P, "--reason", "vendor outage"],
        None,
        &[],
    );
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("rotation abandoned at step set")
            && err.contains("pending version 2 discarded")
            && err.contains("target rolled back"),
        "{err}"
    );
    assert_settled(&env, "after --abort");
    assert_eq!(
        env.get(P, None).unwrap(),
        OLD,
        "the old value is still current"
    );
    let history = env.json(&["secret", "history", P, "-f", "json"], &[]);
    assert_eq!(history[0]["stage"], "retired", "{history}");
    let log = env.ok(&["audit", "log", "--path", P], None);
    assert!(
        log.contains("rotate.abort") && log.contains("vendor outage"),
        "{log}"
    );
    // Nothing in progress now: nothing to abort; direct writes work again.
    let out = env.run_with(&["rotate", "--abort", P], None, &[]);
    assert!(
        stderr_of(&out).contains("nothing to abort"),
        "{}",
        stderr_of(&out)
    );
    env.ok(
        &["secret", "set", "--raw", P],
        Some(b"a-direct-write-now-allowed"),
    );
    fs::write(env.path().join("target.txt"), "a-direct-write-now-allowed").unwrap();
    // A completed rotation in its grace is not aborted: --finish ends the grace.
    env.ok(&["rotate", P], None);
    let out = env.run_with(&["rotate", "--abort", P], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains(&format!("keyward rotate --finish {P}")));
}

#[test]
fn item_01_rotate_abort_after_a_crash_at_any_step_leaves_target_and_store_agreeing() {
    for point in CRASH_POINTS {
        let env = command_env(0, &[]);
        let out = env.run_with(&["rotate", P], None, &[("KEYWARD_TEST_CRASH_AFTER", point)]);
        assert_eq!(out.status.code(), Some(137), "{point}: {}", stderr_of(&out));
        let out = env.run_with(&["rotate", "--abort", P], None, &[]);
        let err = stderr_of(&out);
        if *point == "promote" {
            // Promoted in the store but not recorded: nothing to roll back, finish it.
            assert_eq!(out.status.code(), Some(2), "{point}: {err}");
            assert!(
                err.contains(&format!("complete it with `keyward rotate {P}`")),
                "{err}"
            );
            env.ok(&["rotate", P], None);
        } else {
            assert!(out.status.success(), "{point}: {err}");
        }
        assert!(
            env.get(P, Some("pending")).is_none(),
            "{point}: no pending left"
        );
        assert_eq!(
            target(&env),
            env.get(P, None).unwrap(),
            "{point}: target == store"
        );
        let st = status(&env);
        assert!(
            st["lease"].is_null() && st["last_error"].is_null(),
            "{point}: {st}"
        );
        env.ok(
            &["secret", "set", "--raw", P],
            Some(b"a-direct-write-now-allowed"),
        );
    }
}

#[test]
fn item_01_rotate_abort_leaves_a_live_rotation_alone() {
    let env = command_env(
        0,
        &[(
            "set",
            "touch at-set; while [ ! -f go ]; do sleep 0.05; done; cat > target.txt",
        )],
    );
    let rotation = spawn_cmd(&env, &["rotate", P]).spawn().unwrap();
    wait_for_file(&env.path().join("at-set"));
    let out = env.run_with(&["rotate", "--abort", P], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("being rotated by another process"));
    fs::write(env.path().join("go"), "").unwrap();
    assert!(rotation.wait_with_output().unwrap().status.success());
    assert_settled(&env, "the live rotation finished");
}

#[test]
fn item_02_a_hook_left_by_a_killed_rotation_is_stopped_before_the_step_repeats() {
    let env = command_env(
        0,
        &[(
            "set",
            "echo start $$ >> hooks.log; sleep 3; echo end $$ >> hooks.log; cat > target.txt",
        )],
    );
    let log = env.path().join("hooks.log");
    let mut first = spawn_cmd(&env, &["rotate", P]).spawn().unwrap();
    wait_for_file(&log);
    // The shell creates the file before `echo` writes the line: wait for the whole line.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fs::read_to_string(&log).unwrap_or_default().ends_with('\n') {
        assert!(Instant::now() < deadline, "the hook never logged its start");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap(); // SIGKILL: the hook's process group lives on
    first.wait().unwrap();
    let orphan = fs::read_to_string(&log).unwrap();
    let orphan_pid = orphan.split_whitespace().nth(1).unwrap().to_string();
    assert!(!gone(&orphan_pid), "the hook outlived keyward");
    // A cron run right away resumes the rotation.
    let t = Instant::now();
    let out = env.run_with(&["rotate", "--due"], None, &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(gone(&orphan_pid), "the orphaned hook was stopped");
    // The orphan never finished, and never ran beside the resumed hook.
    std::thread::sleep(Duration::from_secs(4).saturating_sub(t.elapsed()));
    let lines: Vec<String> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], format!("start {orphan_pid}"), "{lines:?}");
    assert!(
        lines[1].starts_with("start ") && lines[2].starts_with("end "),
        "{lines:?}"
    );
    assert_eq!(lines[1][6..], lines[2][4..], "one resumed hook: {lines:?}");
    assert_settled(&env, "after the resume");
    let audit = env.ok(&["audit", "log", "--path", P], None);
    assert!(
        audit.contains("stopped the set hook of an interrupted rotation"),
        "{audit}"
    );
}

#[test]
fn item_04_last_error_is_cleared_when_the_resumed_step_succeeds() {
    let env = command_env(
        1,
        &[(
            "set",
            "if [ -f fail-once ]; then rm fail-once; exit 3; fi; cat > target.txt",
        )],
    );
    fs::write(env.path().join("fail-once"), "").unwrap();
    let out = env.run_with(&["rotate", P], None, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let st = status(&env);
    assert_eq!(
        st["last_error"], "set: set command failed (exit status: 3)",
        "{st}"
    );
    // The cause is gone; the resumed rotation succeeds and enters its grace.
    env.ok(&["rotate", P], None);
    let st = status(&env);
    assert_eq!(st["state"], "grace", "{st}");
    assert!(st["last_error"].is_null(), "a stale error survived: {st}");
    assert_eq!(target(&env), env.get(P, None).unwrap());
}

/// A login role with CREATEROLE and nothing else, for the admin URL.
struct CreateRoleAdmin {
    superuser: postgres::Client,
    roles: Vec<String>,
}

impl Drop for CreateRoleAdmin {
    fn drop(&mut self) {
        for r in self.roles.iter().rev() {
            let _ = self
                .superuser
                .batch_execute(&format!("DROP ROLE IF EXISTS \"{r}\""));
        }
    }
}

/// `url` with its user replaced by `user` (the machine trusts loopback logins).
fn as_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

#[test]
fn item_05_postgres_rotation_resumes_with_a_createrole_only_admin() {
    let Some(url) = url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let admin_role = unique("kw_cradm");
    let mut fx = CreateRoleAdmin {
        superuser: postgres::Client::connect(&url, postgres::NoTls).unwrap(),
        roles: vec![admin_role.clone()],
    };
    fx.superuser
        .batch_execute(&format!(
            "CREATE ROLE \"{admin_role}\" LOGIN CREATEROLE NOSUPERUSER"
        ))
        .unwrap();
    let admin_url = as_user(&url, &admin_role);
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    let denied = admin
        .query_opt("SELECT 1 FROM pg_authid LIMIT 1", &[])
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
        "{denied:?}"
    );
    let accepted = |su: &mut postgres::Client, role: &str, pw: &str| {
        keyward_rotate::target::postgres::password_accepted(su, role, pw.as_bytes()).unwrap()
    };
    for point in CRASH_POINTS {
        let role = unique("kw_crapp");
        let clone = format!("{role}_clone");
        let old = "pg-createrole-old-password-0123456789";
        // The admin creates the roles it will rotate (as on managed PostgreSQL).
        admin
            .batch_execute(&format!(
                "CREATE ROLE \"{role}\" LOGIN PASSWORD '{old}'; CREATE ROLE \"{clone}\" LOGIN;"
            ))
            .unwrap();
        fx.roles.extend([role.clone(), clone.clone()]);
        let mut env = Env::new(&format!(
            "[variables.DB_PASSWORD]\nkind = \"postgres-password\"\n[variables.DB_PASSWORD.rotation]\ngrace_days = 0\ntarget = {{ type = \"postgres\", role = \"{role}\", strategy = \"alternating\", admin_url_env = \"KW_PG_CR_ADMIN\" }}\n"
        ));
        env.vars.push(("KW_PG_CR_ADMIN".into(), admin_url.clone()));
        env.set("production/DB_PASSWORD", old, "postgres-password");
        let out = env.run_with(
            &["rotate", "production/DB_PASSWORD"],
            None,
            &[("KEYWARD_TEST_CRASH_AFTER", point)],
        );
        assert_eq!(out.status.code(), Some(137), "{point}: {}", stderr_of(&out));
        assert_direct_write_refused(&env, "production/DB_PASSWORD", point);
        env.ok(&["rotate", "--due"], None);
        let current = env.get("production/DB_PASSWORD", None).unwrap();
        assert!(
            accepted(&mut fx.superuser, &clone, &current),
            "{point}: new login works"
        );
        assert!(
            !accepted(&mut fx.superuser, &role, old),
            "{point}: old login stopped"
        );
        let st = env.json(&["rotation", "status", "--format", "json"], &[]);
        assert_eq!(st["secrets"][0]["state"], "idle", "{point}");
        assert!(st["secrets"][0]["last_error"].is_null(), "{point}");
        let log = env.ok(&["audit", "log", "--path", "production/DB_PASSWORD"], None);
        // This machine trusts loopback logins: keyward says it could not verify.
        assert!(log.contains("NOT verified"), "{point}: {log}");
    }
    // Without CREATEROLE, keyward says exactly what is missing.
    let weak = unique("kw_weak");
    let app = unique("kw_weakapp");
    fx.superuser
        .batch_execute(&format!(
            "CREATE ROLE \"{weak}\" LOGIN; CREATE ROLE \"{app}\" LOGIN PASSWORD 'weak-old-0123456789abcdef'"
        ))
        .unwrap();
    fx.roles.extend([weak.clone(), app.clone()]);
    let mut env = Env::new(&format!(
        "[variables.DB_PASSWORD]\nkind = \"postgres-password\"\n[variables.DB_PASSWORD.rotation]\ntarget = {{ type = \"postgres\", role = \"{app}\", admin_url_env = \"KW_PG_WEAK_ADMIN\" }}\n"
    ));
    env.vars
        .push(("KW_PG_WEAK_ADMIN".into(), as_user(&url, &weak)));
    env.set(
        "production/DB_PASSWORD",
        "weak-old-0123456789abcdef",
        "postgres-password",
    );
    let out = env.run_with(&["rotate", "production/DB_PASSWORD"], None, &[]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("it needs CREATEROLE") && err.contains("needs no superuser"),
        "{err}"
    );
}

#[test]
fn item_20_the_fault_hook_is_only_in_test_builds() {
    // This test build has the hook (the crash tests rely on it).
    const { assert!(keyward_rotate::fault::ENABLED) };
    let tree = |edges: &str| {
        let out = std::process::Command::new(env!("CARGO"))
            .args([
                "tree",
                "--offline",
                "--locked",
                "-p",
                "keyward-cli",
                "-e",
                edges,
                "--prefix",
                "none",
                "-f",
                "{p} {f}",
                "-i",
                "keyward-rotate",
            ])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let shipped = tree("normal");
    let tests = tree("normal,dev");
    let first = |t: &str| t.lines().next().unwrap_or_default().to_string();
    assert!(first(&shipped).starts_with("keyward-rotate"), "{shipped}");
    assert!(
        !first(&shipped).contains("test-faults"),
        "the binary's build has it: {shipped}"
    );
    assert!(
        first(&tests).contains("test-faults"),
        "tests enable it: {tests}"
    );
}
