//! keyward-store: an encrypted, versioned secret store with a tamper-evident audit log.
//!
//! - **Envelope encryption** ([`crypto`]): every version is sealed with its own random
//!   XChaCha20-Poly1305 data key, path and version bound as associated data; data keys
//!   are wrapped by the master key (KEK), which is never stored. A key check value refuses
//!   a wrong KEK before anything is written; [`Store::rekey`] re-wraps every data key in
//!   one transaction.
//! - **Versions and stages** ([`Stage`]): current / previous / pending / revoked /
//!   retired, soft delete and restore, optimistic concurrency ([`Expected`]).
//! - **Backends** ([`backend`]): one [`Backend`] trait, SQLite (default, a single file) and
//!   PostgreSQL, each with its own migrations; [`Location`] picks one from `--store`.
//! - **Audit** ([`audit`]): every value read, write, delete, restore, export, run, failed
//!   unseal and rekey appends a hash-chained entry in the same transaction; values appear
//!   only as an HMAC under a per-store audit key. [`audit::verify`] finds the first broken
//!   entry.
//! - **Integrity** ([`integrity`]): each secret's head (version pointers, stages, deleted
//!   flag, revision, rotation state) is MACed under a key derived from the master key and
//!   checked on every read that decides what to serve; the audit head and every entry's
//!   checkpoint are MACed under the audit key, so truncating the log is detected.
//!   [`Store::verify`] checks all of it.
//! - **Concurrency** ([`StorePool`]): one [`Store`] handle per connection, handed out to
//!   threads; [`Store::get_deferred`] reads in a read-only snapshot and returns the audit
//!   entry, which [`Store::append_audit_batch`] writes with many others in one transaction
//!   (group commit) before the value is released.
//! - **Server state** ([`Store::records`], [`Store::kv_snapshot`],
//!   [`Store::append_audit_batch`]): MACed records for tokens, policies and KV metadata,
//!   KV reads and writes of secrets with their record in one transaction, and the
//!   group-commit audit append `keyward serve` uses.
//!
//! ```no_run
//! use keyward_store::{Expected, Key, Location, MetaPatch, Store};
//! use keyward_core::SecretBytes;
//! let kek = Key::from_base64(&std::env::var("KEYWARD_MASTER_KEY").unwrap())?;
//! let backend = Location::parse(Some("/tmp/kw.db")).open(true)?;
//! let mut store = Store::init(backend, kek)?;
//! let path = "production/JWT_SECRET".parse()?;
//! store.set(&path, &SecretBytes::new("s3cr3t"), Expected::Absent, &MetaPatch::default())?;
//! assert_eq!(store.get(&path)?.value.expose(), b"s3cr3t");
//! # Ok::<(), keyward_store::StoreError>(())
//! ```

pub mod audit;
pub mod backend;
pub mod clock;
pub mod crypto;
mod deferred;
mod destroy;
mod error;
mod head;
pub mod integrity;
mod kv;
mod location;
mod model;
mod path;
mod pool;
mod records;
mod secrets;
mod stages;
mod store;
pub mod testing;
mod upgrade;
mod verify;

pub use audit::VerifyReport;
pub use backend::Backend;
pub use crypto::Key;
pub use error::{ErrorKind, Result, StoreError};
pub use head::WRITE_LOCK;
pub use kv::{KvPick, KvSnapshot};
pub use location::{Location, DEFAULT_SQLITE_PATH};
pub use model::{
    Actor, AuditEntry, AuditEvent, AuditFilter, AuditQuery, Expected, MetaPatch, SecretMeta,
    SqlParam, Stage, VersionInfo,
};
pub use path::{validate_env, validate_name, SecretPath};
pub use pool::{PooledStore, StorePool};
pub use records::Records;
pub use secrets::{ExportReceipt, Exported, Revealed};
pub use store::Store;
pub use verify::IntegrityReport;
