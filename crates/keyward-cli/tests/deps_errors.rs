//! End-to-end tests of `keyward deps` on the built binary: ignores and their expiry,
//! malformed lockfiles, a missing or stale database, stdin.

#[path = "support/files.rs"]
mod files;
#[path = "support/deps_project.rs"]
mod project;
#[path = "support/deps.rs"]
mod support;

use files::{keyward, tree};
use project::*;
use support::{ran, shared_osv};

#[test]
fn ignores_suppress_until_they_expire() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let policy = |expires: &str| {
        format!(
            "[[deps.ignore]]\nid = \"CVE-2021-44906\"\npackage = \"minimist\"\nreason = \"dev-only CLI parsing\"\nexpires = \"{expires}\"\n"
        )
    };
    std::fs::write(dir.path().join("live.toml"), policy("2999-12-31")).unwrap();
    std::fs::write(dir.path().join("expired.toml"), policy("2020-01-01")).unwrap();
    let out = ran(
        deps(dir.path(), cache.path()).args(["-f", "json", "-c", "live.toml"]),
        1,
    );
    let doc = json_of(out.0.as_bytes());
    let found: Vec<String> = rows(&doc).into_iter().map(|r| r.2).collect();
    assert!(!found.contains(&"minimist".to_string()), "{found:?}");
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert!(out.1.is_empty(), "{}", out.1);

    let out = ran(
        deps(dir.path(), cache.path()).args(["-f", "json", "-c", "expired.toml"]),
        1,
    );
    assert_eq!(rows(&json_of(out.0.as_bytes())), expected_rows());
    let err = out.1;
    assert!(
        err.contains("warning: [[deps.ignore]] for `CVE-2021-44906` expired on 2020-01-01 (reason: dev-only CLI parsing); it no longer suppresses"),
        "{err}"
    );
}

#[test]
fn a_malformed_lockfile_is_one_error_and_the_others_are_still_reported() {
    let dir = project();
    std::fs::create_dir_all(dir.path().join("broken")).unwrap();
    std::fs::write(
        dir.path().join("broken/yarn.lock"),
        "a@^1:\n  version \"1.0.0\"\nnot a header\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = ran(deps(dir.path(), cache.path()).args(["-f", "json"]), 2);
    let err = out.1;
    assert_eq!(
        err,
        "keyward: error: broken/yarn.lock:3: expected a package header ending in `:`, found `not a header`\n"
    );
    let doc = json_of(out.0.as_bytes());
    assert_eq!(rows(&doc), expected_rows());
    assert_eq!(
        doc["summary"]["errors"][0].as_str().unwrap(),
        err.trim_start_matches("keyward: error: ").trim_end()
    );
    // A broken JSON lockfile names its line too.
    let bad = tree(&[(
        "package-lock.json",
        "{\n  \"packages\": {\n    \"node_modules/a\": {\"version\": \"1.0.0\",}\n  }\n}\n",
    )]);
    let out = ran(&mut deps(bad.path(), cache.path()), 2);
    let err = out.1;
    assert!(
        err.starts_with("keyward: error: package-lock.json:3: invalid JSON")
            && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn a_missing_database_says_how_to_get_one() {
    let dir = project();
    let empty = tempfile::tempdir().unwrap();
    let out = ran(
        keyward()
            .current_dir(dir.path())
            .env("XDG_CACHE_HOME", empty.path())
            .args(["deps", "--db"])
            .arg(empty.path().join("osv")),
        2,
    );
    let err = out.1;
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no OSV database in") && err.contains("run `keyward deps db update`"),
        "{err}"
    );
    assert!(out.0.is_empty());
    // Default location: the user cache directory.
    let out = ran(
        keyward()
            .current_dir(dir.path())
            .env("XDG_CACHE_HOME", empty.path())
            .env_remove("KEYWARD_DEPS_DB")
            .arg("deps"),
        2,
    );
    let err = out.1;
    assert!(
        err.contains(&format!("{}", empty.path().join("keyward/osv").display())),
        "{err}"
    );
}

#[test]
fn stdin_reads_one_lockfile() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["-", "--stdin-name", "Cargo.lock"], vec!["-"]] {
        let out = ran(
            deps(dir.path(), cache.path())
                .args(&args)
                .args(["-f", "json"])
                .write_stdin(CARGO_LOCK),
            1,
        );
        let r = rows(&json_of(out.0.as_bytes()));
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[1].0.as_str(), r[1].1, r[1].2.as_str()),
            ("-", 13, "smallvec")
        );
    }
    deps(dir.path(), cache.path())
        .args(["-", "--stdin-name", "package.json"])
        .write_stdin("{}")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--stdin-name package.json: not a lockfile name",
        ));
}

#[test]
fn a_stale_database_is_warned_about() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let db = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(db.path().join("crates.io")).unwrap();
    std::fs::copy(
        shared_osv().join("crates.io/all.zip"),
        db.path().join("crates.io/all.zip"),
    )
    .unwrap();
    std::fs::write(
        db.path().join("keyward-db.json"),
        r#"{"updated": "2020-01-01T00:00:00Z", "source": "http://mirror", "ecosystems": {}}"#,
    )
    .unwrap();
    let run = |config: Option<&str>| {
        let mut c = keyward();
        c.current_dir(dir.path())
            .env("XDG_CACHE_HOME", cache.path())
            .args(["deps", "core", "--db"])
            .arg(db.path());
        if let Some(cfg) = config {
            std::fs::write(dir.path().join("k.toml"), cfg).unwrap();
            c.args(["-c", "k.toml"]);
        }
        ran(&mut c, 1).1
    };
    let err = run(None);
    assert!(
        err.contains("warning: the advisory database in") && err.contains("days old (limit 7 days"),
        "{err}"
    );
    assert!(err.contains("run `keyward deps db update`"), "{err}");
    assert_eq!(run(Some("[deps]\nmax_db_age_days = 100000\n")), "");
    // The database has no npm or PyPI zip: those lockfiles are named as unchecked.
    let mut c = keyward();
    c.current_dir(dir.path())
        .env("XDG_CACHE_HOME", cache.path())
        .args(["deps", "--db"])
        .arg(db.path());
    let err = ran(&mut c, 1).1;
    assert!(err.contains("has no npm advisories"), "{err}");
}
