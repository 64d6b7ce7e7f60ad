//! The rule data format, shared by the built-in rule files and `[[rules]]` in `keyward.toml`.

use serde::{Deserialize, Serialize};

/// A structural check run on a regex match before it becomes a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// GitHub token CRC32 checksum (last 6 base62 characters).
    GithubCrc32,
    /// JWT: header must be base64url JSON with an `alg`.
    Jwt,
    /// PEM private key: the body must decode as base64 to a plausible key.
    PemBody,
    /// Docker registry `auth`: base64 of `user:password` with a non-empty password.
    DockerAuth,
    /// A URL with credentials: the URL must not be a template (`<user>`, `host:port`).
    UrlPassword,
    /// Kubernetes `Secret` `data:` values: base64-decoded, then rescanned.
    K8sSecretData,
    /// keyward API token (`kwt_…`): the CRC32 checksum must hold; a match is verified.
    KeywardToken,
}

impl Validator {
    /// Validators that decode a payload judge the variable name themselves: under a
    /// non-secret name the payload is still rescanned for specific secrets.
    pub fn decodes_payload(self) -> bool {
        matches!(self, Validator::K8sSecretData)
    }

    /// Validators whose acceptance proves the match is a real credential of that format
    /// (a checksum only the issuer's generator produces): the finding is marked verified.
    pub fn proves_format(self) -> bool {
        matches!(self, Validator::KeywardToken)
    }
}

/// One detection rule.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable id, kebab-case, e.g. `stripe-live-secret-key`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// `high`, `medium` or `low`; defaults to `medium`.
    #[serde(default)]
    pub confidence: Option<String>,
    /// Case-insensitive literals, one of which must occur near a match (the fast path).
    pub keywords: Vec<String>,
    /// Regex with exactly one capture group (or a group named `secret`) for the secret.
    pub regex: String,
    /// Minimum Shannon entropy (bits per character) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Structural validator.
    #[serde(default)]
    pub validator: Option<Validator>,
    /// Apply the placeholder/reference filter to the secret (default true).
    #[serde(default)]
    pub filter_placeholders: Option<bool>,
    /// How many bytes after a keyword the match may extend (multi-line rules such as PEM).
    #[serde(default)]
    pub window: Option<usize>,
    /// Inputs that must produce exactly one finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Inputs that must produce no finding of this rule.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Free-text description and remediation.
    #[serde(default)]
    pub description: Option<String>,
    /// A generic rule (a secret-named variable with a literal, not a provider's key
    /// format): its findings fail the run only in the contexts `[scan] fail_contexts`
    /// names. Provider-format rules fail wherever they match.
    #[serde(default)]
    pub generic: bool,
}
