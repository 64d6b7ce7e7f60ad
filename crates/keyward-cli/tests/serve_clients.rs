//! Real Vault clients against the built `keyward serve` on SQLite and on PostgreSQL: the
//! `hvac` flow of keyward-server's client tests (writes with and without cas, versions,
//! patch, delete/undelete/destroy, metadata, engine config, policies, restricted tokens,
//! token lookup/renew/revoke) and the seed's `bao kv put/get`. Needs `KEYWARD_TEST_VENV`.

#[path = "support/server.rs"]
mod server;

use server::{ok, serve};
use std::path::{Path, PathBuf};
use std::process::Command;

fn venv() -> Option<PathBuf> {
    match std::env::var_os("KEYWARD_TEST_VENV").map(PathBuf::from) {
        Some(v) if v.join("bin/python").exists() && v.join("bin/bao").exists() => Some(v),
        _ => {
            keyward_store::testing::skip("KEYWARD_TEST_VENV", "no venv with hvac and bao");
            None
        }
    }
}

fn clients_against(store: &str, dir: &Path, venv: &Path) {
    ok(dir, store, &["store", "init"], "");
    let out = ok(
        dir,
        store,
        &["token", "create", "--policy", "root", "-f", "json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let root = v["token"].as_str().unwrap().to_string();
    let s = serve(dir, store, &[], &[]);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../keyward-server/tests/clients/hvac_flow.py");
    let o = Command::new(venv.join("bin/python"))
        .arg(script)
        .env("VAULT_ADDR", format!("http://{}", s.addr))
        .env("VAULT_TOKEN", &root)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        o.status.success(),
        "hvac flow failed\nstdout: {out}\nstderr: {err}"
    );
    assert!(out.contains("checks passed"), "{out}");
    let home = tempfile::tempdir().unwrap();
    let bao = |args: &[&str]| {
        let o = Command::new(venv.join("bin/bao"))
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
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    bao(&["kv", "put", "secret/app/production/jwt", "secret=seed-v1"]);
    assert_eq!(
        bao(&["kv", "get", "-field=secret", "secret/app/production/jwt"]),
        "seed-v1"
    );
    // The CLI's view of a two-segment path, through bao.
    bao(&[
        "kv",
        "put",
        "secret/production/SEED_TOKEN",
        "value=from-bao",
    ]);
    drop(s);
    let got = ok(dir, store, &["secret", "get", "production/SEED_TOKEN"], "");
    assert_eq!(got.trim(), "from-bao");
    let ran = ok(
        dir,
        store,
        &[
            "run",
            "--env",
            "production",
            "--",
            "sh",
            "-c",
            "printf %s \"$SEED_TOKEN\"",
        ],
        "",
    );
    assert_eq!(ran, "from-bao");
    ok(dir, store, &["audit", "verify"], "");
}

#[test]
fn hvac_and_bao_against_keyward_serve_on_sqlite() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db").display().to_string();
    clients_against(&store, dir.path(), &venv);
}

#[test]
fn hvac_and_bao_against_keyward_serve_on_postgres() {
    let Some(venv) = venv() else { return };
    let Some(url) = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("kw_serve_clients_{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    clients_against(&format!("{url}?schema={schema}"), dir.path(), &venv);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
}
