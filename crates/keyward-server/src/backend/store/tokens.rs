//! [`StoreTokens`] and [`StoreDocs`]: hashed tokens, policies and JWT roles as MACed store
//! records. A token is stored under the hex of its keyed hash (kind `token`, the record
//! as JSON) with an index from its accessor (kind `token-accessor`); the token itself is
//! never stored.

use super::pool::StorePool;
use super::{from_millis, malformed, millis};
use crate::backend::{
    BackendError, DocKind, DocumentRepo, OpContext, TokenHash, TokenRecord, TokenRepo,
};
use keyward_store::{Records, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

const TOKEN: &str = "token";
const ACCESSOR: &str = "token-accessor";

/// Tokens in the store.
pub struct StoreTokens(pub Arc<StorePool>);

/// Policies and JWT roles in the store.
pub struct StoreDocs(pub Arc<StorePool>);

/// A token record as JSON (times in milliseconds since the epoch).
#[derive(Serialize, Deserialize)]
struct Stored {
    accessor: String,
    display_name: String,
    policies: Vec<String>,
    meta: BTreeMap<String, String>,
    creation_time: u64,
    creation_ttl: u64,
    expire_time: Option<u64>,
    max_expire_time: Option<u64>,
    explicit_max_ttl: u64,
    renewable: bool,
    orphan: bool,
    parent: Option<String>,
    path: String,
}

impl From<&TokenRecord> for Stored {
    fn from(r: &TokenRecord) -> Stored {
        Stored {
            accessor: r.accessor.clone(),
            display_name: r.display_name.clone(),
            policies: r.policies.clone(),
            meta: r.meta.clone(),
            creation_time: millis(r.creation_time),
            creation_ttl: r.creation_ttl,
            expire_time: r.expire_time.map(millis),
            max_expire_time: r.max_expire_time.map(millis),
            explicit_max_ttl: r.explicit_max_ttl,
            renewable: r.renewable,
            orphan: r.orphan,
            parent: r.parent.clone(),
            path: r.path.clone(),
        }
    }
}

impl From<Stored> for TokenRecord {
    fn from(s: Stored) -> TokenRecord {
        TokenRecord {
            accessor: s.accessor,
            display_name: s.display_name,
            policies: s.policies,
            meta: s.meta,
            creation_time: from_millis(s.creation_time),
            creation_ttl: s.creation_ttl,
            expire_time: s.expire_time.map(from_millis),
            max_expire_time: s.max_expire_time.map(from_millis),
            explicit_max_ttl: s.explicit_max_ttl,
            renewable: s.renewable,
            orphan: s.orphan,
            parent: s.parent,
            path: s.path,
        }
    }
}

fn decode(body: &[u8]) -> Result<TokenRecord, StoreError> {
    serde_json::from_slice::<Stored>(body)
        .map(TokenRecord::from)
        .map_err(|e| malformed("token", e))
}

fn encode(r: &TokenRecord) -> Vec<u8> {
    serde_json::to_vec(&Stored::from(r)).expect("a token record serializes")
}

fn hash_of(hex_hash: &[u8]) -> Option<TokenHash> {
    let mut h = [0u8; 32];
    hex::decode_to_slice(hex_hash, &mut h).ok()?;
    Some(TokenHash(h))
}

/// The hash (hex) and record of the token with `accessor`.
fn by_accessor(
    r: &mut Records<'_>,
    accessor: &str,
) -> Result<Option<(String, TokenRecord)>, StoreError> {
    let Some(h) = r.get(ACCESSOR, accessor)? else {
        return Ok(None);
    };
    let h = String::from_utf8_lossy(&h).into_owned();
    Ok(match r.get(TOKEN, &h)? {
        Some(body) => Some((h, decode(&body)?)),
        None => None,
    })
}

impl TokenRepo for StoreTokens {
    fn insert(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), BackendError> {
        let h = hex::encode(hash.0);
        let taken = self.0.write(|s| {
            s.records(|r| {
                if r.get(TOKEN, &h)?.is_some() || r.get(ACCESSOR, &record.accessor)?.is_some() {
                    return Ok(true);
                }
                r.put(TOKEN, &h, &encode(record))?;
                r.put(ACCESSOR, &record.accessor, h.as_bytes())?;
                Ok(false)
            })
        })?;
        if taken {
            return Err(BackendError::Invalid("token already exists".into()));
        }
        Ok(())
    }

    fn by_hash(&self, hash: &TokenHash) -> Result<Option<(TokenHash, TokenRecord)>, BackendError> {
        let h = hex::encode(hash.0);
        let body = self.0.read(|s| s.records_read(|r| r.get(TOKEN, &h)))?;
        match body {
            Some(b) => Ok(Some((*hash, decode(&b).map_err(super::backend_error)?))),
            None => Ok(None),
        }
    }

    fn by_accessor(&self, accessor: &str) -> Result<Option<TokenRecord>, BackendError> {
        let found = self
            .0
            .read(|s| s.records_read(|r| by_accessor(r, accessor)))?;
        Ok(found.map(|(_, rec)| rec))
    }

    fn set_expiry(
        &self,
        accessor: &str,
        expire_time: Option<SystemTime>,
        _op: &OpContext,
    ) -> Result<(), BackendError> {
        let found = self.0.write(|s| {
            s.records(|r| {
                let Some((h, mut rec)) = by_accessor(r, accessor)? else {
                    return Ok(false);
                };
                rec.expire_time = expire_time;
                r.put(TOKEN, &h, &encode(&rec))?;
                Ok(true)
            })
        })?;
        if found {
            Ok(())
        } else {
            Err(BackendError::NotFound)
        }
    }

    fn revoke(&self, accessor: &str, _op: &OpContext) -> Result<Vec<String>, BackendError> {
        self.0.write(|s| {
            s.records(|r| {
                let all: Vec<TokenRecord> = r
                    .list(TOKEN, "")?
                    .iter()
                    .map(|(_, b)| decode(b))
                    .collect::<Result<_, _>>()?;
                let mut todo = vec![accessor.to_string()];
                let mut revoked = Vec::new();
                while let Some(a) = todo.pop() {
                    let Some(h) = r.get(ACCESSOR, &a)? else {
                        continue;
                    };
                    r.delete(TOKEN, &String::from_utf8_lossy(&h))?;
                    r.delete(ACCESSOR, &a)?;
                    todo.extend(
                        all.iter()
                            .filter(|t| !t.orphan && t.parent.as_deref() == Some(a.as_str()))
                            .map(|t| t.accessor.clone()),
                    );
                    revoked.push(a);
                }
                Ok(revoked)
            })
        })
    }

    fn list(&self) -> Result<Vec<TokenRecord>, BackendError> {
        let rows = self.0.read(|s| s.records_read(|r| r.list(TOKEN, "")))?;
        let mut out: Vec<TokenRecord> = rows
            .iter()
            .filter(|(name, _)| hash_of(name.as_bytes()).is_some())
            .map(|(_, b)| decode(b))
            .collect::<Result<_, _>>()
            .map_err(super::backend_error)?;
        out.sort_by(|a, b| a.accessor.cmp(&b.accessor));
        Ok(out)
    }
}

fn doc_kind(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Policy => "policy",
        DocKind::JwtRole => "jwt-role",
        DocKind::Report => "report",
    }
}

impl DocumentRepo for StoreDocs {
    fn get(&self, kind: DocKind, name: &str) -> Result<Option<String>, BackendError> {
        let body = self
            .0
            .read(|s| s.records_read(|r| r.get(doc_kind(kind), name)))?;
        Ok(body.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    fn put(
        &self,
        kind: DocKind,
        name: &str,
        body: &str,
        _op: &OpContext,
    ) -> Result<(), BackendError> {
        self.0
            .write(|s| s.records(|r| r.put(doc_kind(kind), name, body.as_bytes())))
    }

    fn delete(&self, kind: DocKind, name: &str, _op: &OpContext) -> Result<bool, BackendError> {
        self.0
            .write(|s| s.records(|r| r.delete(doc_kind(kind), name)))
    }

    fn list(&self, kind: DocKind) -> Result<Vec<String>, BackendError> {
        let rows = self
            .0
            .read(|s| s.records_read(|r| r.list(doc_kind(kind), "")))?;
        Ok(rows.into_iter().map(|(n, _)| n).collect())
    }
}
