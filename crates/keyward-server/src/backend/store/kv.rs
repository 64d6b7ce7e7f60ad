//! [`StoreKv`]: KV version 2 engines over store secrets.
//!
//! Every KV key is a store secret ([`secret_address`]): a path `<env_prefix><env>/<NAME>`
//! of a mount **is** the secret `env/NAME` that `keyward secret`/`export`/`run` and rotation
//! use; any other path is kept as the secret `kv.<mount>/K_<hash of the path>` (described
//! as `kv:<mount>/<path>`). A KV version is a store version. What the store has no column
//! for — custom metadata, per-version deletion times and destroyed flags, the field name
//! of a single-field value, per-key settings — is the key's MACed `kv` record, written in
//! the same transaction as the version.

use super::pool::StorePool;
use super::prune;
use super::{actor, backend_error, from_millis, malformed, millis};
use crate::backend::kv::{
    check_cas, children, effective_max_versions, scheduled_deletion, VersionOp,
};
use crate::backend::{
    BackendError, KvBackend, KvConfig, KvData, KvKey, KvMetadata, KvRead, KvVersion, MetadataPatch,
    OpContext,
};
use crate::config::Mount;
use keyward_core::SecretBytes;
use keyward_store::{
    validate_env, validate_name, Expected, KvPick, KvSnapshot, MetaPatch, SecretPath, Stage,
    StoreError,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const KV: &str = "kv";
const KV_CONFIG: &str = "kv-config";
/// Environments starting with this hold KV paths that are not `ENV/NAME` addresses.
const RESERVED_ENV: &str = "kv.";

/// A key's KV record: what the store's secret rows do not hold.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Record {
    created: u64,
    updated: u64,
    #[serde(default)]
    cas_required: bool,
    #[serde(default)]
    max_versions: u32,
    #[serde(default)]
    delete_version_after: u64,
    #[serde(default)]
    custom_metadata: Option<BTreeMap<String, String>>,
    /// Field name of the last single-field write (`value` when unknown).
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    versions: BTreeMap<u64, Flags>,
}

/// One version's KV facts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Flags {
    #[serde(default)]
    deletion: Option<u64>,
    #[serde(default)]
    destroyed: bool,
    /// The value is the canonical JSON of a multi-field (or non-string) map.
    #[serde(default)]
    json: bool,
    /// The field name of a single-field value.
    #[serde(default)]
    field: Option<String>,
}

/// The KV engines of a server, over a store.
pub struct StoreKv {
    pool: Arc<StorePool>,
    prefixes: HashMap<String, String>,
    /// Engine settings read in the last few seconds (a read needs them on every request).
    configs: Mutex<HashMap<String, (Instant, KvConfig)>>,
}

/// How long an engine's settings are reused before they are read again (another replica
/// may have changed them).
const CONFIG_TTL: Duration = Duration::from_secs(5);

/// The store secret that holds KV `path` of `mount` whose `env_prefix` is `prefix`.
pub fn secret_address(mount: &str, prefix: &str, path: &str) -> SecretPath {
    if let Some((env, name)) = path.strip_prefix(prefix).and_then(|r| r.split_once('/')) {
        if !env.starts_with(RESERVED_ENV)
            && validate_env(env).is_ok()
            && validate_name(name).is_ok()
        {
            if let Ok(p) = SecretPath::new(env, name) {
                return p;
            }
        }
    }
    let env = format!("{RESERVED_ENV}{mount}");
    let env = if validate_env(&env).is_ok() {
        env
    } else {
        format!(
            "{RESERVED_ENV}{}",
            &hex::encode(Sha256::digest(mount.as_bytes()))[..16]
        )
    };
    let name = format!("K_{}", &hex::encode(Sha256::digest(path.as_bytes()))[..40]);
    SecretPath::new(&env, &name).expect("a reserved address is valid")
}

fn record_name(key: &KvKey) -> String {
    format!("{}/{}", key.mount, key.path)
}

fn parse_record(body: Option<Vec<u8>>) -> Result<Option<Record>, StoreError> {
    body.map(|b| serde_json::from_slice(&b).map_err(|e| malformed("kv", e)))
        .transpose()
}

fn to_body(r: &Record) -> Vec<u8> {
    serde_json::to_vec(r).expect("a KV record serializes")
}

fn rfc3339(t: &str) -> SystemTime {
    humantime::parse_rfc3339_weak(t.trim_end_matches('Z')).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A write's bytes: a single string field is stored as itself (what `export` sees), any
/// other map as its JSON text.
fn encode(data: &KvData) -> (Vec<u8>, Flags) {
    if data.len() == 1 {
        if let Some((k, serde_json::Value::String(v))) = data.iter().next() {
            let flags = Flags {
                field: Some(k.clone()),
                ..Flags::default()
            };
            return (v.as_bytes().to_vec(), flags);
        }
    }
    let text = serde_json::to_vec(data).expect("a JSON map serializes");
    let flags = Flags {
        json: true,
        ..Flags::default()
    };
    (text, flags)
}

fn decode(value: &[u8], flags: Option<&Flags>, record: Option<&Record>) -> KvData {
    if flags.is_some_and(|f| f.json) {
        if let Ok(map) = serde_json::from_slice::<KvData>(value) {
            return map;
        }
    }
    let field = flags
        .and_then(|f| f.field.clone())
        .or_else(|| record.and_then(|r| r.field.clone()))
        .unwrap_or_else(|| "value".into());
    let mut m = KvData::new();
    m.insert(
        field,
        serde_json::Value::String(String::from_utf8_lossy(value).into_owned()),
    );
    m
}

/// The KV metadata of a snapshot (`None`: no such key). Versions past `max_versions` are
/// not shown; revoked versions are shown destroyed and pending ones not at all.
fn metadata(snap: &KvSnapshot, rec: Option<&Record>, engine: &KvConfig) -> Option<KvMetadata> {
    let live = snap.meta.as_ref().filter(|m| m.deleted_at.is_none());
    if live.is_none() && rec.is_none() {
        return None;
    }
    let now = SystemTime::now();
    let mut m = KvMetadata::new(now);
    if let Some(r) = rec {
        m.created_time = from_millis(r.created);
        m.updated_time = from_millis(r.updated);
        m.cas_required = r.cas_required;
        m.max_versions = r.max_versions;
        m.delete_version_after = Duration::from_secs(r.delete_version_after);
        m.custom_metadata = r.custom_metadata.clone();
    }
    if let Some(meta) = live {
        if rec.is_none() {
            m.created_time = rfc3339(&meta.created_at);
        }
        m.updated_time = m.updated_time.max(rfc3339(&meta.updated_at));
        m.current_version = meta.current_version;
        for v in snap.versions.iter().filter(|v| v.stage != Stage::Pending) {
            let flags = rec.and_then(|r| r.versions.get(&v.version));
            m.versions.insert(
                v.version,
                KvVersion {
                    version: v.version,
                    created_time: rfc3339(&v.created_at),
                    deletion_time: flags.and_then(|f| f.deletion).map(from_millis),
                    destroyed: v.stage == Stage::Revoked || flags.is_some_and(|f| f.destroyed),
                },
            );
        }
    }
    let keep = effective_max_versions(&m, engine) as usize;
    while m.versions.len() > keep {
        m.versions.pop_first();
    }
    m.oldest_version = m.versions.keys().next().copied().unwrap_or(0);
    Some(m)
}

impl StoreKv {
    /// KV engines for `mounts` over `pool`.
    pub fn new(pool: Arc<StorePool>, mounts: &[Mount]) -> StoreKv {
        StoreKv {
            pool,
            prefixes: mounts
                .iter()
                .map(|m| (m.name.clone(), m.env_prefix.clone()))
                .collect(),
            configs: Mutex::new(HashMap::new()),
        }
    }

    fn address(&self, key: &KvKey) -> SecretPath {
        let prefix = self.prefixes.get(&key.mount).map_or("", String::as_str);
        secret_address(&key.mount, prefix, &key.path)
    }

    fn snapshot(
        &self,
        key: &KvKey,
        pick: KvPick,
    ) -> Result<(KvSnapshot, Option<Record>), BackendError> {
        let path = self.address(key);
        let name = record_name(key);
        self.pool.read(|s| {
            let mut snap = s.kv_snapshot(&path, pick, KV, &name)?;
            let rec = parse_record(snap.record.take())?;
            Ok((snap, rec))
        })
    }

    /// Change a key's record in one transaction (created when missing).
    fn update(
        &self,
        key: &KvKey,
        now: SystemTime,
        f: impl FnOnce(&mut Record),
    ) -> Result<(), BackendError> {
        let name = record_name(key);
        self.pool.write(|s| {
            s.records(|r| {
                let mut rec = parse_record(r.get(KV, &name)?)?.unwrap_or_else(|| Record {
                    created: millis(now),
                    ..Record::default()
                });
                f(&mut rec);
                rec.updated = millis(now);
                r.put(KV, &name, &to_body(&rec))
            })
        })
    }
}

impl KvBackend for StoreKv {
    fn read(
        &self,
        key: &KvKey,
        version: Option<u64>,
        now: SystemTime,
    ) -> Result<KvRead, BackendError> {
        let pick = match version.filter(|&v| v > 0) {
            Some(v) => KvPick::Version(v),
            None => KvPick::Current,
        };
        let engine = self.config(&key.mount)?;
        let (snap, rec) = self.snapshot(key, pick)?;
        let Some(meta) = metadata(&snap, rec.as_ref(), &engine) else {
            return Ok(KvRead::Missing);
        };
        let v = version.filter(|&v| v > 0).unwrap_or(meta.current_version);
        let Some(info) = meta.versions.get(&v) else {
            return Ok(KvRead::Missing);
        };
        let custom_metadata = meta.custom_metadata.clone();
        match &snap.value {
            Some(value) if value.version == v && !info.unavailable(now) => {
                let flags = rec.as_ref().and_then(|r| r.versions.get(&v));
                Ok(KvRead::Data {
                    data: decode(value.value.expose(), flags, rec.as_ref()),
                    version: info.clone(),
                    custom_metadata,
                })
            }
            _ => Ok(KvRead::Unavailable {
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
        let engine = self.config(&key.mount)?;
        let (snap, rec) = self.snapshot(key, KvPick::Nothing)?;
        let meta = metadata(&snap, rec.as_ref(), &engine);
        check_cas(meta.as_ref(), cas, &engine)?;
        let expected = match cas {
            None => Expected::Any,
            Some(0) => Expected::Absent,
            Some(n) => Expected::Version(n),
        };
        let (bytes, mut flags) = encode(data);
        let deletion = scheduled_deletion(
            op.now,
            meta.as_ref().unwrap_or(&KvMetadata::new(op.now)),
            &engine,
        );
        flags.deletion = deletion.map(millis);
        let path = self.address(key);
        let name = record_name(key);
        let patch = MetaPatch {
            description: (path.env().starts_with(RESERVED_ENV))
                .then(|| format!("kv:{}/{}", key.mount, key.path)),
            ..MetaPatch::default()
        };
        let now = millis(op.now);
        let keep =
            effective_max_versions(meta.as_ref().unwrap_or(&KvMetadata::new(op.now)), &engine);
        let flagged = |v: u64| {
            rec.as_ref()
                .and_then(|r| r.versions.get(&v))
                .is_some_and(|f| f.destroyed)
        };
        let prune = prune::pushed_out(&snap.versions, keep, flagged);
        let info = self.pool.write(|s| {
            s.kv_write(
                &actor(op),
                &path,
                &SecretBytes::new(bytes),
                expected,
                &patch,
                (KV, &name),
                |old, info| {
                    let mut rec = parse_record(old)?.unwrap_or_else(|| Record {
                        created: now,
                        ..Record::default()
                    });
                    if flags.field.is_some() {
                        rec.field = flags.field.clone();
                    }
                    for v in &prune {
                        rec.versions.entry(*v).or_default().destroyed = true;
                    }
                    rec.versions.insert(info.version, flags);
                    rec.updated = now;
                    Ok(to_body(&rec))
                },
            )
        })?;
        // The write is durable; a failure to wipe what it pushed out is logged, not
        // reported as a failed write (those versions are hidden and marked destroyed).
        if let Err(e) = prune::destroy(&self.pool, &path, &prune, op) {
            tracing::warn!(error = %e, "KV max_versions: could not delete pushed-out versions");
        }
        Ok(KvVersion {
            version: info.version,
            created_time: op.now,
            deletion_time: deletion,
            destroyed: false,
        })
    }

    fn delete_current(&self, key: &KvKey, op: &OpContext) -> Result<(), BackendError> {
        let engine = self.config(&key.mount)?;
        let (snap, rec) = self.snapshot(key, KvPick::Nothing)?;
        match metadata(&snap, rec.as_ref(), &engine) {
            Some(m) if m.current_version > 0 => {
                self.versions(key, VersionOp::Delete, &[m.current_version], op)
            }
            _ => Ok(()),
        }
    }

    fn versions(
        &self,
        key: &KvKey,
        what: VersionOp,
        versions: &[u64],
        op: &OpContext,
    ) -> Result<(), BackendError> {
        let engine = self.config(&key.mount)?;
        let (snap, rec) = self.snapshot(key, KvPick::Nothing)?;
        let Some(meta) = metadata(&snap, rec.as_ref(), &engine) else {
            return Ok(());
        };
        let known: Vec<u64> = versions
            .iter()
            .copied()
            .filter(|v| meta.versions.contains_key(v))
            .collect();
        if known.is_empty() {
            return Ok(());
        }
        if what == VersionOp::Destroy {
            // Gone from the store first: if that is refused (a rotation needs the version),
            // nothing is marked.
            prune::destroy(&self.pool, &self.address(key), &known, op)?;
        }
        let now = millis(op.now);
        self.update(key, op.now, |rec| {
            for v in known {
                let f = rec.versions.entry(v).or_default();
                match what {
                    VersionOp::Delete if f.deletion.is_none_or(|t| t > now) => {
                        f.deletion = Some(now)
                    }
                    VersionOp::Undelete if !f.destroyed => f.deletion = None,
                    VersionOp::Destroy => f.destroyed = true,
                    _ => {}
                }
            }
        })
    }

    fn metadata(&self, key: &KvKey) -> Result<Option<KvMetadata>, BackendError> {
        let engine = self.config(&key.mount)?;
        let (snap, rec) = self.snapshot(key, KvPick::Nothing)?;
        Ok(metadata(&snap, rec.as_ref(), &engine))
    }

    fn write_metadata(
        &self,
        key: &KvKey,
        patch: &MetadataPatch,
        op: &OpContext,
    ) -> Result<(), BackendError> {
        self.update(key, op.now, |rec| {
            if let Some(n) = patch.max_versions {
                rec.max_versions = n;
            }
            if let Some(c) = patch.cas_required {
                rec.cas_required = c;
            }
            if let Some(d) = patch.delete_version_after {
                rec.delete_version_after = d.as_secs();
            }
            if let Some(c) = &patch.custom_metadata {
                rec.custom_metadata = Some(c.clone());
            }
        })
    }

    fn delete_key(&self, key: &KvKey, op: &OpContext) -> Result<(), BackendError> {
        let path = self.address(key);
        let name = record_name(key);
        self.pool
            .write(|s| s.kv_delete(&actor(op), &path, (KV, &name)))
    }

    fn list(&self, mount: &str, folder: &str) -> Result<Vec<String>, BackendError> {
        let prefix = self
            .prefixes
            .get(mount)
            .map_or("", String::as_str)
            .to_string();
        let rec_prefix = format!("{mount}/{folder}");
        let (records, secrets) = self.pool.read(|s| {
            let records = s.records_read(|r| r.list(KV, &rec_prefix))?;
            let secrets = s.list("", false)?;
            Ok((records, secrets))
        })?;
        let mut paths: Vec<String> = records
            .into_iter()
            .filter_map(|(n, _)| n.strip_prefix(&format!("{mount}/")).map(str::to_string))
            .collect();
        paths.extend(
            secrets
                .iter()
                .filter(|m| !m.path.env().starts_with(RESERVED_ENV))
                .map(|m| format!("{prefix}{}", m.path)),
        );
        Ok(children(paths.iter().map(String::as_str), folder))
    }

    fn config(&self, mount: &str) -> Result<KvConfig, BackendError> {
        let cached = self
            .configs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(mount)
            .cloned();
        if let Some((at, c)) = cached {
            if at.elapsed() < CONFIG_TTL {
                return Ok(c);
            }
        }
        let c = self.read_config(mount)?;
        self.configs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(mount.to_string(), (Instant::now(), c.clone()));
        Ok(c)
    }

    fn set_config(
        &self,
        mount: &str,
        config: &KvConfig,
        _op: &OpContext,
    ) -> Result<(), BackendError> {
        let body = serde_json::to_vec(&ConfigRecord {
            max_versions: config.max_versions,
            cas_required: config.cas_required,
            delete_version_after: config.delete_version_after.as_secs(),
        })
        .expect("a config serializes");
        self.pool
            .write(|s| s.records(|r| r.put(KV_CONFIG, mount, &body)))?;
        self.configs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(mount);
        Ok(())
    }

    fn health(&self) -> Result<(), BackendError> {
        self.pool.read(|s| s.ping())
    }
}

impl StoreKv {
    fn read_config(&self, mount: &str) -> Result<KvConfig, BackendError> {
        let body = self
            .pool
            .read(|s| s.records_read(|r| r.get(KV_CONFIG, mount)))?;
        match body {
            None => Ok(KvConfig::default()),
            Some(b) => {
                let c: ConfigRecord = serde_json::from_slice(&b)
                    .map_err(|e| backend_error(malformed("kv-config", e)))?;
                Ok(KvConfig {
                    max_versions: c.max_versions,
                    cas_required: c.cas_required,
                    delete_version_after: Duration::from_secs(c.delete_version_after),
                })
            }
        }
    }
}

/// `<mount>/config` as stored.
#[derive(Serialize, Deserialize)]
struct ConfigRecord {
    max_versions: u32,
    cas_required: bool,
    delete_version_after: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_name_paths_map_onto_secrets_and_others_onto_reserved_ones() {
        let p = secret_address("secret", "app/", "app/production/jwt");
        assert_eq!(p.to_string(), "production/jwt");
        let p = secret_address("secret", "", "production/JWT_SECRET");
        assert_eq!(p.to_string(), "production/JWT_SECRET");
        for other in [
            "app/production/jwt",
            "a/b/c",
            "prod/has-dash",
            "x",
            "kv.secret/K_1",
        ] {
            let p = secret_address("secret", "", other);
            assert!(p.env().starts_with("kv."), "{other} → {p}");
            assert!(p.name().starts_with("K_"), "{other} → {p}");
        }
        assert_ne!(
            secret_address("secret", "", "a/b/c"),
            secret_address("secret", "", "a/b/d")
        );
        assert_ne!(
            secret_address("secret", "", "a/b/c"),
            secret_address("other", "", "a/b/c")
        );
    }

    #[test]
    fn single_string_fields_are_stored_as_themselves() {
        let mut d = KvData::new();
        d.insert("secret".into(), "s3cr3t".into());
        let (bytes, flags) = encode(&d);
        assert_eq!(bytes, b"s3cr3t");
        assert_eq!(decode(&bytes, Some(&flags), None), d);
        d.insert("user".into(), "u".into());
        let (bytes, flags) = encode(&d);
        assert!(flags.json);
        assert_eq!(decode(&bytes, Some(&flags), None), d);
        // A CLI-written value reads back as the `value` field.
        let m = decode(b"v", None, None);
        assert_eq!(m.get("value"), Some(&serde_json::Value::String("v".into())));
    }
}
