//! `keyward deps db update|status` end to end, against a local HTTP server started by the
//! test that serves zips built from `shared/osv`.

#[path = "support/files.rs"]
mod files;
#[path = "support/deps.rs"]
mod support;

use files::keyward;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use support::{make_zip, ran, shared_osv};

fn zip_of(eco: &str) -> Vec<u8> {
    std::fs::read(shared_osv().join(eco).join("all.zip")).unwrap()
}

/// Routes: `/good/<eco>/all.zip` for all three ecosystems, `/corrupt/…` with a garbage
/// PyPI zip, `/badjson/…` with a PyPI zip holding a document that is not OSV JSON,
/// `/partial/…` without PyPI (404).
fn server() -> support::Server {
    let mut routes = HashMap::new();
    for eco in ["npm", "PyPI", "crates.io"] {
        routes.insert(format!("/good/{eco}/all.zip"), zip_of(eco));
        routes.insert(format!("/corrupt/{eco}/all.zip"), zip_of(eco));
        routes.insert(format!("/badjson/{eco}/all.zip"), zip_of(eco));
        if eco != "PyPI" {
            routes.insert(format!("/partial/{eco}/all.zip"), zip_of(eco));
        }
    }
    routes.insert(
        "/corrupt/PyPI/all.zip".into(),
        b"PK\x03\x04 this is not really a zip".to_vec(),
    );
    routes.insert(
        "/badjson/PyPI/all.zip".into(),
        make_zip(&[("PYSEC-1.json", "{\"id\": \"PYSEC-1\", \"affected\": [}")]),
    );
    support::serve(routes)
}

fn db_cmd(db: &Path, cache: &Path) -> assert_cmd::Command {
    let mut c = keyward();
    c.env("XDG_CACHE_HOME", cache).args(["deps", "db"]);
    c.env("KEYWARD_DEPS_DB", db);
    c
}

/// Every file under `dir` with its bytes, for "nothing changed" checks.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(snapshot(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn update_installs_verified_zips_and_records_the_date() {
    let srv = server();
    let db = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = ran(
        db_cmd(db.path(), cache.path()).args(["update", "--url", &format!("{}/good/", srv.base)]),
        0,
    );
    let text = out.0;
    assert!(
        text.contains("npm            23 advisories (0 withdrawn)"),
        "{text}"
    );
    assert!(
        text.contains("PyPI         2661 advisories (10 withdrawn)"),
        "{text}"
    );
    assert!(
        text.contains("crates.io    1206 advisories (13 withdrawn)"),
        "{text}"
    );
    for eco in ["npm", "PyPI", "crates.io"] {
        assert_eq!(
            std::fs::read(db.path().join(eco).join("all.zip")).unwrap(),
            zip_of(eco)
        );
        assert!(db.path().join(eco).join("keyward-index.bin").is_file());
    }
    let meta: Value =
        serde_json::from_slice(&std::fs::read(db.path().join("keyward-db.json")).unwrap()).unwrap();
    assert_eq!(meta["source"], format!("{}/good", srv.base));
    assert_eq!(meta["ecosystems"]["PyPI"]["records"], 2661);
    let updated = meta["updated"].as_str().unwrap();
    let today = keyward_today();
    assert!(updated.starts_with(&today), "{updated} vs {today}");
    // No temporary files are left behind.
    let names: Vec<String> = snapshot(db.path())
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");

    // status: age, source, counts.
    let out = ran(db_cmd(db.path(), cache.path()).arg("status"), 0);
    let text = out.0;
    assert!(text.contains(&format!("updated   {today}")), "{text}");
    assert!(text.contains("ago) from http://127.0.0.1:"), "{text}");
    assert!(
        text.contains("PyPI        2661 advisories (10 withdrawn) for "),
        "{text}"
    );
    assert!(!text.contains("stale"), "{text}");
    let out = ran(
        db_cmd(db.path(), cache.path()).args(["status", "-f", "json"]),
        0,
    );
    let status: Value = serde_json::from_str(&out.0).unwrap();
    assert_eq!(status["recorded"], true);
    assert_eq!(status["ecosystems"].as_array().unwrap().len(), 3);

    // The updated database is used by `keyward deps` with no --db (KEYWARD_DEPS_DB).
    let project = files::tree(&[(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n",
    )]);
    let mut c = keyward();
    c.current_dir(project.path())
        .env("XDG_CACHE_HOME", cache.path())
        .env("KEYWARD_DEPS_DB", db.path());
    c.arg("deps")
        .assert()
        .code(1)
        .stdout(predicates::str::contains("smallvec 1.6.0"));
}

fn keyward_today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Days since the epoch to a civil date (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn a_bad_download_leaves_the_old_database_intact() {
    let srv = server();
    let db = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    db_cmd(db.path(), cache.path())
        .args(["update", "--url", &format!("{}/good", srv.base)])
        .assert()
        .code(0);
    let before = snapshot(db.path());
    for (prefix, why) in [
        ("corrupt", "not a valid OSV database: not a zip archive"),
        (
            "badjson",
            "not a valid OSV database: PYSEC-1.json: not OSV JSON",
        ),
        ("partial", "404"),
    ] {
        let out = ran(
            db_cmd(db.path(), cache.path()).args([
                "update",
                "--url",
                &format!("{}/{prefix}", srv.base),
            ]),
            2,
        );
        let err = out.1;
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!(
                "keyward: error: cannot download {}/{prefix}/PyPI/all.zip: ",
                srv.base
            )) && err.contains(why),
            "{prefix}: {err}"
        );
        assert_eq!(snapshot(db.path()), before, "{prefix} changed the database");
    }
    // npm was downloaded before PyPI failed, yet nothing of it was installed either.
    let reqs = srv.requests.lock().unwrap().clone();
    assert!(
        reqs.contains(&"/corrupt/npm/all.zip".to_string()),
        "{reqs:?}"
    );
}

#[test]
fn update_can_fetch_some_ecosystems_and_rejects_bad_urls() {
    let srv = server();
    let db = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    db_cmd(db.path(), cache.path())
        .args([
            "update",
            "--ecosystem",
            "npm,crates.io",
            "--url",
            &format!("{}/partial", srv.base),
        ])
        .assert()
        .code(0);
    assert!(
        db.path().join("npm/all.zip").is_file() && db.path().join("crates.io/all.zip").is_file()
    );
    assert!(!db.path().join("PyPI").exists());
    for (url, msg) in [
        ("ftp://127.0.0.1/x", "must start with https:// or http://"),
        (
            "https://user:hunter2@127.0.0.1/x",
            "credentials in the database URL are not supported",
        ),
    ] {
        let out = ran(
            db_cmd(db.path(), cache.path()).args(["update", "--url", url]),
            2,
        );
        let err = out.1;
        assert!(err.contains(msg) && !err.contains("hunter2"), "{err}");
    }
    db_cmd(db.path(), cache.path())
        .args(["update", "--ecosystem", "maven"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown ecosystem `maven`"));
}

#[test]
fn status_of_a_database_not_written_by_update_and_of_none() {
    let cache = tempfile::tempdir().unwrap();
    let out = ran(db_cmd(&shared_osv(), cache.path()).arg("status"), 0);
    let text = out.0;
    assert!(text.contains("updated   not recorded"), "{text}");
    assert!(
        text.contains("npm           23 advisories (0 withdrawn) for "),
        "{text}"
    );
    // Indexes of a directory keyward does not own go to the cache, never beside the zips.
    assert!(!shared_osv().join("npm/keyward-index.bin").exists());
    assert_eq!(
        std::fs::read_dir(cache.path().join("keyward/osv-index"))
            .unwrap()
            .count(),
        3
    );
    let empty = tempfile::tempdir().unwrap();
    db_cmd(empty.path(), cache.path())
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("run `keyward deps db update`"));
}
