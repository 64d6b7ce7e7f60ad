//! Version order over every vector of osv-scalibr's `semantic/testdata`
//! (`shared/deps/version-vectors`): SemVer-like for npm and crates.io, PEP 440 for PyPI.

use keyward_deps::version::compare;
use keyward_deps::Ecosystem;
use serde_json::Value;
use std::cmp::Ordering;
use std::path::Path;

fn vectors(file: &str) -> Vec<(String, Ordering, String, u64)> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/deps/version-vectors"
    ));
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is needed by this test: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let op = match v["op"].as_str().unwrap() {
                "<" => Ordering::Less,
                ">" => Ordering::Greater,
                "=" => Ordering::Equal,
                o => panic!("unknown op {o}"),
            };
            (
                v["a"].as_str().unwrap().to_string(),
                op,
                v["b"].as_str().unwrap().to_string(),
                v["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Every vector, in both directions (a op b, and b reversed-op a).
fn check(file: &str, eco: Ecosystem, expect_at_least: usize) {
    let vs = vectors(file);
    assert!(
        vs.len() >= expect_at_least,
        "{file}: only {} vectors",
        vs.len()
    );
    let mut bad = Vec::new();
    for (a, op, b, line) in &vs {
        let got = compare(eco, a, b);
        let back = compare(eco, b, a);
        if got != *op || back != op.reverse() {
            bad.push(format!(
                "line {line}: {a} {op:?} {b}, got {got:?} / reversed {back:?}"
            ));
        }
    }
    println!(
        "{file}: {}/{} vectors hold for {eco}",
        vs.len() - bad.len(),
        vs.len()
    );
    assert!(
        bad.is_empty(),
        "{file} ({eco}): {} wrong\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn semver_vectors_hold_for_npm_and_crates_io() {
    check("semver-versions.json", Ecosystem::Npm, 86);
    check("semver-versions.json", Ecosystem::CratesIo, 86);
}

#[test]
fn pypi_vectors_hold() {
    check("pypi-versions.json", Ecosystem::PyPI, 37);
}

#[test]
fn generated_pypi_vectors_hold() {
    check("pypi-versions-generated.json", Ecosystem::PyPI, 12_375);
}
