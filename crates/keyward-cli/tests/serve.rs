//! `keyward serve` end to end on the built binary: KV v2 ↔ `keyward secret`/`export`
//! round trips on SQLite and PostgreSQL, hashed tokens, the token/policy CLI, dev mode
//! with the real `bao` CLI, and refusals on bad configuration. Fault tests are in
//! `serve_faults.rs`.

#[path = "support/server.rs"]
mod server;

use serde_json::json;
use server::{ok, serve, KEY};
use std::path::Path;

/// A SQLite store in `dir`, initialized.
fn sqlite_store(dir: &Path) -> String {
    let store = dir.join("store.db").display().to_string();
    ok(dir, &store, &["store", "init"], "");
    store
}

/// A root token made with `keyward token create`.
fn cli_token(dir: &Path, store: &str, policies: &[&str]) -> (String, String) {
    let mut args = vec!["token", "create", "-f", "json"];
    for p in policies {
        args.extend(["--policy", p]);
    }
    let out = ok(dir, store, &args, "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    (
        v["token"].as_str().unwrap().to_string(),
        v["accessor"].as_str().unwrap().to_string(),
    )
}

/// The KV round trip every store must pass.
fn round_trip(dir: &Path, store: &str) -> (server::Server, String) {
    let (root, _) = cli_token(dir, store, &["root"]);
    let s = serve(dir, store, &[], &[]);
    // KV write → the store secret production/JWT_SECRET.
    let r = s.req(
        "POST",
        "/v1/secret/data/production/JWT_SECRET",
        Some(&root),
        Some(&json!({"data": {"value": "kv-written-1"}, "options": {"cas": 0}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["data"]["version"], 1);
    assert_eq!(
        ok(dir, store, &["secret", "get", "production/JWT_SECRET"], "").trim(),
        "kv-written-1"
    );
    // A stale cas is refused with Vault's 400, and nothing changes.
    let r = s.req(
        "POST",
        "/v1/secret/data/production/JWT_SECRET",
        Some(&root),
        Some(&json!({"data": {"value": "lost"}, "options": {"cas": 0}})),
    );
    assert_eq!(r.status, 400, "{r:?}");
    // CLI write → KV read (field `value`), version 2.
    ok(
        dir,
        store,
        &["secret", "set", "production/JWT_SECRET"],
        "cli-written-2\n",
    );
    let r = s.req(
        "GET",
        "/v1/secret/data/production/JWT_SECRET",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["data"]["data"], json!({"value": "cli-written-2"}));
    assert_eq!(r.json["data"]["metadata"]["version"], 2);
    let r = s.req(
        "GET",
        "/v1/secret/data/production/JWT_SECRET?version=1",
        Some(&root),
        None,
    );
    assert_eq!(r.json["data"]["data"], json!({"value": "kv-written-1"}));
    // A named single field is remembered; export sees the bare value.
    let r = s.req(
        "PUT",
        "/v1/secret/data/production/API_KEY",
        Some(&root),
        Some(&json!({"data": {"secret": "sk-123"}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.req(
        "GET",
        "/v1/secret/data/production/API_KEY",
        Some(&root),
        None,
    );
    assert_eq!(r.json["data"]["data"], json!({"secret": "sk-123"}));
    let env = ok(dir, store, &["export", "--env", "production"], "");
    assert!(env.contains("API_KEY=sk-123"), "{env}");
    assert!(env.contains("JWT_SECRET=cli-written-2"), "{env}");
    // Paths that are not ENV/NAME are KV entries of their own, not exported.
    let r = s.req(
        "POST",
        "/v1/secret/data/app/production/jwt",
        Some(&root),
        Some(&json!({"data": {"secret": "deep", "n": 2}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.req(
        "GET",
        "/v1/secret/data/app/production/jwt",
        Some(&root),
        None,
    );
    assert_eq!(r.json["data"]["data"], json!({"secret": "deep", "n": 2}));
    let r = s.req("LIST", "/v1/secret/metadata/", Some(&root), None);
    let keys = r.json["data"]["keys"].clone();
    assert_eq!(keys, json!(["app/", "production/"]), "{r:?}");
    let r = s.req("LIST", "/v1/secret/metadata/production/", Some(&root), None);
    assert_eq!(
        r.json["data"]["keys"],
        json!(["API_KEY", "JWT_SECRET"]),
        "{r:?}"
    );
    // Soft delete hides the version from KV reads (404 with metadata), undelete restores.
    let r = s.req(
        "DELETE",
        "/v1/secret/data/production/API_KEY",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 204);
    let r = s.req(
        "GET",
        "/v1/secret/data/production/API_KEY",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 404);
    assert!(
        r.json["data"]["metadata"]["deletion_time"]
            .as_str()
            .unwrap()
            != ""
    );
    let r = s.req(
        "POST",
        "/v1/secret/undelete/production/API_KEY",
        Some(&root),
        Some(&json!({"versions": [1]})),
    );
    assert_eq!(r.status, 204);
    let r = s.req(
        "GET",
        "/v1/secret/data/production/API_KEY",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 200);
    // A bad token is refused.
    let r = s.req(
        "GET",
        "/v1/secret/data/production/API_KEY",
        Some("kwt_nope"),
        None,
    );
    assert_eq!(r.status, 403);
    (s, root)
}

#[test]
fn sqlite_kv_round_trips_with_the_cli_and_stores_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path());
    let (s, root) = round_trip(dir.path(), &store);
    drop(s);
    let bytes = std::fs::read(&store).unwrap();
    let wal = std::fs::read(format!("{store}-wal")).unwrap_or_default();
    for b in [&bytes, &wal] {
        assert!(
            !b.windows(root.len()).any(|w| w == root.as_bytes()),
            "the token is in the store file"
        );
    }
    // The requests are in the audit chain, which verifies.
    let log = ok(dir.path(), &store, &["audit", "log", "-f", "json"], "");
    assert!(log.contains("api.update"), "{log}");
    assert!(!log.contains(&root));
    ok(dir.path(), &store, &["audit", "verify"], "");
}

#[test]
fn postgres_kv_round_trips_and_stores_no_token() {
    let Some(url) = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("kw_serve_rt_{}", std::process::id());
    let store = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &store, &["store", "init"], "");
    let (s, root) = round_trip(dir.path(), &store);
    drop(s);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let dump: String = c
        .query_one(
            &format!(
                "SELECT string_agg(convert_from(body, 'UTF8') || kind || name, ' ') FROM {schema}.records"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(dump.contains("token"), "tokens are stored as records");
    assert!(!dump.contains(&root), "the token is in the records table");
    let audit: String = c
        .query_one(
            &format!("SELECT string_agg(coalesce(detail, ''), ' ') FROM {schema}.audit"),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!audit.contains(&root));
    ok(dir.path(), &store, &["audit", "verify"], "");
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
}

#[test]
fn restricted_and_revoked_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path());
    let policy = dir.path().join("app-read.hcl");
    std::fs::write(
        &policy,
        "path \"secret/data/production/*\" { capabilities = [\"read\"] }\n",
    )
    .unwrap();
    ok(
        dir.path(),
        &store,
        &["policy", "write", "app-read", policy.to_str().unwrap()],
        "",
    );
    assert!(ok(dir.path(), &store, &["policy", "list"], "").contains("app-read"));
    let (root, _) = cli_token(dir.path(), &store, &["root"]);
    let (reader, accessor) = cli_token(dir.path(), &store, &["app-read"]);
    let s = serve(dir.path(), &store, &[], &[]);
    let body = json!({"data": {"value": "v"}});
    let r = s.req(
        "POST",
        "/v1/secret/data/production/DB",
        Some(&root),
        Some(&body),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.req("GET", "/v1/secret/data/production/DB", Some(&reader), None);
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.req(
        "POST",
        "/v1/secret/data/production/DB",
        Some(&reader),
        Some(&body),
    );
    assert_eq!(r.status, 403, "a read-only token writes: {r:?}");
    let r = s.req("GET", "/v1/secret/data/staging/DB", Some(&reader), None);
    assert_eq!(r.status, 403, "{r:?}");
    let listed = ok(dir.path(), &store, &["token", "list"], "");
    assert!(
        listed.contains(&accessor) && !listed.contains(&reader),
        "{listed}"
    );
    ok(dir.path(), &store, &["token", "revoke", &accessor], "");
    let r = s.req("GET", "/v1/secret/data/production/DB", Some(&reader), None);
    assert_eq!(r.status, 403, "a revoked token reads: {r:?}");
}

#[test]
fn dev_mode_prints_a_root_token_and_the_seed_bao_commands_work() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), "unused", &["--dev"], &[]);
    let root = s.root_token();
    assert!(root.starts_with("kwt_"), "{}", s.banner);
    let r = s.req("GET", "/v1/sys/mounts", Some(&root), None);
    assert!(r.json["secret/"].is_object(), "{r:?}");
    let Some(venv) = std::env::var_os("KEYWARD_TEST_VENV") else {
        keyward_store::testing::skip("KEYWARD_TEST_VENV", "no bao CLI");
        return;
    };
    let bao = Path::new(&venv).join("bin/bao");
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = std::process::Command::new(&bao)
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("BAO_ADDR", format!("http://{}", s.addr))
            .env("BAO_TOKEN", &root)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "bao {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&[
        "kv",
        "put",
        "secret/app/production/jwt",
        "secret=s33d-value",
    ]);
    let out = run(&["kv", "get", "-field=secret", "secret/app/production/jwt"]);
    assert_eq!(out.trim(), "s33d-value");
}

#[test]
fn dev_root_token_is_taken_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(
        dir.path(),
        "unused",
        &["--dev"],
        &[("KEYWARD_DEV_ROOT_TOKEN", "dev-root-for-tests")],
    );
    assert!(!s.banner.contains("dev-root-for-tests"), "{}", s.banner);
    let r = s.req(
        "GET",
        "/v1/auth/token/lookup-self",
        Some("dev-root-for-tests"),
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.req("GET", "/v1/auth/token/lookup-self", Some("other"), None);
    assert_eq!(r.status, 403);
}

#[test]
fn bad_configurations_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path());
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = server::keyward(dir.path(), &store);
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // No token-hash key.
    let o = run(&["serve"], &[("KEYWARD_TOKEN_HASH_KEY", "")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("token-hash key") || err.contains("KEYWARD_TOKEN_HASH_KEY"),
        "{err}"
    );
    // Plain HTTP on a public address.
    let o = run(&["serve", "--listen", "0.0.0.0:0"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--insecure-http"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A wrong master key.
    let o = run(
        &["serve"],
        &[(
            "KEYWARD_MASTER_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("wrong master key"), "{err}");
    assert!(!err.contains(KEY));
}
