//! keyward-report: every output format keyward writes. Only this crate knows formats.
//!
//! * [`human`]: grouped by file, coloured on a terminal, secrets redacted.
//! * [`json`]: a documented, versioned schema (`docs/json-schema.md`).
//! * [`sarif`]: SARIF 2.1.0 with a rules table, accepted by GitHub code scanning.
//! * [`objects`]: the `object` (kind, namespace, name, container) of `keyward infra`
//!   findings, added to rendered JSON and SARIF.
//! * [`deps`]: the same three formats for `keyward deps` (its own JSON document).

pub mod deps;
pub mod human;
pub mod json;
pub mod objects;
pub mod sarif;

use keyward_core::{Finding, Severity};
use std::collections::BTreeMap;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Human-readable text.
    Human,
    /// JSON, schema version [`json::SCHEMA_VERSION`].
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" | "text" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!(
                "unknown format `{other}` (expected human, json or sarif)"
            )),
        }
    }
}

/// What a rule is, for the SARIF rules table and listings.
#[derive(Clone, Debug)]
pub struct RuleMeta {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Default severity.
    pub severity: Severity,
    /// Longer description, if any.
    pub description: Option<String>,
}

/// Counts that close a report.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Files (or blobs) scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files skipped as binary.
    pub skipped_binary: u64,
    /// Files skipped as too large.
    pub skipped_large: u64,
    /// Files that could not be read.
    pub unreadable: u64,
    /// Special files (devices, FIFOs, sockets, broken or looping symlinks), not scanned.
    pub skipped_special: u64,
    /// Inputs whose scan failed on a bug in keyward (a contained panic).
    pub failed: u64,
    /// Matches suppressed by an inline `keyward:allow`.
    pub suppressed: u64,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Extra notes printed with the summary (e.g. stale baseline entries).
    pub notes: Vec<String>,
}

/// Everything needed to render one run.
#[derive(Debug)]
pub struct Report<'a> {
    /// The findings, already filtered and sorted.
    pub findings: &'a [Finding],
    /// The closing counts.
    pub summary: &'a Summary,
    /// The rules that could have fired (SARIF rules table).
    pub rules: &'a [RuleMeta],
    /// Print secrets unredacted.
    pub show_secrets: bool,
    /// Use ANSI colours (human format only).
    pub color: bool,
}

impl Report<'_> {
    /// The secret as it should be printed: redacted unless `show_secrets`.
    pub fn shown_secret(&self, f: &Finding) -> String {
        if self.show_secrets {
            f.reveal()
        } else {
            f.redacted.clone()
        }
    }

    /// Finding counts per severity, most severe first (for human summaries).
    pub fn by_severity_ordered(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .iter()
            .rev()
            .map(|&s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Finding counts per severity name.
    pub fn by_severity(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for f in self.findings {
            *m.entry(f.severity.as_str()).or_insert(0) += 1;
        }
        m
    }

    /// Render in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Human => human::render(self),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
        }
    }

    /// Render in `format`, letting `extend` add to the JSON or SARIF document before it is
    /// written (e.g. [`objects::attach`]); human output is rendered as by [`Report::render`].
    pub fn render_extended(
        &self,
        format: Format,
        extend: impl FnOnce(&mut serde_json::Value, Format),
    ) -> String {
        let mut doc = match format {
            Format::Human => return human::render(self),
            Format::Json => json::document(self),
            Format::Sarif => sarif::document(self),
        };
        extend(&mut doc, format);
        to_text(&doc)
    }
}

/// A JSON document as the reports write it: pretty-printed, ending in a newline.
pub(crate) fn to_text(doc: &serde_json::Value) -> String {
    let mut out = serde_json::to_string_pretty(doc).expect("JSON values serialize");
    out.push('\n');
    out
}
