//! The rotation state of one secret, kept as JSON in the store's per-secret `state` field
//! and advanced with compare-and-set on the secret's revision.

use crate::error::{Result, RotateError, RotateErrorKind};
use serde::{Deserialize, Serialize};

/// Where a secret's rotation stands (AWS Secrets Manager's steps, plus the grace period).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// No rotation in progress.
    #[default]
    Idle,
    /// A `pending` version exists in the store (not yet on the target).
    Created,
    /// The pending value is applied on the target (both may work).
    Set,
    /// The pending value was verified on the target.
    Tested,
    /// Promoted: the new version is current, the old one `previous` until the grace ends.
    Promoted,
    /// A manual target waits for `keyward rotate confirm`.
    AwaitingConfirm,
}

impl Step {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Idle => "idle",
            Step::Created => "created",
            Step::Set => "set",
            Step::Tested => "tested",
            Step::Promoted => "grace",
            Step::AwaitingConfirm => "awaiting_confirm",
        }
    }
}

/// A recorded incident (a revocation). Its actions and the reads of the revoked version
/// are taken from the audit log when the report is built.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    /// `INC-ENV-NAME-vN`.
    pub id: String,
    /// `ENV/NAME`.
    pub path: String,
    /// The revoked version.
    pub version: u64,
    /// Why, as given.
    pub reason: String,
    /// Who revoked it.
    pub actor: String,
    /// When the incident was opened.
    pub opened_at: String,
    /// When the revoked version was created.
    pub version_created_at: Option<String>,
    /// When the replacement was in place and the old credential removed.
    pub closed_at: Option<String>,
    /// The scan finding that exposed it, if given.
    pub finding: Option<FindingRef>,
}

/// The scan finding tied to an incident (no secret: fingerprint and location only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    /// `kw1:…`.
    pub fingerprint: String,
    /// Rule id.
    pub rule: Option<String>,
    /// File where it was found.
    pub file: Option<String>,
    /// Line.
    pub line: Option<u64>,
    /// The commit that introduced it.
    pub commit: Option<String>,
    /// Its author.
    pub author: Option<String>,
    /// Its date: the exposure start.
    pub date: Option<String>,
    /// Whether the finding's fingerprint matches the revoked value under its rule.
    pub matches_revoked_value: Option<bool>,
}

/// The rotation state of a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RotationState {
    /// The current step.
    pub step: Step,
    /// The pending (new) version of the rotation in progress.
    pub pending_version: Option<u64>,
    /// The version that was current when the rotation started.
    pub from_version: Option<u64>,
    /// The login (role/user) the new value belongs to.
    pub pending_login: Option<String>,
    /// The login of the current value.
    pub active_login: Option<String>,
    /// The login of the previous value (during the grace).
    pub previous_login: Option<String>,
    /// When the rotation in progress started.
    pub started_at: Option<String>,
    /// When the grace of the previous value ends.
    pub grace_until: Option<String>,
    /// Set when the rotation is a revocation: the incident it belongs to.
    pub revoking: Option<String>,
    /// Why the last attempt failed (no values), and when.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<String>,
    /// Incidents recorded for this secret.
    pub incidents: Vec<IncidentRecord>,
    /// The process working on this secret's rotation right now, if any (see
    /// [`crate::lease`]).
    pub lease: Option<Lease>,
    /// A command hook that may be running right now (recorded before it starts, cleared
    /// after): a rotator that takes over from a crashed one stops it first
    /// ([`crate::orphan`]).
    pub hook: Option<HookFence>,
    /// The lock this rotation puts on direct writes to the secret (the store's reserved
    /// [`keyward_store::WRITE_LOCK`] key): present while a rotation is in progress or
    /// holds its lease. Recomputed on every write of the state ([`RotationState::lock`]).
    pub write_lock: Option<WriteLock>,
}

/// A command hook recorded before it starts: its rotator (the hook's environment carries
/// `KEYWARD_HOOK_ID=<owner>`), and the deadline its timeout gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HookFence {
    /// The lease owner id of the rotator that runs it (the hook's marker).
    pub owner: String,
    /// The step (`set`, `test`, `rollback`, `finish`).
    pub step: String,
    /// When its timeout kills it (RFC 3339, real clock).
    pub deadline: String,
    /// Host name of the rotator.
    pub host: String,
    /// The rotator's pid namespace (see [`Lease::pid_ns`]).
    pub pid_ns: Option<String>,
}

/// The store's write lock, as rotation writes it (see [`keyward_store::WRITE_LOCK`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WriteLock {
    /// Why, in one line (shown to whoever tries a direct write).
    pub by: String,
    /// When it ends by itself (a lease's expiry); `None`: until the rotation ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A claim on a secret's rotation by one rotator: only the holder performs target actions
/// or changes the rotation state. Taken and renewed by compare-and-set on the secret's
/// revision, released when the rotator stops; a lease left by a crashed process can be
/// taken over once it expires, or at once when its process is known to be gone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lease {
    /// Random id of the holding rotator.
    pub owner: String,
    /// When the lease ends unless renewed (RFC 3339, real clock).
    pub until: String,
    /// Host name of the holder (for messages).
    pub host: String,
    /// Process id of the holder.
    pub pid: u32,
    /// The holder's pid namespace (`boot-id/pid:[inode]`), when known: a process in the
    /// same namespace can tell whether the holder is still alive.
    pub pid_ns: Option<String>,
}

impl RotationState {
    /// Parse the store's state text (`{}` gives the default state). Text that is not a
    /// rotation state (corrupt JSON, a field of the wrong type) is an error, never "no
    /// rotation, no incidents".
    pub fn parse(text: &str) -> Result<RotationState> {
        serde_json::from_str(text).map_err(|e| {
            RotateError::new(
                RotateErrorKind::Corrupt,
                format!("the stored rotation state is corrupt ({e}); nothing was done"),
            )
        })
    }

    /// Parse the state of `meta`, naming its secret in the error.
    pub fn of(meta: &keyward_store::SecretMeta) -> Result<RotationState> {
        RotationState::parse(&meta.state)
            .map_err(|e| RotateError::new(RotateErrorKind::Corrupt, format!("{}: {e}", meta.path)))
    }

    /// As JSON text for the store.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("state serializes")
    }

    /// The write lock this state puts on `path`: while a rotation is in progress (no end),
    /// or while a rotator holds the lease (until the lease expires).
    pub fn lock(&self, path: &str) -> Option<WriteLock> {
        let since = self.started_at.as_deref().unwrap_or("an unknown time");
        let by = match self.step {
            Step::Created | Step::Set | Step::Tested => format!(
                "a rotation is in progress (step `{}`, started {since}); let it finish with `keyward rotate {path}` or abandon it with `keyward rotate --abort {path}`",
                self.step.as_str()
            ),
            Step::AwaitingConfirm => format!(
                "a manual rotation waits for its new value (since {since}); give it with `keyward rotate confirm {path}` or abandon it with `keyward rotate --abort {path}`"
            ),
            Step::Idle | Step::Promoted => {
                let lease = self.lease.as_ref()?;
                return Some(WriteLock {
                    by: format!(
                        "a rotation holds its lease ({}); if that process is gone, run `keyward rotate --abort {path}`",
                        lease.describe()
                    ),
                    until: Some(lease.until.clone()),
                });
            }
        };
        Some(WriteLock { by, until: None })
    }

    /// Forget the last error (a step succeeded).
    pub fn clear_error(&mut self) {
        self.last_error = None;
        self.last_error_at = None;
    }
}
