//! [`RotateError`]: the error type of this crate, classified by [`RotateErrorKind`].
//!
//! Messages never contain secret values: they name paths, steps, targets and causes.

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RotateErrorKind {
    /// The store refused or failed an operation.
    Store,
    /// The target (database, Redis, command) failed or refused a step.
    Target,
    /// The new value did not work on the target (the test step failed).
    TestFailed,
    /// Configuration is missing or invalid (no target, no admin credentials…).
    Config,
    /// The request does not fit the secret's state (nothing to confirm, bad key format…).
    Invalid,
    /// Another process holds the rotation's lease (or took it over): this one stopped
    /// without touching the target.
    Busy,
    /// Stored rotation state keyward cannot read (corrupt JSON, wrong shape), or the
    /// store's integrity check failed.
    Corrupt,
}

impl RotateErrorKind {
    /// A stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RotateErrorKind::Store => "store",
            RotateErrorKind::Target => "target",
            RotateErrorKind::TestFailed => "test_failed",
            RotateErrorKind::Config => "config",
            RotateErrorKind::Invalid => "invalid",
            RotateErrorKind::Busy => "busy",
            RotateErrorKind::Corrupt => "corrupt",
        }
    }
}

/// An error from rotation. `Display` is one line without secret values.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RotateError {
    kind: RotateErrorKind,
    message: String,
    /// More for the audit log only (a hook's redacted stderr tail): never displayed, never
    /// kept in the rotation state.
    audit_extra: Option<String>,
}

impl RotateError {
    /// A new error.
    pub fn new(kind: RotateErrorKind, message: impl Into<String>) -> Self {
        RotateError {
            kind,
            message: message.into(),
            audit_extra: None,
        }
    }

    /// Attach detail meant for the audit log only (already redacted).
    pub fn with_audit_extra(mut self, extra: impl Into<String>) -> Self {
        let extra = extra.into();
        self.audit_extra = (!extra.is_empty()).then_some(extra);
        self
    }

    /// The message plus the audit-only detail: what the audit log records.
    pub fn audit_detail(&self) -> String {
        match &self.audit_extra {
            Some(x) => format!("{}; {x}", self.message),
            None => self.message.clone(),
        }
    }

    /// Another process owns the rotation.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::new(RotateErrorKind::Busy, message)
    }

    /// A target failure.
    pub fn target(message: impl Into<String>) -> Self {
        Self::new(RotateErrorKind::Target, message)
    }

    /// A configuration problem.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(RotateErrorKind::Config, message)
    }

    /// The classification.
    pub fn kind(&self) -> RotateErrorKind {
        self.kind
    }
}

impl From<keyward_store::StoreError> for RotateError {
    fn from(e: keyward_store::StoreError) -> Self {
        let kind = match e.kind() {
            keyward_store::ErrorKind::Integrity => RotateErrorKind::Corrupt,
            _ => RotateErrorKind::Store,
        };
        // Keep the cause (a driver error; store errors never hold values).
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        RotateError::new(kind, message)
    }
}

/// `Result` with [`RotateError`].
pub type Result<T, E = RotateError> = std::result::Result<T, E>;
