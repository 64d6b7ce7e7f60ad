//! keyward-rotate: resumable rotation and revocation of stored secrets against real
//! targets.
//!
//! - [`machine`]: the state machine create → set → test → promote → (after the grace)
//!   finish, recorded step by step in the store so an interrupted run resumes.
//! - [`target`]: PostgreSQL roles (single or alternating), Redis ACL users, JWT keyrings,
//!   command hooks and manual keys.
//! - [`revoke`] and [`incident`]: revocation with no grace, incident records and reports.
//! - [`plan`]: settings per secret from `keyward.toml`, schedule status.
//! - [`lease`]: one rotator at a time per secret (compare-and-set leases).
//! - [`jwt`]: keyrings with key ids, HS256 signing and verification.
//! - [`due`]: `rotate --due` as a library call (CLI and server scheduler), and
//!   [`leader`]: which of several server replicas runs it.

mod abort;
mod claim;
pub mod clock;
pub mod due;
mod error;
pub mod fault;
mod finish;
pub mod incident;
pub mod jwt;
pub mod leader;
pub mod lease;
pub mod machine;
pub mod orphan;
pub mod plan;
pub mod revoke;
pub mod state;
pub mod target;

pub use abort::Aborted;
pub use due::{run_due, status_rows, tick, DueItem, DueReport, DueResult};
pub use error::{Result, RotateError, RotateErrorKind};
pub use leader::Leader;
pub use machine::{Outcome, Rotator};
pub use plan::{plan, status, Plan, StatusRow};
pub use state::{FindingRef, HookFence, IncidentRecord, Lease, RotationState, Step, WriteLock};
