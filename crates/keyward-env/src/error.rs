//! The crate's error type.

use std::path::PathBuf;

/// Why an environment operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A dotenv file is malformed.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The output file exists and overwriting was not allowed.
    #[error("{} already exists and is not overwritten (move it away or choose another path)", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The operating system's random number generator failed.
    #[error("the OS random number generator failed: {0}")]
    Random(String),
}

impl Error {
    /// Attach a file name to a dotenv parse error.
    pub fn syntax(path: impl Into<PathBuf>, e: crate::dotenv::ParseError) -> Error {
        Error::Syntax {
            path: path.into(),
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}
