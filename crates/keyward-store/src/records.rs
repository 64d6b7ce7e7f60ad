//! Server records and the group-commit audit append.
//!
//! A **record** is a named document of a kind (`token`, `token-accessor`, `policy`,
//! `jwt-role`, `kv`, `kv-config`) in the `records` table, for state that is not a secret
//! value but still decides what is served: hashed API tokens, ACL policies, KV metadata.
//! Each row carries an HMAC-SHA256 over its kind, name and body under a key derived from
//! the master key, so someone with write access to the database cannot mint a root token
//! or widen a policy by inserting or editing a row: a record whose MAC does not verify is
//! refused with [`ErrorKind::Integrity`]. (Deleting a row, or putting back an older copy of
//! one, is not detected by the MAC; the audit chain records every change made through
//! keyward.)
//!
//! [`Store::records`] runs a closure over the records in one transaction.
//! [`Store::append_audit_batch`] appends many audit events in one transaction, chained in
//! order, so a server can make many requests' records durable with one commit.

use crate::backend::{RecordRow, Tx};
use crate::crypto::MacKey;
use crate::error::{ErrorKind, Result, StoreError};
use crate::integrity::{integrity, Canon};

use crate::store::{read_tx, write_tx, Ctx, Store};

/// Domain of a record's MAC.
const RECORD_MAC: &str = "keyward/v1/record";

/// The key that MACs records: derived from the KEK and bound to the store.
pub(crate) fn record_key(ctx: &Ctx) -> MacKey {
    ctx.kek
        .derive(
            &[
                b"keyward/v1/record-mac\0".as_slice(),
                ctx.store_id.as_bytes(),
            ]
            .concat(),
        )
        .mac_key()
}

fn canon(kind: &str, name: &str, body: &[u8]) -> Canon {
    let mut c = Canon::new(RECORD_MAC);
    c.text("kind", kind).text("name", name).text("body", body);
    c
}

/// Read a record inside `tx`, its MAC checked.
pub(crate) fn get_in(
    tx: &mut dyn Tx,
    key: &MacKey,
    kind: &str,
    name: &str,
) -> Result<Option<Vec<u8>>> {
    match tx.record_get(kind, name)? {
        None => Ok(None),
        Some(row) => checked(key, row).map(|(_, body)| Some(body)),
    }
}

/// Write a record inside `tx` with its MAC.
pub(crate) fn put_in(
    tx: &mut dyn Tx,
    key: &MacKey,
    kind: &str,
    name: &str,
    body: &[u8],
) -> Result<()> {
    tx.record_put(&RecordRow {
        kind: kind.to_string(),
        name: name.to_string(),
        body: body.to_vec(),
        mac: canon(kind, name, body).mac_hex(key),
    })
}

fn checked(key: &MacKey, row: RecordRow) -> Result<(String, Vec<u8>)> {
    if canon(&row.kind, &row.name, &row.body).mac_matches(key, &row.mac) {
        Ok((row.name, row.body))
    } else {
        Err(integrity(format!(
            "integrity check failed: the {} record `{}` was changed outside keyward (it is not served; run `keyward audit verify`)",
            row.kind, row.name
        )))
    }
}

/// The records inside one transaction ([`Store::records`], [`Store::records_read`]).
pub struct Records<'a> {
    tx: &'a mut dyn Tx,
    key: &'a MacKey,
}

impl Records<'_> {
    /// The record `kind`/`name`, its MAC checked; `None` when there is none.
    pub fn get(&mut self, kind: &str, name: &str) -> Result<Option<Vec<u8>>> {
        get_in(self.tx, self.key, kind, name)
    }

    /// Create or replace a record (write transactions only).
    pub fn put(&mut self, kind: &str, name: &str, body: &[u8]) -> Result<()> {
        put_in(self.tx, self.key, kind, name, body)
    }

    /// Delete a record; `false` when there was none (write transactions only).
    pub fn delete(&mut self, kind: &str, name: &str) -> Result<bool> {
        self.tx.record_delete(kind, name)
    }

    /// The records of `kind` whose name starts with `prefix`, by name, each MAC checked.
    pub fn list(&mut self, kind: &str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.tx
            .record_list(kind, prefix)?
            .into_iter()
            .map(|row| checked(self.key, row))
            .collect()
    }
}

impl Store {
    /// Run `f` over the records in one write transaction; an error rolls it back.
    pub fn records<T>(&mut self, f: impl FnOnce(&mut Records<'_>) -> Result<T>) -> Result<T> {
        let Store { backend, ctx } = self;
        let key = record_key(ctx);
        write_tx(backend.as_mut(), ctx, |tx| {
            f(&mut Records { tx, key: &key })
        })
    }

    /// Run `f` over the records in one read-only transaction.
    pub fn records_read<T>(&mut self, f: impl FnOnce(&mut Records<'_>) -> Result<T>) -> Result<T> {
        let Store { backend, ctx } = self;
        let key = record_key(ctx);
        read_tx(backend.as_mut(), |tx| f(&mut Records { tx, key: &key }))
    }

    /// A cheap round trip to the database (a read of the key check value): `Ok` when the
    /// store answers.
    pub fn ping(&mut self) -> Result<()> {
        let Store { backend, .. } = self;
        read_tx(backend.as_mut(), |tx| {
            tx.meta_get(crate::store::META_KCV)?.ok_or_else(|| {
                StoreError::new(ErrorKind::NotInitialized, "the store is not initialized")
            })?;
            Ok(())
        })
    }
}
