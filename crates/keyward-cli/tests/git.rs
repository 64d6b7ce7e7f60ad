//! End-to-end tests of git history scans, staged scans, baselines, allow entries, the
//! pre-commit hook and the JWT exposure check, on real repositories built with the git CLI.

#[path = "support/gitrepo.rs"]
mod gitrepo;

use assert_cmd::Command;
use gitrepo::{stripe_key, Repo};
use predicates::str::contains;
use serde_json::Value;

fn keyward(repo: &Repo) -> Command {
    let mut c = Command::cargo_bin("keyward").unwrap();
    c.current_dir(repo.path())
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env("NO_COLOR", "1");
    c
}

fn findings(out: &[u8]) -> Vec<Value> {
    let v: Value = serde_json::from_slice(out).expect("JSON report");
    v["findings"].as_array().unwrap().clone()
}

#[test]
fn secret_committed_then_deleted_is_found_with_its_introducing_commit() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit_all("initial");
    repo.write(
        "config/.env",
        &format!("STRIPE_SECRET_KEY={}\n", stripe_key(1)),
    );
    let introducing = repo.commit_all("add payments config");
    repo.write("README.md", "hello again\n");
    repo.commit_all("docs");
    repo.git(&["rm", "-q", "config/.env"]);
    repo.commit_all("remove the leaked key");
    assert!(!repo.path().join("config/.env").exists());

    let out = keyward(&repo)
        .args(["scan", "--git", "-f", "json", "--no-progress"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let fs = findings(&out);
    assert_eq!(fs.len(), 1, "{fs:?}");
    let f = &fs[0];
    assert_eq!(f["rule"], "stripe-live-secret-key");
    assert_eq!(f["path"], "config/.env");
    assert_eq!(f["commit"], introducing.as_str());
    assert_eq!(f["author"], "Ann Dev <ann@example.com>");
    assert!(f["date"].as_str().unwrap().starts_with("20"), "{f}");
    assert!(!String::from_utf8_lossy(&out).contains(&stripe_key(1)));

    // SARIF carries the commit too.
    let sarif = keyward(&repo)
        .args(["scan", "--git", "-f", "sarif", "--no-progress"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&sarif).contains(&introducing));

    // The human report names the commit.
    keyward(&repo)
        .args(["scan", "--git", "--no-progress"])
        .assert()
        .code(1)
        .stdout(contains(format!("introduced in {}", &introducing[..12])));
}

#[test]
fn range_limits_the_scan_to_a_pull_requests_commits() {
    let repo = Repo::new();
    repo.write(
        "old/.env",
        &format!("STRIPE_SECRET_KEY={}\n", stripe_key(2)),
    );
    repo.commit_all("old leak on main");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/pay.py", &format!("KEY = \"{}\"\n", stripe_key(3)));
    let pr_commit = repo.commit_all("feature work");
    repo.write("src/other.txt", "nothing\n");
    repo.commit_all("more feature work");

    let out = keyward(&repo)
        .args(["scan", "--git", "--range", "main..feature", "-f", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let fs = findings(&out);
    assert_eq!(fs.len(), 1, "{fs:?}");
    assert_eq!(fs[0]["path"], "src/pay.py");
    assert_eq!(fs[0]["commit"], pr_commit.as_str());

    // The whole history has both.
    let out = keyward(&repo)
        .args(["scan", "--git", "-f", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(findings(&out).len(), 2);

    // --since a revision behaves like REV..all refs.
    let out = keyward(&repo)
        .args(["scan", "--git", "--since", "main", "-f", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(findings(&out).len(), 1);

    keyward(&repo)
        .args(["scan", "--git", "--range", "nope..feature"])
        .assert()
        .code(2)
        .stderr(contains("cannot resolve `nope`"));
}

#[test]
fn outside_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("keyward")
        .unwrap()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .args(["scan", "--git"])
        .assert()
        .code(2)
        .stderr(contains("not a git repository"));
}

#[test]
fn staged_scan_catches_a_staged_secret_and_ignores_unstaged_ones() {
    let repo = Repo::new();
    repo.write("app/settings.py", "DEBUG = False\n");
    repo.write("app/clean.py", "x = 1\n");
    repo.write("lib/untouched.py", "y = 2\n");
    repo.commit_all("initial");

    // Nothing staged: clean.
    keyward(&repo).args(["scan", "--staged"]).assert().code(0);

    // Unstaged edit with a secret: not what the next commit contains.
    repo.write("app/clean.py", &format!("KEY = \"{}\"\n", stripe_key(4)));
    // Staged secret in a new file.
    repo.write(
        "app/billing/keys.env",
        &format!("STRIPE={}\n", stripe_key(5)),
    );
    repo.git(&["add", "app/billing/keys.env"]);
    let out = keyward(&repo)
        .args(["scan", "--staged", "-f", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let fs = findings(&out);
    assert_eq!(fs.len(), 1, "{fs:?}");
    assert_eq!(fs[0]["path"], "app/billing/keys.env");

    // A staged clean version whose work-tree copy later gains a secret is clean.
    repo.git(&["reset", "-q", "app/billing/keys.env"]);
    repo.write("app/settings.py", "DEBUG = True\n");
    repo.git(&["add", "app/settings.py"]);
    repo.write("app/settings.py", &format!("KEY = '{}'\n", stripe_key(6)));
    keyward(&repo).args(["scan", "--staged"]).assert().code(0);
}

#[test]
fn baseline_silences_old_findings_and_lets_a_new_one_fail() {
    let repo = Repo::new();
    repo.write(
        "legacy/.env",
        &format!("STRIPE_SECRET_KEY={}\n", stripe_key(7)),
    );
    repo.commit_all("legacy");
    keyward(&repo)
        .args(["baseline", "--git"])
        .assert()
        .code(0)
        .stderr(contains(".keyward/baseline.json"));
    let text = std::fs::read_to_string(repo.path().join(".keyward/baseline.json")).unwrap();
    assert!(!text.contains(&stripe_key(7)), "baseline holds a secret");
    let b: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(b["version"], 1);
    assert_eq!(b["entries"][0]["rule"], "stripe-live-secret-key");
    assert_eq!(b["entries"][0]["path"], "legacy/.env");
    assert_eq!(b["entries"][0]["commit"].as_str().unwrap().len(), 40);

    keyward(&repo)
        .args(["scan", "--git", "--baseline"])
        .assert()
        .code(0)
        .stdout(contains("1 finding(s) in the baseline"));
    keyward(&repo)
        .args(["scan", ".", "--baseline", ".keyward/baseline.json"])
        .assert()
        .code(0);

    repo.write("src/new.js", &format!("const k = '{}';\n", stripe_key(8)));
    let out = keyward(&repo)
        .args([
            "scan",
            "--baseline",
            ".keyward/baseline.json",
            "-f",
            "json",
            ".",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let fs = findings(&out);
    assert_eq!(fs.len(), 1, "{fs:?}");
    assert_eq!(fs[0]["path"], "src/new.js");

    // Fixing the old leak leaves a stale entry, which is noted.
    std::fs::remove_file(repo.path().join("legacy/.env")).unwrap();
    keyward(&repo)
        .args(["scan", "--baseline", ".keyward/baseline.json", "."])
        .assert()
        .code(1)
        .stdout(contains("no longer matches anything"));
}

#[test]
fn an_expired_allow_entry_stops_suppressing() {
    let repo = Repo::new();
    repo.write("fixtures/keys.env", &format!("STRIPE={}\n", stripe_key(9)));
    let policy = |expires: &str| {
        format!(
            "[[allow]]\npath = \"fixtures/**\"\nrule = \"stripe-live-secret-key\"\nreason = \"test fixtures\"\nexpires = \"{expires}\"\n"
        )
    };
    repo.write("keyward.toml", &policy("2999-12-31"));
    keyward(&repo)
        .args(["scan", "."])
        .assert()
        .code(0)
        .stdout(contains("suppressed by [[allow]]"));

    repo.write("keyward.toml", &policy("2001-01-01"));
    keyward(&repo)
        .args(["scan", "."])
        .assert()
        .code(1)
        .stdout(contains("fixtures/keys.env"))
        .stderr(contains("expired on 2001-01-01"));

    // By fingerprint, no expiry.
    let out = keyward(&repo)
        .args(["scan", ".", "-f", "json"])
        .output()
        .unwrap();
    let fp = findings(&out.stdout)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    repo.write(
        "keyward.toml",
        &format!("[[allow]]\nfingerprint = \"{fp}\"\nreason = \"rotated 2024-05\"\n"),
    );
    keyward(&repo).args(["scan", "."]).assert().code(0);

    repo.write("keyward.toml", "[[allow]]\npath = \"x\"\nreason = \"\"\n");
    keyward(&repo)
        .args(["scan", "."])
        .assert()
        .code(2)
        .stderr(contains("non-empty `reason`"));
}

#[test]
fn the_installed_hook_blocks_a_commit_that_adds_a_secret() {
    let repo = Repo::new();
    repo.write("README.md", "hi\n");
    repo.commit_all("initial");
    keyward(&repo).args(["hook", "install"]).assert().code(0);
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("keyward scan --staged"));
    // Installing again over our own hook is fine.
    keyward(&repo).args(["hook", "install"]).assert().code(0);

    let bin = assert_cmd::cargo::cargo_bin("keyward");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    repo.write(
        "deploy/.env",
        &format!("STRIPE_SECRET_KEY={}\n", stripe_key(10)),
    );
    repo.git(&["add", "deploy/.env"]);
    let out = repo
        .cmd(&["commit", "-q", "-m", "add deploy config"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the hook let a secret through");
    // git sends a hook's stdout to stderr.
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(shown.contains("deploy/.env"), "{shown}");
    assert!(!shown.contains(&stripe_key(10)));
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1");

    // A clean commit goes through.
    repo.git(&["reset", "-q", "deploy/.env"]);
    repo.write("docs/ok.md", "fine\n");
    repo.git(&["add", "docs/ok.md"]);
    let out = repo
        .cmd(&["commit", "-q", "-m", "docs"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    keyward(&repo).args(["hook", "uninstall"]).assert().code(0);
    assert!(!hook.exists());

    // A foreign hook is not overwritten without --force.
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    keyward(&repo)
        .args(["hook", "install"])
        .assert()
        .code(2)
        .stderr(contains("--force"));
    keyward(&repo).args(["hook", "uninstall"]).assert().code(2);
    keyward(&repo)
        .args(["hook", "install", "--force"])
        .assert()
        .code(0);
}

/// HS256 over `{"alg":"HS256","typ":"JWT"}.{"sub":"admin","iss":"kitchen-api",…}` signed with
/// the `JWT_SECRET` value below.
const FORGED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiIsImlzcyI6ImtpdGNoZW4tYXBpIiwicm9sZSI6ImFkbWluIiwiZXhwIjo0MTAyNDQ0ODAwfQ.UM-qzxGKYv_33jbD1bMihxfz21gQxp6cmBllk20rIXE";
const SIGNING_KEY: &str = "Zr7Kq2Lm9Xv4Tn8Wp3Hs6Jd1Fb5Gc0Ya";

#[test]
fn a_forged_jwt_verifies_against_the_leaked_secret() {
    let repo = Repo::new();
    repo.write(".env", &format!("PORT=3000\nJWT_SECRET={SIGNING_KEY}\n"));
    repo.write(
        "tests/api.test.js",
        &format!("const token = \"{FORGED}\";\n"),
    );
    repo.commit_all("tests");
    for args in [
        &["scan", ".", "-f", "json"][..],
        &["scan", "--git", "-f", "json"][..],
    ] {
        let out = keyward(&repo)
            .args(args)
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8_lossy(&out).to_string();
        assert!(!text.contains(SIGNING_KEY), "signing key printed");
        let fs = findings(&out);
        let jwt = fs.iter().find(|f| f["rule"] == "jwt").expect("jwt finding");
        assert_eq!(jwt["verified"], true, "{jwt}");
        assert_eq!(jwt["severity"], "critical");
        let notes = jwt["notes"].to_string();
        assert!(notes.contains("alg=HS256"), "{notes}");
        assert!(notes.contains("iss=kitchen-api sub=admin"), "{notes}");
        assert!(notes.contains(".env:2"), "{notes}");
    }
}

#[test]
fn keywardignore_applies_to_history_and_staged_scans() {
    let repo = Repo::new();
    repo.write(".keywardignore", "fixtures/\n");
    repo.write(
        "fixtures/leak.env",
        &format!("STRIPE_SECRET_KEY={}\n", stripe_key(7)),
    );
    repo.write("src/app.env", &format!("KEY={}\n", stripe_key(8)));
    repo.commit_all("fixtures and app");
    let paths = |args: &[&str]| -> Vec<String> {
        let out = keyward(&repo).args(args).output().unwrap();
        findings(&out.stdout)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    let git = ["scan", "--git", "-f", "json", "--no-progress"];
    assert_eq!(paths(&git), vec!["src/app.env"]);
    let mut all = git.to_vec();
    all.push("--no-ignore");
    let mut got = paths(&all);
    got.sort();
    assert_eq!(got, vec!["fixtures/leak.env", "src/app.env"]);

    repo.write("fixtures/more.env", &format!("K={}\n", stripe_key(9)));
    repo.git(&["add", "fixtures/more.env"]);
    keyward(&repo)
        .args(["scan", "--staged", "--no-progress"])
        .assert()
        .code(0);
}
