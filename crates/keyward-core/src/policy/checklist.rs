//! The `[checklist]` section: which environment the production checklist is evaluated for,
//! the TLS renewal window, and attestations (`[[checklist.attest]]`) for the items keyward
//! cannot prove from evidence.

use super::infra::Date;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// Default `[checklist] environment`.
pub const DEFAULT_ENVIRONMENT: &str = "production";
/// Default `[checklist] tls_renew_days`: a certificate expiring sooner fails.
pub const DEFAULT_TLS_RENEW_DAYS: u32 = 30;
/// Default validity of an attestation when neither `valid_days` nor an item default is set.
pub const DEFAULT_ATTEST_DAYS: u32 = 365;

/// `[checklist]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistSection {
    /// The environment the checklist is evaluated for (default `production`).
    #[serde(default)]
    pub environment: Option<String>,
    /// Certificates expiring within this many days fail (default 30).
    #[serde(default)]
    pub tls_renew_days: Option<u32>,
    /// Certificate files to check beside those found in the tree, with the host names
    /// they must cover.
    #[serde(default)]
    pub tls: Vec<TlsFile>,
    /// Item ids not applicable to this project, each with a reason.
    #[serde(default)]
    pub skip: BTreeMap<String, String>,
    /// Attestations.
    #[serde(default)]
    pub attest: Vec<Attestation>,
}

impl ChecklistSection {
    /// The effective environment.
    pub fn environment(&self) -> &str {
        self.environment.as_deref().unwrap_or(DEFAULT_ENVIRONMENT)
    }

    /// The effective renewal window in days.
    pub fn tls_renew_days(&self) -> u32 {
        self.tls_renew_days.unwrap_or(DEFAULT_TLS_RENEW_DAYS)
    }
}

/// `[[checklist.tls]]`: a PEM certificate file and the host names it must cover.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// Path to the PEM file (relative to the project root).
    pub path: String,
    /// Host names the certificate must be valid for.
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// `[[checklist.attest]]`: a named person vouches for an item on a date.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The item id (`keyward checklist --format json` lists them).
    pub item: String,
    /// Who attests (a name, not a team).
    #[serde(deserialize_with = "non_empty")]
    pub by: String,
    /// When.
    pub date: Date,
    /// Days the attestation stays valid (default: the item's period, else 365).
    #[serde(default)]
    pub valid_days: Option<u32>,
    /// Free text: where the evidence is (ticket, report).
    #[serde(default)]
    pub note: Option<String>,
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let t = s.trim();
    if t.is_empty() {
        return Err(D::Error::custom("`by` must name the person who attests"));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;
    use std::path::Path;

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(text, Path::new("keyward.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn section_parses_with_defaults() {
        let p = parse(
            "[checklist]\ntls_renew_days = 14\n\n[[checklist.attest]]\nitem = \"pre.backup-tested\"\n\
             by = \"Dana Ops\"\ndate = 2026-09-01\nvalid_days = 90\n",
        )
        .unwrap();
        assert_eq!(p.checklist.environment(), "production");
        assert_eq!(p.checklist.tls_renew_days(), 14);
        assert_eq!(p.checklist.attest[0].by, "Dana Ops");
        assert_eq!(p.checklist.attest[0].date.to_string(), "2026-09-01");
        assert_eq!(p.checklist.attest[0].valid_days, Some(90));
    }

    #[test]
    fn attestation_needs_a_person_and_a_date() {
        let err = parse("[[checklist.attest]]\nitem = \"x\"\nby = \" \"\ndate = 2026-01-01\n")
            .unwrap_err();
        assert!(err.contains("keyward.toml:3:"), "{err}");
        assert!(err.contains("name the person"), "{err}");
        let err = parse("[[checklist.attest]]\nitem = \"x\"\nby = \"A\"\n").unwrap_err();
        assert!(err.contains("missing field `date`"), "{err}");
        let err = parse("[[checklist.attest]]\nitem = \"x\"\nby = \"A\"\ndate = \"2026-02-30\"\n")
            .unwrap_err();
        assert!(err.contains("not a date"), "{err}");
        let err = parse("[checklist]\nenviroment = \"prod\"\n").unwrap_err();
        assert!(err.contains("did you mean `environment`"), "{err}");
    }
}
