//! The [`Finding`] contract shared by every detector.

use crate::fingerprint::Fingerprint;
use crate::redact::redact;
use crate::secret::SecretBytes;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; never fails a build unless `--fail-on info`.
    Info,
    /// Low impact (e.g. an undeclared variable).
    Low,
    /// Medium impact (e.g. a test-mode key).
    Medium,
    /// High impact (e.g. a generic hard-coded password).
    High,
    /// Critical (e.g. a live payment key or a private key).
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown severity `{s}` (expected one of info, low, medium, high, critical)"
                )
            })
    }
}

/// How sure the detector is that the match is a real secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Generic pattern (an assignment to a variable named like a secret).
    Low,
    /// Distinctive pattern without a checksum.
    Medium,
    /// Distinctive prefix with a checksum or structural validation.
    High,
}

/// What kind of file a finding sits in. A generic-rule finding outside `Source` is reported
/// but, by default, does not fail the run (see `[scan] fail_contexts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Context {
    /// Application source and configuration: the default.
    Source,
    /// Tests, fixtures and test data.
    Test,
    /// Documentation, READMEs, `*.example` files and templates.
    Example,
    /// Third-party trees committed to the repository (`vendor/`, `node_modules/`, …).
    Vendored,
    /// Generated or minified output (source maps, protobuf code, lockfiles).
    Generated,
}

impl Context {
    /// Every context, in display order.
    pub const ALL: [Context; 5] = [
        Context::Source,
        Context::Test,
        Context::Example,
        Context::Vendored,
        Context::Generated,
    ];

    /// The lowercase name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Source => "source",
            Context::Test => "test",
            Context::Example => "example",
            Context::Vendored => "vendored",
            Context::Generated => "generated",
        }
    }

    /// Parse a comma-separated list (`source,test`); empty items are an error.
    pub fn parse_list(s: &str) -> Result<Vec<Context>, String> {
        s.split(',').map(|p| p.trim().parse()).collect()
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Context {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Context::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown context `{s}` (expected source, test, example, vendored or generated)"
                )
            })
    }
}

/// Where the commit that introduced a finding came from (git history scans).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitOrigin {
    /// Full commit id.
    pub commit: String,
    /// Author as `Name <email>`.
    pub author: String,
    /// Commit time, RFC 3339.
    pub date: String,
    /// First line of the commit message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// Where a finding is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Path as given or as walked (`-` for stdin); for git, the path in the commit.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in bytes.
    pub column: usize,
    /// Byte span `[start, end)` of the secret within the file.
    pub start: usize,
    /// End of the byte span (exclusive).
    pub end: usize,
    /// The commit that introduced it, for history scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitOrigin>,
}

/// One thing a detector found. The secret itself stays in memory only
/// ([`SecretBytes`] is never serialized, printed or logged); output uses
/// [`Finding::redacted`] and [`Finding::fingerprint`].
#[derive(Clone, Debug)]
pub struct Finding {
    /// Rule id, e.g. `stripe-live-secret-key`.
    pub rule_id: String,
    /// Human title of the rule.
    pub title: String,
    /// Severity after adjustments (e.g. test-mode keys are lower).
    pub severity: Severity,
    /// Detector confidence.
    pub confidence: Confidence,
    /// Where it is.
    pub location: Location,
    /// The matched secret (memory only).
    pub secret: SecretBytes,
    /// Redacted form for output, e.g. `sk_live_…X7dc`.
    pub redacted: String,
    /// Keyed hash of (rule id, secret).
    pub fingerprint: Fingerprint,
    /// Extra, non-secret facts (e.g. decoded JWT claims, "verified against …").
    pub notes: Vec<String>,
    /// True when the secret was proven live or leaked (e.g. a JWT that verifies).
    pub verified: bool,
    /// The kind of file it is in (`Source` unless a scanner says otherwise).
    pub context: Context,
    /// Whether it fails the run (subject to `--fail-on`); `true` unless a generic-rule
    /// finding sits outside the contexts that fail.
    pub blocking: bool,
}

impl Finding {
    /// Build a finding; computes the redacted form from `secret` and a fingerprint that
    /// lets no one test a guess of it ([`Fingerprint::of_secret`]).
    pub fn new(
        rule_id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        confidence: Confidence,
        location: Location,
        secret: SecretBytes,
    ) -> Self {
        let rule_id = rule_id.into();
        // Value-free unless a secret fingerprint key is configured; detectors that know
        // the line replace the place with [`crate::fingerprint::place`].
        let at = format!("{}\0{}", location.path, location.line);
        let fingerprint = Fingerprint::of_secret(&rule_id, secret.expose(), &at);
        let redacted = redact(&secret.to_lossy());
        Finding {
            rule_id,
            title: title.into(),
            severity,
            confidence,
            location,
            secret,
            redacted,
            fingerprint,
            notes: Vec::new(),
            verified: false,
            context: Context::Source,
            blocking: true,
        }
    }

    /// The secret as text, for `--show-secrets` only.
    pub fn reveal(&self) -> String {
        self.secret.to_lossy()
    }
}
