//! The rows [`super::Ops`] returns: `Serialize` (the endpoints' JSON, the dashboard's
//! input) and documented in the OpenAPI document. None holds a secret value.

use keyward_rotate::{IncidentRecord, Outcome};
use keyward_store::SecretPath;
use serde::Serialize;
use utoipa::ToSchema;

/// What a rotation left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RotateResult {
    /// `ENV/NAME`.
    pub path: String,
    /// `in-grace` (new value current, previous still valid), `finished`, `nothing`, or
    /// `awaiting-confirm` (a manual target: follow `steps`, then `keyward rotate confirm`).
    pub outcome: String,
    /// The current version afterwards, when known.
    pub version: Option<u64>,
    /// When the previous value stops working (`in-grace`).
    pub grace_until: Option<String>,
    /// Manual steps (`awaiting-confirm`).
    pub steps: Vec<String>,
    /// The line `keyward rotate` prints.
    pub message: String,
}

impl RotateResult {
    /// The result of `out` for `path`.
    pub fn new(path: &SecretPath, out: &Outcome) -> RotateResult {
        let (outcome, version, grace_until, steps) = match out {
            Outcome::Nothing => ("nothing", None, None, Vec::new()),
            Outcome::InGrace {
                version,
                grace_until,
            } => (
                "in-grace",
                Some(*version),
                Some(grace_until.clone()),
                Vec::new(),
            ),
            Outcome::Finished { version } => ("finished", Some(*version), None, Vec::new()),
            Outcome::AwaitingConfirm { steps } => ("awaiting-confirm", None, None, steps.clone()),
        };
        RotateResult {
            path: path.to_string(),
            outcome: outcome.into(),
            version,
            grace_until,
            steps,
            message: keyward_rotate::due::describe(path, out),
        }
    }
}

/// An incident as listed (`keyward incident list`): what was revoked and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct IncidentSummary {
    /// `INC-ENV-NAME-vN`.
    pub id: String,
    /// The scope: the secret (`ENV/NAME`)…
    pub path: String,
    /// …and its revoked version.
    pub version: u64,
    /// Why it was revoked.
    pub reason: String,
    /// Who revoked it (`alice`, `token:deploy`).
    pub actor: String,
    /// When (RFC 3339).
    pub opened_at: String,
    /// When the revoked version was created.
    pub version_created_at: Option<String>,
    /// When the old value was removed everywhere keyward can remove it.
    pub closed_at: Option<String>,
    /// Whether it is still open.
    pub open: bool,
    /// Fingerprint of the scan finding that exposed it, if one was given.
    pub finding: Option<String>,
}

impl From<IncidentRecord> for IncidentSummary {
    fn from(i: IncidentRecord) -> Self {
        IncidentSummary {
            open: i.closed_at.is_none(),
            finding: i.finding.map(|f| f.fingerprint),
            id: i.id,
            path: i.path,
            version: i.version,
            reason: i.reason,
            actor: i.actor,
            opened_at: i.opened_at,
            version_created_at: i.version_created_at,
            closed_at: i.closed_at,
        }
    }
}

/// A revocation: the incident it opened and what the rotation left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Revoked {
    /// The incident.
    pub incident: IncidentSummary,
    /// The replacement rotation.
    pub rotation: RotateResult,
}

/// One secret in the overview: schedule and last read, never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SecretRow {
    /// `ENV/NAME`.
    pub path: String,
    /// The environment.
    pub env: String,
    /// The variable name.
    pub name: String,
    /// Kind (`jwt-secret`, `postgres-password`, …).
    pub kind: String,
    /// Description (`kv:<mount>/<path>` for KV-only entries).
    pub description: String,
    /// The current version.
    pub current_version: u64,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When a rotation last promoted a version, if ever.
    pub last_rotated: Option<String>,
    /// When the next rotation is due (`null`: on demand only).
    pub next_due: Option<String>,
    /// Days past due (0 when not overdue).
    pub overdue_days: i64,
    /// `overdue`, `due`, `due-soon`, `ok`, `on-demand`.
    pub schedule: String,
    /// Rotation target type (`postgres`, `redis`, `jwt`, `command`, `manual`, `none`).
    pub target: String,
    /// When its value was last read (read, export or run), from the audit log.
    pub last_read_at: Option<String>,
    /// Who read it then (`alice`, `token:deploy`).
    pub last_read_by: Option<String>,
}

/// One secret's line of a due run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DueRow {
    /// `ENV/NAME`.
    pub path: String,
    /// Its schedule before the run (`overdue`, `due`, …).
    pub schedule: String,
    /// When it was due, if scheduled.
    pub due: Option<String>,
    /// `done`, `skipped` or `failed`.
    pub result: String,
    /// What happened, one line (never a value).
    pub message: String,
}

/// What a due run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DueSummary {
    /// One row per secret that needed work.
    pub items: Vec<DueRow>,
    /// Rotated, finished or resumed.
    pub done: usize,
    /// Failed (the rotation-failed alert names them).
    pub failed: usize,
    /// Not touched (no target, or another process holds the rotation).
    pub skipped: usize,
}
