//! [`StoreError`]: the one error type of this crate, classified by [`ErrorKind`].
//!
//! Messages never contain secret values: they name paths, versions and causes only.

use std::fmt;

/// What went wrong, for callers that branch on it (exit codes, HTTP statuses, retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The store has not been initialized (`keyward store init`).
    NotInitialized,
    /// `init` on a store that already holds a key check value.
    AlreadyInitialized,
    /// The master key (KEK) does not match the store's key check value.
    WrongKey,
    /// Another process rekeyed the store after this handle opened it: the master key this
    /// handle holds is no longer the store's. The operation wrote nothing; open the store
    /// again (with the new key) and retry.
    Rekeyed,
    /// A master key could not be read or decoded (not base64 of 32 bytes).
    InvalidKey,
    /// No such secret, version or stage.
    NotFound,
    /// The secret exists but is soft-deleted.
    Deleted,
    /// Optimistic concurrency: the version the write expected to replace is not current.
    Conflict,
    /// A ciphertext or wrapped key failed authentication (tampered, or moved to another row).
    Tampered,
    /// A path, name or argument is malformed.
    InvalidInput,
    /// The database could not be opened, migrated, read or written.
    Backend,
    /// The database holds data keyward cannot interpret (unknown schema version, bad row).
    Corrupt,
    /// Stored state does not match its MAC: a secret's head (version pointers, stages,
    /// deleted flag, revision, rotation state) or the audit log's head was changed outside
    /// keyward. Nothing is served from it.
    Integrity,
    /// The secret is locked by an operation in progress (a rotation): direct writes are
    /// refused until it ends or is aborted.
    Locked,
    /// The file or database is not a keyward store (and was not touched).
    Foreign,
}

impl ErrorKind {
    /// A stable lowercase name (for JSON output and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotInitialized => "not_initialized",
            ErrorKind::AlreadyInitialized => "already_initialized",
            ErrorKind::WrongKey => "wrong_key",
            ErrorKind::Rekeyed => "rekeyed",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Deleted => "deleted",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Tampered => "tampered",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Backend => "backend",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Integrity => "integrity",
            ErrorKind::Locked => "locked",
            ErrorKind::Foreign => "foreign",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from the store. `Display` is one line, safe to show a user.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StoreError {
    /// A new error of `kind` with a one-line message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        StoreError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A new error with an underlying cause (a driver error; never a value).
    pub fn with_source(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError {
            kind,
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The classification.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// `Result` with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::with_source(ErrorKind::Backend, "sqlite", e)
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::with_source(ErrorKind::Backend, "postgres", e)
    }
}
