//! Errors of the scan crate.

/// What went wrong while building rules or scanning.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A built-in or user rule is invalid.
    #[error("rule `{id}`: {message}")]
    Rule {
        /// Rule id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A rule data file does not parse.
    #[error("rule file {file}: {message}")]
    RuleFile {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// A path given on the command line does not exist or cannot be read.
    #[error("{path}: {message}")]
    Path {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
    /// Reading stdin failed.
    #[error("reading stdin: {0}")]
    Stdin(std::io::Error),
}
