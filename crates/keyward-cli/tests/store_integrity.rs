//! Issue 13, store items on the built binary: edits behind keyward's back are refused on
//! read and reported by `audit verify` (6), on SQLite and PostgreSQL; a truncated audit log
//! with a rewritten head is caught (7); keyward never touches a file that is not a keyward
//! store (8).

use assert_cmd::Command;
use keyward_core::SecretBytes;
use keyward_store::{Expected, Key, Location, MetaPatch, Store};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";

fn keyward(dir: &Path, store: &str) -> Command {
    let mut c = Command::cargo_bin("keyward").unwrap();
    c.current_dir(dir)
        .env("KEYWARD_STORE", store)
        .env("KEYWARD_MASTER_KEY", KEY)
        .env("USER", "e2e-tester");
    c
}

fn run(dir: &Path, store: &str, args: &[&str]) -> std::process::Output {
    keyward(dir, store).args(args).output().unwrap()
}

fn one_line_error(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// A store at `spec` holding a JWT secret whose v1 was revoked (v2 current) and whose
/// rotation state records the incident, and one other secret.
fn fixture(spec: &str) {
    let mut s = Store::init(
        Location::parse(Some(spec)).open(true).unwrap(),
        Key::from_base64(KEY).unwrap(),
    )
    .unwrap();
    let p = |s: &str| s.parse().unwrap();
    let v = SecretBytes::new;
    s.set(
        &p("production/JWT_SECRET"),
        &v("jwt-v1-revoked-0123456789"),
        Expected::Absent,
        &MetaPatch::default(),
    )
    .unwrap();
    s.set(
        &p("production/JWT_SECRET"),
        &v("jwt-v2-current-0123456789"),
        Expected::Version(1),
        &MetaPatch::default(),
    )
    .unwrap();
    s.revoke(&p("production/JWT_SECRET"), 1).unwrap();
    let incidents: Vec<String> = (1..=21)
        .map(|i| format!(r#"{{"id":"INC-{i}","path":"production/JWT_SECRET","version":1,"reason":"leak {i}","actor":"a","opened_at":"2026-01-01T00:00:00.000Z"}}"#))
        .collect();
    s.update_meta(
        &p("production/JWT_SECRET"),
        &MetaPatch {
            state: Some(format!(r#"{{"incidents":[{}]}}"#, incidents.join(","))),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    s.set(
        &p("production/OTHER"),
        &v("other"),
        Expected::Absent,
        &MetaPatch::default(),
    )
    .unwrap();
}

/// Edits that make keyward serve the revoked JWT secret, erase or corrupt its incidents,
/// or hide it.
const EDITS: &[(&str, &str)] = &[
    ("serve the revoked version", "UPDATE versions SET stage = 'current' WHERE version = 1 AND secret_id = (SELECT id FROM secrets WHERE name = 'JWT_SECRET'); UPDATE versions SET stage = 'retired' WHERE version = 2 AND secret_id = (SELECT id FROM secrets WHERE name = 'JWT_SECRET'); UPDATE secrets SET current_version = 1 WHERE name = 'JWT_SECRET'"),
    ("erase the incidents", "UPDATE secrets SET state = '{}' WHERE name = 'JWT_SECRET'"),
    ("corrupt the state JSON", "UPDATE secrets SET state = '{\"incidents\": [' WHERE name = 'JWT_SECRET'"),
    ("hide the secret", "UPDATE secrets SET deleted_at = '2026-01-03T00:00:00.000Z' WHERE name = 'JWT_SECRET'"),
    ("rewind the revision", "UPDATE secrets SET revision = 1 WHERE name = 'JWT_SECRET'"),
];

fn check_refused_and_reported(dir: &Path, store: &str, what: &str) {
    for args in [
        &["secret", "get", "production/JWT_SECRET"][..],
        &["export", "--env", "production"],
        &["secret", "list"],
        &["incident", "list"],
        &["rotation", "status"],
        &["run", "--env", "production", "--", "true"],
    ] {
        let out = run(dir, store, args);
        let err = one_line_error(&out);
        assert!(
            err.contains("integrity check failed") && err.contains("production/JWT_SECRET"),
            "{what}: {args:?}: {err}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("jwt-v1"),
            "{what}: {args:?}"
        );
    }
    let out = run(dir, store, &["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{what}: {stdout}");
    assert!(
        stdout.contains("integrity: secret production/JWT_SECRET")
            && stdout.contains("audit chain intact"),
        "{what}: {stdout}"
    );
    // Without the key, only the chain is checked, and the user is told so.
    let out = keyward(dir, store)
        .env_remove("KEYWARD_MASTER_KEY")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{what}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("only the hash chain was checked"));
}

#[test]
fn item_06_edits_are_refused_on_read_and_reported_by_audit_verify_sqlite() {
    for (what, sql) in EDITS {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db");
        let spec = db.to_str().unwrap();
        fixture(spec);
        assert_eq!(
            run(dir.path(), spec, &["audit", "verify"]).status.code(),
            Some(0)
        );
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        check_refused_and_reported(dir.path(), spec, what);
        // The other environment's secret is still served.
        let out = run(dir.path(), spec, &["secret", "get", "production/OTHER"]);
        assert_eq!(out.stdout, b"other", "{what}");
    }
}

#[test]
fn item_06_edits_are_refused_on_read_and_reported_by_audit_verify_postgres() {
    let Some(url) = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for (i, (what, sql)) in EDITS.iter().enumerate() {
        let schema = format!("kw_cli_integrity_{}_{i}", std::process::id());
        let sep = if url.contains('?') { '&' } else { '?' };
        let spec = format!("{url}{sep}schema={schema}");
        let dir = tempfile::tempdir().unwrap();
        fixture(&spec);
        admin
            .batch_execute(&format!("SET search_path TO {schema}; {sql}"))
            .unwrap();
        check_refused_and_reported(dir.path(), &spec, what);
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    }
}

#[test]
fn item_06_valid_json_of_the_wrong_shape_is_corrupt_state_not_no_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("store.db");
    let spec = spec.to_str().unwrap();
    fixture(spec);
    // Written through keyward (so the MAC is valid), but not a rotation state.
    let mut s = Store::open(
        Location::parse(Some(spec)).open(false).unwrap(),
        Key::from_base64(KEY).unwrap(),
    )
    .unwrap();
    s.update_meta(
        &"production/JWT_SECRET".parse().unwrap(),
        &MetaPatch {
            state: Some(r#"{"incidents": "twenty-one"}"#.into()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    drop(s);
    for args in [&["incident", "list"][..], &["rotation", "status"]] {
        let err = one_line_error(&run(dir.path(), spec, args));
        assert!(
            err.contains("production/JWT_SECRET: the stored rotation state is corrupt"),
            "{err}"
        );
    }
}

#[test]
fn item_07_a_truncated_log_with_a_rewritten_head_fails_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let spec = db.to_str().unwrap();
    fixture(spec);
    for _ in 0..3 {
        assert!(
            run(dir.path(), spec, &["secret", "get", "production/OTHER"])
                .status
                .success()
        );
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let last: i64 = conn
        .query_row("SELECT seq FROM audit_head", [], |r| r.get(0))
        .unwrap();
    let keep = last - 3;
    conn.execute_batch(&format!(
        "DELETE FROM audit WHERE seq > {keep};
         UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit WHERE seq = {keep}),
                               mac = (SELECT checkpoint FROM audit WHERE seq = {keep});"
    ))
    .unwrap();
    drop(conn);
    // The chain alone looks fine …
    let out = keyward(dir.path(), spec)
        .env_remove("KEYWARD_MASTER_KEY")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // … the head MAC does not.
    let out = run(dir.path(), spec, &["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("integrity: the audit head"), "{stdout}");
    let json: serde_json::Value = serde_json::from_slice(
        &run(dir.path(), spec, &["audit", "verify", "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(json["keyed"], true);
    assert!(
        json["problems"][0].as_str().unwrap().contains("audit head"),
        "{json}"
    );
    // And nothing extends the truncated log.
    let err = one_line_error(&run(
        dir.path(),
        spec,
        &["secret", "get", "production/OTHER"],
    ));
    assert!(
        err.contains("the audit log's head does not match its MAC"),
        "{err}"
    );
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn item_08_files_that_are_not_keyward_stores_are_never_touched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = d.join("notes.txt");
    fs::write(&plain, "not a database\n".repeat(20)).unwrap();
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).unwrap();
    let link = d.join("link.db");
    std::os::unix::fs::symlink(&plain, &link).unwrap();
    let empty = d.join("empty.db");
    fs::write(&empty, "").unwrap();
    fs::set_permissions(&empty, fs::Permissions::from_mode(0o644)).unwrap();
    let foreign = d.join("app.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann');")
        .unwrap();
    fs::set_permissions(&foreign, fs::Permissions::from_mode(0o644)).unwrap();
    let foreign_bytes = fs::read(&foreign).unwrap();

    let cases: &[(&Path, &str)] = &[
        (&plain, "not a SQLite database"),
        (&link, "symbolic link"),
        (Path::new("/dev/null"), "not a regular file"),
        (d, "not a regular file"),
        (&foreign, "not a keyward store (tables: users)"),
    ];
    for (path, why) in cases {
        let spec = path.to_str().unwrap();
        for args in [
            &["secret", "list"][..],
            &["audit", "verify"],
            &["store", "init"],
        ] {
            let err = one_line_error(&run(d, spec, args));
            assert!(
                err.contains(why) && err.contains("did not touch it"),
                "{spec} {args:?}: {err}"
            );
        }
    }
    assert_eq!(mode(&plain), 0o644, "the symlink's target kept its mode");
    assert_eq!(
        fs::read_to_string(&plain).unwrap(),
        "not a database\n".repeat(20)
    );
    assert_eq!(mode(&foreign), 0o644);
    assert_eq!(
        fs::read(&foreign).unwrap(),
        foreign_bytes,
        "no tables added"
    );
    assert!(!d.join("app.db-wal").exists());

    // Read commands never create tables in an empty file; `store init` may use it.
    for args in [&["secret", "list"][..], &["audit", "log"]] {
        let err = one_line_error(&run(d, empty.to_str().unwrap(), args));
        assert!(err.contains("is empty, not a keyward store"), "{err}");
        assert_eq!(fs::metadata(&empty).unwrap().len(), 0);
        assert_eq!(mode(&empty), 0o644);
    }
    let out = run(d, empty.to_str().unwrap(), &["store", "init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&empty), 0o600, "a new store is private");
    assert!(run(d, empty.to_str().unwrap(), &["secret", "list"])
        .status
        .success());
}
