//! [`MemoryTokens`] and [`MemoryDocs`].

use super::lock;
use crate::backend::{
    BackendError, DocKind, DocumentRepo, OpContext, TokenHash, TokenRecord, TokenRepo,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::SystemTime;

/// Hashed tokens in memory.
#[derive(Default)]
pub struct MemoryTokens {
    inner: Mutex<Tokens>,
}

#[derive(Default)]
struct Tokens {
    by_hash: HashMap<TokenHash, String>,
    records: BTreeMap<String, (TokenHash, TokenRecord)>,
}

impl TokenRepo for MemoryTokens {
    fn insert(&self, hash: &TokenHash, record: &TokenRecord) -> Result<(), BackendError> {
        let mut t = lock(&self.inner);
        if t.by_hash.contains_key(hash) || t.records.contains_key(&record.accessor) {
            return Err(BackendError::Invalid("token already exists".into()));
        }
        t.by_hash.insert(*hash, record.accessor.clone());
        t.records
            .insert(record.accessor.clone(), (*hash, record.clone()));
        Ok(())
    }

    fn by_hash(&self, hash: &TokenHash) -> Result<Option<(TokenHash, TokenRecord)>, BackendError> {
        let t = lock(&self.inner);
        Ok(t.by_hash.get(hash).and_then(|a| t.records.get(a)).cloned())
    }

    fn by_accessor(&self, accessor: &str) -> Result<Option<TokenRecord>, BackendError> {
        Ok(lock(&self.inner)
            .records
            .get(accessor)
            .map(|(_, r)| r.clone()))
    }

    fn set_expiry(
        &self,
        accessor: &str,
        expire_time: Option<SystemTime>,
        _op: &OpContext,
    ) -> Result<(), BackendError> {
        match lock(&self.inner).records.get_mut(accessor) {
            Some((_, r)) => {
                r.expire_time = expire_time;
                Ok(())
            }
            None => Err(BackendError::NotFound),
        }
    }

    fn revoke(&self, accessor: &str, _op: &OpContext) -> Result<Vec<String>, BackendError> {
        let mut t = lock(&self.inner);
        let mut todo = vec![accessor.to_string()];
        let mut revoked = Vec::new();
        while let Some(a) = todo.pop() {
            let Some((hash, _)) = t.records.remove(&a) else {
                continue;
            };
            t.by_hash.remove(&hash);
            todo.extend(
                t.records
                    .values()
                    .filter(|(_, r)| !r.orphan && r.parent.as_deref() == Some(a.as_str()))
                    .map(|(_, r)| r.accessor.clone()),
            );
            revoked.push(a);
        }
        Ok(revoked)
    }

    fn list(&self) -> Result<Vec<TokenRecord>, BackendError> {
        Ok(lock(&self.inner)
            .records
            .values()
            .map(|(_, r)| r.clone())
            .collect())
    }
}

/// Policies and roles in memory.
#[derive(Default)]
pub struct MemoryDocs {
    docs: Mutex<BTreeMap<(DocKind, String), String>>,
}

impl DocumentRepo for MemoryDocs {
    fn get(&self, kind: DocKind, name: &str) -> Result<Option<String>, BackendError> {
        Ok(lock(&self.docs).get(&(kind, name.to_string())).cloned())
    }

    fn put(
        &self,
        kind: DocKind,
        name: &str,
        body: &str,
        _op: &OpContext,
    ) -> Result<(), BackendError> {
        lock(&self.docs).insert((kind, name.to_string()), body.to_string());
        Ok(())
    }

    fn delete(&self, kind: DocKind, name: &str, _op: &OpContext) -> Result<bool, BackendError> {
        Ok(lock(&self.docs).remove(&(kind, name.to_string())).is_some())
    }

    fn list(&self, kind: DocKind) -> Result<Vec<String>, BackendError> {
        Ok(lock(&self.docs)
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.clone())
            .collect())
    }
}
