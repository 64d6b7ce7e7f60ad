//! Errors of the dependency audit: each renders as one line naming the file (and line).

/// Why a lockfile, the database or an update could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    /// A lockfile is malformed.
    #[error("{path}:{line}: {message}")]
    Lockfile {
        /// The lockfile as shown to the user.
        path: String,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// No database where one was expected.
    #[error("no OSV database in {dir}: run `keyward deps db update` first (or pass --db DIR)")]
    NoDatabase {
        /// The database directory.
        dir: String,
    },
    /// A database file is not usable.
    #[error("{path}: {message}")]
    Database {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A download failed.
    #[error("cannot download {url}: {message}")]
    Download {
        /// The URL (never carries credentials: mirrors with credentials are refused).
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A path given on the command line or walked could not be used.
    #[error("{path}: {message}")]
    Path {
        /// The path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// `[deps]` settings or `[[deps.ignore]]` entries are invalid.
    #[error("keyward.toml [deps]: {0}")]
    Policy(String),
}

impl DepsError {
    /// A lockfile error at `line` of `path`.
    pub fn lockfile(path: &str, line: usize, message: impl Into<String>) -> DepsError {
        DepsError::Lockfile {
            path: path.to_string(),
            line: line.max(1),
            message: message.into().replace('\n', " "),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl std::fmt::Display, source: std::io::Error) -> DepsError {
        DepsError::Io {
            path: path.to_string(),
            source,
        }
    }
}
