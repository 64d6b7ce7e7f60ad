//! The OSV schema as osv.dev publishes it (only the fields keyward reads; `details` and
//! references are skipped), and the severity keyward derives from a record.

mod severity;

pub use severity::{cvss_score, rate, Rating, SeveritySource};

use serde::Deserialize;

/// One OSV advisory document.
#[derive(Debug, Deserialize)]
pub struct Record {
    /// `GHSA-…`, `PYSEC-…`, `RUSTSEC-…`.
    pub id: String,
    /// RFC 3339 time of the last change.
    #[serde(default)]
    pub modified: String,
    /// Set when the advisory was withdrawn; such records are never reported.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability (CVE, GHSA, PYSEC, RUSTSEC).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One-line summary (absent in most PYSEC records).
    #[serde(default)]
    pub summary: Option<String>,
    /// Long description; only its first line is used when there is no summary.
    #[serde(default)]
    pub details: Option<String>,
    /// CVSS vectors.
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    /// The affected packages.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// Database-specific data (GHSA: `severity`).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// A `severity` entry: `{"type": "CVSS_V3", "score": "CVSS:3.1/…"}`.
#[derive(Debug, Deserialize)]
pub struct SeverityEntry {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector.
    pub score: String,
}

/// An `affected` entry: one package and its affected versions.
#[derive(Debug, Deserialize)]
pub struct Affected {
    /// The package.
    pub package: Option<PackageRef>,
    /// Version ranges (all of them count; `GIT` ranges are ignored).
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Per-package severity (rare).
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    /// RustSec: `informational` (`unmaintained`, `unsound`, `notice`).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// `{"ecosystem": "PyPI", "name": "django"}`.
#[derive(Debug, Deserialize)]
pub struct PackageRef {
    /// The OSV ecosystem name.
    pub ecosystem: String,
    /// The package name as the ecosystem spells it.
    pub name: String,
}

/// A range of affected versions.
#[derive(Debug, Deserialize)]
pub struct Range {
    /// `SEMVER`, `ECOSYSTEM` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its events.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One event of a range; exactly one field is set.
#[derive(Debug, Deserialize)]
pub struct Event {
    /// Versions from here on are affected (`"0"`: from the beginning).
    pub introduced: Option<String>,
    /// Versions from here on are not affected.
    pub fixed: Option<String>,
    /// Versions after this one are not affected.
    pub last_affected: Option<String>,
    /// Versions from here on are outside the range.
    pub limit: Option<String>,
}
