//! End-to-end tests of the store commands (`store`, `secret`, `import`, `export`, `run`,
//! `audit`) on the built binary, with a SQLite store in a temporary directory.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
const OTHER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Values that break naive dotenv writers.
const HARD: &[(&str, &str)] = &[
    ("QUOTES", r#"it's "quoted" and 'single' too"#),
    ("DOLLAR", "pa$$word ${HOME} $(id) `whoami` \\n \\ back"),
    ("SPACES", "  leading and trailing  "),
    ("PEM", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nbG9uZyBsaW5l+/=\n-----END PRIVATE KEY-----\n"),
    ("HASH", "value # not a comment; semi & amp | pipe > gt < lt * glob ?"),
    ("UNICODE", "pässwörd–日本語 ✓"),
    ("TRAILING_BACKSLASH", "ends with \\"),
    ("EQUALS", "a=b==c"),
];

struct Env {
    dir: TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        env.ok(&["store", "init"], None);
        env
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.path().join(".keyward/store.db")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("keyward").unwrap();
        c.current_dir(self.path())
            .env_remove("KEYWARD_STORE")
            .env_remove("KEYWARD_NEW_MASTER_KEY")
            .env("KEYWARD_MASTER_KEY", KEY)
            .env("USER", "e2e-tester")
            .args(args);
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
        let mut c = self.cmd(args);
        c.write_stdin(stdin.unwrap_or_default().to_vec());
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn set(&self, path: &str, value: &str) {
        self.ok(&["secret", "set", "--raw", path], Some(value.as_bytes()));
    }

    /// All bytes of the store's files (database, WAL, shared memory).
    fn store_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", self.db().display()));
            if let Ok(b) = fs::read(p) {
                all.extend(b);
            }
        }
        all
    }

    fn audit_json(&self) -> Vec<serde_json::Value> {
        let out = self.ok(&["audit", "log", "--format", "json"], None);
        serde_json::from_slice::<serde_json::Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Assert a failure is exit 2 with exactly one `keyward: error:` line on stderr.
fn one_line_error(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("keyward: error: "), "{err}");
    err
}

#[test]
fn set_get_round_trip_and_the_file_never_holds_plaintext() {
    let env = Env::new();
    let marker = "sk_live_PLAINTEXT_MARKER_4eC39HqLyjWDarjtT1zdp7dc";
    env.ok(
        &[
            "secret",
            "set",
            "production/STRIPE_SECRET_KEY",
            "--kind",
            "stripe-secret-key",
        ],
        Some(format!("{marker}\n").as_bytes()),
    );
    assert_eq!(
        env.ok(&["secret", "get", "production/STRIPE_SECRET_KEY"], None),
        marker.as_bytes()
    );
    for (name, value) in HARD {
        env.set(&format!("production/{name}"), value);
        assert_eq!(
            env.ok(&["secret", "get", &format!("production/{name}")], None),
            value.as_bytes(),
            "{name}"
        );
    }
    env.ok(
        &[
            "secret",
            "set",
            "production/JWT_SECRET",
            "--generate",
            "jwt-secret",
        ],
        None,
    );
    let jwt = env.ok(&["secret", "get", "production/JWT_SECRET"], None);
    assert_eq!(jwt.len(), 44, "32 random bytes in base64");
    // Reads, exports and runs all happened; none of it reaches the file in clear.
    env.ok(&["export", "--env", "production"], None);
    env.ok(&["run", "--env", "production", "--", "true"], None);
    let bytes = env.store_bytes();
    assert!(!bytes.is_empty());
    assert!(
        !contains(&bytes, marker.as_bytes()),
        "plaintext value in the store file"
    );
    assert!(!contains(&bytes, b"PLAINTEXT_MARKER"));
    assert!(!contains(&bytes, &jwt));
    for (_, value) in HARD {
        assert!(
            !contains(&bytes, value.as_bytes()),
            "plaintext {value:?} in the store file"
        );
    }
    assert!(
        !contains(&bytes, KEY.as_bytes()),
        "the master key is never stored"
    );
    // The audit log names actor and action, never the value.
    let log = env.audit_json();
    assert!(log.iter().all(|e| e["actor"] == "e2e-tester"));
    assert!(!serde_json::to_string(&log)
        .unwrap()
        .contains("PLAINTEXT_MARKER"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(env.db()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn export_dotenv_survives_bash_sourcing_byte_for_byte() {
    let env = Env::new();
    for (name, value) in HARD {
        env.set(&format!("staging/{name}"), value);
    }
    env.ok(
        &[
            "export",
            "--env",
            "staging",
            "--format",
            "dotenv",
            "-o",
            "staging.env",
        ],
        None,
    );
    let file = env.path().join("staging.env");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Source it in bash with allexport, then write every variable to its own file.
    let mut script = String::from("set -eu; set -a; . ./staging.env; set +a\n");
    for (name, _) in HARD {
        script.push_str(&format!("printf '%s' \"${name}\" > out_{name}\n"));
    }
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(env.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    for (name, value) in HARD {
        let got = fs::read(env.path().join(format!("out_{name}"))).unwrap();
        assert_eq!(got, value.as_bytes(), "{name} changed through bash");
    }
    // The same file read back by `keyward import` into another environment is identical.
    env.ok(&["import", "--env", "copy", "staging.env"], None);
    for (name, value) in HARD {
        assert_eq!(
            env.ok(&["secret", "get", &format!("copy/{name}")], None),
            value.as_bytes()
        );
    }
    // Re-importing changes nothing.
    let out = env.run(&["import", "--env", "copy", "staging.env"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 written"));
    // Refuses to overwrite an existing file.
    let out = env.run(&["export", "--env", "staging", "-o", "staging.env"], None);
    one_line_error(&out);
}

#[test]
fn run_passes_values_and_the_exit_code() {
    let env = Env::new();
    env.set("dev/PEM", HARD[3].1);
    env.set("dev/DOLLAR", HARD[1].1);
    let out = env.run(
        &[
            "run",
            "--env",
            "dev",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$PEM\" > pem.out; printf '%s' \"$DOLLAR\" > dollar.out; exit 42",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(42));
    assert_eq!(
        fs::read(env.path().join("pem.out")).unwrap(),
        HARD[3].1.as_bytes()
    );
    assert_eq!(
        fs::read(env.path().join("dollar.out")).unwrap(),
        HARD[1].1.as_bytes()
    );
    let out = env.run(&["run", "--env", "dev", "--", "sh", "-c", "exit 0"], None);
    assert_eq!(out.status.code(), Some(0));
    let log = env.audit_json();
    let runs: Vec<_> = log.iter().filter(|e| e["action"] == "run").collect();
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[0]["detail"], "command sh");
    // A missing command is a runtime error.
    one_line_error(&env.run(&["run", "--env", "dev", "--", "/no/such/command"], None));
}

#[test]
fn export_formats_json_k8s_and_docker() {
    let env = Env::new();
    env.set("production/API_KEY", "abc \"def\" $x");
    env.set("production/DB_PASSWORD", "p@ss word");
    let json: serde_json::Value = serde_json::from_slice(
        &env.ok(&["export", "--env", "production", "--format", "json"], None),
    )
    .unwrap();
    assert_eq!(json["API_KEY"], "abc \"def\" $x");
    let k8s = String::from_utf8(env.ok(
        &[
            "export",
            "--env",
            "production",
            "--format",
            "k8s",
            "--name",
            "app-secrets",
            "--namespace",
            "app",
        ],
        None,
    ))
    .unwrap();
    assert!(k8s.contains("kind: Secret\n"), "{k8s}");
    assert!(
        k8s.contains("  name: app-secrets\n  namespace: app\n"),
        "{k8s}"
    );
    assert!(k8s.contains("  DB_PASSWORD: cEBzcyB3b3Jk\n"), "{k8s}");
    assert!(!k8s.contains("p@ss"));
    let docker = String::from_utf8(env.ok(
        &["export", "--env", "production", "--format", "docker"],
        None,
    ))
    .unwrap();
    assert_eq!(docker, "API_KEY=abc \"def\" $x\nDB_PASSWORD=p@ss word\n");
    // A newline cannot go into a docker env-file: refused, naming the variable, nothing printed.
    env.set("production/TLS_KEY", "line1\nline2");
    let out = env.run(
        &["export", "--env", "production", "--format", "docker"],
        None,
    );
    let err = one_line_error(&out);
    assert!(err.contains("TLS_KEY") && err.contains("newline"), "{err}");
    assert!(out.stdout.is_empty());
    let failed = env
        .audit_json()
        .into_iter()
        .filter(|e| e["action"] == "export" && e["outcome"] != "ok")
        .count();
    assert_eq!(failed, 1);
    one_line_error(&env.run(&["export", "--env", "production", "--format", "yaml"], None));
    one_line_error(&env.run(
        &[
            "export",
            "--env",
            "production",
            "--format",
            "k8s",
            "--name",
            "Bad_Name",
        ],
        None,
    ));
}

#[test]
fn history_conflicts_delete_and_restore() {
    let env = Env::new();
    env.set("dev/TOKEN", "one");
    env.set("dev/TOKEN", "two");
    let history = String::from_utf8(env.ok(&["secret", "history", "dev/TOKEN"], None)).unwrap();
    assert!(history.starts_with("v2  current"), "{history}");
    assert!(history.contains("v1  previous"), "{history}");
    assert_eq!(
        env.ok(&["secret", "get", "dev/TOKEN", "--stage", "previous"], None),
        b"one"
    );
    assert_eq!(
        env.ok(&["secret", "get", "dev/TOKEN", "--version", "1"], None),
        b"one"
    );
    let err = one_line_error(&env.run(
        &["secret", "set", "dev/TOKEN", "--expected-version", "1"],
        Some(b"three"),
    ));
    assert!(err.contains("conflict"), "{err}");
    env.ok(
        &["secret", "set", "dev/TOKEN", "--expected-version", "2"],
        Some(b"three"),
    );
    one_line_error(&env.run(
        &["secret", "set", "dev/NEW", "--expected-version", "3"],
        Some(b"x"),
    ));
    env.ok(&["secret", "rm", "dev/TOKEN"], None);
    let err = one_line_error(&env.run(&["secret", "get", "dev/TOKEN"], None));
    assert!(err.contains("deleted"), "{err}");
    let list = String::from_utf8(env.ok(&["secret", "list", "dev/"], None)).unwrap();
    assert!(!list.contains("dev/TOKEN"));
    let list =
        String::from_utf8(env.ok(&["secret", "list", "--deleted", "--format", "json"], None))
            .unwrap();
    assert!(list.contains("\"dev/TOKEN\""), "{list}");
    env.ok(&["secret", "restore", "dev/TOKEN"], None);
    assert_eq!(env.ok(&["secret", "get", "dev/TOKEN"], None), b"three");
    // Values never come from argv: there is no argument for one.
    assert_eq!(
        env.run(&["secret", "set", "dev/X", "value"], None)
            .status
            .code(),
        Some(2)
    );
    one_line_error(&env.run(&["secret", "set", "dev/EMPTY"], Some(b"")));
    one_line_error(&env.run(&["secret", "set", "bad path"], Some(b"x")));
    one_line_error(&env.run(
        &["secret", "set", "dev/S", "--generate", "stripe-secret-key"],
        None,
    ));
}

#[test]
fn wrong_master_key_and_corrupt_store_fail_in_one_line_with_data_intact() {
    let env = Env::new();
    env.set("production/A", "alpha");
    let before_log = env.audit_json().len();
    let before = fs::read(env.db()).unwrap();

    let out = env
        .cmd(&["secret", "get", "production/A"])
        .env("KEYWARD_MASTER_KEY", OTHER_KEY)
        .output()
        .unwrap();
    let err = one_line_error(&out);
    assert!(err.contains("wrong master key"), "{err}");
    let out = env
        .cmd(&["secret", "set", "production/A"])
        .env("KEYWARD_MASTER_KEY", OTHER_KEY)
        .write_stdin("evil")
        .output()
        .unwrap();
    one_line_error(&out);
    let out = env
        .cmd(&["secret", "get", "production/A"])
        .env("KEYWARD_MASTER_KEY", "not base64!")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("base64"));
    let out = env
        .cmd(&["secret", "get", "production/A"])
        .env_remove("KEYWARD_MASTER_KEY")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("KEYWARD_MASTER_KEY"));
    assert_eq!(
        env.audit_json().len(),
        before_log,
        "a refused key writes nothing"
    );
    assert_eq!(env.ok(&["secret", "get", "production/A"], None), b"alpha");

    // A key file works the same way.
    fs::write(env.path().join("kek"), format!("{KEY}\n")).unwrap();
    let out = env
        .cmd(&["secret", "get", "production/A", "--master-key-file", "kek"])
        .env_remove("KEYWARD_MASTER_KEY")
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"alpha");

    // A corrupt store file: one line, exit 2, the file untouched.
    let garbage = env.path().join("corrupt.db");
    let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(&garbage, &junk).unwrap();
    let out = env.run(
        &["secret", "get", "production/A", "--store", "corrupt.db"],
        None,
    );
    let err = one_line_error(&out);
    assert!(err.contains("corrupt.db"), "{err}");
    assert_eq!(fs::read(&garbage).unwrap(), junk);
    one_line_error(&env.run(&["audit", "verify", "--store", "corrupt.db"], None));
    // A missing store says how to create one.
    let err = one_line_error(&env.run(&["secret", "list", "--store", "nope/store.db"], None));
    assert!(err.contains("keyward store init"), "{err}");
    // Init twice is refused.
    one_line_error(&env.run(&["store", "init"], None));
    assert!(before.len() <= fs::read(env.db()).unwrap().len());
    assert_eq!(env.ok(&["secret", "get", "production/A"], None), b"alpha");
}

#[test]
fn rekey_then_only_the_new_key_opens() {
    let env = Env::new();
    env.set("production/A", "alpha");
    env.set("staging/B", "beta");
    let out = env
        .cmd(&["store", "rekey"])
        .env("KEYWARD_NEW_MASTER_KEY", OTHER_KEY)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    one_line_error(&env.run(&["secret", "get", "production/A"], None));
    let out = env
        .cmd(&["secret", "get", "staging/B"])
        .env("KEYWARD_MASTER_KEY", OTHER_KEY)
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"beta");
    let out = env
        .cmd(&["store", "rekey"])
        .env_remove("KEYWARD_NEW_MASTER_KEY")
        .env("KEYWARD_MASTER_KEY", OTHER_KEY)
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("KEYWARD_NEW_MASTER_KEY"));
}

#[test]
fn audit_log_filters_and_verify_detects_tampering() {
    let env = Env::new();
    env.set("production/A", "alpha");
    env.set("staging/B", "beta");
    env.ok(&["secret", "get", "production/A"], None);
    let human =
        String::from_utf8(env.ok(&["audit", "log", "--path", "production/A"], None)).unwrap();
    assert_eq!(human.lines().count(), 2, "{human}");
    assert!(
        human.contains("read") && human.contains("e2e-tester"),
        "{human}"
    );
    let since = env.ok(&["audit", "log", "--since", "1h", "--format", "json"], None);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&since)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let future = env.ok(
        &["audit", "log", "--since", "2999-01-01", "--format", "json"],
        None,
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&future).unwrap(),
        serde_json::json!([])
    );
    one_line_error(&env.run(&["audit", "log", "--since", "last tuesday"], None));

    // Verify needs no key.
    let out = env
        .cmd(&["audit", "verify"])
        .env_remove("KEYWARD_MASTER_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact: 4 entries"));

    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 2", [])
        .unwrap();
    drop(conn);
    let out = env.run(&["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("broken at entry 2"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(
        &env.run(&["audit", "verify", "--format", "json"], None)
            .stdout,
    )
    .unwrap();
    assert_eq!(report["first_broken"], 2);

    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute("UPDATE audit SET actor = 'e2e-tester' WHERE seq = 2", [])
        .unwrap();
    conn.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
    drop(conn);
    let out = env.run(&["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("broken at entry 3"));
}

#[test]
fn postgres_store_from_the_command_line() {
    let Some(url) = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("kw_cli_test_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    // A `password=` parameter (ignored by a server that does not ask for one) must never
    // be shown, nor handed to a command under `keyward run`.
    let store = format!("{url}{sep}schema={schema}&password=pg-pw-marker-5d2e");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &str| {
        Command::cargo_bin("keyward")
            .unwrap()
            .current_dir(dir.path())
            .env("KEYWARD_STORE", &store)
            .env("KEYWARD_MASTER_KEY", KEY)
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap()
    };
    let result = std::panic::catch_unwind(|| {
        let out = run(&["store", "init"], "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("password=***"), "{said}");
        assert!(!said.contains("pg-pw-marker"), "{said}");
        assert!(
            run(&["secret", "set", "--raw", "production/PEM"], HARD[3].1)
                .status
                .success()
        );
        assert_eq!(
            run(&["secret", "get", "production/PEM"], "").stdout,
            HARD[3].1.as_bytes()
        );
        let out = run(
            &[
                "run",
                "--env",
                "production",
                "--",
                "sh",
                "-c",
                "test -n \"$PEM\"; exit 3",
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(3));
        let out = run(&["run", "--env", "production", "--", "sh", "-c", "env"], "");
        assert!(out.status.success());
        let child_env = String::from_utf8_lossy(&out.stdout);
        assert!(child_env.contains("PEM=-----BEGIN"), "{child_env}");
        assert!(!child_env.contains("pg-pw-marker"), "store password leaked");
        assert!(!child_env.contains("KEYWARD_STORE="));
        assert!(!child_env.contains("KEYWARD_MASTER_KEY="));
        assert_eq!(run(&["audit", "verify"], "").status.code(), Some(0));
    });
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn run_does_not_pass_the_master_key_to_the_command() {
    let env = Env::new();
    env.set("dev/API_TOKEN", "tok-for-the-child");
    env.set("dev/DB_PASSWORD", "pw for the child");
    let out = env
        .cmd(&["run", "--env", "dev", "--", "sh", "-c", "env"])
        .env("KEYWARD_NEW_MASTER_KEY", OTHER_KEY)
        .env("KEYWARD_STORE", ".keyward/store.db")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child_env = String::from_utf8(out.stdout).unwrap();
    // The store's secrets are there …
    assert!(
        child_env
            .lines()
            .any(|l| l == "API_TOKEN=tok-for-the-child"),
        "{child_env}"
    );
    assert!(child_env
        .lines()
        .any(|l| l == "DB_PASSWORD=pw for the child"));
    // … keyward's own keys are not, under any name.
    for var in ["KEYWARD_MASTER_KEY=", "KEYWARD_NEW_MASTER_KEY="] {
        assert!(!child_env.contains(var), "{var} leaked to the child");
    }
    assert!(!child_env.contains(KEY), "master key value leaked");
    assert!(
        !child_env.contains(OTHER_KEY),
        "new master key value leaked"
    );
    // A store location without a password is harmless and stays.
    assert!(child_env
        .lines()
        .any(|l| l == "KEYWARD_STORE=.keyward/store.db"));
}

#[test]
fn export_and_run_failures_are_not_logged_as_ok() {
    let env = Env::new();
    env.set("dev/A", "alpha");
    env.set("dev/B", "beta");
    let outcomes = |action: &str| -> Vec<String> {
        env.audit_json()
            .into_iter()
            .filter(|e| e["action"] == action)
            .map(|e| e["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    // `export -o` onto an existing file: refused, the file untouched, logged as failed.
    fs::write(env.path().join("existing.env"), "KEEP=me\n").unwrap();
    let err = one_line_error(&env.run(&["export", "--env", "dev", "-o", "existing.env"], None));
    assert!(err.contains("existing.env"), "{err}");
    assert_eq!(
        fs::read_to_string(env.path().join("existing.env")).unwrap(),
        "KEEP=me\n"
    );
    assert_eq!(outcomes("export"), ["failed", "failed"]);
    let log = env.audit_json();
    let failed = log.iter().find(|e| e["action"] == "export").unwrap();
    assert_eq!(failed["path"], "dev/A");
    assert!(
        failed["detail"]
            .as_str()
            .unwrap()
            .starts_with("format dotenv: "),
        "{failed}"
    );
    // A bad k8s name fails after decryption: also not `ok`.
    one_line_error(&env.run(
        &[
            "export", "--env", "dev", "--format", "k8s", "--name", "Bad_Name",
        ],
        None,
    ));
    assert!(!outcomes("export").contains(&"ok".to_string()));
    // A successful export to a new file is `ok`.
    env.ok(&["export", "--env", "dev", "-o", "new.env"], None);
    assert_eq!(
        outcomes("export"),
        ["failed", "failed", "failed", "failed", "ok", "ok"]
    );

    // A command that does not exist: an error, and the run is logged as failed.
    let err = one_line_error(&env.run(&["run", "--env", "dev", "--", "/nonexistent"], None));
    assert!(err.contains("/nonexistent"), "{err}");
    assert_eq!(outcomes("run"), ["failed", "failed"]);
    env.ok(&["run", "--env", "dev", "--", "true"], None);
    assert_eq!(outcomes("run"), ["failed", "failed", "ok", "ok"]);
    let out = env.ok(&["audit", "verify"], None);
    assert!(String::from_utf8_lossy(&out).contains("intact"));
}

#[test]
fn import_parse_error_does_not_echo_the_value() {
    let env = Env::new();
    let token = "ghp_R8x2Lq9VwT4nB7mK3pZ5cY1hJ6dF0sA2eG8u"; // keyward:allow test fixture
    let live = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"; // keyward:allow test fixture
    for (body, secret, at) in [
        (format!("A=1\n{token}\n"), token, "bad.env:2:41: "),
        (format!("\"{live}\"=x\n"), live, "bad.env:1:1: "),
    ] {
        fs::write(env.path().join("bad.env"), &body).unwrap();
        let err = one_line_error(&env.run(&["import", "--env", "dev", "bad.env"], None));
        assert!(err.contains(at), "{err}");
        assert!(!err.contains(&secret[..10]), "{err}");
        assert!(!err.contains(&secret[secret.len() - 10..]), "{err}");
    }
}

/// `keyward secret set` on a terminal: the value typed is not echoed. Runs the binary under
/// `script` (util-linux) for a pseudo-terminal; skipped where `script` is missing.
#[cfg(target_os = "linux")]
#[test]
fn secret_set_on_a_terminal_does_not_echo_the_value() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        keyward_store::testing::skip("script", "`script` (util-linux) not installed");
        return;
    }
    let env = Env::new();
    let bin = assert_cmd::cargo::cargo_bin("keyward");
    let marker = "tty-typed-secret-8c1f";
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c"])
        .arg(format!("{} secret set dev/TYPED", bin.display()))
        .arg("/dev/null")
        .current_dir(env.path())
        .env_remove("KEYWARD_STORE")
        .env("KEYWARD_MASTER_KEY", KEY)
        .env("USER", "e2e-tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    // Type only once the prompt is up (echo is off by then).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !contains(&seen.lock().unwrap(), b"not shown") {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "no prompt: {}",
                String::from_utf8_lossy(&seen.lock().unwrap())
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{marker}\n").as_bytes()).unwrap();
    stdin.write_all(b"\x04").unwrap();
    stdin.flush().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let shown = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(status.success(), "{shown}");
    assert!(
        !shown.contains(marker),
        "the typed value was echoed: {shown}"
    );
    assert_eq!(
        env.ok(&["secret", "get", "dev/TYPED"], None),
        marker.as_bytes()
    );
}
