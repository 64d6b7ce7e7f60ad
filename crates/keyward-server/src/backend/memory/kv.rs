//! [`MemoryKv`]: the KV v2 engine in memory.

use super::lock;
use crate::backend::kv::{
    check_cas, children, effective_max_versions, scheduled_deletion, versions_to_prune, VersionOp,
};
use crate::backend::{
    BackendError, KvBackend, KvConfig, KvData, KvKey, KvMetadata, KvRead, KvVersion, MetadataPatch,
    OpContext,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::SystemTime;

#[derive(Default)]
struct Entry {
    meta: Option<KvMetadata>,
    data: BTreeMap<u64, KvData>,
}

/// KV engines in memory.
#[derive(Default)]
pub struct MemoryKv {
    keys: Mutex<BTreeMap<KvKey, Entry>>,
    configs: Mutex<HashMap<String, KvConfig>>,
}

impl MemoryKv {
    fn engine(&self, mount: &str) -> KvConfig {
        lock(&self.configs).get(mount).cloned().unwrap_or_default()
    }
}

impl KvBackend for MemoryKv {
    fn read(
        &self,
        key: &KvKey,
        version: Option<u64>,
        now: SystemTime,
    ) -> Result<KvRead, BackendError> {
        let keys = lock(&self.keys);
        let Some(Entry {
            meta: Some(meta),
            data,
        }) = keys.get(key)
        else {
            return Ok(KvRead::Missing);
        };
        let v = version.filter(|&v| v > 0).unwrap_or(meta.current_version);
        let Some(info) = meta.versions.get(&v) else {
            return Ok(KvRead::Missing);
        };
        let custom_metadata = meta.custom_metadata.clone();
        if info.unavailable(now) {
            return Ok(KvRead::Unavailable {
                version: info.clone(),
                custom_metadata,
            });
        }
        match data.get(&v) {
            Some(d) => Ok(KvRead::Data {
                data: d.clone(),
                version: info.clone(),
                custom_metadata,
            }),
            None => Ok(KvRead::Unavailable {
                version: info.clone(),
                custom_metadata,
            }),
        }
    }

    fn write(
        &self,
        key: &KvKey,
        data: &KvData,
        cas: Option<u64>,
        op: &OpContext,
    ) -> Result<KvVersion, BackendError> {
        let engine = self.engine(&key.mount);
        let mut keys = lock(&self.keys);
        let entry = keys.entry(key.clone()).or_default();
        check_cas(entry.meta.as_ref(), cas, &engine)?;
        let meta = entry.meta.get_or_insert_with(|| KvMetadata::new(op.now));
        let version = KvVersion {
            version: meta.current_version + 1,
            created_time: op.now,
            deletion_time: scheduled_deletion(op.now, meta, &engine),
            destroyed: false,
        };
        meta.current_version = version.version;
        meta.updated_time = op.now;
        meta.versions.insert(version.version, version.clone());
        entry.data.insert(version.version, data.clone());
        for old in versions_to_prune(meta, effective_max_versions(meta, &engine)) {
            meta.versions.remove(&old);
            entry.data.remove(&old);
        }
        meta.oldest_version = meta.versions.keys().next().copied().unwrap_or(0);
        Ok(version)
    }

    fn delete_current(&self, key: &KvKey, op: &OpContext) -> Result<(), BackendError> {
        let current = match lock(&self.keys).get(key).and_then(|e| e.meta.as_ref()) {
            Some(m) if m.current_version > 0 => m.current_version,
            _ => return Ok(()),
        };
        self.versions(key, VersionOp::Delete, &[current], op)
    }

    fn versions(
        &self,
        key: &KvKey,
        what: VersionOp,
        versions: &[u64],
        op: &OpContext,
    ) -> Result<(), BackendError> {
        let mut keys = lock(&self.keys);
        let Some(Entry {
            meta: Some(meta),
            data,
        }) = keys.get_mut(key)
        else {
            return Ok(());
        };
        for v in versions {
            let Some(info) = meta.versions.get_mut(v) else {
                continue;
            };
            match what {
                VersionOp::Delete if info.deletion_time.is_none_or(|t| t > op.now) => {
                    info.deletion_time = Some(op.now)
                }
                VersionOp::Undelete if !info.destroyed => info.deletion_time = None,
                VersionOp::Destroy => {
                    info.destroyed = true;
                    data.remove(v);
                }
                _ => continue,
            }
            meta.updated_time = op.now;
        }
        Ok(())
    }

    fn metadata(&self, key: &KvKey) -> Result<Option<KvMetadata>, BackendError> {
        Ok(lock(&self.keys).get(key).and_then(|e| e.meta.clone()))
    }

    fn write_metadata(
        &self,
        key: &KvKey,
        patch: &MetadataPatch,
        op: &OpContext,
    ) -> Result<(), BackendError> {
        let mut keys = lock(&self.keys);
        let meta = keys
            .entry(key.clone())
            .or_default()
            .meta
            .get_or_insert_with(|| KvMetadata::new(op.now));
        if let Some(n) = patch.max_versions {
            meta.max_versions = n;
        }
        if let Some(c) = patch.cas_required {
            meta.cas_required = c;
        }
        if let Some(d) = patch.delete_version_after {
            meta.delete_version_after = d;
        }
        if let Some(c) = &patch.custom_metadata {
            meta.custom_metadata = Some(c.clone());
        }
        meta.updated_time = op.now;
        Ok(())
    }

    fn delete_key(&self, key: &KvKey, _op: &OpContext) -> Result<(), BackendError> {
        lock(&self.keys).remove(key);
        Ok(())
    }

    fn list(&self, mount: &str, folder: &str) -> Result<Vec<String>, BackendError> {
        let keys = lock(&self.keys);
        let paths = keys
            .keys()
            .filter(|k| k.mount == mount)
            .map(|k| k.path.as_str());
        Ok(children(paths, folder))
    }

    fn config(&self, mount: &str) -> Result<KvConfig, BackendError> {
        Ok(self.engine(mount))
    }

    fn set_config(
        &self,
        mount: &str,
        config: &KvConfig,
        _op: &OpContext,
    ) -> Result<(), BackendError> {
        lock(&self.configs).insert(mount.to_string(), config.clone());
        Ok(())
    }
}
