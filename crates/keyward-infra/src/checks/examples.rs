//! Every check's examples, run through the full engine (`keyward infra checks check` and
//! the test suite).

use super::spec::Expect;
use super::{Check, Registry};
use crate::engine::{self, Options};
use crate::input::{self, Input};

/// An example that did not behave as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleFailure {
    /// The check.
    pub check: String,
    /// 1-based example number in its file.
    pub example: usize,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} example {}: {}",
            self.check, self.example, self.message
        )
    }
}

/// Lines of the findings `check` reports on its example `n` (0-based).
pub fn example_lines(registry: &Registry, check: &Check, n: usize) -> Result<Vec<usize>, String> {
    let ex = &check.spec.examples[n];
    let kind =
        input::classify(std::path::Path::new(&ex.file)).unwrap_or_else(|| input::sniff(&ex.text));
    let inputs = [Input {
        path: ex.file.clone(),
        text: ex.text.clone(),
        explicit: true,
        kind,
    }];
    let opts = Options {
        disable: registry
            .checks()
            .iter()
            .map(|c| c.spec.id.clone())
            .filter(|id| *id != check.spec.id)
            .collect(),
        ..Options::default()
    };
    let factory = || {
        keyward_scan::RuleSet::builtin()
            .ok()
            .map(keyward_scan::Scanner::new)
    };
    let out = engine::run(&inputs, registry, &opts, &factory).map_err(|e| e.to_string())?;
    if let Some(e) = out.errors.first() {
        return Err(format!("input error: {e}"));
    }
    Ok(out
        .findings
        .iter()
        .filter(|f| f.check == check.spec.id)
        .map(|f| f.line)
        .collect())
}

/// Run every example of every check.
pub fn check_examples(registry: &Registry) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for check in registry.checks() {
        for (i, ex) in check.spec.examples.iter().enumerate() {
            let fail = |message: String| ExampleFailure {
                check: check.spec.id.clone(),
                example: i + 1,
                message,
            };
            let lines = match example_lines(registry, check, i) {
                Ok(l) => l,
                Err(e) => {
                    failures.push(fail(e));
                    continue;
                }
            };
            let problem = match ex.expect {
                Expect::Pass if !lines.is_empty() => {
                    Some(format!("expected to pass, reported at lines {lines:?}"))
                }
                Expect::Fail if lines.is_empty() => {
                    Some("expected a finding, got none".to_string())
                }
                Expect::Fail if ex.line.is_some_and(|l| !lines.contains(&l)) => Some(format!(
                    "expected a finding at line {}, got lines {lines:?}",
                    ex.line.unwrap_or(0)
                )),
                Expect::Fail if ex.count.is_some_and(|c| c != lines.len()) => Some(format!(
                    "expected {} finding(s), got {} at lines {lines:?}",
                    ex.count.unwrap_or(0),
                    lines.len()
                )),
                _ => None,
            };
            failures.extend(problem.map(fail));
        }
    }
    failures
}
