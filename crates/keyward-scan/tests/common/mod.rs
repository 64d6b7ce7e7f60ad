//! Helpers shared by the real-code precision tests: scan one line at a path and list the
//! rules found.
#![allow(dead_code)]

use keyward_scan::{RuleSet, Scanner};
use std::sync::OnceLock;

/// The built-in rules, loaded once.
pub fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(RuleSet::builtin().unwrap()))
}

/// Rule ids found in `text` at `path`.
pub fn found(path: &str, text: &str) -> Vec<String> {
    scanner()
        .scan(path, text.as_bytes())
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

/// Each (path, line) must produce no finding.
pub fn assert_quiet(cases: &[(&str, &str)]) {
    for (path, text) in cases {
        let f = found(path, text);
        assert!(f.is_empty(), "{path}: `{text}` reported as {f:?}");
    }
}

/// Each (path, line, rule) must produce a finding of `rule`.
pub fn assert_found(cases: &[(&str, &str, &str)]) {
    for (path, text, rule) in cases {
        let f = found(path, text);
        assert!(
            f.iter().any(|r| r == rule),
            "{path}: `{text}` not reported as {rule} (got {f:?})"
        );
    }
}
