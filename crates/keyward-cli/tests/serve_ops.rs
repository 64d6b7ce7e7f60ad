//! keyward's own endpoints (`/v1/keyward/rotation|rotate|revoke|incidents|secrets`) and the
//! rotation scheduler, end to end on the built `keyward serve`: what the API does is what
//! the CLI sees and the other way round, every call is in `keyward audit log`, and a
//! secret overdue in keyward.toml's policy is rotated by the running server — once, even
//! with two replicas on one PostgreSQL store.

#[path = "support/server.rs"]
mod server;

use keyward_store::{Key, Location, MetaPatch, Store};
use serde_json::{json, Value};
use server::{ok, serve, KEY};
use std::path::Path;
use std::time::{Duration, Instant};

const JWT: &str = "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=";

/// keyward.toml: JWT_SECRET rotates on the built-in `jwt` target (no outside system),
/// a read-only policy, and `extra` for the `[server]` section.
fn project(dir: &Path, server_extra: &str) {
    let toml = format!(
        "[variables.JWT_SECRET]\nkind = \"jwt-secret\"\n[variables.JWT_SECRET.rotation]\ngrace_days = 1\n\n\
         [server]\n{server_extra}\n\
         [server.policies.viewer]\n\"keyward/rotation\" = [\"read\"]\n\"keyward/rotate/*\" = [\"read\"]\n"
    );
    std::fs::write(dir.join("keyward.toml"), toml).unwrap();
}

fn token(dir: &Path, store: &str, policy: &str) -> String {
    let out = ok(
        dir,
        store,
        &["token", "create", "-f", "json", "--policy", policy],
        "",
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    v["token"].as_str().unwrap().to_string()
}

fn audit_array(dir: &Path, store: &str) -> Vec<Value> {
    let out = ok(dir, store, &["audit", "log", "-f", "json"], "");
    match serde_json::from_str::<Value>(&out).unwrap() {
        Value::Array(a) => a,
        v => v["entries"].as_array().cloned().unwrap_or_default(),
    }
}

/// Promotions of `path` in the audit log: one per rotation.
fn promotions(dir: &Path, store: &str, path: &str) -> usize {
    audit_array(dir, store)
        .iter()
        .filter(|e| e["action"] == "rotate.promote" && e["path"] == path && e["outcome"] == "ok")
        .count()
}

/// Make `path` look last rotated long ago, so keyward.toml's 90-day schedule is overdue.
fn age(store: &str, path: &str) {
    let mut s = Store::open(
        Location::parse(Some(store)).open(false).unwrap(),
        Key::from_base64(KEY).unwrap(),
    )
    .unwrap();
    let patch = MetaPatch {
        last_rotated: Some(Some("2020-01-01T00:00:00.000Z".into())),
        ..MetaPatch::default()
    };
    s.update_meta(&path.parse().unwrap(), &patch, None).unwrap();
}

fn kv_value(s: &server::Server, tok: &str, path: &str) -> (String, u64) {
    let r = s.req("GET", &format!("/v1/secret/data/{path}"), Some(tok), None);
    assert_eq!(r.status, 200, "{r:?}");
    (
        r.json["data"]["data"]["value"]
            .as_str()
            .unwrap()
            .to_string(),
        r.json["data"]["metadata"]["version"].as_u64().unwrap(),
    )
}

#[test]
fn rotate_and_revoke_through_the_api_agree_with_the_cli_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, "");
    let store = d.join("store.db").display().to_string();
    ok(d, &store, &["store", "init"], "");
    ok(
        d,
        &store,
        &["secret", "set", "production/JWT_SECRET"],
        &format!("{JWT}\n"),
    );
    let root = token(d, &store, "root");
    let viewer = token(d, &store, "viewer");
    let s = serve(d, &store, &[], &[]);

    // API rotate → the new value is what `keyward secret get` prints.
    let r = s.req(
        "POST",
        "/v1/keyward/rotate/production/JWT_SECRET",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["data"]["outcome"], "in-grace", "{r:?}");
    assert_eq!(r.json["data"]["version"], 2);
    let got = ok(d, &store, &["secret", "get", "production/JWT_SECRET"], "");
    assert_ne!(got.trim(), JWT);
    assert_eq!(
        kv_value(&s, &root, "production/JWT_SECRET"),
        (got.trim().to_string(), 2)
    );

    // CLI rotate → visible through GET rotation and the KV API.
    ok(d, &store, &["rotate", "production/JWT_SECRET"], "");
    let cli = ok(d, &store, &["secret", "get", "production/JWT_SECRET"], "");
    assert_eq!(
        kv_value(&s, &root, "production/JWT_SECRET"),
        (cli.trim().to_string(), 3)
    );
    let r = s.req(
        "GET",
        "/v1/keyward/rotation?env=production",
        Some(&viewer),
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let row = &r.json["data"]["secrets"][0];
    assert_eq!(row["path"], "production/JWT_SECRET", "{r:?}");
    assert_eq!(row["state"], "grace", "{r:?}");
    assert_eq!(row["target"], "jwt");

    // A token without `update` on the path is refused, and nothing rotates.
    let r = s.req(
        "POST",
        "/v1/keyward/rotate/production/JWT_SECRET",
        Some(&viewer),
        None,
    );
    assert_eq!(r.status, 403, "{r:?}");
    let r = s.req(
        "POST",
        "/v1/keyward/revoke/production/JWT_SECRET",
        Some(&viewer),
        Some(&json!({"reason": "x"})),
    );
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(kv_value(&s, &root, "production/JWT_SECRET").1, 3);
    // Clear errors: unknown secret, missing reason, wrong method.
    let r = s.req(
        "POST",
        "/v1/keyward/rotate/production/NOPE",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 404, "{r:?}");
    let r = s.req(
        "POST",
        "/v1/keyward/revoke/production/JWT_SECRET",
        Some(&root),
        Some(&json!({})),
    );
    assert_eq!(r.status, 400, "{r:?}");
    let r = s.req(
        "GET",
        "/v1/keyward/rotate/production/JWT_SECRET",
        Some(&root),
        None,
    );
    assert_eq!(r.status, 405, "{r:?}");

    // API revoke → `keyward incident list` shows it with its scope (secret and version).
    let r = s.req(
        "POST",
        "/v1/keyward/revoke/production/JWT_SECRET",
        Some(&root),
        Some(&json!({"reason": "pasted into a CI log"})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let id = r.json["data"]["incident"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id, "INC-production-JWT_SECRET-v3");
    let list = ok(d, &store, &["incident", "list"], "");
    assert!(
        list.contains(&id) && list.contains("production/JWT_SECRET") && list.contains("v3"),
        "{list}"
    );
    assert!(list.contains("pasted into a CI log"), "{list}");
    let after = ok(d, &store, &["secret", "get", "production/JWT_SECRET"], "");
    assert_ne!(after, cli);
    let r = s.req("GET", "/v1/keyward/incidents", Some(&root), None);
    assert_eq!(r.json["data"]["incidents"][0]["id"], id.as_str(), "{r:?}");
    assert_eq!(
        r.json["data"]["incidents"][0]["actor"], "token:token-cli",
        "{r:?}"
    );
    let md = server::request_text(
        &s.addr,
        &format!("/v1/keyward/incidents/{id}?format=markdown"),
        &root,
    );
    assert!(
        md.starts_with("# Incident INC-production-JWT\\_SECRET-v3"),
        "{md}"
    );
    assert!(md.contains("pasted into a CI log"), "{md}");
    let r = s.req("GET", "/v1/keyward/incidents/INC-none", Some(&root), None);
    assert_eq!(r.status, 404, "{r:?}");

    // The overview: schedule and last read, never a value.
    let r = s.req("GET", "/v1/keyward/secrets", Some(&root), None);
    assert_eq!(r.status, 200, "{r:?}");
    let row = &r.json["data"]["secrets"][0];
    assert_eq!(row["path"], "production/JWT_SECRET", "{r:?}");
    assert_eq!(row["schedule"], "ok", "{r:?}");
    assert!(row["last_read_by"].as_str().is_some(), "{r:?}");
    let text = r.json.to_string();
    assert!(
        !text.contains(after.trim()) && !text.contains(JWT),
        "a value in {text}"
    );

    // Every call is in `keyward audit log`, the refusals included.
    let log = audit_array(d, &store);
    let api = |path: &str, status: &str| {
        log.iter().any(|e| {
            e["path"] == path
                && e["action"].as_str().unwrap_or("").starts_with("api.")
                && e["detail"].as_str().unwrap_or("").contains(status)
        })
    };
    assert!(
        api("keyward/rotate/production/JWT_SECRET", "status=200"),
        "{log:?}"
    );
    assert!(
        api("keyward/rotate/production/JWT_SECRET", "status=403"),
        "{log:?}"
    );
    assert!(api("keyward/revoke/production/JWT_SECRET", "status=200"));
    assert!(api("keyward/revoke/production/JWT_SECRET", "status=403"));
    assert!(api("keyward/rotation", "status=200"));
    assert!(api("keyward/incidents", "status=200"));
    assert!(api("keyward/secrets", "status=200"));
    assert!(log
        .iter()
        .any(|e| e["action"] == "incident.open" && e["actor"] == "token:token-cli"));
}

/// Wait until `f` holds (up to `secs`).
fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn the_scheduler_rotates_an_overdue_secret_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, "rotation_check = \"1s\"");
    let store = d.join("store.db").display().to_string();
    ok(d, &store, &["store", "init"], "");
    ok(
        d,
        &store,
        &["secret", "set", "production/JWT_SECRET"],
        &format!("{JWT}\n"),
    );
    age(&store, "production/JWT_SECRET");
    let status = ok(d, &store, &["rotation", "status"], "");
    assert!(status.contains("overdue"), "{status}");
    let _s = serve(d, &store, &[], &[]);
    assert!(
        eventually(20, || promotions(d, &store, "production/JWT_SECRET") == 1),
        "not rotated: {:?}",
        audit_array(d, &store)
    );
    // Not again on the following ticks: the schedule is met now.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(promotions(d, &store, "production/JWT_SECRET"), 1);
    let v = ok(d, &store, &["secret", "get", "production/JWT_SECRET"], "");
    assert_ne!(v.trim(), JWT);
    let log = audit_array(d, &store);
    assert!(
        log.iter()
            .any(|e| e["action"] == "rotate.promote" && e["actor"] == "keyward-serve:scheduler"),
        "{log:?}"
    );
}

#[test]
fn two_replicas_on_one_postgres_store_rotate_once() {
    let Some(url) = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("kw_serve_sched_{}", std::process::id());
    let store = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, "rotation_check = \"1s\"");
    ok(d, &store, &["store", "init"], "");
    ok(
        d,
        &store,
        &["secret", "set", "production/JWT_SECRET"],
        &format!("{JWT}\n"),
    );
    age(&store, "production/JWT_SECRET");
    let a = serve(d, &store, &[], &[]);
    let b = serve(d, &store, &[], &[]);
    let rotated = eventually(20, || promotions(d, &store, "production/JWT_SECRET") >= 1);
    std::thread::sleep(Duration::from_secs(4));
    let n = promotions(d, &store, "production/JWT_SECRET");
    drop((a, b));
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    assert!(rotated, "no replica rotated the overdue secret");
    assert_eq!(n, 1, "rotated {n} times by two replicas");
}
