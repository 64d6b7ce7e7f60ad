//! The check file format (`checks/*.toml`, embedded in the binary). See `docs/infra.md`.

use keyward_core::Severity;
use serde::Deserialize;

/// One check, as written in its file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Id, the same across file types where the idea is the same.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Default severity.
    pub severity: Severity,
    /// The policy sentence the check enforces, quoted, with its source.
    pub policy: String,
    /// What is checked, precisely (shown by `checks list`, written into docs/infra.md).
    pub checks: String,
    /// How to fix a finding.
    pub remediation: String,
    /// Field requirements on Kubernetes pods and containers.
    #[serde(default)]
    pub kubernetes: Vec<Require>,
    /// Field requirements on docker-compose services.
    #[serde(default)]
    pub compose: Vec<Require>,
    /// Named Rust evaluators for logic that field requirements cannot express.
    #[serde(default)]
    pub evaluators: Vec<String>,
    /// Example inputs that must pass or fail.
    #[serde(default, rename = "example")]
    pub examples: Vec<Example>,
}

/// Where a requirement's field lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Each container (init and ephemeral too), with an optional pod-level fallback.
    Container,
    /// The pod spec.
    Pod,
    /// A compose service.
    Service,
}

/// What happens when the field is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Absent is a finding.
    Fail,
    /// Absent is fine.
    Pass,
}

/// A requirement on one field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Require {
    /// Where the field lives (default: container for Kubernetes, service for compose).
    #[serde(default)]
    pub scope: Option<Scope>,
    /// Dotted path; `name[]` iterates a sequence (`volumes[].hostPath`).
    pub field: String,
    /// For container scope: the pod-spec field used when the container does not set it.
    #[serde(default)]
    pub pod_field: Option<String>,
    /// The value must be one of these.
    #[serde(default)]
    pub one_of: Vec<toml::Value>,
    /// The value must not be any of these.
    #[serde(default)]
    pub forbid: Vec<toml::Value>,
    /// The sequence must contain this string (case-insensitive).
    #[serde(default)]
    pub contains: Option<String>,
    /// A named predicate that makes a present value a finding (`present`, `root-user`,
    /// `sensitive-host-path`).
    #[serde(default)]
    pub predicate: Option<String>,
    /// Absent: a finding or fine (default: a finding when `one_of` or `contains` is given).
    #[serde(default)]
    pub missing: Option<Missing>,
    /// Container lists the requirement applies to (default: all three).
    #[serde(default)]
    pub lists: Option<Vec<String>>,
    /// Message when the field is absent (default: "`field` is not set").
    #[serde(default)]
    pub message_missing: Option<String>,
    /// Message when the value is wrong (default: "`field` is `value`" and what was expected).
    #[serde(default)]
    pub message_bad: Option<String>,
}

impl Require {
    /// The effective behaviour for an absent field.
    pub fn missing(&self) -> Missing {
        self.missing
            .unwrap_or(if !self.one_of.is_empty() || self.contains.is_some() {
                Missing::Fail
            } else {
                Missing::Pass
            })
    }
}

/// Whether an example must pass or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// No finding of the check.
    Pass,
    /// At least one finding of the check.
    Fail,
}

/// An example input of a check.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// pass or fail.
    pub expect: Expect,
    /// A file name deciding how the text is read (`deploy.yaml`, `Dockerfile`, `.env`, …).
    pub file: String,
    /// What the example shows.
    #[serde(default)]
    pub about: Option<String>,
    /// For `fail`: the line of a finding of this check.
    #[serde(default)]
    pub line: Option<usize>,
    /// For `fail`: the exact number of findings of this check.
    #[serde(default)]
    pub count: Option<usize>,
    /// The file's text.
    pub text: String,
}
