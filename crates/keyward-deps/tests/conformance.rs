//! Conformance with osv-scalibr's lockfile extractors: every case under
//! `shared/deps/lockfile-cases` (fixture + the `{name, version}` packages scalibr's tests
//! expect, or the error they expect) is read by keyward and compared. A case either
//! agrees or is listed in `DIFFERENCES` with the reason keyward differs on purpose; a
//! listed case that starts agreeing fails too, so the list stays true.

use keyward_deps::lockfile::{self, LockfileKind};
use keyward_deps::walk::{discover, WalkOptions};
use keyward_deps::{Ecosystem, Package};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Cases where keyward's answer differs from scalibr's on purpose.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "requirements__11__with_version",
        "`>=0.2.2`, `>=3.5`, `<=1.2.3` are ranges, not the installed version: keyward lists \
         the package without a version instead of matching the range's bound",
    ),
    (
        "requirements__13__pip_example",
        "`keyring >= 4.1.1` and `Mopidy-Dirble ~= 1.1` are ranges (no version, as above), and \
         the fixture lacks the `-r other-requirements.txt` include the test relies on, which \
         keyward reports as an error rather than skipping",
    ),
    (
        "requirements__10__infinite_loop",
        "the fixture lacks `other-loop.txt`; a missing `-r` include is an error in keyward \
         (an audit that silently skips a file is incomplete), cycles themselves are followed \
         once (unit test `includes_keep_their_own_file_and_line_and_cycles_stop`)",
    ),
    (
        "packagelockjson__10__valid_package-lock.json_and_npm-shrinkwrap.json_and_extract_",
        "the fixture directory holds only package-lock.json (the test adds the shrinkwrap \
         in memory); keyward's skip-beside-shrinkwrap rule is covered by the walk unit test",
    ),
];

/// Cases of scalibr's `FileRequired` tests: the fixture's name (`not-json.txt`,
/// `one-package.v1.json`) is not a lockfile name, so nothing is read.
const FILE_NAME_CASES: &[&str] = &[
    "packagelockjson__04__invalid_package-lock.json",
    "packagelockjson__05__valid_package-lock.json",
];

fn shared() -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        p.join("deps/lockfile-cases/INDEX.json").is_file(),
        "shared/deps/lockfile-cases not found beside the checkout ({}); the conformance test needs it",
        p.display()
    );
    p.to_path_buf()
}

fn kind_of(extractor: &str) -> LockfileKind {
    match extractor {
        "packagelockjson" => LockfileKind::PackageLock,
        "yarnlock" => LockfileKind::YarnLock,
        "pnpmlock" => LockfileKind::PnpmLock,
        "bunlock" => LockfileKind::BunLock,
        "requirements" => LockfileKind::Requirements,
        "poetrylock" => LockfileKind::PoetryLock,
        "pipfilelock" => LockfileKind::PipfileLock,
        "uvlock" => LockfileKind::UvLock,
        "pdmlock" => LockfileKind::PdmLock,
        "pylock" => LockfileKind::PyLock,
        "cargolock" => LockfileKind::CargoLock,
        other => panic!("unknown extractor {other}"),
    }
}

type Pkgs = Vec<(String, Option<String>)>;

/// Read a case the way scalibr's test does: its `FileRequired` tests
/// (`packagelockjson_test.go`) go through file-name detection and the directory walk,
/// the others read the fixture as the extractor's format whatever its name.
fn read_case(dir: &Path, kind: LockfileKind, by_name: bool) -> Result<Pkgs, String> {
    let fixture_dir = dir.join("fixture");
    let entries: Vec<PathBuf> = std::fs::read_dir(&fixture_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut packages: Vec<Package> = Vec::new();
    if by_name {
        let found = discover(std::slice::from_ref(&fixture_dir), &WalkOptions::default())
            .map_err(|e| e.to_string())?;
        for f in found {
            packages.extend(lockfile::read(f.kind, &f.path, &f.shown).map_err(|e| e.to_string())?);
        }
    } else {
        assert_eq!(entries.len(), 1, "{}", dir.display());
        let f = &entries[0];
        packages = lockfile::read(kind, f, &f.display().to_string()).map_err(|e| e.to_string())?;
    }
    let mut out: Pkgs = packages.into_iter().map(|p| (p.name, p.version)).collect();
    out.sort();
    Ok(out)
}

fn expected(case: &Value, eco: Ecosystem) -> Pkgs {
    let mut out: Pkgs = case["packages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    let name = eco.normalize(p["name"].as_str().unwrap());
                    let v = p["version"]
                        .as_str()
                        .filter(|v| !v.is_empty())
                        .map(str::to_string);
                    (name, v)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn lockfile_cases_agree_with_osv_scalibr() {
    let root = shared().join("deps/lockfile-cases");
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("INDEX.json")).unwrap()).unwrap();
    let differences: BTreeMap<&str, &str> = DIFFERENCES.iter().copied().collect();
    let mut per_extractor: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut cases = 0;
    for dir in std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
        if !dir.is_dir() {
            continue;
        }
        let extractor = dir.file_name().unwrap().to_string_lossy().to_string();
        let kind = kind_of(&extractor);
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        subdirs.sort();
        for case_dir in subdirs {
            cases += 1;
            let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
            let case: Value = serde_json::from_str(
                &std::fs::read_to_string(case_dir.join("expected.json")).unwrap(),
            )
            .unwrap();
            let by_name = FILE_NAME_CASES.contains(&name.as_str())
                || std::fs::read_dir(case_dir.join("fixture"))
                    .unwrap()
                    .any(|e| e.unwrap().path().is_dir());
            let got = read_case(&case_dir, kind, by_name);
            let want_err = case.get("want_err").is_some();
            let agree = match (&got, want_err) {
                (Err(_), true) => true,
                (Ok(pkgs), false) => *pkgs == expected(&case, kind.ecosystem()),
                _ => false,
            };
            let e = per_extractor.entry(extractor.clone()).or_default();
            e.1 += 1;
            if agree {
                e.0 += 1;
            }
            match (agree, differences.get(name.as_str())) {
                (true, Some(_)) => {
                    failures.push(format!("{name}: listed as a difference but agrees now"))
                }
                (false, None) => failures.push(format!(
                    "{name}: keyward {:?}\n    scalibr {}",
                    got,
                    if want_err {
                        "expects an error".to_string()
                    } else {
                        format!("{:?}", expected(&case, kind.ecosystem()))
                    }
                )),
                _ => {}
            }
        }
    }
    assert_eq!(
        cases,
        index.len(),
        "every case in INDEX.json has a directory"
    );
    let agreed: usize = per_extractor.values().map(|v| v.0).sum();
    for (ex, (a, n)) in &per_extractor {
        println!("{ex:16} {a:3}/{n:3} agree");
    }
    println!(
        "total            {agreed}/{cases} agree; {} listed differences",
        DIFFERENCES.len()
    );
    assert!(
        failures.is_empty(),
        "{} case(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
