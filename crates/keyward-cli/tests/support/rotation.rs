//! The rotation end-to-end suites' shared fixture: a project directory with a policy and a
//! SQLite store, the built binary run in it, throw-away Redis users, unique names.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};
use tempfile::TempDir;

pub const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";

/// A project directory with `keyward.toml` and an initialized store; `vars` are added to
/// every command's environment.
pub struct Env {
    pub dir: TempDir,
    pub vars: Vec<(String, String)>,
}

impl Env {
    pub fn new(policy: &str) -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            vars: Vec::new(),
        };
        fs::write(env.path().join("keyward.toml"), policy).unwrap();
        env.ok(&["store", "init"], None);
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("keyward").unwrap();
        c.current_dir(self.path())
            .env_remove("KEYWARD_STORE")
            .env_remove("KEYWARD_NOW")
            .env_remove("KEYWARD_TEST_CRASH_AFTER")
            .env("KEYWARD_MASTER_KEY", KEY)
            .env("USER", "e2e-tester")
            .args(args);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    pub fn run_with(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
        env: &[(&str, &str)],
    ) -> std::process::Output {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.write_stdin(stdin.unwrap_or_default().to_vec());
        c.output().unwrap()
    }

    pub fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> String {
        self.ok_with(args, stdin, &[])
    }

    pub fn ok_with(&self, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> String {
        let out = self.run_with(args, stdin, env);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn set(&self, path: &str, value: &str, kind: &str) {
        self.ok(
            &["secret", "set", "--raw", "--kind", kind, path],
            Some(value.as_bytes()),
        );
    }

    pub fn get(&self, path: &str, stage: Option<&str>) -> Option<String> {
        let mut args = vec!["secret", "get", path];
        if let Some(s) = stage {
            args.extend(["--stage", s]);
        }
        let out = self.run_with(&args, None, &[]);
        out.status.success().then(|| {
            String::from_utf8(out.stdout)
                .unwrap()
                .trim_end()
                .to_string()
        })
    }

    pub fn json(&self, args: &[&str], env: &[(&str, &str)]) -> Value {
        serde_json::from_str(&self.ok_with(args, None, env)).unwrap()
    }
}

pub fn unique(prefix: &str) -> String {
    let n = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), n % 1_000_000_000)
}

/// The URL in `var`, or `None` after a visible skip note (stderr and the CI skip log).
pub fn url(var: &str) -> Option<String> {
    keyward_store::testing::service_url(var)
}

/// `days` from now, RFC 3339.
pub fn in_days(days: u64) -> String {
    let t = SystemTime::now() + Duration::from_secs(days * 86_400);
    keyward_rotate::clock::format(t)
}

pub const CRASH_POINTS: &[&str] = &[
    "create",
    "create+recorded",
    "set",
    "set+recorded",
    "test",
    "test+recorded",
    "promote",
    "promote+recorded",
    "finish",
    "finish+recorded",
];

/// A throw-away Redis ACL user, deleted on drop.
pub struct RedisUser {
    pub url: String,
    pub name: String,
}

impl RedisUser {
    pub fn new(url: &str, password: &str) -> RedisUser {
        let name = unique("kw_e2e");
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        let pw = format!(">{password}");
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg(&name)
            .arg(vec!["reset", "on", pw.as_str(), "+ping"])
            .query::<()>(&mut c)
            .unwrap();
        RedisUser {
            url: url.into(),
            name,
        }
    }
    pub fn works(&self, pw: &str) -> bool {
        keyward_rotate::target::redis::auth_ok(&self.url, &self.name, pw.as_bytes()).unwrap()
    }
}

impl Drop for RedisUser {
    fn drop(&mut self) {
        if let Ok(mut c) = redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection()) {
            let _: redis::RedisResult<i64> = redis::cmd("ACL")
                .arg("DELUSER")
                .arg(&self.name)
                .query(&mut c);
        }
    }
}

/// A `std` command for the binary (to run in the background), set up like `Env::cmd`.
pub fn spawn_cmd(env: &Env, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("keyward"));
    c.current_dir(env.path())
        .env_remove("KEYWARD_STORE")
        .env_remove("KEYWARD_NOW")
        .env_remove("KEYWARD_TEST_CRASH_AFTER")
        .env("KEYWARD_MASTER_KEY", KEY)
        .env("USER", "e2e-tester")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

pub fn wait_for_file(path: &Path) {
    let t = std::time::Instant::now();
    while !path.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{path:?} never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` is gone (or a zombie nobody reaped yet).
pub fn gone(pid: &str) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z')),
    }
}

/// `secret set` and `secret rm` on `path` fail (exit 2, one line naming the rotation and
/// the way out) and change nothing: a rotation is in progress or holds its lease.
pub fn assert_direct_write_refused(env: &Env, path: &str, when: &str) {
    let before = env.get(path, None);
    for args in [
        vec!["secret", "set", "--raw", path],
        vec!["secret", "rm", path],
    ] {
        let out = env.run_with(&args, Some(b"direct-write-during-a-rotation"), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{when}: {args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{path}: direct writes are refused while a rotation"
            )) && stderr.contains(&format!("keyward rotate --abort {path}"))
                && stderr.lines().count() == 1,
            "{when}: {args:?}: {stderr}"
        );
    }
    assert_eq!(env.get(path, None), before, "{when}: nothing changed");
}
