//! Errors of the infrastructure checks.

/// Why a run of `keyward infra` could not go ahead. Problems with single files or
/// documents are not errors of the run: they are [`crate::model::InputError`]s, reported
/// while everything else is still checked.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// A path could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path (`-` for stdin).
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A built-in check file is malformed (a bug caught by the test suite).
    #[error("check data {file}: {message}")]
    CheckData {
        /// The check file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// An `[[infra.allow]]` entry or `[infra]` setting of keyward.toml is unusable.
    #[error("keyward.toml [infra]: {0}")]
    Policy(String),
}
