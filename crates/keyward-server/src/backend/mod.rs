//! What the HTTP layer needs from storage, as four narrow, synchronous traits.
//!
//! keyward's store is synchronous (`rusqlite`, `postgres`), so these traits are too; the
//! HTTP layer calls them on tokio's blocking pool ([`crate::http::blocking`]). [`memory`]
//! implements them in memory (tests, trying the server out); [`store`] over keyward's
//! store (SQLite or PostgreSQL), which is what `keyward serve` runs on. Every method that changes something receives an [`OpContext`] so a store can
//! attribute its own audit entries (who, from where, when).

pub mod kv;
pub mod memory;
pub mod store;

pub use kv::{KvBackend, KvConfig, KvData, KvKey, KvMetadata, KvRead, KvVersion, MetadataPatch};

use std::collections::BTreeMap;
use std::time::SystemTime;

/// Who performs an operation, from where, and the request's clock.
#[derive(Clone, Debug)]
pub struct OpContext {
    /// Display name of the caller (`token-deploy`, `jwt-system:serviceaccount:app:web`).
    pub actor: String,
    /// The caller's token accessor (never the token).
    pub accessor: Option<String>,
    /// Client address.
    pub remote: Option<String>,
    /// The time the request is handled at.
    pub now: SystemTime,
}

/// Errors a backend reports; the HTTP layer maps each to Vault's status and message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackendError {
    /// No such key, version, token or document.
    #[error("not found")]
    NotFound,
    /// `cas` did not name the current version (HTTP 400, Vault's message).
    #[error("check-and-set parameter did not match the current version")]
    CasMismatch,
    /// The key or engine requires `cas` and the write carried none (HTTP 400).
    #[error("check-and-set parameter required for this call")]
    CasRequired,
    /// The request is invalid for the stored state (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// The storage cannot be reached or failed (HTTP 503); the message names no value.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// A keyed hash of a token (HMAC-SHA256 under the server's token-hash key).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({}…)", hex::encode(&self.0[..4]))
    }
}

/// A token as stored: everything but the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public handle (`kwa_…`), safe to log and to show.
    pub accessor: String,
    /// `token-NAME`, `jwt-SUBJECT` or `root`.
    pub display_name: String,
    /// Policy names; `root` grants everything.
    pub policies: Vec<String>,
    /// Free metadata (`role`, …).
    pub meta: BTreeMap<String, String>,
    /// When it was created.
    pub creation_time: SystemTime,
    /// TTL it was created with, in seconds (0: never expires).
    pub creation_ttl: u64,
    /// When it stops working (`None`: never).
    pub expire_time: Option<SystemTime>,
    /// Hard limit renewals cannot pass (`None`: none).
    pub max_expire_time: Option<SystemTime>,
    /// `explicit_max_ttl` in seconds, as requested (0: none).
    pub explicit_max_ttl: u64,
    /// Whether `renew` may extend it.
    pub renewable: bool,
    /// Created without a parent; not revoked with one.
    pub orphan: bool,
    /// Accessor of the token that created it.
    pub parent: Option<String>,
    /// The path that created it (`auth/token/create`, `auth/jwt/login`).
    pub path: String,
}

/// Token storage: hashed tokens with their records.
pub trait TokenRepo: Send + Sync {
    /// Store a new token. The accessor and hash are unique.
    fn insert(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), BackendError>;
    /// The token whose hash is `hash`, with the hash as stored (compared in constant time by
    /// the caller), whether or not it expired.
    fn by_hash(&self, hash: &TokenHash) -> Result<Option<(TokenHash, TokenRecord)>, BackendError>;
    /// The token with this accessor.
    fn by_accessor(&self, accessor: &str) -> Result<Option<TokenRecord>, BackendError>;
    /// Set a token's expiry (renewal).
    fn set_expiry(
        &self,
        accessor: &str,
        expire_time: Option<SystemTime>,
        op: &OpContext,
    ) -> Result<(), BackendError>;
    /// Revoke a token and, recursively, every non-orphan token it created. Returns the
    /// accessors revoked (empty when there was no such token).
    fn revoke(&self, accessor: &str, op: &OpContext) -> Result<Vec<String>, BackendError>;
    /// Every live token's record (for `auth/token/accessors` and `keyward token list`).
    fn list(&self) -> Result<Vec<TokenRecord>, BackendError>;
}

/// Kinds of named documents the server keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// ACL policy text (HCL or JSON), by policy name.
    Policy,
    /// JWT auth role (JSON), by role name.
    JwtRole,
    /// A report CI posted to `/v1/keyward/reports` (JSON), by `<kind>/<time>-<id>`.
    Report,
}

/// Named documents: ACL policies and JWT roles written through the API. (Those declared in
/// `keyward.toml` are served from the configuration and never stored.)
pub trait DocumentRepo: Send + Sync {
    /// The document's text.
    fn get(&self, kind: DocKind, name: &str) -> Result<Option<String>, BackendError>;
    /// Create or replace.
    fn put(
        &self,
        kind: DocKind,
        name: &str,
        body: &str,
        op: &OpContext,
    ) -> Result<(), BackendError>;
    /// Delete; `false` when there was none.
    fn delete(&self, kind: DocKind, name: &str, op: &OpContext) -> Result<bool, BackendError>;
    /// Names, sorted.
    fn list(&self, kind: DocKind) -> Result<Vec<String>, BackendError>;
}

/// One audited request. Never holds a token, a request body or a secret value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// When the request was handled.
    pub time: SystemTime,
    /// The `request_id` returned to the client.
    pub request_id: String,
    /// `read`, `list`, `create`, `update`, `patch`, `delete`, `login`…
    pub operation: String,
    /// API path without `/v1/` (`secret/data/app/production/jwt`).
    pub path: String,
    /// HTTP status sent.
    pub status: u16,
    /// `ok`, `denied`, `invalid_token`, `rate_limited`, `not_found`, `invalid`, `error`.
    pub outcome: String,
    /// Caller's token accessor, when authenticated.
    pub accessor: Option<String>,
    /// Caller's display name, when authenticated.
    pub display_name: Option<String>,
    /// Client address.
    pub remote: Option<String>,
    /// KV version concerned.
    pub version: Option<u64>,
    /// Short reason (error message, JWT role); never a value or a token.
    pub detail: Option<String>,
}

/// What a verification of the audit chain found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditVerify {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the last entry (hex), to anchor elsewhere.
    pub head: String,
    /// First entry that does not fit, when the chain is broken.
    pub broken_at: Option<u64>,
    /// Why it is broken.
    pub detail: Option<String>,
}

/// The audit log. `append_batch` is called with many requests' records at once (group
/// commit): it must make all of them durable, in order, or fail as a whole; no response is
/// released until it returned `Ok`.
pub trait AuditLog: Send + Sync {
    /// Append records in order, durably.
    fn append_batch(&self, batch: &[AuditRecord]) -> Result<(), BackendError>;
    /// Recompute the chain.
    fn verify(&self) -> Result<AuditVerify, BackendError>;
    /// A page of entries matching `query`, newest first (indexed: never the whole log).
    fn tail(&self, query: &AuditQuery) -> Result<Vec<AuditLine>, BackendError>;
    /// How many entries with any of `outcomes` were written at or after `since`.
    fn count_since(&self, outcomes: &[&str], since: SystemTime) -> Result<u64, BackendError>;
}

/// Which audit entries a page shows (the store's query: actor, action, path, keyset
/// pagination by sequence number).
pub use keyward_store::AuditQuery;

/// One audit entry as the dashboard shows it (never a value or a token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLine {
    /// Sequence number in the chain.
    pub seq: u64,
    /// RFC 3339 time.
    pub time: String,
    /// `token:<display name>`, `anonymous`, `os:<user>`.
    pub actor: String,
    /// `api.read`, `set`, `rotate`…
    pub action: String,
    /// Path concerned.
    pub path: Option<String>,
    /// `ok` or a failure word.
    pub outcome: String,
    /// Client address.
    pub remote: Option<String>,
    /// Short detail.
    pub detail: Option<String>,
}

/// The four backends a server runs on.
#[derive(Clone)]
pub struct Backends {
    /// KV v2 data and metadata.
    pub kv: std::sync::Arc<dyn KvBackend>,
    /// Hashed tokens.
    pub tokens: std::sync::Arc<dyn TokenRepo>,
    /// Policies and JWT roles written through the API.
    pub docs: std::sync::Arc<dyn DocumentRepo>,
    /// The audit chain.
    pub audit: std::sync::Arc<dyn AuditLog>,
}
