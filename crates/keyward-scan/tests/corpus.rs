//! Precision and recall on the labelled fixture corpus (`tests/fixtures/corpus`).

use keyward_scan::{RuleSet, Scanner};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Labels {
    secret: Vec<Label>,
}

#[derive(Deserialize)]
struct Label {
    file: String,
    values: Vec<String>,
}

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.file_name().unwrap() != "labels.toml" {
            out.push(p);
        }
    }
}

/// Recall and precision of the built-in rules on a labelled corpus, and what went wrong.
fn measure(name: &str) -> (f64, f64, usize, Vec<String>) {
    let dir = corpus_dir(name);
    let labels: Labels =
        toml::from_str(&std::fs::read_to_string(dir.join("labels.toml")).unwrap()).unwrap();
    let by_file: BTreeMap<String, Vec<String>> = labels
        .secret
        .into_iter()
        .map(|l| (l.file, l.values))
        .collect();
    let scanner = Scanner::new(RuleSet::builtin().unwrap());
    let mut all = Vec::new();
    files(&dir, &mut all);
    all.sort();

    let (mut tp_lines, mut expected_lines, mut fp) = (0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    for path in &all {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let data = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&data);
        let lines: Vec<&str> = text.lines().collect();
        let values = by_file.get(&rel).cloned().unwrap_or_default();
        let expected: BTreeSet<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| values.iter().any(|v| l.contains(v.as_str())))
            .map(|(i, _)| i + 1)
            .collect();
        for v in &values {
            assert!(text.contains(v.as_str()), "{rel}: label {v} not in file");
        }
        let findings = scanner.scan(&rel, &data);
        let found: BTreeSet<usize> = findings.iter().map(|f| f.location.line).collect();
        for f in &findings {
            if !expected.contains(&f.location.line) {
                fp += 1;
                problems.push(format!(
                    "false positive {rel}:{} {} ({})",
                    f.location.line,
                    f.rule_id,
                    lines[f.location.line - 1]
                ));
            }
        }
        for l in &expected {
            expected_lines += 1;
            if found.contains(l) {
                tp_lines += 1;
            } else {
                problems.push(format!("missed {rel}:{l} ({})", lines[l - 1]));
            }
        }
    }
    let recall = tp_lines as f64 / expected_lines as f64;
    let precision = tp_lines as f64 / (tp_lines + fp).max(1) as f64;
    println!(
        "{name}: {expected_lines} labelled lines, recall {recall:.3}, precision {precision:.3}"
    );
    for p in &problems {
        println!("  {p}");
    }
    (recall, precision, expected_lines, problems)
}

/// Fail below 0.95 recall or precision, or when the corpus is smaller than `min_lines`.
fn assert_corpus(name: &str, min_lines: usize) {
    let (recall, precision, lines, problems) = measure(name);
    assert!(lines >= min_lines, "{name} too small: {lines}");
    let detail = problems.join("\n");
    assert!(
        recall >= 0.95,
        "{name}: recall {recall:.3} < 0.95\n{detail}"
    );
    assert!(
        precision >= 0.95,
        "{name}: precision {precision:.3} < 0.95\n{detail}"
    );
}

/// The corpus written alongside the rules.
#[test]
fn corpus_precision_and_recall() {
    assert_corpus("corpus", 50);
}

/// A second corpus, written by someone who had not read the rules or the filters.
#[test]
fn blind_corpus_precision_and_recall() {
    assert_corpus("blind", 100);
}

/// A third corpus (a Rails/React/Ansible monorepo), also written blind.
#[test]
fn blind2_corpus_precision_and_recall() {
    assert_corpus("blind2", 100);
}

/// A fourth corpus (the reference policies' own two projects), also written blind.
#[test]
fn blind3_corpus_precision_and_recall() {
    assert_corpus("blind3", 100);
}
