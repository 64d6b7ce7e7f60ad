//! The `[infra]` section and its `[[infra.allow]]` entries, read by `keyward infra`.
//!
//! An allow entry suppresses one check for the objects it selects, and only with a reason
//! and an expiry date: both are required and checked while the file is parsed, so a typo in
//! a date is an error with its line, never a suppression that silently lasts forever.

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use std::fmt;

/// `[infra]`: settings of `keyward infra`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfraSection {
    /// Namespace of objects that name none (default `default`; `--namespace` wins).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Default `--fail-on` threshold for `keyward infra` (else `[scan] fail_on`).
    #[serde(default)]
    pub fail_on: Option<String>,
    /// Check ids that are not run at all.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Reviewed suppressions.
    #[serde(default)]
    pub allow: Vec<InfraAllow>,
}

/// `[[infra.allow]]`: suppress `check` for the objects matching every selector given, until
/// `expires` (inclusive). Selectors left out match anything.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfraAllow {
    /// The check id, e.g. `run-as-non-root`.
    pub check: String,
    /// Why this is acceptable; must not be empty.
    pub reason: Reason,
    /// Last day the entry suppresses (`YYYY-MM-DD`); required.
    pub expires: Date,
    /// Path glob of the file (e.g. `deploy/legacy/**`).
    #[serde(default)]
    pub path: Option<String>,
    /// Object kind (`Deployment`, `ComposeService`, `Dockerfile`, …), case-insensitive.
    #[serde(default)]
    pub kind: Option<String>,
    /// Object namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Object name (a glob: `legacy-*`).
    #[serde(default)]
    pub name: Option<String>,
    /// Container name.
    #[serde(default)]
    pub container: Option<String>,
}

/// A non-empty reason (surrounding blanks trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// The reason text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        if t.is_empty() {
            return Err(D::Error::custom(
                "`reason` must say why the finding is acceptable",
            ));
        }
        Ok(Reason(t.to_string()))
    }
}

/// A calendar day, ordered. Written `YYYY-MM-DD` (a TOML string or a TOML local date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31 (checked against the month).
    pub day: u32,
}

impl Date {
    /// Parse exactly `YYYY-MM-DD`, rejecting days the month does not have.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| {
            s.get(r.clone())
                .filter(|p| p.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days).contains(&day).then_some(Date {
            year: year as i32,
            month,
            day,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            _ => return Err(D::Error::custom("expected a date `YYYY-MM-DD`")),
        };
        Date::parse(text.trim())
            .ok_or_else(|| D::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use std::path::Path;

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(text, Path::new("keyward.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn dates_are_exact() {
        assert_eq!(
            Date::parse("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        for bad in [
            "2023-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "+024-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert!(Date::parse("2024-01-02") > Date::parse("2024-01-01"));
        assert_eq!(Date::parse("2024-03-09").unwrap().to_string(), "2024-03-09");
    }

    #[test]
    fn full_section_parses() {
        let p = parse(
            "[infra]\nnamespace = \"shop\"\nfail_on = \"high\"\ndisable = [\"resources-limits\"]\n\n\
             [[infra.allow]]\ncheck = \"run-as-non-root\"\nreason = \"vendor image, ticket 12\"\n\
             expires = \"2030-01-31\"\nkind = \"Deployment\"\nname = \"legacy-*\"\n\n\
             [[infra.allow]]\ncheck = \"host-path\"\nreason = \"node exporter\"\nexpires = 2030-02-01\n",
        )
        .unwrap();
        assert_eq!(p.infra.namespace.as_deref(), Some("shop"));
        assert_eq!(p.infra.allow.len(), 2);
        assert_eq!(p.infra.allow[0].reason.as_str(), "vendor image, ticket 12");
        assert_eq!(p.infra.allow[1].expires.to_string(), "2030-02-01");
    }

    #[test]
    fn bad_date_names_its_line() {
        let err = parse(
            "[[infra.allow]]\ncheck = \"privileged\"\nreason = \"x\"\nexpires = \"2030-02-30\"\n",
        )
        .unwrap_err();
        assert!(err.contains("keyward.toml:4:"), "{err}");
        assert!(err.contains("not a date"), "{err}");
    }

    #[test]
    fn reason_and_expiry_are_required() {
        let err = parse("[[infra.allow]]\ncheck = \"privileged\"\nreason = \"x\"\n").unwrap_err();
        assert!(err.contains("missing field `expires`"), "{err}");
        let err = parse(
            "[[infra.allow]]\ncheck = \"privileged\"\nreason = \"  \"\nexpires = \"2030-01-01\"\n",
        )
        .unwrap_err();
        assert!(err.contains("keyward.toml:3:"), "{err}");
        assert!(err.contains("reason"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_with_hint() {
        let err = parse(
            "[[infra.allow]]\ncheck = \"privileged\"\nreason = \"x\"\nexpires = \"2030-01-01\"\nnamespce = \"a\"\n",
        )
        .unwrap_err();
        assert!(err.contains("keyward.toml:5:1"), "{err}");
        assert!(err.contains("did you mean `namespace`"), "{err}");
        let err = parse("[infra]\nfail = \"high\"\n").unwrap_err();
        assert!(err.contains("did you mean `fail_on`"), "{err}");
    }
}
