//! Evidence from other tools: SARIF 2.1.0 reports (Bandit, Trivy, Semgrep, CodeQL…) given
//! with `--evidence FILE.sarif`. Each run is reduced to its tool name and results (rule id,
//! level, place); items name the tools and rule ids they accept (`items.toml`).

use crate::error::ChecklistError;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// One result of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SarifResult {
    /// `ruleId` (empty when absent).
    pub rule: String,
    /// `error`, `warning`, `note` or `none` (SARIF's default is `warning`).
    pub level: String,
    /// The first location's URI.
    pub path: String,
    /// The first location's start line (0 when absent).
    pub line: u64,
}

/// One run of one tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SarifRun {
    /// The file it came from.
    pub file: String,
    /// `tool.driver.name`, lower-cased.
    pub tool: String,
    /// Its results.
    pub results: Vec<SarifResult>,
}

/// Every run of every report given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SarifFacts {
    /// The runs.
    pub runs: Vec<SarifRun>,
}

/// Read the reports; a file that is not SARIF is an error naming it.
pub fn read(paths: &[impl AsRef<Path>]) -> Result<SarifFacts, ChecklistError> {
    let mut facts = SarifFacts::default();
    for path in paths {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ChecklistError::Input {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        facts.runs.extend(parse(&text, &shown)?);
    }
    Ok(facts)
}

/// Parse one report's text; `file` names it in errors and in the facts.
pub fn parse(text: &str, file: &str) -> Result<Vec<SarifRun>, ChecklistError> {
    let bad = |message: String| ChecklistError::Input {
        path: file.to_string(),
        message,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let runs = doc
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("not a SARIF report (no `runs` array)".into()))?;
    runs.iter()
        .map(|run| {
            let tool = run
                .pointer("/tool/driver/name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("a run has no tool.driver.name".into()))?
                .to_ascii_lowercase();
            let results = run
                .get("results")
                .and_then(Value::as_array)
                .map(|rs| rs.iter().map(result).collect())
                .unwrap_or_default();
            Ok(SarifRun {
                file: file.to_string(),
                tool,
                results,
            })
        })
        .collect()
}

fn result(r: &Value) -> SarifResult {
    let loc = r.pointer("/locations/0/physicalLocation");
    SarifResult {
        rule: r
            .get("ruleId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        level: r
            .get("level")
            .and_then(Value::as_str)
            .unwrap_or("warning")
            .to_string(),
        path: loc
            .and_then(|l| l.pointer("/artifactLocation/uri"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        line: loc
            .and_then(|l| l.pointer("/region/startLine"))
            .and_then(Value::as_u64)
            .unwrap_or(0),
    }
}

impl SarifFacts {
    /// The runs of a tool whose name contains one of `tools` (case-insensitive).
    pub fn runs_of<'a>(&'a self, tools: &'a [String]) -> impl Iterator<Item = &'a SarifRun> {
        self.runs.iter().filter(move |r| {
            tools
                .iter()
                .any(|t| r.tool.contains(&t.to_ascii_lowercase()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANDIT: &str = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Bandit"}},
      "results":[{"ruleId":"B608","level":"error","locations":[{"physicalLocation":
      {"artifactLocation":{"uri":"app/db.py"},"region":{"startLine":12}}}]},
      {"ruleId":"B101"}]}]}"#;

    #[test]
    fn reads_tool_results_and_defaults() {
        let runs = parse(BANDIT, "bandit.sarif").unwrap();
        assert_eq!(runs[0].tool, "bandit");
        assert_eq!(runs[0].results[0].rule, "B608");
        assert_eq!(runs[0].results[0].path, "app/db.py");
        assert_eq!(runs[0].results[0].line, 12);
        assert_eq!(runs[0].results[1].level, "warning");
        let facts = SarifFacts { runs };
        assert_eq!(facts.runs_of(&["bandit".into()]).count(), 1);
        assert_eq!(facts.runs_of(&["trivy".into()]).count(), 0);
    }

    #[test]
    fn rejects_what_is_not_sarif() {
        let e = parse("{}", "x.sarif").unwrap_err().to_string();
        assert!(e.contains("x.sarif") && e.contains("runs"), "{e}");
        let e = parse("nope", "y.sarif").unwrap_err().to_string();
        assert!(e.contains("not JSON"), "{e}");
    }
}
