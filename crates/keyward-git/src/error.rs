//! [`GitError`]: what can go wrong reading a repository.

use std::path::PathBuf;

/// The kinds of failure of a git source; each message is one line and never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// PATH is not inside a git repository.
    #[error("{}: not a git repository (or any parent up to the file-system root)", .0.display())]
    NotARepository(PathBuf),
    /// The repository could not be opened.
    #[error("{path}: cannot open the git repository: {message}")]
    Open {
        /// Where we looked.
        path: PathBuf,
        /// Why it failed.
        message: String,
    },
    /// A revision, range or date given by the user could not be resolved.
    #[error("cannot resolve `{spec}`: {message}")]
    Revision {
        /// The user's text.
        spec: String,
        /// Why it failed.
        message: String,
    },
    /// Reading references, the index or an object that the scan cannot do without failed.
    #[error("{what}: {message}")]
    Read {
        /// What was being read.
        what: String,
        /// Why it failed.
        message: String,
    },
}

impl GitError {
    pub(crate) fn read(what: impl Into<String>, err: impl std::fmt::Display) -> Self {
        GitError::Read {
            what: what.into(),
            message: first_line(&err.to_string()),
        }
    }
}

/// The first line of an error message (gix errors can be multi-line chains).
pub(crate) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}
