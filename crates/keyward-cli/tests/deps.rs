//! End-to-end tests of `keyward deps` reports on the built binary, against the real OSV
//! data in `shared/osv`: the same findings in human, JSON and SARIF, and exit codes.

#[path = "support/files.rs"]
mod files;
#[path = "support/deps_project.rs"]
mod project;
#[path = "support/deps.rs"]
mod support;

use files::tree;
use project::*;
use support::ran;

#[test]
fn json_reports_advisories_severities_and_fixes_per_lockfile() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let out = ran(deps(dir.path(), cache.path()).args(["-f", "json"]), 1);
    let doc = json_of(out.0.as_bytes());
    assert_eq!(doc["kind"], "deps");
    assert_eq!(doc["version"], 1);
    assert_eq!(rows(&doc), expected_rows());
    // arrayfire (withdrawn advisory only) and left-pad are not reported.
    let names: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["package"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"arrayfire") && !names.contains(&"left-pad"),
        "{names:?}"
    );
    let lodash = &doc["findings"][4];
    assert_eq!(lodash["ecosystem"], "npm");
    assert_eq!(lodash["dev"], false);
    let a = &lodash["advisories"][0];
    assert_eq!(
        (
            a["id"].as_str(),
            a["severity"].as_str(),
            a["score"].as_f64()
        ),
        (Some("GHSA-35jh-r3h4-6jhm"), Some("high"), Some(7.2))
    );
    assert_eq!(a["aliases"], serde_json::json!(["CVE-2021-23337"]));
    assert_eq!(a["severity_source"], "cvss_v3");
    assert_eq!(a["summary"], "Command Injection in lodash");
    assert_eq!(doc["findings"][5]["dev"], true);
    let ansi = &doc["findings"][2]["advisories"][0];
    assert_eq!(
        (ansi["kind"].as_str(), ansi["severity"].as_str()),
        (Some("unmaintained"), Some("info"))
    );
    let pyyaml = &doc["findings"][1]["advisories"][0];
    assert_eq!(pyyaml["severity_source"], "unrated");
    let s = &doc["summary"];
    assert_eq!(
        (
            s["lockfiles"].as_u64(),
            s["packages"].as_u64(),
            s["unpinned"].as_u64()
        ),
        (Some(3), Some(10), Some(1))
    );
    assert_eq!(s["by_severity"]["critical"], 2);
}

#[test]
fn human_and_sarif_show_the_same_findings() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let out = ran(&mut deps(dir.path(), cache.path()), 1);
    let text = out.0;
    for want in [
        "web/package-lock.json\n  13     high     lodash 4.17.20 (npm)  upgrade to 4.17.21\n",
        "         high 7.2 GHSA-35jh-r3h4-6jhm (CVE-2021-23337): Command Injection in lodash\n",
        "  16     critical minimist 1.2.5 (npm) dev  upgrade to 1.2.6\n",
        "  4      info     ansi_term 0.12.1 (crates.io)  no fixed version\n",
        "         info RUSTSEC-2021-0139 [unmaintained]: ansi_term is Unmaintained\n",
        "  3      medium   pyyaml 5.3 (PyPI)  upgrade to 5.4\n",
        "6 vulnerable packages (2 critical, 2 high, 1 medium, 1 info) in 3 lockfiles",
        "note: 1 package(s) without a pinned version were not checked",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(!text.contains("arrayfire"), "{text}");

    let out = ran(deps(dir.path(), cache.path()).args(["-f", "sarif"]), 1);
    let sarif = json_of(out.0.as_bytes());
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 9, "one result per package and advisory");
    let smallvec = results
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2021-0003")
        .unwrap();
    assert_eq!(smallvec["level"], "error");
    let loc = &smallvec["locations"][0]["physicalLocation"];
    assert_eq!(
        (
            loc["artifactLocation"]["uri"].as_str(),
            loc["region"]["startLine"].as_u64()
        ),
        (Some("core/Cargo.lock"), Some(13))
    );
    assert!(smallvec["message"]["text"]
        .as_str()
        .unwrap()
        .contains("Upgrade to 1.6.1"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "RUSTSEC-2021-0003")
        .unwrap();
    assert_eq!(rule["properties"]["security-severity"], "9.8");
    let unmaintained = results
        .iter()
        .find(|r| r["ruleId"] == "RUSTSEC-2021-0139")
        .unwrap();
    assert_eq!(unmaintained["level"], "note");
}

#[test]
fn fail_on_sets_the_exit_code_and_output_goes_to_a_file() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let report = dir.path().join("deps.json");
    deps(dir.path(), cache.path())
        .args(["-f", "json", "-o"])
        .arg(&report)
        .args(["--fail-on", "critical"])
        .assert()
        .code(1)
        .stdout("");
    assert_eq!(rows(&json_of(&std::fs::read(&report).unwrap())).len(), 6);
    // Only an informational advisory: below the default threshold (low).
    let only_info = tree(&[(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"ansi_term\"\nversion = \"0.12.1\"\n",
    )]);
    deps(only_info.path(), cache.path()).assert().code(0);
    deps(only_info.path(), cache.path())
        .args(["--fail-on", "info"])
        .assert()
        .code(1);
    // A clean tree.
    let clean = tree(&[(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.1\"\n",
    )]);
    let out = ran(&mut deps(clean.path(), cache.path()), 0);
    assert!(out.0.starts_with("0 vulnerable packages in 1 lockfile"));
}
