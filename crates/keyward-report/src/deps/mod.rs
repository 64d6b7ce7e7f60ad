//! Reports of `keyward deps`: vulnerable packages per lockfile, in the three formats.
//! JSON is its own document (`"kind": "deps"`, version [`json::SCHEMA_VERSION`]).

pub mod human;
pub mod json;
pub mod sarif;

use crate::Format;
use keyward_core::Severity;
use keyward_deps::VulnerablePackage;
use std::collections::BTreeMap;

/// Counts and notes that close a deps report.
#[derive(Clone, Debug, Default)]
pub struct DepsSummary {
    /// Lockfiles read (or that failed).
    pub lockfiles: usize,
    /// Packages read.
    pub packages: usize,
    /// Packages without a pinned version (not checked).
    pub unpinned: usize,
    /// Advisory matches suppressed by `[[deps.ignore]]`.
    pub suppressed: usize,
    /// Advisories in the database for the ecosystems checked.
    pub advisories: usize,
    /// When the database was updated (RFC 3339), if known.
    pub database_updated: Option<String>,
    /// Wall time.
    pub duration_ms: u64,
    /// Lockfiles that could not be read, one line each.
    pub errors: Vec<String>,
    /// Extra notes.
    pub notes: Vec<String>,
}

/// Everything needed to render one deps run.
#[derive(Debug)]
pub struct DepsReport<'a> {
    /// Vulnerable packages, sorted by lockfile and line.
    pub found: &'a [VulnerablePackage],
    /// The closing counts.
    pub summary: &'a DepsSummary,
    /// ANSI colours (human format only).
    pub color: bool,
}

impl DepsReport<'_> {
    /// Vulnerable packages per severity name.
    pub fn by_severity(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for v in self.found {
            *m.entry(v.severity.as_str()).or_insert(0) += 1;
        }
        m
    }

    /// `2 critical, 1 high`: counts per severity, most severe first.
    pub fn counts_line(&self) -> String {
        Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| {
                let n = self.found.iter().filter(|v| v.severity == *s).count();
                (n > 0).then(|| format!("{n} {s}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Render in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Human => human::render(self),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
        }
    }
}

/// The advisory's page on osv.dev.
pub fn advisory_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}
