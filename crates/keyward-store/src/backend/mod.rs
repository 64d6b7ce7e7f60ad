//! The storage trait ([`Backend`], [`Tx`]) and its two implementations.
//!
//! A backend stores rows; it knows nothing about encryption or the audit chain's hashing.
//! Every write transaction is serialized (SQLite `BEGIN IMMEDIATE`; PostgreSQL takes the
//! audit chain head row `FOR UPDATE` first), because every operation, reads included,
//! appends to the single audit hash chain. Optimistic concurrency checks then run inside
//! the transaction against committed state.

pub mod pg_tls;
pub mod postgres;
mod postgres_tx;
pub mod sqlite;
pub mod sqlite_file;
mod sqlite_tx;

use crate::error::Result;
use crate::model::{AuditEntry, AuditFilter, AuditQuery, SecretMeta, Stage, VersionInfo};

/// Hash of the (absent) entry before the first one.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A secret as stored: its row id, metadata and the seal over its head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRow {
    /// Database id (foreign key of versions).
    pub id: i64,
    /// Everything else.
    pub meta: SecretMeta,
    /// The audit entry that recorded the head's last change (bound into the MAC, so an
    /// old head copied back is caught by `audit verify`).
    pub head_seq: u64,
    /// HMAC-SHA256 (hex) over the head ([`crate::integrity`]); `None` only in a store
    /// written before heads were authenticated.
    pub head_mac: Option<String>,
}

/// The audit chain's head row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    /// The last sequence number (0 when the log is empty).
    pub seq: u64,
    /// Its hash ([`GENESIS_HASH`] when empty).
    pub hash: String,
    /// HMAC (hex) of `seq` and `hash` under the store's audit MAC key; `None` only before
    /// the store was upgraded to authenticated heads.
    pub mac: Option<String>,
}

/// A version as stored, with its sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRow {
    /// The owning secret's id.
    pub secret_id: i64,
    /// Version number, stage, creation facts.
    pub info: VersionInfo,
    /// Data key sealed under the KEK.
    pub wrapped_key: Vec<u8>,
    /// Value sealed under the data key.
    pub ciphertext: Vec<u8>,
}

/// A wrapped data key with the address it is bound to (for rekey).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKeyRow {
    /// Owning secret id.
    pub secret_id: i64,
    /// `ENV/NAME` of the owning secret.
    pub path: String,
    /// Version number.
    pub version: u64,
    /// Data key sealed under the KEK.
    pub wrapped_key: Vec<u8>,
}

/// A server record ([`crate::records`]): a named, MACed document (token, policy, KV
/// metadata) in the `records` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// What it is (`token`, `policy`, `kv`…).
    pub kind: String,
    /// Its name within the kind.
    pub name: String,
    /// The document.
    pub body: Vec<u8>,
    /// HMAC-SHA256 (hex) over kind, name and body under the record key.
    pub mac: String,
}

/// Row-level operations inside one transaction.
pub trait Tx {
    /// A `store_meta` value.
    fn meta_get(&mut self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Insert or replace a `store_meta` value.
    fn meta_put(&mut self, key: &str, value: &[u8]) -> Result<()>;
    /// A secret by environment and name (deleted ones included).
    fn secret(&mut self, env: &str, name: &str) -> Result<Option<SecretRow>>;
    /// Secrets whose `ENV/NAME` starts with `prefix`, ordered by env then name (deleted
    /// ones included).
    fn secrets(&mut self, prefix: &str) -> Result<Vec<SecretRow>>;
    /// Insert a secret; returns its id (the `id` field of `row` is ignored).
    fn insert_secret(&mut self, row: &SecretRow) -> Result<i64>;
    /// Replace a secret's metadata, head sequence and head MAC (by id).
    fn update_secret(&mut self, row: &SecretRow) -> Result<()>;
    /// A secret's versions, newest first, with their sealed bytes.
    fn versions(&mut self, secret_id: i64) -> Result<Vec<VersionRow>>;
    /// A secret's versions, newest first, without their sealed bytes.
    fn version_infos(&mut self, secret_id: i64) -> Result<Vec<VersionInfo>>;
    /// The versions (without sealed bytes) of every secret whose `ENV/NAME` starts with
    /// `prefix`, as (secret id, version), newest first within a secret.
    fn version_infos_under(&mut self, prefix: &str) -> Result<Vec<(i64, VersionInfo)>>;
    /// One version.
    fn version(&mut self, secret_id: i64, version: u64) -> Result<Option<VersionRow>>;
    /// Insert a version.
    fn insert_version(&mut self, row: &VersionRow) -> Result<()>;
    /// Change a version's stage.
    fn set_stage(&mut self, secret_id: i64, version: u64, stage: Stage) -> Result<()>;
    /// Every wrapped data key in the store.
    fn wrapped_keys(&mut self) -> Result<Vec<WrappedKeyRow>>;
    /// Replace one wrapped data key.
    fn set_wrapped_key(&mut self, secret_id: i64, version: u64, wrapped: &[u8]) -> Result<()>;
    /// Delete a version's sealed value and wrapped data key (both become empty); the row
    /// and its stage stay.
    fn wipe_version(&mut self, secret_id: i64, version: u64) -> Result<()>;
    /// The chain head: last sequence number, its hash ([`GENESIS_HASH`] when empty) and
    /// its MAC.
    fn audit_head(&mut self) -> Result<AuditHead>;
    /// Append an entry (with its checkpoint MAC) and move the head to it, with `head_mac`.
    fn audit_append(&mut self, entry: &AuditEntry, head_mac: &str) -> Result<()>;
    /// Append consecutive entries (already chained, in order) and move the head to the
    /// last one, with `head_mac`: group commit, one head update for the whole batch.
    fn audit_append_many(&mut self, entries: &[AuditEntry], head_mac: &str) -> Result<()>;
    /// Set the MAC of the current head (store creation and upgrade only).
    fn audit_set_head_mac(&mut self, mac: &str) -> Result<()>;
    /// Entries matching `filter`, in sequence order.
    fn audit_entries(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
    /// A page of entries matching `query`, newest first, through an index.
    fn audit_tail(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// How many entries with this outcome were written at or after `since` (RFC 3339).
    fn audit_count(&mut self, outcome: &str, since: &str) -> Result<u64>;
    /// A server record by kind and name.
    fn record_get(&mut self, kind: &str, name: &str) -> Result<Option<RecordRow>>;
    /// Insert or replace a server record.
    fn record_put(&mut self, row: &RecordRow) -> Result<()>;
    /// Delete a server record; `false` when there was none.
    fn record_delete(&mut self, kind: &str, name: &str) -> Result<bool>;
    /// The records of `kind` whose name starts with `prefix`, by name.
    fn record_list(&mut self, kind: &str, prefix: &str) -> Result<Vec<RecordRow>>;
}

/// A transaction body. Returning an error rolls the transaction back.
pub type TxFn<'a> = dyn FnMut(&mut dyn Tx) -> Result<()> + 'a;

/// A database holding one keyward store.
pub trait Backend: Send {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    /// Where the store is (file path, or URL without password).
    fn location(&self) -> String;
    /// Run `f` in a serialized read-write transaction; commit when it returns `Ok`.
    fn write(&mut self, f: &mut TxFn<'_>) -> Result<()>;
    /// Run `f` in a read-only, consistent-snapshot transaction.
    fn read(&mut self, f: &mut TxFn<'_>) -> Result<()>;
    /// False once the connection is known to be broken (a pool then drops it rather than
    /// handing it out again). Cheap: no round trip.
    fn is_healthy(&self) -> bool {
        true
    }
    /// After destroying values: push old copies of deleted content out of the places the
    /// database keeps them (SQLite: checkpoint the write-ahead log into the file, where
    /// `secure_delete` zeroed the freed bytes, and truncate the log). Returns whether it
    /// completed (a busy reader can keep SQLite from truncating). Default: nothing to do.
    fn scrub(&mut self) -> Result<bool> {
        Ok(true)
    }
}
