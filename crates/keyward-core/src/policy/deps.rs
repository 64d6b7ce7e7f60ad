//! `[deps]` and `[[deps.ignore]]`: settings of `keyward deps` and advisories a team has
//! decided to accept, each with a reason and an expiry date.

use super::error::{line_col, PolicyError};
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// Ecosystem names `[[deps.ignore]] ecosystem` accepts (OSV spelling).
pub const ECOSYSTEMS: [&str; 3] = ["npm", "PyPI", "crates.io"];

/// `[deps]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepsSection {
    /// Warn when the advisory database is older than this many days (default 7).
    #[serde(default)]
    pub max_db_age_days: Option<u32>,
    /// Default `--fail-on` threshold for `keyward deps`.
    #[serde(default)]
    pub fail_on: Option<String>,
    /// Accepted advisories.
    #[serde(default)]
    pub ignore: Vec<DepsIgnore>,
}

/// `[[deps.ignore]]`: stop reporting one advisory (by its id or any alias), optionally
/// only for one package, until `expires`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepsIgnore {
    /// Advisory id or alias (`GHSA-…`, `PYSEC-…`, `RUSTSEC-…`, `CVE-…`).
    pub id: Spanned<String>,
    /// Only for this package (name as in the lockfile; PyPI names compare normalised).
    #[serde(default)]
    pub package: Option<String>,
    /// Only in this ecosystem (`npm`, `PyPI`, `crates.io`).
    #[serde(default)]
    pub ecosystem: Option<Spanned<String>>,
    /// Why this is accepted. Required.
    pub reason: Spanned<String>,
    /// `YYYY-MM-DD`: the last day the entry suppresses; after it the advisory is reported
    /// again and the entry is warned about. Required.
    pub expires: Spanned<String>,
}

/// True for a `YYYY-MM-DD` calendar date.
pub fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let digits = [0..4, 5..7, 8..10]
        .iter()
        .all(|r| s[r.clone()].bytes().all(|c| c.is_ascii_digit()));
    digits && matches!(num(5..7), Some(1..=12)) && matches!(num(8..10), Some(1..=31))
}

fn at(text: &str, origin: &Path, span: std::ops::Range<usize>, message: String) -> PolicyError {
    let (line, column) = line_col(text, span.start);
    PolicyError::Parse {
        path: origin.to_path_buf(),
        line,
        column,
        message,
        hint: String::new(),
    }
}

/// Check values serde cannot: dates, non-empty reasons and ids, ecosystem names, the
/// severity name.
pub fn validate(deps: &DepsSection, text: &str, origin: &Path) -> Result<(), PolicyError> {
    if let Some(f) = &deps.fail_on {
        if !["info", "low", "medium", "high", "critical"].contains(&f.to_ascii_lowercase().as_str())
        {
            return Err(PolicyError::Invalid {
                path: origin.to_path_buf(),
                message: format!(
                    "[deps] fail_on `{f}` is not a severity (info, low, medium, high, critical)"
                ),
            });
        }
    }
    for e in &deps.ignore {
        if e.id.get_ref().trim().is_empty() {
            return Err(at(
                text,
                origin,
                e.id.span(),
                "[[deps.ignore]] needs a non-empty `id`".into(),
            ));
        }
        if e.reason.get_ref().trim().is_empty() {
            return Err(at(
                text,
                origin,
                e.reason.span(),
                "[[deps.ignore]] needs a non-empty `reason`".into(),
            ));
        }
        if !is_day(e.expires.get_ref()) {
            return Err(at(
                text,
                origin,
                e.expires.span(),
                format!(
                    "[[deps.ignore]] expires `{}` is not a date (YYYY-MM-DD)",
                    e.expires.get_ref()
                ),
            ));
        }
        if let Some(eco) = &e.ecosystem {
            if !ECOSYSTEMS.contains(&eco.get_ref().as_str()) {
                return Err(at(
                    text,
                    origin,
                    eco.span(),
                    format!(
                        "[[deps.ignore]] ecosystem `{}` is not one of npm, PyPI, crates.io",
                        eco.get_ref()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;
    use std::path::Path;

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(text, Path::new("keyward.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_complete_ignore_parses() {
        let p = parse(
            "[deps]\nmax_db_age_days = 3\nfail_on = \"high\"\n\n[[deps.ignore]]\nid = \"GHSA-29mw-wpgm-hmr9\"\npackage = \"lodash\"\necosystem = \"npm\"\nreason = \"not reachable\"\nexpires = \"2030-01-31\"\n",
        )
        .unwrap();
        assert_eq!(p.deps.max_db_age_days, Some(3));
        assert_eq!(p.deps.ignore[0].id.get_ref(), "GHSA-29mw-wpgm-hmr9");
    }

    #[test]
    fn missing_expiry_and_reason_are_errors() {
        let err = parse("[[deps.ignore]]\nid = \"X\"\nreason = \"r\"\n").unwrap_err();
        assert!(err.contains("missing field `expires`"), "{err}");
        let err = parse("[[deps.ignore]]\nid = \"X\"\nreason = \" \"\nexpires = \"2030-01-01\"\n")
            .unwrap_err();
        assert!(err.starts_with("keyward.toml:3:"), "{err}");
    }

    #[test]
    fn bad_values_name_their_line() {
        let err = parse("[[deps.ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2030-13-01\"\n")
            .unwrap_err();
        assert!(
            err.starts_with("keyward.toml:4:") && err.contains("not a date"),
            "{err}"
        );
        let err = parse("[[deps.ignore]]\nid = \"X\"\necosystem = \"cargo\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n")
            .unwrap_err();
        assert!(err.starts_with("keyward.toml:3:"), "{err}");
        let err = parse("[deps]\nfail_on = \"severe\"\n").unwrap_err();
        assert!(err.contains("not a severity"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_hint() {
        let err = parse("[[deps.ignore]]\nid = \"X\"\nreasn = \"r\"\nexpires = \"2030-01-01\"\n")
            .unwrap_err();
        assert!(
            err.contains("keyward.toml:3:") && err.contains("did you mean `reason`"),
            "{err}"
        );
        let err = parse("[deps]\nmax_age = 3\n").unwrap_err();
        assert!(err.contains("unknown field `max_age`"), "{err}");
    }
}
