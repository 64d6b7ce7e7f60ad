//! The `[scan]` section and `[[allow]]` entries.

use serde::Deserialize;

/// `[scan]`: scanner settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Skip files larger than this many bytes.
    #[serde(default)]
    pub max_file_size: Option<u64>,
    /// Extra gitignore-style globs to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Built-in rule ids to disable.
    #[serde(default)]
    pub disable_rules: Vec<String>,
    /// Default `--fail-on` threshold.
    #[serde(default)]
    pub fail_on: Option<String>,
    /// Contexts reported (`source`, `test`, `example`, `vendored`, `generated`); default
    /// all. `--context` overrides it.
    #[serde(default)]
    pub contexts: Option<Vec<String>>,
    /// Contexts in which a generic-rule finding fails the run; default `["source"]`.
    /// Provider-format findings fail in every context.
    #[serde(default)]
    pub fail_contexts: Option<Vec<String>>,
}

/// `[[allow]]`: suppress findings by fingerprint or by path glob.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// A fingerprint (`kw1:…`) to suppress.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// A path glob (e.g. `tests/fixtures/**`) to suppress.
    #[serde(default)]
    pub path: Option<String>,
    /// Only suppress this rule (with `path`).
    #[serde(default)]
    pub rule: Option<String>,
    /// Why this is allowed. Required.
    pub reason: String,
    /// `YYYY-MM-DD`; after this date the entry stops suppressing and is warned about.
    #[serde(default)]
    pub expires: Option<String>,
}
