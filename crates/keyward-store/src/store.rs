//! [`Store`]: open/init with a master key, the transaction and audit plumbing, rekey.

use crate::audit::{self, VerifyReport};
use crate::backend::{Backend, Tx};
use crate::crypto::{self, KcvFormat, Key, MacKey};
use crate::error::{ErrorKind, Result, StoreError};
use crate::integrity::integrity;
use crate::model::{Actor, AuditEntry, AuditEvent, AuditFilter, AuditQuery};
use crate::path::SecretPath;

pub(crate) const META_KCV: &str = "kcv";
const META_AUDIT_KEY: &str = "audit_key";
const META_STORE_ID: &str = "store_id";
pub(crate) const META_FORMAT: &str = "format";
const META_CREATED: &str = "created_at";
/// The store format written by this keyward: secret heads and the audit head are MACed.
pub(crate) const FORMAT: &[u8] = b"2";

/// The key that MACs secret heads: derived from the KEK and bound to the store.
pub(crate) fn head_key(kek: &Key, store_id: &str) -> MacKey {
    derive_mac_key(kek, b"keyward/v1/secret-head-mac\0", store_id)
}

/// The key that MACs the audit head and checkpoints: derived from the audit key.
fn audit_mac_key(audit_key: &Key, store_id: &str) -> MacKey {
    derive_mac_key(audit_key, b"keyward/v1/audit-head-mac\0", store_id)
}

fn derive_mac_key(from: &Key, purpose: &[u8], store_id: &str) -> MacKey {
    from.derive(&[purpose, store_id.as_bytes()].concat())
        .mac_key()
}

/// Keys and identity used inside transactions.
pub(crate) struct Ctx {
    pub(crate) kek: Key,
    pub(crate) audit_key: Key,
    /// MACs secret heads ([`head_key`]).
    pub(crate) head_key: MacKey,
    /// MACs the audit head and checkpoints ([`audit_mac_key`]).
    pub(crate) audit_mac_key: MacKey,
    /// The store's random id (bound into the MAC keys).
    pub(crate) store_id: String,
    /// Opened without upgrading a store written before heads were authenticated
    /// ([`Store::open_read_only`]): only verification is possible.
    pub(crate) legacy: bool,
    /// The audit head this handle wrote last *in the current write transaction* (reset
    /// when one starts): appends after it need not check its MAC again.
    pub(crate) tx_head: std::cell::RefCell<Option<(u64, String)>>,
    pub(crate) actor: Actor,
    /// The key check value that `kek` was verified against (at open, init or our own
    /// rekey). Every write transaction compares it with the stored one, so a process that
    /// opened the store before another process rekeyed it never seals a version under the
    /// old KEK.
    pub(crate) kcv: Vec<u8>,
}

impl Ctx {
    /// Append an audit event inside `tx`.
    pub(crate) fn log(&self, tx: &mut dyn Tx, event: AuditEvent) -> Result<u64> {
        let mut written = self.tx_head.borrow_mut();
        let (seq, hash) = audit::append_after(
            tx,
            &self.audit_mac_key,
            &self.actor,
            &event,
            written.as_ref(),
        )?;
        *written = Some((seq, hash));
        Ok(seq)
    }

    /// The HMAC of a value for the audit log.
    pub(crate) fn hmac(&self, path: &SecretPath, value: &[u8]) -> String {
        crypto::value_hmac(&self.audit_key, path, value)
    }

    /// Inside a write transaction, before anything is written: fail with
    /// [`ErrorKind::Rekeyed`] when the store's key check value no longer matches the KEK
    /// this handle holds (another process ran `keyward store rekey` since we opened it).
    /// The transaction then rolls back, so nothing is written.
    pub(crate) fn check_key(&self, tx: &mut dyn Tx) -> Result<()> {
        let stored = tx.meta_get(META_KCV)?;
        match stored {
            // Unchanged since we verified it: the common case, no decryption needed.
            Some(kcv) if kcv == self.kcv && !self.legacy => Ok(()),
            Some(kcv) => match crypto::kcv_format(&self.kek, &kcv) {
                // Rewritten, but still under our KEK (a rekey to the same key, or back to it).
                Some(KcvFormat::Current) if !self.legacy => Ok(()),
                Some(_) if self.legacy => Err(integrity(
                    "this store has not been upgraded to authenticated heads: open it with `keyward` and the master key first (nothing was changed)",
                )),
                Some(_) => Err(integrity(
                    "integrity check failed: the store's key check value was replaced by one from before its upgrade to authenticated heads (nothing was changed)",
                )),
                None => Err(rekeyed()),
            },
            None => Err(StoreError::new(
                ErrorKind::NotInitialized,
                "the store's key check value is gone (nothing was changed)",
            )),
        }
    }
}

impl Ctx {
    /// The context of a store with these keys (MAC keys derived here).
    fn new(kek: Key, audit_key: Key, store_id: String, actor: Actor, kcv: Vec<u8>) -> Ctx {
        Ctx {
            head_key: head_key(&kek, &store_id),
            audit_mac_key: audit_mac_key(&audit_key, &store_id),
            kek,
            audit_key,
            store_id,
            legacy: false,
            tx_head: std::cell::RefCell::new(None),
            actor,
            kcv,
        }
    }
}

/// An open, unsealed store: a backend plus the master key (KEK) that matched its key check
/// value. Every value read or write, deletion, restore, export, run, failed unseal and
/// rekey appends an audit entry in the same transaction as the change.
pub struct Store {
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) ctx: Ctx,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .field("location", &self.backend.location())
            .field("actor", &self.ctx.actor)
            .finish_non_exhaustive()
    }
}

/// Run `f` in a write transaction of `backend`, returning its value, after checking inside
/// the same transaction that the store's master key is still the one `ctx` holds
/// ([`Ctx::check_key`]). Every write of an open store goes through here.
pub(crate) fn write_tx<T>(
    backend: &mut dyn Backend,
    ctx: &Ctx,
    f: impl FnOnce(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    raw_write_tx(backend, |tx| {
        ctx.tx_head.replace(None);
        ctx.check_key(tx)?;
        f(tx)
    })
}

/// Run `f` in a write transaction without the key check (only `init`, which writes the
/// first key check value, and the upgrade, which replaces a legacy one).
pub(crate) fn raw_write_tx<T>(
    backend: &mut dyn Backend,
    f: impl FnOnce(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    backend.write(&mut |tx| {
        let f = f.take().expect("transaction body runs once");
        out = Some(f(tx)?);
        Ok(())
    })?;
    Ok(out.expect("transaction body ran"))
}

/// Run `f` in a read transaction of `backend`, returning its value.
pub(crate) fn read_tx<T>(
    backend: &mut dyn Backend,
    f: impl FnOnce(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    backend.read(&mut |tx| {
        let f = f.take().expect("transaction body runs once");
        out = Some(f(tx)?);
        Ok(())
    })?;
    Ok(out.expect("transaction body ran"))
}

pub(crate) fn rekeyed() -> StoreError {
    StoreError::new(
        ErrorKind::Rekeyed,
        "the store was rekeyed by another process; run the command again (nothing was changed)",
    )
}

fn wrong_key() -> StoreError {
    StoreError::new(
        ErrorKind::WrongKey,
        "wrong master key: it does not match this store's key check value (nothing was changed)",
    )
}

impl Store {
    /// Initialize an empty store with `kek` (writes the key check value, a random audit
    /// key wrapped by the KEK and a store id) and open it. Fails with
    /// [`ErrorKind::AlreadyInitialized`] when the database already holds a store.
    pub fn init(mut backend: Box<dyn Backend>, kek: Key) -> Result<Store> {
        let audit_key = Key::random()?;
        let actor = Actor::os_user();
        let kcv = crypto::key_check_value(&kek)?;
        let wrapped_audit = crypto::wrap_audit_key(&kek, &audit_key)?;
        let mut id = [0u8; 16];
        crypto::fill_random(&mut id)?;
        let store_id = hex::encode(id);
        let ctx = Ctx::new(kek, audit_key, store_id, actor, kcv);
        let location = backend.location();
        raw_write_tx(backend.as_mut(), |tx| {
            if tx.meta_get(META_KCV)?.is_some() {
                return Err(StoreError::new(
                    ErrorKind::AlreadyInitialized,
                    format!("a store already exists at {location}"),
                ));
            }
            tx.meta_put(META_KCV, &ctx.kcv)?;
            tx.meta_put(META_AUDIT_KEY, &wrapped_audit)?;
            tx.meta_put(META_STORE_ID, ctx.store_id.as_bytes())?;
            tx.meta_put(META_FORMAT, FORMAT)?;
            tx.meta_put(META_CREATED, crate::clock::now().as_bytes())?;
            audit::bless_head(tx, &ctx.audit_mac_key)?;
            ctx.log(
                tx,
                AuditEvent {
                    action: "init".into(),
                    outcome: "ok".into(),
                    detail: Some(format!("backend {}", location_kind(&location))),
                    ..Default::default()
                },
            )?;
            Ok(())
        })?;
        Ok(Store { backend, ctx })
    }

    /// Open an initialized store with `kek`. A KEK that does not match the key check value
    /// is refused with [`ErrorKind::WrongKey`] before anything is written. A store written
    /// before secret heads were authenticated is upgraded here, once, in one transaction
    /// recorded in the audit log (see [`crate::integrity`]).
    pub fn open(backend: Box<dyn Backend>, kek: Key) -> Result<Store> {
        let mut store = Store::open_read_only(backend, kek)?;
        if store.ctx.legacy {
            store.upgrade()?;
        }
        Ok(store)
    }

    /// Open with `kek` for verification only: a store written before secret heads were
    /// authenticated is *not* upgraded (nothing is written), and every write through the
    /// handle then fails; [`Store::verify`] says the store awaits its upgrade.
    pub fn open_read_only(mut backend: Box<dyn Backend>, kek: Key) -> Result<Store> {
        let location = backend.location();
        let (kcv, wrapped_audit, store_id) = read_tx(backend.as_mut(), |tx| {
            Ok((
                tx.meta_get(META_KCV)?,
                tx.meta_get(META_AUDIT_KEY)?,
                tx.meta_get(META_STORE_ID)?,
            ))
        })?;
        let (Some(kcv), Some(wrapped_audit)) = (kcv, wrapped_audit) else {
            return Err(StoreError::new(
                ErrorKind::NotInitialized,
                format!(
                    "{location} is not an initialized keyward store (run `keyward store init`)"
                ),
            ));
        };
        let format = crypto::kcv_format(&kek, &kcv).ok_or_else(wrong_key)?;
        let store_id = store_id
            .and_then(|id| String::from_utf8(id).ok())
            .ok_or_else(|| StoreError::new(ErrorKind::Corrupt, "the store's id is missing"))?;
        let audit_key = crypto::unwrap_audit_key(&kek, &wrapped_audit)?;
        let mut ctx = Ctx::new(kek, audit_key, store_id, Actor::os_user(), kcv);
        ctx.legacy = format == KcvFormat::Legacy;
        Ok(Store { backend, ctx })
    }

    /// Act as `actor` from now on (server requests: a token name and remote address).
    pub fn set_actor(&mut self, actor: Actor) {
        self.ctx.actor = actor;
    }

    /// The current actor.
    pub fn actor(&self) -> &Actor {
        &self.ctx.actor
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Where the store is (no password).
    pub fn location(&self) -> String {
        self.backend.location()
    }

    /// Mutable access to the backend (for callers that read the audit log directly).
    pub fn backend_mut(&mut self) -> &mut dyn Backend {
        self.backend.as_mut()
    }

    /// Move every data key and the audit key to `new_kek` in one transaction; the values'
    /// ciphertexts are not touched. Returns the number of data keys re-wrapped. If any key
    /// fails to unwrap, nothing changes.
    pub fn rekey(&mut self, new_kek: Key) -> Result<usize> {
        let Store { backend, ctx } = self;
        let kcv = crypto::key_check_value(&new_kek)?;
        let wrapped_audit = crypto::wrap_audit_key(&new_kek, &ctx.audit_key)?;
        let new_head_key = head_key(&new_kek, &ctx.store_id);
        let result = write_tx(backend.as_mut(), ctx, |tx| {
            // Every head must verify under the old key before it is re-MACed under the new
            // one: a rekey never blesses a head changed behind keyward's back.
            crate::head::remac_all(tx, &ctx.head_key, &new_head_key)?;
            // Destroyed versions have no data key left to move.
            let rows: Vec<_> = tx
                .wrapped_keys()?
                .into_iter()
                .filter(|r| !r.wrapped_key.is_empty())
                .collect();
            for row in &rows {
                let path: SecretPath = row.path.parse().map_err(|_| {
                    StoreError::new(
                        ErrorKind::Corrupt,
                        format!("malformed path `{}` in the store", row.path),
                    )
                })?;
                let rewrapped =
                    crypto::rewrap_dek(&ctx.kek, &new_kek, &path, row.version, &row.wrapped_key)?;
                tx.set_wrapped_key(row.secret_id, row.version, &rewrapped)?;
            }
            tx.meta_put(META_KCV, &kcv)?;
            tx.meta_put(META_AUDIT_KEY, &wrapped_audit)?;
            ctx.log(
                tx,
                AuditEvent {
                    action: "rekey".into(),
                    outcome: "ok".into(),
                    detail: Some(format!("{} data keys re-wrapped", rows.len())),
                    ..Default::default()
                },
            )?;
            Ok(rows.len())
        });
        match result {
            Ok(n) => {
                ctx.kek = new_kek;
                ctx.head_key = new_head_key;
                ctx.kcv = kcv;
                Ok(n)
            }
            Err(e) => {
                self.log_failure("rekey", None, None, &e);
                Err(e)
            }
        }
    }

    /// Append an audit entry (for other crates: rotation steps, server authentication).
    /// Returns its sequence number.
    pub fn audit(&mut self, event: AuditEvent) -> Result<u64> {
        let Store { backend, ctx } = self;
        write_tx(backend.as_mut(), ctx, |tx| ctx.log(tx, event))
    }

    /// Append many audit entries, each with its own actor (a server's requests), in one
    /// transaction: group commit. The entries are chained in the given order and the head
    /// (and its MAC) moves once; either all are durable when this returns `Ok`, or none
    /// is. Returns their sequence numbers, in order. An empty batch writes nothing.
    pub fn append_audit_batch(&mut self, entries: &[(Actor, AuditEvent)]) -> Result<Vec<u64>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let Store { backend, ctx } = self;
        write_tx(backend.as_mut(), ctx, |tx| {
            let written = ctx.tx_head.borrow().clone();
            let (seqs, head) =
                audit::append_batch_after(tx, &ctx.audit_mac_key, entries, written.as_ref())?;
            ctx.tx_head.replace(Some(head));
            Ok(seqs)
        })
    }

    /// HMAC-SHA256 of `value` at `path` under this store's audit key (hex): the only form
    /// in which a value may appear in an audit entry.
    pub fn value_hmac(&self, path: &SecretPath, value: &[u8]) -> String {
        self.ctx.hmac(path, value)
    }

    /// Audit entries matching `filter`, oldest first.
    pub fn audit_log(&mut self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        audit::entries(self.backend.as_mut(), filter)
    }

    /// A page of audit entries matching `query`, newest first (indexed; see
    /// [`AuditQuery`]).
    pub fn audit_tail(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut out = Vec::new();
        self.backend.read(&mut |tx| {
            out = tx.audit_tail(query)?;
            Ok(())
        })?;
        Ok(out)
    }

    /// How many audit entries with each of `outcomes` were written at or after `since`
    /// (RFC 3339), summed.
    pub fn audit_count(&mut self, outcomes: &[&str], since: &str) -> Result<u64> {
        let mut n = 0;
        self.backend.read(&mut |tx| {
            n = 0;
            for o in outcomes {
                n += tx.audit_count(o, since)?;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// Verify the audit hash chain.
    pub fn verify_audit(&mut self) -> Result<VerifyReport> {
        audit::verify(self.backend.as_mut())
    }

    /// Record an integrity failure of a read that is not otherwise audited (metadata,
    /// listing, history). Other errors are not logged.
    pub(crate) fn log_integrity(
        &mut self,
        action: &str,
        path: Option<&SecretPath>,
        err: &StoreError,
    ) {
        if err.kind() == ErrorKind::Integrity {
            self.log_failure(action, path, None, err);
        }
    }

    /// Record a failed operation in its own transaction (the failed one rolled back).
    /// Best effort: a failure to log is ignored so the original error reaches the caller.
    pub(crate) fn log_failure(
        &mut self,
        action: &str,
        path: Option<&SecretPath>,
        version: Option<u64>,
        err: &StoreError,
    ) {
        let action = if err.kind() == ErrorKind::Tampered {
            "unseal_failed"
        } else {
            action
        };
        let event = AuditEvent {
            action: action.to_string(),
            path: path.map(|p| p.to_string()),
            version,
            outcome: err.kind().as_str().to_string(),
            detail: Some(err.to_string()),
            value_hmac: None,
        };
        let _ = self.audit(event);
    }
}

fn location_kind(location: &str) -> &'static str {
    if location.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}
