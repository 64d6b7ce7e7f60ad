//! Environments and declared variables (`[environments.*]`, `[variables.*]`).

use serde::Deserialize;

/// One environment, e.g. `[environments.production]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// One declared variable, e.g. `[variables.JWT_SECRET]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// The variable's kind (`jwt-secret`, `postgres-password`, …).
    #[serde(default)]
    pub kind: Option<String>,
    /// Whether it must be present.
    #[serde(default)]
    pub required: bool,
}
