//! Public data types: stages, secret metadata, version summaries, audit entries.

use crate::error::{ErrorKind, Result, StoreError};
use crate::path::SecretPath;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The stage of a secret version.
///
/// At most one version is `current`, one `previous` and one `pending`. A direct write makes
/// the new version `current`, the old current `previous` and the old previous `retired`.
/// Rotation writes `pending`, then [`promote`](crate::Store::promote)s it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The version served by `get`, `export` and `run`.
    Current,
    /// The version replaced last; kept readable for a grace period during rotation.
    Previous,
    /// A new version not yet promoted (rotation in progress).
    Pending,
    /// Marked compromised or withdrawn; never served as current again.
    Revoked,
    /// An older version kept in history only.
    Retired,
}

impl Stage {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Current => "current",
            Stage::Previous => "previous",
            Stage::Pending => "pending",
            Stage::Revoked => "revoked",
            Stage::Retired => "retired",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "current" => Stage::Current,
            "previous" => Stage::Previous,
            "pending" => Stage::Pending,
            "revoked" => Stage::Revoked,
            "retired" => Stage::Retired,
            other => {
                return Err(StoreError::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "unknown stage `{other}` (current, previous, pending, revoked, retired)"
                    ),
                ))
            }
        })
    }
}

/// Which version a write expects to replace (optimistic concurrency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// No check: the write replaces whatever is current (last writer wins, history kept).
    Any,
    /// The secret must not exist yet (or must be deleted-and-empty: it has no current version).
    Absent,
    /// The current version must be exactly this one.
    Version(u64),
}

/// Metadata of a secret (no values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecretMeta {
    /// `ENV/NAME`.
    #[serde(serialize_with = "ser_display")]
    pub path: SecretPath,
    /// The kind of value (`jwt-secret`, `password`, `stripe-secret-key`…), free text.
    pub kind: String,
    /// What it is for.
    pub description: String,
    /// Who answers for it (team or person).
    pub owner: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC; changes with every version or metadata change.
    pub updated_at: String,
    /// When a rotation last promoted a version (RFC 3339 UTC).
    pub last_rotated: Option<String>,
    /// Rotation interval in days, from policy.
    pub rotation_interval_days: Option<u32>,
    /// Free JSON text owned by rotation (state machine position, target facts); `{}` if unset.
    pub state: String,
    /// Set when soft-deleted (RFC 3339 UTC).
    pub deleted_at: Option<String>,
    /// The current version (0 when there is none).
    pub current_version: u64,
    /// The highest version number ever written.
    pub latest_version: u64,
    /// Incremented on every change to the secret (metadata, state or versions); the CAS
    /// token for [`Store::update_meta`](crate::Store::update_meta).
    pub revision: u64,
}

fn ser_display<S: serde::Serializer, T: fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// A version's summary (no value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    /// 1, 2, 3…
    pub version: u64,
    /// Its stage.
    pub stage: Stage,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The actor that wrote it.
    pub created_by: String,
}

/// Optional metadata changes for [`Store::update_meta`](crate::Store::update_meta) and
/// for a secret's first write; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaPatch {
    /// New kind.
    pub kind: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New owner.
    pub owner: Option<String>,
    /// New rotation interval (`Some(None)` clears it).
    pub rotation_interval_days: Option<Option<u32>>,
    /// New last-rotated time (`Some(None)` clears it).
    pub last_rotated: Option<Option<String>>,
    /// New rotation state (JSON text; validated as JSON).
    pub state: Option<String>,
}

/// Who performs an action: an OS user or a token name, and where from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `alice`, or `token:deploy-bot`.
    pub name: String,
    /// Remote address, for server requests.
    pub remote: Option<String>,
}

impl Actor {
    /// The OS user running this process (`$USER`, `$LOGNAME`, `$USERNAME`, else the name of
    /// the process's uid in `/etc/passwd`, else `uid:N`).
    pub fn os_user() -> Actor {
        let name = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .or_else(uid_name)
            .unwrap_or_else(|| "unknown".to_string());
        Actor { name, remote: None }
    }

    /// A named API token, with the client's address.
    pub fn token(name: &str, remote: Option<String>) -> Actor {
        Actor {
            name: format!("token:{name}"),
            remote,
        }
    }
}

/// The login name of this process's user from `/etc/passwd`, else `uid:N` (Unix).
#[cfg(unix)]
fn uid_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid:{uid}")))
}

#[cfg(not(unix))]
fn uid_name() -> Option<String> {
    None
}

/// One entry of the audit log, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// 1, 2, 3… with no gaps.
    pub seq: u64,
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What: `read`, `write`, `delete`, `restore`, `export`, `run`, `unseal_failed`, `rekey`…
    pub action: String,
    /// `ENV/NAME`, when the action concerns one secret.
    pub path: Option<String>,
    /// The version concerned.
    pub version: Option<u64>,
    /// `ok`, `denied`, `conflict`, `not_found`, `error`…
    pub outcome: String,
    /// Client address, when there is one.
    pub remote: Option<String>,
    /// Free text (never a value).
    pub detail: Option<String>,
    /// HMAC-SHA256 of the value under the store's audit key (hex), for reads and writes.
    pub value_hmac: Option<String>,
    /// SHA-256 (hex) of the previous entry; 64 zeros for the first.
    pub prev_hash: String,
    /// SHA-256 (hex) of this entry.
    pub hash: String,
    /// HMAC (hex) of `seq` and `hash` under the store's audit MAC key: a checkpoint that
    /// `audit verify` with the master key checks. Not part of the hash; `None` for entries
    /// written before checkpoints existed.
    #[serde(skip)]
    pub checkpoint: Option<String>,
}

/// An audit event to append (the store fills seq, time, hashes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEvent {
    /// What happened (see [`AuditEntry::action`]).
    pub action: String,
    /// The secret concerned.
    pub path: Option<String>,
    /// The version concerned.
    pub version: Option<u64>,
    /// `ok` or a failure word.
    pub outcome: String,
    /// Free text; never a value.
    pub detail: Option<String>,
    /// Value HMAC, from [`Store::value_hmac`](crate::Store::value_hmac).
    pub value_hmac: Option<String>,
}

/// Which audit entries to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this path, or every path under `ENV/` when it ends with `/`.
    pub path: Option<String>,
    /// Entries at or after this RFC 3339 time.
    pub since: Option<String>,
}

/// A page of the audit log, newest first (the dashboard's filterable tail). Each filter
/// is served by an index (`audit_by_actor`, `audit_by_action`, `audit_by_path`), so a
/// page never scans the whole log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Exactly this actor (`token:deploy`, `os:alice`).
    pub actor: Option<String>,
    /// Exactly this action (`api.read`, `set`).
    pub action: Option<String>,
    /// Exactly this path.
    pub path: Option<String>,
    /// Only entries numbered below this (the next page).
    pub before_seq: Option<u64>,
    /// At most this many entries.
    pub limit: u32,
}

/// A bound value of [`AuditQuery::sql`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlParam {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

impl AuditQuery {
    /// The `WHERE … ORDER BY seq DESC LIMIT …` tail of the query, with only the filters
    /// that are set (so the planner can use their index), and its parameters in order;
    /// `placeholder(i)` spells the i-th parameter (`?1` or `$1`).
    pub fn sql(&self, placeholder: fn(usize) -> String) -> (String, Vec<SqlParam>) {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        for (col, v) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("path", &self.path),
        ] {
            if let Some(v) = v {
                params.push(SqlParam::Text(v.clone()));
                clauses.push(format!("{col} = {}", placeholder(params.len())));
            }
        }
        if let Some(b) = self.before_seq {
            params.push(SqlParam::Int(b.min(i64::MAX as u64) as i64));
            clauses.push(format!("seq < {}", placeholder(params.len())));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        params.push(SqlParam::Int(i64::from(self.limit.max(1))));
        let sql = format!(
            "{filter} ORDER BY seq DESC LIMIT {}",
            placeholder(params.len())
        );
        (sql, params)
    }
}
