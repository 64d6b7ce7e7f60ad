//! keyward's own operations behind `/v1/keyward/` and the rotation scheduler: rotation
//! status, rotate, revoke, incidents, the secrets overview, due runs.
//!
//! [`Ops`] is a narrow synchronous trait like the storage traits ([`crate::backend`]):
//! handlers call it on tokio's blocking pool ([`crate::http::blocking`]). [`StoreOps`]
//! implements it over keyward's store and the project's rotation policy (`keyward.toml`),
//! each method calling the same library function as the CLI (`keyward_rotate::status_rows`,
//! `run_due`, `Rotator::rotate`/`revoke`, `incident::list`/`report`), so the server and
//! `keyward rotate`/`revoke`/`incident` cannot drift apart. The in-memory test backends
//! have no `Ops` (the endpoints answer 501).
//!
//! Every row type is `Serialize` and never holds a secret value.

mod rows;
pub mod scheduler;
mod store;

pub use keyward_rotate::incident::IncidentReport;
pub use rows::{DueRow, DueSummary, IncidentSummary, Revoked, RotateResult, SecretRow};
pub use store::StoreOps;

/// One row of the rotation status, exactly as `keyward rotation status -f json` prints it
/// (`path`, `kind`, `last_rotated`, `interval_days`, `next_due`, `overdue_days`,
/// `schedule`, `target`, `state`, `grace_until`, `grace_expired`, `login`, `last_error`,
/// `lease`, `lease_stale`).
pub type RotationRow = keyward_rotate::StatusRow;

use crate::backend::OpContext;

/// Why an operation failed; `Display` is one line without a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpsError {
    /// No such secret or incident (404).
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the secret's state or configuration (400).
    #[error("{0}")]
    Invalid(String),
    /// Another process holds the secret's rotation (409).
    #[error("{0}")]
    Busy(String),
    /// The rotation target failed or refused a step (502); the store is left consistent.
    #[error("{0}")]
    Failed(String),
    /// The store cannot be reached or failed (503).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// keyward's own operations, synchronous (called on the blocking pool).
pub trait Ops: Send + Sync {
    /// The rotation status of every live secret, or of environment `env`.
    fn rotation_status(&self, env: Option<&str>) -> Result<Vec<RotationRow>, OpsError>;

    /// Rotate `path` (`ENV/NAME`) now, as `keyward rotate ENV/NAME` does.
    fn rotate(&self, path: &str, op: &OpContext) -> Result<RotateResult, OpsError>;

    /// Revoke the current version of `path` for `reason`, as `keyward revoke` does: the
    /// incident is opened and the secret rotated with no grace.
    fn revoke(&self, path: &str, reason: &str, op: &OpContext) -> Result<Revoked, OpsError>;

    /// Every incident, oldest first (`keyward incident list`).
    fn incidents(&self) -> Result<Vec<IncidentSummary>, OpsError>;

    /// The report of incident `id` (`keyward incident show`); `None` when there is none.
    fn incident(&self, id: &str) -> Result<Option<IncidentReport>, OpsError>;

    /// Every live secret with its schedule and its last read — never a value.
    fn secrets(&self) -> Result<Vec<SecretRow>, OpsError>;

    /// Run every due rotation and expired grace (`keyward rotate --due`).
    fn run_due(&self, op: &OpContext) -> Result<DueSummary, OpsError>;
}
