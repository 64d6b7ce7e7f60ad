//! Errors of the checklist crate: one line each, never a secret.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    /// The built-in catalogue is malformed (a bug, caught by the tests).
    #[error("checklist catalogue: {0}")]
    Catalogue(String),
    /// An input file (SARIF, PEM, SECURITY.md) could not be read or parsed.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// `keyward.toml` is inconsistent with the catalogue (unknown item id).
    #[error("keyward.toml: {0}")]
    Policy(String),
    /// An evidence source failed in a way that is not a finding.
    #[error("{source_name}: {message}")]
    Source {
        /// `scan`, `deps`, …
        source_name: String,
        /// Why.
        message: String,
    },
    /// The store refused a write (sign-off).
    #[error(transparent)]
    Store(#[from] keyward_store::StoreError),
}
